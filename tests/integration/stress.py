#!/usr/bin/python3
"""stress.py: many mixed requests against tandem (issue 15's stuck request),
asserting that every one completes.  For each worker class it starts
tandem-appd (2 workers, 4 threads for gthread) and tandem-proxy with TLS,
then runs at once: h2load over h2 (GETs of a small and a 20 KB streamed
answer, 16 connections x 8 streams), h2load over h2 uploading 4 KiB bodies,
h2load over HTTP/1.1 keep-alive (32 connections), and raw HTTP/1.1 clients
that mix keep-alive, pipelining, POST bodies and Connection: close.  Every
part must finish all its requests with a 2xx: none failed, errored, timed
out or lost.

Run by hand for millions:  TANDEM_BUILD_DIR=build tests/integration/stress.py --count 2000000
test_stress.py runs it bounded for CI.  Exit status 0 when every request
completed, 1 otherwise; one line per part on stdout."""
import argparse
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Stack  # noqa: E402

BODY = b"s" * 4096


def h2load(url, n, extra, inactivity):
    """Runs h2load for n requests; (done 2xx, summary) from its report."""
    argv = ["h2load", "-t", "1", "-n", str(n), "--connection-inactivity-timeout=%d" % inactivity]
    argv += extra + url
    bound = inactivity * 4 + n / 500
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=bound)
    except subprocess.TimeoutExpired as e:
        # A stall: requests the server never answered.  Reported as this
        # part's failure, so the other parts' lines still print.
        out = e.stdout or b""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return 0, "h2load still ran after %.0f s (requests never answered): %s" % (
            bound, out[-300:])
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", r.stdout)
    codes = re.search(r"status codes: (\d+) 2xx", r.stdout)
    if not m or not codes:
        return 0, "h2load said: " + (r.stdout + r.stderr)[-600:]
    return int(codes.group(1)), m.group(0)


class RawClient:
    """HTTP/1.1 over TLS by hand: keep-alive GETs, two pipelined requests, a
    POST with a body, and a Connection: close request, in a loop; counts the
    complete answers."""

    def __init__(self, port, n):
        self.port, self.n, self.ok, self.error = port, n, 0, None
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE
        self.ctx.set_alpn_protocols(["http/1.1"])

    def connect(self):
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        return self.ctx.wrap_socket(raw, server_hostname="localhost")

    @staticmethod
    def read_answer(sock, buf):
        """One answer with a Content-Length from sock; returns the bytes left over."""
        while b"\r\n\r\n" not in buf:
            more = sock.recv(65536)
            if not more:
                raise ConnectionError("closed before the head")
            buf += more
        head, rest = buf.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 200"):
            raise AssertionError("answer %r" % head[:80])
        length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
        while len(rest) < length:
            more = sock.recv(65536)
            if not more:
                raise ConnectionError("closed inside the body")
            rest += more
        return rest[length:]

    def run(self):
        get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        post = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY
        close = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        try:
            sock, buf = self.connect(), b""
            while self.ok < self.n:
                sock.sendall(get + get)  # pipelined
                buf = self.read_answer(sock, buf)
                buf = self.read_answer(sock, buf)
                sock.sendall(post)
                buf = self.read_answer(sock, buf)
                sock.sendall(close)
                buf = self.read_answer(sock, buf)
                self.ok += 4
                sock.close()
                sock, buf = self.connect(), b""
            sock.close()
        except Exception as e:  # reported, not raised: the thread's result
            self.error = "%s after %d answers" % (e, self.ok)


def certs():
    d = tempfile.mkdtemp(prefix="tandem-stress-")
    subprocess.run([os.path.join(ROOT, "contrib", "dev", "devcert"), d], check=True,
                   capture_output=True)
    return os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")


def run_class(wclass, count, tls, inactivity):
    """Every part against one fresh stack: a list of (part, ok, line)."""
    appd_args = ["-k", wclass] + (["--threads", "4"] if wclass == "gthread" else [])
    s = Stack(workers=2, appd_args=appd_args, tls=tls, proxy_args=["--keep-alive", "30"])
    parts = {
        "h2 GET": (count * 4 // 10, ["-c", "16", "-m", "8"], ["/", "/stream?n=20000"]),
        "h2 POST": (count * 2 // 10, ["-c", "8", "-m", "4", "-d", "@BODY"], ["/echo"]),
        "h1 GET": (count * 3 // 10, ["--h1", "-c", "32"], ["/"]),
    }
    results, threads = [], []
    raw_n = max(count - sum(p[0] for p in parts.values()), 4)
    raws = [RawClient(s.port, raw_n // 4) for _ in range(4)]
    body_file = tempfile.NamedTemporaryFile(prefix="tandem-stress-body-", delete=False)
    body_file.write(BODY)
    body_file.close()
    try:
        def one(name, n, extra, paths):
            extra = [body_file.name if a == "@BODY" else a for a in extra]
            got, line = h2load([s.url + p for p in paths], n, extra, inactivity)
            results.append(("%s %s" % (wclass, name), got == n, "%d of %d: %s" % (got, n, line)))

        for name, (n, extra, paths) in parts.items():
            threads.append(threading.Thread(target=one, args=(name, n, extra, paths)))
        threads += [threading.Thread(target=r.run) for r in raws]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i, r in enumerate(raws):
            results.append(("%s raw h1 %d" % (wclass, i), r.error is None and r.ok >= r.n,
                            "%d of %d%s" % (r.ok, r.n, ": " + r.error if r.error else "")))
        stuck = [l for l in s.proxy.output().splitlines() if "stream" in l and "open" in l]
        if stuck:
            results.append(("%s proxy log" % wclass, False, stuck[0]))
    finally:
        os.unlink(body_file.name)
        s.close()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=200000,
                    help="requests per worker class (default 200000)")
    ap.add_argument("--classes", default="sync,gthread", help="worker classes, comma-separated")
    ap.add_argument("--inactivity", type=int, default=20,
                    help="seconds a connection may see nothing before h2load gives up on it")
    args = ap.parse_args()
    tls = certs()
    failed = 0
    for wclass in args.classes.split(","):
        t0 = time.monotonic()
        for name, ok, line in run_class(wclass, args.count, tls, args.inactivity):
            failed += not ok
            print("%-4s %-22s %s" % ("ok" if ok else "FAIL", name, line))
        print("     %-22s %.1f s" % (wclass, time.monotonic() - t0))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
