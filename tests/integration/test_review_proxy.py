"""test_review_proxy.py: defects found in review of tandem-proxy, each with
the test that failed before its fix.  A scripted worker (EvilWorker, below)
speaks tandem-protocol(7) and breaks its rules on purpose; the proxy must
keep its memory bounded and never leave a client waiting for ever."""
import os
import socket
import struct
import tempfile
import threading
import time

import h2.events
import h2.settings
import pytest

from appd_client import (ACK, END_STREAM, PING, RESET, TRAILERS, HEADER as HDR,
                         HELLO as HELLO_S, HELLO_T as HELLO, REQUEST_HEAD as REQ_HEAD,
                         RESPONSE_DATA as RESP_DATA, RESPONSE_HEAD as RESP_HEAD,
                         _headers as hlist, frame)
from fake_appd import MAX_FRAME, H2Conn, parse_head
from harness import PROXY, Daemon, curl, free_port, wait_for

FLOW_CONTROL_ERROR, CANCEL = 3, 8
PX_RESP_WINDOW = 256 * 1024


def _head(status, headers=()):
    return struct.pack("!H", status) + hlist([(b"content-type", b"text/plain")] + list(headers))


class EvilWorker:
    """One simulated worker on a Unix socket; each route breaks a rule."""

    def __init__(self, path):
        self.path = path
        self.resets = []          # (path, reason) of every RESET the proxy sent
        self.lock = threading.Lock()
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(16)
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    @staticmethod
    def _read(c, n):
        buf = b""
        while len(buf) < n:
            d = c.recv(n - len(buf))
            if not d:
                raise ConnectionError
            buf += d
        return buf

    def _serve(self, c):
        c.sendall(frame(HELLO, 0, 0, HELLO_S.pack(1, 2, 1, os.getpid() & 0x7FFFFFFF, 16, 1, 1,
                                               1 << 20, MAX_FRAME, 1, 0)))
        paths = {}
        try:
            while True:
                length, ftype, flags, _r, sid = HDR.unpack(self._read(c, 12))
                p = self._read(c, length) if length else b""
                if ftype == REQ_HEAD:
                    h = parse_head(p)
                    paths[sid] = h["path"].decode()
                    self._route(c, sid, paths[sid])
                elif ftype == RESET:
                    reason = struct.unpack("!I", p)[0]
                    with self.lock:
                        self.resets.append((paths.get(sid), reason))
                    if reason == CANCEL:
                        c.sendall(frame(RESET, 0, sid, struct.pack("!I", CANCEL)))
                elif ftype == PING and not flags & ACK:
                    c.sendall(frame(PING, ACK, 0, p))
        except (ConnectionError, OSError):
            pass
        finally:
            c.close()

    def _route(self, c, sid, path):
        if path == "/overrun":
            # 16 times the proxy's window, without waiting for a single CREDIT.
            c.sendall(frame(RESP_HEAD, 0, sid, _head(200)))
            for i in range(64):
                c.sendall(frame(RESP_DATA, END_STREAM if i == 63 else 0, sid, b"x" * (64 * 1024)))
        elif path == "/data-first":
            c.sendall(frame(RESP_DATA, END_STREAM, sid, b"x"))
        elif path == "/trailers-first":
            c.sendall(frame(TRAILERS, 0, sid, hlist([(b"x-a", b"1")])))
        elif path == "/two-heads":
            c.sendall(frame(RESP_HEAD, 0, sid, _head(200)) +
                      frame(RESP_HEAD, END_STREAM, sid, _head(200)))
        elif path == "/204-body":
            c.sendall(frame(RESP_HEAD, 0, sid, _head(204)) +
                      frame(RESP_DATA, END_STREAM, sid, b"junk"))
        elif path == "/fits":
            # A whole response inside the window: the worker is done at once.
            n = 200 * 1024
            c.sendall(frame(RESP_HEAD, 0, sid, _head(200, [(b"content-length", b"%d" % n)])))
            c.sendall(frame(RESP_DATA, END_STREAM, sid, b"y" * n))
        else:
            c.sendall(frame(RESP_HEAD, 0, sid, _head(200, [(b"content-length", b"3")])) +
                      frame(RESP_DATA, END_STREAM, sid, b"ok\n"))

    def close(self):
        self.stop = True
        self.srv.close()


class EvilStack:
    """EvilWorker plus a real tandem-proxy on a free loopback port."""

    def __init__(self, proxy_args=(), tls=None, wrap=()):
        self.tmp = tempfile.mkdtemp(prefix="tandem-evil-")
        self.sock = os.path.join(self.tmp, "app.sock")
        self.worker = EvilWorker(self.sock)
        self.port = free_port()
        argv = list(wrap) + [PROXY, "--bind", "127.0.0.1:%d" % self.port, "--upstream",
                             "unix:" + self.sock, "--threads", "1"]
        if tls:
            argv += ["--certfile", tls[0], "--keyfile", tls[1]]
        self.proxy = Daemon(argv + list(proxy_args))
        if not self.proxy.wait_ready(30):
            out = self.proxy.output()
            self.close()
            raise AssertionError("proxy not ready:\n" + out)
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)

    def close(self):
        self.proxy.stop()
        self.worker.close()
        try:
            os.unlink(self.sock)
        except OSError:
            pass
        os.rmdir(self.tmp)


@pytest.fixture
def evil():
    s = EvilStack()
    yield s
    s.close()


@pytest.fixture
def evil_tls(certs):
    s = EvilStack(tls=certs, proxy_args=["--timeout", "2"])
    yield s
    s.close()


def test_worker_data_beyond_window_is_reset(evil):
    """px_upstream.c: RESPONSE_DATA was taken whatever the window, so a
    worker ignoring CREDIT grew the proxy's buffer without bound while the
    client read slowly (here: not at all)."""
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.settimeout(20)
    c.connect(("127.0.0.1", evil.port))
    try:
        c.sendall(b"GET /overrun HTTP/1.1\r\nHost: x\r\n\r\n")
        wait_for(lambda: ("/overrun", FLOW_CONTROL_ERROR) in evil.worker.resets, 20,
                 "RESET FLOW_CONTROL_ERROR to the worker")
        data = b""
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
        # Head sent, then the connection closes: the body is cut short.
        assert data.startswith(b"HTTP/1.1 200") and not data.endswith(b"0\r\n\r\n")
    finally:
        c.close()
    assert "FLOW_CONTROL_ERROR" in evil.proxy.output()
    assert curl(evil.url + "/").stdout == b"ok\n"


@pytest.mark.parametrize("path,want", [("/data-first", 502), ("/trailers-first", 502)])
def test_body_before_head_is_502_not_a_hang(evil, path, want):
    """px_stream.c: DATA or TRAILERS with END_STREAM before any head ended the
    worker side while the client waited for a head for ever."""
    r = curl("--http1.1", "-o", "/dev/null", "-w", "%{http_code}", evil.url + path,
             check=False, timeout=20)
    assert r.returncode == 0 and r.stdout == b"%d" % want, r
    assert curl(evil.url + "/").stdout == b"ok\n"


def test_second_head_ends_the_stream(evil):
    """A second RESPONSE_HEAD (carrying END_STREAM) was ignored: the client
    waited for ever for a body end."""
    r = curl("--http1.1", "-o", "/dev/null", evil.url + "/two-heads", check=False, timeout=20)
    assert r.returncode == 18, r   # closed mid-body, not a timeout (28)
    assert curl(evil.url + "/").stdout == b"ok\n"


def test_204_body_is_not_sent_on_h2(evil_tls):
    """h2_session.c: DATA after a 204 head went to the h2 client, which
    must treat it as a malformed response and reset the stream."""
    r = curl("--http2", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
             evil_tls.url + "/204-body", check=False, timeout=20)
    assert r.returncode == 0 and r.stdout == b"204 0", r
    r = curl("--http1.1", "-i", evil_tls.url + "/204-body", timeout=20)
    assert r.stdout.startswith(b"HTTP/1.1 204") and not r.stdout.endswith(b"junk"), r


def test_h2_stream_whose_window_never_opens_is_reset(evil_tls, certs):
    """px_stream.c: once the worker was done, nothing timed out the client
    side: a client that never opened its window held the buffered response
    (and its stream) for ever."""
    h = H2Conn(evil_tls.port, tls=True,
               settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    try:
        sid = h.headers("/fits")
        ev = h.wait(lambda e: isinstance(e, h2.events.StreamReset) and e.stream_id == sid,
                    "RST_STREAM for the stalled stream")
        assert ev.error_code == CANCEL
        h.ping()   # only the stream was dropped; the connection serves on
        sid = h.headers("/")
        h.conn.increment_flow_control_window(1 << 20, stream_id=sid)
        h.flush()
        assert h.response(sid)[2] == b"ok\n"
    finally:
        h.close()
    assert "client took no response bytes" in evil_tls.proxy.output()


def _cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime + stime


def test_accept_at_emfile_does_not_spin():
    """px_listener.c: at EMFILE the pending connection stays in the backlog
    and the level-triggered listener woke the loop again at once: 100% CPU
    and an error line per wake-up, for as long as the descriptors lacked."""
    s = EvilStack(wrap=["prlimit", "--nofile=40:40", "--"])
    held = []
    try:
        assert curl(s.url + "/").stdout == b"ok\n"
        # Keep-alive connections until the proxy has no descriptor left.
        for _ in range(60):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=20)
            held.append(c)
            if "accept: Too many open files" in s.proxy.output():
                break
        wait_for(lambda: "accept: Too many open files" in s.proxy.output(), 20, "EMFILE")
        # A window to watch the loop in: spinning shows as CPU and log lines.
        t0 = _cpu_ticks(s.proxy.pid)
        time.sleep(1.0)
        ticks = _cpu_ticks(s.proxy.pid) - t0
        lines = s.proxy.output().count("accept: Too many open files")
        assert ticks < 40, "proxy used %d ticks of CPU in 1 s at EMFILE" % ticks
        assert lines < 50, "%d accept error lines in about 1 s" % lines
        # Descriptors come back: the connection waiting in the backlog is served.
        last = held.pop()
        for c in held:
            c.close()
        held = [last]
        last.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"ok\n" not in data:
            d = last.recv(4096)
            assert d, "closed without a response: " + data.decode(errors="replace")
            data += d
        assert data.startswith(b"HTTP/1.1 200")
    finally:
        for c in held:
            c.close()
        s.close()
