"""test_h2_proxy_hints_trailers.py: 103 Early Hints and response trailers
from a worker reach h2 and HTTP/1.1 clients in the right place (1.0 clients
get neither), trailers a worker must not send are dropped, and the request
head tells the worker what the client can take (EARLY_HINTS, TE_TRAILERS)."""
import socket
import ssl

import pytest

from fake_stack import REQ_FLAGS, FakeStack, H2Conn


@pytest.fixture(scope="module")
def fake(certs):
    s = FakeStack(tls=certs)
    yield s
    s.close()


def _h1(port, request, timeout=10):
    """Raw HTTP/1 over TLS: everything until the proxy closes."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(request)
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except ssl.SSLEOFError:
                    return out
                if not chunk:
                    return out
                out += chunk


def _get(path, version="1.1", extra=b""):
    return (b"GET %s HTTP/%s\r\nHost: localhost\r\nConnection: close\r\n%s\r\n"
            % (path.encode(), version.encode(), extra))


def test_h2_early_hints_before_final(fake):
    c = H2Conn(fake.port, tls=True)
    try:
        status, hdrs, body, _, info = c.response(c.headers("/hints"))
        assert info == [103] and status == 200 and body == b"hinted\n"
        hints = [e for e in c.events if type(e).__name__ == "InformationalResponseReceived"]
        assert dict(hints[0].headers)[b"link"] == b"</style.css>; rel=preload; as=style"
    finally:
        c.close()


def test_h2_trailers_after_data(fake):
    c = H2Conn(fake.port, tls=True)
    try:
        sid = c.headers("/trailers")
        status, _, body, trailers, _ = c.response(sid)
        assert status == 200 and body == b"body with trailers\n"
        assert trailers == {b"x-checksum": b"abc123"}
        kinds = [type(e).__name__ for e in c.events if getattr(e, "stream_id", 0) == sid]
        assert kinds.index("TrailersReceived") > kinds.index("DataReceived")
    finally:
        c.close()


def test_h2_forbidden_trailer_fields_dropped(fake):
    c = H2Conn(fake.port, tls=True)
    try:
        status, hdrs, body, trailers, _ = c.response(c.headers("/trailers-cl"))
        # python-h2 would have failed the stream on :status or connection.
        assert status == 200 and body == b"body with trailers\n"
        assert trailers == {b"x-checksum": b"abc123", b"x-after": b"kept"}, trailers
    finally:
        c.close()
    log = fake.proxy.output()
    assert "trailer field 'content-length'" in log and "trailer field ':status'" in log, log


def test_http11_early_hints_before_status_line(fake):
    out = _h1(fake.port, _get("/hints"))
    assert out.startswith(b"HTTP/1.1 103 Early Hints\r\n"), out
    hints, rest = out.split(b"\r\n\r\n", 1)
    assert b"link: </style.css>; rel=preload; as=style" in hints.lower()
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n") and rest.endswith(b"hinted\n"), rest


def test_http10_gets_no_early_hints(fake):
    out = _h1(fake.port, _get("/hints", "1.0"))
    assert out.startswith(b"HTTP/1.0 200 OK\r\n") and b" 103 " not in out, out


def test_http11_trailers_with_te(fake):
    out = _h1(fake.port, _get("/trailers", extra=b"TE: trailers\r\n"))
    head, body = out.split(b"\r\n\r\n", 1)
    assert b"transfer-encoding: chunked" in head.lower()
    assert body == b"13\r\nbody with trailers\n\r\n0\r\nx-checksum: abc123\r\n\r\n", body


def test_http11_trailers_dropped_without_te(fake):
    out = _h1(fake.port, _get("/trailers"))
    _, body = out.split(b"\r\n\r\n", 1)
    assert body == b"13\r\nbody with trailers\n\r\n0\r\n\r\n", body


def test_http11_te_trailers_overrides_content_length(fake):
    # The app set a Content-Length; trailers need chunked, so it goes.
    out = _h1(fake.port, _get("/trailers-cl", extra=b"TE: trailers\r\n"))
    head, body = out.split(b"\r\n\r\n", 1)
    assert b"content-length" not in head.lower() and b"transfer-encoding: chunked" in head.lower()
    assert body == (b"13\r\nbody with trailers\n\r\n0\r\nx-checksum: abc123\r\nx-after: kept\r\n"
                    b"\r\n"), body
    # Without TE: trailers the app's framing stands.
    out = _h1(fake.port, _get("/trailers-cl"))
    head, body = out.split(b"\r\n\r\n", 1)
    assert b"content-length: 19" in head.lower() and body == b"body with trailers\n", out


@pytest.mark.parametrize("proto,te,want", [
    ("h2", False, {"EARLY_HINTS", "TE_TRAILERS"}),
    ("1.1", False, {"EARLY_HINTS"}),
    ("1.1", True, {"EARLY_HINTS", "TE_TRAILERS"}),
    ("1.0", True, set()),
])
def test_request_flags(fake, proto, te, want):
    if proto == "h2":
        c = H2Conn(fake.port, tls=True)
        try:
            _, hdrs, _, _, _ = c.response(c.headers("/prio"))
        finally:
            c.close()
        flags = int(hdrs[b"x-req-flags"])
    else:
        out = _h1(fake.port, _get("/prio", proto, b"TE: trailers\r\n" if te else b""))
        flags = int(out.lower().split(b"x-req-flags: ")[1].split(b"\r\n")[0])
    got = {k for k in ("EARLY_HINTS", "TE_TRAILERS") if flags & REQ_FLAGS[k]}
    assert got == want, (proto, te, flags)
    assert flags & REQ_FLAGS["TLS"]
