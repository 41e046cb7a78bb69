"""test_bodies.py: request bodies reach the app byte-exact over h2 and
HTTP/1.1 (sized and chunked); a 10 MiB response written in chunks of odd
sizes arrives byte-exact, read fast or slowly; a 100 MiB streamed response
arrives whole while the proxy's and the workers' memory stays bounded."""
import hashlib
import json
import os
import threading
import time

import pytest

from harness import curl, rss_kib

SIZES = [0, 1, 64 * 1024, 10 * 1024 * 1024]


def _body(n):
    return (os.urandom(4096) * (n // 4096 + 1))[:n]


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
@pytest.mark.parametrize("size", SIZES)
def test_post_sized(tls_stack, tmp_path, proto, size):
    body = _body(size)
    f = tmp_path / "body"
    f.write_bytes(body)
    r = curl(proto, "--data-binary", "@%s" % f, "-H", "Content-Type: application/octet-stream",
             tls_stack.url + "/sha")
    assert r.stdout.decode() == "%s %d" % (hashlib.sha256(body).hexdigest(), size)


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
def test_post_unknown_length(tls_stack, proto):
    body = _body(3 * 1024 * 1024 + 17)
    # From stdin curl cannot know the length: chunked on HTTP/1.1, no
    # content-length on h2.
    r = curl(proto, "--data-binary", "@-", "-H", "Transfer-Encoding: chunked" if proto == "--http1.1"
             else "X-Unknown: length", tls_stack.url + "/sha", input=body)
    assert r.stdout.decode() == "%s %d" % (hashlib.sha256(body).hexdigest(), len(body))


def _post_unknown_length(stack, proto, path, body):
    """The response body of a POST whose length the client does not give:
    chunked on HTTP/1.1, DATA with no content-length on h2."""
    if proto == "--http1.1":
        return curl(proto, "--data-binary", "@-", "-H", "Transfer-Encoding: chunked",
                    stack.url + path, input=body).stdout
    from fake_stack import H2Conn
    c = H2Conn(stack.port, tls=True)
    try:
        sid = c.headers(path, method="POST", end=False)
        c.conn.send_data(sid, body, end_stream=True)
        c.flush()
        status, _, out, _, _ = c.response(sid)
        assert status == 200
        return out
    finally:
        c.close()


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
def test_small_body_of_unknown_length_arrives_with_its_length(tls_stack, proto):
    # Within --request-buffer-size the proxy collects it whole: the app
    # sees it as a sized body, and reads it to its end as ever.
    body = _body(5000)
    env = json.loads(_post_unknown_length(tls_stack, proto, "/environ", body))
    assert env["CONTENT_LENGTH"] == "5000"
    assert env["wsgi.input_terminated"] is True
    out = _post_unknown_length(tls_stack, proto, "/sha", body)
    assert out.decode() == "%s %d" % (hashlib.sha256(body).hexdigest(), len(body))


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
def test_echo_roundtrip(tls_stack, proto):
    body = _body(1024 * 1024 + 3)
    r = curl(proto, "--data-binary", "@-", tls_stack.url + "/echo", input=body)
    assert r.stdout == body


def _pattern(n):
    period = bytes(range(251))  # as apps/probe.py's pattern()
    return (period * (n // 251 + 1))[:n]


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
@pytest.mark.parametrize("rate", [None, "8M"])
def test_odd_chunked_response_byte_exact(tls_stack, proto, rate):
    # Chunks from 1 byte to past the worker's frame size: the proxy reads
    # the worker's frames in large reads that cut them anywhere.
    n = 10 * 1024 * 1024 + 13
    args = ["--limit-rate", rate] if rate else []
    r = curl(proto, *args, tls_stack.url + "/pattern?n=%d" % n, timeout=120)
    assert len(r.stdout) == n
    assert hashlib.sha256(r.stdout).hexdigest() == hashlib.sha256(_pattern(n)).hexdigest()


def _watch_rss(pids, stop, peaks):
    while not stop.is_set():
        for p in pids:
            try:
                peaks[p] = max(peaks.get(p, 0), rss_kib(p)[0])
            except OSError:
                pass
        time.sleep(0.05)


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
def test_100mib_stream_bounded_memory(tls_stack, proto):
    n = 100 * 1024 * 1024
    pids = [tls_stack.proxy.pid] + tls_stack.worker_pids()
    before = {p: rss_kib(p)[0] for p in pids}
    peaks, stop = {}, threading.Event()
    t = threading.Thread(target=_watch_rss, args=(pids, stop, peaks))
    t.start()
    try:
        # A rate limit makes the client slower than the app: back-pressure
        # must hold the app, not buffer the difference.
        r = curl(proto, "--limit-rate", "40M", "-o", "/dev/null", "-w", "%{size_download}",
                 tls_stack.url + "/stream?n=%d" % n, timeout=120)
    finally:
        stop.set()
        t.join()
    assert int(r.stdout) == n
    if os.environ.get("TANDEM_SANITIZED"):
        return  # ASan's quarantine holds freed memory on purpose: RSS says nothing there
    for p in pids:
        growth_mib = (peaks.get(p, 0) - before[p]) / 1024
        assert growth_mib < 32, "pid %d grew %.1f MiB" % (p, growth_mib)
