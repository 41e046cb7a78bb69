"""test_protocol_edges.py: requests HTTP allows in form but the proxy must
not pass on (issue 14, protocol edges): CONNECT without a tunnel, and HTTP/2
pseudo-header fields held to HTTP/1's request-target rules.  Each refused
request is shown not to reach the app (apps/edges_app.py logs what it sees),
and the stack to serve the next client."""
import os
import socket
import ssl
import time

import pytest

from fake_stack import H2Conn
from harness import Stack


@pytest.fixture(scope="module")
def edges(certs, tmp_path_factory):
    log = str(tmp_path_factory.mktemp("edges") / "requests.log")
    s = Stack(app="edges_app:app", workers=1, tls=certs, env={"EDGES_LOG": log})
    s.log = log
    yield s
    s.close()


def seen(stack):
    try:
        with open(stack.log) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def raw_h1(port, data, timeout=10):
    """Sends data over TLS (ALPN http/1.1); everything read until the proxy
    closes, and whether it did close within the timeout."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(data)
            got, closed = b"", False
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    piece = s.recv(65536)
                except (ssl.SSLEOFError, ConnectionResetError):
                    closed = True
                    break
                except socket.timeout:
                    break
                if not piece:
                    closed = True
                    break
                got += piece
    return got, closed


def status_of(raw):
    return int(raw.split(b"\r\n", 1)[0].split()[1])


def h2_status(h, sid):
    status, _, _, _, _ = h.response(sid)
    return status


def served(stack):
    """The next client is served as usual."""
    got, _ = raw_h1(stack.port, b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert status_of(got) == 200 and got.endswith(b"ok")


# ---- CONNECT: 501, never the app's --------------------------------------------

def test_h1_connect_is_501_and_closes(edges):
    before = len(seen(edges))
    # What follows the CONNECT would be tunnel bytes: never a second request.
    got, closed = raw_h1(edges.port, b"CONNECT example.com:443 HTTP/1.1\r\n"
                                     b"Host: example.com:443\r\n\r\n"
                                     b"GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert status_of(got) == 501
    assert got.count(b"HTTP/1.1 ") == 1, got
    assert closed
    assert len(seen(edges)) == before, seen(edges)
    served(edges)


def test_h2_connect_is_501(edges):
    before = len(seen(edges))
    h = H2Conn(edges.port, tls=True, validate=False)
    try:
        sid = h.conn.get_next_available_stream_id()
        h.conn.send_headers(sid, [(":method", "CONNECT"), (":authority", "example.com:443")])
        h.flush()
        assert h2_status(h, sid) == 501
        ok = h.headers("/")
        assert h2_status(h, ok) == 200
    finally:
        h.close()
    assert seen(edges)[before:] == ["GET /"]


# ---- HTTP/2 pseudo-header fields as strict as HTTP/1's target -------------------

BAD_HEADS = [
    pytest.param({":authority": "user:pw@localhost"}, id="authority-userinfo"),
    pytest.param({":authority": "user@localhost:8443"}, id="authority-user-port"),
    pytest.param({":authority": "local host"}, id="authority-space"),
    pytest.param({":path": "/a#frag"}, id="path-fragment"),
    pytest.param({":path": "/caf\xe9"}, id="path-non-ascii"),
    pytest.param({":path": "/a\x7fb"}, id="path-del"),
    pytest.param({":path": "*"}, id="asterisk-not-options"),
    pytest.param({":path": "http://localhost/"}, id="path-absolute-form"),
    pytest.param({":scheme": "ftp"}, id="scheme-ftp"),
    pytest.param({"host": "u@localhost"}, id="host-userinfo"),
]


@pytest.mark.parametrize("change", BAD_HEADS)
def test_h2_target_refused_like_h1(edges, change):
    before = len(seen(edges))
    head = {":method": "GET", ":scheme": "https", ":authority": "localhost", ":path": "/x"}
    extra = []
    for k, v in change.items():
        if k.startswith(":"):
            head[k] = v
        else:
            extra.append((k, v))
    h = H2Conn(edges.port, tls=True, validate=False)
    try:
        sid = h.conn.get_next_available_stream_id()
        fields = [(k.encode(), v.encode("latin-1")) for k, v in head.items()]
        fields += [(k.encode(), v.encode("latin-1")) for k, v in extra]
        h.conn.send_headers(sid, fields, end_stream=True)
        h.flush()
        try:
            status = h2_status(h, sid)
        except AssertionError as e:
            # nghttp2 may refuse the stream itself (RST_STREAM): refused all the same.
            assert "reset" in str(e), e
            status = 400
        assert status == 400
        ok = h.headers("/")
        assert h2_status(h, ok) == 200
    finally:
        h.close()
    assert seen(edges)[before:] == ["GET /"]


def test_h2_good_targets_still_served(edges):
    h = H2Conn(edges.port, tls=True)
    try:
        for path, method in (("/a/b?c=d&e=%20", "GET"), ("*", "OPTIONS")):
            sid = h.headers(path, method=method, authority="localhost:8443")
            assert h2_status(h, sid) == 200, path
    finally:
        h.close()


# ---- long header names reach the app ---------------------------------------------

LONG_NAMES = ["x-" + "n" * 300, "x-" + "m" * 1000, "x-" + "l" * 6000]


def h1_get(port, target, headers):
    req = "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" % target
    req += "".join("%s: v\r\n" % n for n in headers) + "\r\n"
    got, _ = raw_h1(port, req.encode())
    head, _, body = got.partition(b"\r\n\r\n")
    return status_of(got), body


def env_key(name):
    return "HTTP_" + name.upper().replace("-", "_")


def test_wsgi_environ_carries_long_names(edges):
    import json
    status, body = h1_get(edges.port, "/headers", LONG_NAMES)
    assert status == 200
    keys = json.loads(body)
    for n in LONG_NAMES:
        assert env_key(n) in keys, (len(n), [len(k) for k in keys])
    h = H2Conn(edges.port, tls=True)
    try:
        sid = h.headers("/headers", extra=[(n, "v") for n in LONG_NAMES])
        status, _, body, _, _ = h.response(sid)
    finally:
        h.close()
    assert status == 200
    keys = json.loads(body)
    for n in LONG_NAMES:
        assert env_key(n) in keys, (len(n), [len(k) for k in keys])


def test_asgi_scope_carries_long_names(certs):
    import json
    s = Stack(app="asgi_probe:app", workers=1, tls=certs, appd_args=["-k", "asgi"])
    try:
        status, body = h1_get(s.port, "/scope", LONG_NAMES)
    finally:
        s.close()
    assert status == 200
    names = [n for n, _ in json.loads(body)["headers"]]
    for n in LONG_NAMES:
        assert n in names


# ---- an app's Content-Length held against its body ---------------------------------

@pytest.mark.parametrize("path", ["/cl-long", "/cl-short"])
def test_h2_body_contradicting_content_length_is_reset(evil_tls, path):
    """The worker (evil_worker.py) declares 3 and sends 10 bytes, or 10 and
    sends 3: the h2 client gets a reset stream, never END_STREAM on a body
    its Content-Length contradicts; the connection serves on."""
    import h2.events
    h = H2Conn(evil_tls.port, tls=True)
    try:
        sid = h.headers(path)
        ev = h.wait(lambda e: isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset))
                    and e.stream_id == sid, "end of stream %d" % sid)
        assert isinstance(ev, h2.events.StreamReset), h.events
        ok = h.headers("/")
        status, _, body, _, _ = h.response(ok)
        assert status == 200 and body == b"ok\n"
    finally:
        h.close()


def test_h1_body_contradicting_content_length(evil_tls):
    """HTTP/1: never more than the declared bytes; a short body ends the
    connection, so the client sees the truncation."""
    req = b"GET /cl-long HTTP/1.1\r\nHost: localhost\r\n\r\nGET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    got, _ = raw_h1(evil_tls.port, req, timeout=5)
    first, _, rest = got.partition(b"\r\n\r\n")
    assert rest.startswith(b"012") and not rest.startswith(b"0123")
    got, closed = raw_h1(evil_tls.port, b"GET /cl-short HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert closed and got.endswith(b"\r\n\r\nabc"), got


@pytest.mark.parametrize("path", ["/cl-long", "/cl-short"])
def test_wsgi_body_contradicting_content_length(edges, path):
    """appd's side of the same rule, with a real WSGI app: the client never
    gets a body its Content-Length contradicts, on either protocol."""
    import h2.events
    h = H2Conn(edges.port, tls=True)
    try:
        sid = h.headers(path)
        ev = h.wait(lambda e: isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset))
                    and e.stream_id == sid, "end of stream %d" % sid)
        body = b"".join(e.data for e in h.events
                        if isinstance(e, h2.events.DataReceived) and e.stream_id == sid)
        if isinstance(ev, h2.events.StreamEnded):
            assert path == "/cl-long" and body == b"012", body  # cut to its length
        ok = h.headers("/")
        assert h2_status(h, ok) == 200
    finally:
        h.close()
    got, closed = raw_h1(edges.port, ("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode(),
                         timeout=5)
    head, _, body = got.partition(b"\r\n\r\n")
    assert body in (b"012", b"abc"), got
    if body == b"abc":
        assert closed


# ---- app threads on one response ---------------------------------------------------

def test_headers_list_shrinking_during_copy(edges):
    """start_response's list is emptied while appd converts an item: appd
    works on a snapshot (it read past the emptied list before)."""
    status, body = h1_get(edges.port, "/mutating-headers", [])
    assert status == 200 and body == b"survived"


@pytest.fixture(scope="module")
def threaded(certs):
    s = Stack(app="edges_app:app", workers=1, tls=certs,
              appd_args=["-k", "gthread", "--threads", "4"])
    yield s
    s.close()


@pytest.mark.parametrize("proto", ["h1", "h2"])
def test_threads_writing_one_response(threaded, proto):
    """Four app threads write() and call early_hints on one response at
    once: every block arrives whole, none lost, and the worker lives."""
    for _ in range(3):
        if proto == "h1":
            got, _ = raw_h1(threaded.port, b"GET /threaded-write HTTP/1.1\r\nHost: localhost\r\n"
                                           b"Connection: close\r\n\r\n", timeout=30)
            while got.startswith(b"HTTP/1.1 1"):  # 103s may come first
                got = got.partition(b"\r\n\r\n")[2]
            head, _, raw = got.partition(b"\r\n\r\n")
            assert status_of(got) == 200, head
            body = b""
            while raw:  # chunked
                size_line, _, raw = raw.partition(b"\r\n")
                n = int(size_line.split(b";")[0], 16)
                if n == 0:
                    break
                body += raw[:n]
                raw = raw[n + 2:]
        else:
            h = H2Conn(threaded.port, tls=True, timeout=30)
            try:
                status, _, body, _, _ = h.response(h.headers("/threaded-write"))
            finally:
                h.close()
            assert status == 200
        assert body.endswith(b"end") and len(body) == 4 * 200 * 1000 + 3
        blocks = body[:-3]
        for k in range(4):
            assert blocks.count(bytes([65 + k])) == 200 * 1000
        for i in range(0, len(blocks), 1000):
            assert len(set(blocks[i:i + 1000])) == 1, "a write() was split by another's"
