"""The proxy's admin listener (--admin-bind): Prometheus text at /metrics
whose counts match the requests made, JSON at /status, /healthz and
/readyz, the status page rendered by headless chromium, and the refusal
of a non-loopback address."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading

import pytest

from harness import APPS, FRONT, PROXY, Daemon, Stack, can_connect, curl, free_port, wait_for


def get(port, path, method="GET"):
    """(status, headers text, body) of one request on its own connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(("%s %s HTTP/1.1\r\nHost: x\r\n\r\n" % (method, path)).encode())
        data = b""
        while True:
            piece = s.recv(65536)
            if not piece:
                break
            data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), head.decode(), body


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text):
    """A strict reader of the text format (0.0.4): {(name, labels): value},
    and each family's type.  Fails on a sample of a family without TYPE."""
    samples, types = {}, {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram"), line
            types[name] = kind
            continue
        if line.startswith("# HELP "):
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name, labels = m.group(1), tuple(LABEL.findall(m.group(3) or ""))
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, "no TYPE for %s" % name
        samples[(name, labels)] = float(m.group(4))
    return samples, types


def admin_stack(certs, workers=2, extra=()):
    port = free_port()
    s = Stack(workers=workers, appd_args=["-k", "gthread", "--threads", "2"], tls=certs,
              proxy_args=["--admin-bind", "127.0.0.1:%d" % port] + list(extra))
    s.admin = port
    return s


@pytest.fixture
def stack(certs):
    s = admin_stack(certs)
    yield s
    s.close()


def test_metrics_count_the_requests_made(stack):
    for _ in range(5):
        assert curl("--http1.1", stack.url + "/").stdout == b"hello"
    for _ in range(3):
        assert curl("--http2", stack.url + "/").stdout == b"hello"
    curl("--http2", stack.url + "/error")
    curl("--http1.1", stack.url + "/nope")
    curl("--http1.1", stack.url + "/status?code=302")
    status, head, body = get(stack.admin, "/metrics")
    assert status == 200 and "text/plain; version=0.0.4" in head
    m, types = parse_prometheus(body.decode())
    req = "tandem_proxy_requests_total"
    assert types[req] == "counter"
    assert m[(req, (("protocol", "h1"), ("code", "2xx")))] == 5
    assert m[(req, (("protocol", "h1"), ("code", "4xx")))] == 1
    assert m[(req, (("protocol", "h1"), ("code", "3xx")))] == 1
    assert m[(req, (("protocol", "h2"), ("code", "2xx")))] == 3
    assert m[(req, (("protocol", "h2"), ("code", "5xx")))] == 1
    assert sum(v for (n, _), v in m.items() if n == req) == 11
    hist = "tandem_proxy_request_duration_seconds"
    assert types[hist] == "histogram"
    buckets = [(float(dict(l)["le"]), v) for (n, l), v in m.items() if n == hist + "_bucket"]
    buckets.sort()
    counts = [v for _, v in buckets]
    assert counts == sorted(counts) and buckets[-1][0] == float("inf")
    assert counts[-1] == m[(hist + "_count", ())] == 11
    assert m[(hist + "_sum", ())] > 0
    assert m[("tandem_proxy_response_body_bytes_total", ())] >= 8 * 5
    assert m[("tandem_proxy_connections_accepted_total", ())] == 11
    assert m[("tandem_proxy_connections_open", ())] == 0
    assert m[("tandem_proxy_streams_in_flight", ())] == 0
    assert m[("tandem_proxy_workers", ())] == 2
    assert m[("tandem_proxy_worker_capacity", ())] == 4
    assert m[("tandem_proxy_pid", ())] == stack.proxy.pid
    # The admin listener's own requests are not counted.
    _, _, again = get(stack.admin, "/metrics")
    m2, _ = parse_prometheus(again.decode())
    assert sum(v for (n, _), v in m2.items() if n == req) == 11


def test_status_json_and_probes(stack):
    for _ in range(4):
        curl(stack.url + "/")
    status, head, body = get(stack.admin, "/status")
    assert status == 200 and "application/json" in head
    s = json.loads(body)["stats"]
    assert s["requests"] == 4 and s["requests_h2"]["2xx"] == 4
    assert s["pid"] == stack.proxy.pid and s["workers"] == 2
    assert s["latency"]["count"] == 4
    assert get(stack.admin, "/healthz")[:1] == (200,)
    assert get(stack.admin, "/readyz")[0] == 200
    status, _, body = get(stack.admin, "/readyz", "HEAD")
    assert status == 200 and body == b""
    assert get(stack.admin, "/nope")[0] == 404
    assert get(stack.admin, "/metrics", "POST")[0] == 405
    with socket.create_connection(("127.0.0.1", stack.admin), timeout=10) as c:
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        assert c.recv(100).startswith(b"HTTP/1.1 400 ")


def test_readyz_without_room_and_healthz_when_stopping(tmp_path, certs):
    s = admin_stack(certs, workers=1, extra=["--graceful-timeout", "30"])
    mark = str(tmp_path / "busy")
    try:
        # One sync worker with threads 2: two slow requests fill it.
        done = []
        ts = [threading.Thread(target=lambda i=i: done.append(
            curl(s.url + "/sleep?s=4&mark=%s%d" % (mark, i)))) for i in range(2)]
        for t in ts:
            t.start()
        wait_for(lambda: os.path.exists(mark + "0") and os.path.exists(mark + "1"), 20,
                 "both slow requests in the app")
        status, _, body = get(s.admin, "/readyz")
        assert status == 503 and b"no worker with room" in body
        os.kill(s.proxy.pid, signal.SIGTERM)
        wait_for(lambda: get(s.admin, "/healthz")[0] == 503, 10, "/healthz saying stopping")
        assert get(s.admin, "/readyz")[0] == 503
        for t in ts:
            t.join(30)
        assert [r.stdout for r in done] == [b"slept", b"slept"]
        assert s.proxy.proc.wait(30) == 0
    finally:
        s.close()


def test_non_loopback_refused_unless_allowed(stack):
    port = free_port()
    r = subprocess.run([PROXY, "--bind", "127.0.0.1:%d" % free_port(), "--upstream",
                        "unix:" + stack.sock, "--no-proxy-control-socket",
                        "--admin-bind", "0.0.0.0:%d" % port], capture_output=True, timeout=30)
    assert r.returncode == 1 and b"not a loopback address" in r.stderr, r.stderr
    d = Daemon([PROXY, "--bind", "127.0.0.1:%d" % free_port(), "--upstream", "unix:" + stack.sock,
                "--no-proxy-control-socket", "--admin-bind", "0.0.0.0:%d" % port,
                "--admin-allow-remote"])
    try:
        assert d.wait_ready(30), d.output()
        assert get(port, "/healthz")[0] == 200
    finally:
        d.stop()


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(chromium() is None,
                    reason="chromium is not installed (contrib/dev/install-deps installs it)")
def test_status_page_draws_its_charts_in_chromium(stack, tmp_path):
    status, head, page = get(stack.admin, "/")
    assert status == 200 and "text/html" in head
    # Self-contained: no script, style, font or image from elsewhere.
    assert not re.search(rb"<(script|link|img)[^>]+(src|href)=", page)
    assert b"@import" not in page and b"//cdn" not in page
    for _ in range(6):
        curl(stack.url + "/")
    r = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--user-data-dir=%s" % tmp_path, "--virtual-time-budget=6000",
                        "--dump-dom", "http://127.0.0.1:%d/" % stack.admin],
                       capture_output=True, timeout=120)
    dom = r.stdout.decode()
    assert r.returncode == 0 and "<svg" in dom, r.stderr.decode()[-2000:]
    polls = int(re.search(r'data-polls="(\d+)"', dom).group(1))
    assert polls >= 2, dom
    assert re.search(r'id="total-requests">6<', dom), dom
    for chart in ("rps", "latency", "status", "workers", "conns"):
        svg = re.search(r'<svg id="chart-%s"[^>]*data-samples="(\d+)"[^>]*>(.*?)</svg>' % chart,
                        dom, re.S)
        assert svg and int(svg.group(1)) >= 2, (chart, dom)
        lines = re.findall(r'<polyline points="([^"]*)"', svg.group(2))
        assert lines and all(len(p.split()) >= 2 for p in lines), (chart, svg.group(0))
    workers = re.search(r'<polyline[^>]*data-name="workers"[^>]*data-last="([^"]*)"', dom)
    assert workers and float(workers.group(1)) == 2


def test_through_tandem():
    port, admin = free_port(), free_port()
    d = Daemon([FRONT, "-b", "127.0.0.1:%d" % port, "--admin-bind", "127.0.0.1:%d" % admin,
                "--pythonpath", APPS, "probe:app"])
    try:
        wait_for(lambda: can_connect(("127.0.0.1", port)) or not d.alive(), 30, "tandem port")
        assert d.alive(), d.output()
        assert curl("http://127.0.0.1:%d/" % port).stdout == b"hello"
        wait_for(lambda: get(admin, "/readyz")[0] == 200, 10, "/readyz")
        m, _ = parse_prometheus(get(admin, "/metrics")[2].decode())
        assert m[("tandem_proxy_requests_total", (("protocol", "h1"), ("code", "2xx")))] == 1
    finally:
        d.stop()
