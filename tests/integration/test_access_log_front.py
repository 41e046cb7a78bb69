"""test_access_log_front.py: the access log of what the proxy decided and
answered itself: `h` is the client after a PROXY header or a trusted front's
X-Forwarded-For (as Gunicorn's follows REMOTE_ADDR), requests the proxy
answered (413 from limit_request_body, 400s, 504) get their line, a WebSocket
gets one line when its tunnel ends (101, the app's message bytes), and
requests to the asgi worker are counted in statsd like WSGI's."""
import asyncio
import contextlib
import os
import socket

import websockets

import ws_client as wc
from fake_stack import H2Conn
from harness import Stack, curl, wait_for
from test_websocket_proxy import H2WS
from test_statsd import Metrics, listening

FMT = "%(h)s|%(s)s|%(r)s|%(b)s|%({REMOTE_ADDR}e)s"


@contextlib.contextmanager
def logged_stack(tmp_path, proxy_args=(), **kwargs):
    path = str(tmp_path / "access.log")
    s = Stack(workers=1, proxy_args=["--access-logfile", path, "--access-logformat", FMT]
              + list(proxy_args), **kwargs)
    try:
        yield s, path
    finally:
        s.close()


def lines_of(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="ascii") as f:
        return [line.split("|") for line in f.read().splitlines()]


def line_for(path, request_line):
    """The one line whose %(r)s is request_line, once it is there."""
    def found():
        got = [f for f in lines_of(path) if f[2] == request_line]
        assert len(got) <= 1, got
        return got[0] if got else None
    return wait_for(found, 10, "the line of %r in %s" % (request_line, path))


def raw_exchange(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        out = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return out
            out += chunk


def test_h_is_the_trusted_fronts_client(tmp_path):
    # 127.0.0.1 is trusted by default: its X-Forwarded-For names the client.
    with logged_stack(tmp_path, ["--http2-cleartext", "both"]) as (s, path):
        curl("--http1.1", "-H", "X-Forwarded-For: 203.0.113.9", s.url + "/h1")
        curl("--http2-prior-knowledge", "-H", "X-Forwarded-For: 198.51.100.4, 127.0.0.1",
             s.url + "/h2")
        assert line_for(path, "GET /h1 HTTP/1.1")[0] == "203.0.113.9"
        h2 = line_for(path, "GET /h2 HTTP/2.0")
        assert (h2[0], h2[4]) == ("198.51.100.4", "198.51.100.4")


def test_h_ignores_an_untrusted_peers_x_forwarded_for(tmp_path):
    with logged_stack(tmp_path, ["--forwarded-allow-ips", "192.0.2.1"]) as (s, path):
        curl("--http1.1", "-H", "X-Forwarded-For: 203.0.113.9", s.url + "/plain")
        f = line_for(path, "GET /plain HTTP/1.1")
        assert (f[0], f[4]) == ("127.0.0.1", "127.0.0.1")


def test_h_is_the_proxy_protocol_source_even_for_a_refused_request(tmp_path):
    with logged_stack(tmp_path, ["--proxy-protocol", "v1"]) as (s, path):
        pp = b"PROXY TCP4 203.0.113.7 198.51.100.1 51000 443\r\n"
        reply = raw_exchange(s.port, pp + b"GET /pp HTTP/1.1\r\nHost: x\r\n"
                             b"Connection: close\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 404 "), reply
        f = line_for(path, "GET /pp HTTP/1.1")
        assert (f[0], f[1], f[4]) == ("203.0.113.7", "404", "203.0.113.7")
        # Bytes that are no request: the proxy's 400 is logged with that client too.
        reply = raw_exchange(s.port, pp.replace(b"203.0.113.7", b"203.0.113.8")
                             + b"GET /x HTTP/1.1\r\nBad Field\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 400 "), reply
        refused = wait_for(lambda: [f for f in lines_of(path) if f[1] == "400"], 10,
                           "the 400's line")
        assert refused[0][0] == "203.0.113.8", refused


def test_proxy_answers_413_and_400_are_logged(tmp_path):
    with logged_stack(tmp_path, ["--limit-request-body", "10", "--http2-cleartext", "both"]) as (s, path):
        for proto in ("--http1.1", "--http2-prior-knowledge"):
            r = curl(proto, "--data-binary", "x" * 100, s.url + "/big", "-o", "/dev/null",
                     "-w", "%{http_code}")
            assert r.stdout == b"413"
        # Chunked: the cap cuts the body where it passes 10 bytes.
        r = curl("--http1.1", "-H", "Transfer-Encoding: chunked", "--data-binary", "y" * 100,
                 s.url + "/chunked", "-o", "/dev/null", "-w", "%{http_code}")
        assert r.stdout == b"413"
        # A trusted front whose secure_scheme_headers disagree: 400.
        r = curl("--http1.1", "-H", "X-Forwarded-Proto: https", "-H", "X-Forwarded-Ssl: off",
                 "-H", "X-Forwarded-For: 203.0.113.5", s.url + "/scheme", "-o", "/dev/null",
                 "-w", "%{http_code}")
        assert r.stdout == b"400"
        too_large = str(len("Payload Too Large\n"))
        assert line_for(path, "POST /big HTTP/1.1")[1:4:2] == ["413", too_large]
        assert line_for(path, "POST /big HTTP/2.0")[1:4:2] == ["413", too_large]
        assert line_for(path, "POST /chunked HTTP/1.1")[1] == "413"
        assert line_for(path, "GET /scheme HTTP/1.1")[1] == "400"


def test_proxy_answered_504_is_logged(tmp_path):
    # The worker sleeps past the proxy's --timeout: the client gets 504.
    with logged_stack(tmp_path, ["--timeout", "1"]) as (s, path):
        r = curl("--http1.1", s.url + "/sleep?s=3", "-o", "/dev/null", "-w", "%{http_code}")
        assert r.stdout == b"504"
        f = line_for(path, "GET /sleep?s=3 HTTP/1.1")
        assert (f[0], f[1], f[3]) == ("127.0.0.1", "504", str(len("Gateway Timeout\n")))


def test_websocket_logged_once_when_its_tunnel_ends(tmp_path):
    with logged_stack(tmp_path, ["--http2-cleartext", "both"], app="asgi_probe:app",
                      appd_args=["-k", "asgi"]) as (s, path):
        async def go():
            uri = "ws://127.0.0.1:%d/ws" % s.port
            async with websockets.connect(uri, max_size=None) as ws:
                for text in ("one", "x" * 1000):
                    await ws.send(text)
                    assert await ws.recv() == text
                # A request after the tunnel opened is logged; the tunnel is not yet.
                await asyncio.to_thread(curl, "--http1.1", s.url + "/during")
                line_for(path, "GET /during HTTP/1.1")
                assert not [f for f in lines_of(path) if f[2] == "GET /ws HTTP/1.1"]
        asyncio.run(asyncio.wait_for(go(), 60))
        f = line_for(path, "GET /ws HTTP/1.1")
        assert (f[0], f[1], f[3]) == ("127.0.0.1", "101", str(3 + 1000))

        # Over HTTP/2 (extended CONNECT) likewise, when its stream ends.
        h = H2Conn(s.port, tls=False)
        try:
            w = H2WS(h)
            w.send(wc.frame(wc.TEXT, b"abcd"))
            assert w.recv_event() == (wc.TEXT, b"abcd")
            curl("--http1.1", s.url + "/during-h2")
            line_for(path, "GET /during-h2 HTTP/1.1")
            assert not [f for f in lines_of(path) if f[2] == "GET /ws HTTP/2.0"]
            w.send(wc.frame(wc.CLOSE, wc.close_payload(1000, b"")))
            assert w.recv_event() == (wc.CLOSE, wc.close_payload(1000, b""))
        finally:
            h.close()
        f = line_for(path, "GET /ws HTTP/2.0")
        assert (f[0], f[1], f[3]) == ("127.0.0.1", "101", "4")


def test_asgi_requests_counted_in_statsd_as_wsgi():
    with listening() as sock:
        port = sock.getsockname()[1]
        s = Stack(workers=1, app="asgi_probe:app", appd_args=["-k", "asgi"],
                  proxy_args=["--statsd-host", "127.0.0.1:%d" % port])
        try:
            for _ in range(3):
                curl(s.url + "/")
            curl(s.url + "/no-such-route", check=False)
            m = Metrics(sock)
            wait_for(lambda: m.receive().counts()["gunicorn.requests"] >= 4, 10,
                     "four requests counted")
        finally:
            s.close()
    counts = m.counts()
    assert counts["gunicorn.requests"] == 4
    assert counts["gunicorn.request.status.200"] == 3
    assert counts["gunicorn.request.status.404"] == 1
    durations = [v for name, v, kind in m.parsed() if name == "gunicorn.request.duration"]
    assert len(durations) == 4
