"""test_http_rules.py: tandem-proxy and tandem-appd apply one set of HTTP field
rules (common/tc_http): field values, Content-Length, hop-by-hop fields and
fields refused in trailers.  Each test drives the daemon that used to
disagree with the other: appd behind the real proxy with a WSGI app
(apps/http_rules_app.py), or the proxy in front of fake_appd.py sending what
a buggy worker could."""
import socket
import time
from urllib.parse import quote

import pytest

from fake_appd import FakeStack, H2Conn
from harness import Stack


def h1(port, target, method="GET", headers=(), body=b"", timeout=10):
    """One HTTP/1.1 exchange on a fresh connection the proxy closes after
    it: (status, [(name, value)] as sent, raw head bytes, body).  A chunked
    body is decoded; trailers come after the body as (name, value) pairs in
    the same list, after a (b"", b"") marker."""
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: localhost", "Connection: close"]
    lines += ["%s: %s" % h for h in headers]
    req = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(req)
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            piece = s.recv(65536)
            if not piece:
                break
            data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *field_lines = head.split(b"\r\n")
    fields = [tuple(x.strip(b" \t") if i else x for i, x in enumerate(line.split(b":", 1)))
              for line in field_lines]
    names = {n.lower() for n, _ in fields}
    if b"transfer-encoding" in names:
        body, trailers = _dechunk(rest)
        fields += [(b"", b"")] + trailers
    else:
        body = rest
    return int(status_line.split()[1]), fields, head, body


def _dechunk(data):
    body = b""
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        body += data[:size]
        data = data[size + 2:]
    trailers = []
    for line in data.split(b"\r\n"):
        if line:
            n, v = line.split(b":", 1)
            trailers.append((n, v.strip(b" \t")))
    return body, trailers


def names_of(fields):
    return [n.lower() for n, _ in fields]


# ---- appd: what the app sets, judged like the proxy judges it --------------


@pytest.fixture(scope="module")
def stack():
    s = Stack(app="http_rules_app:app", workers=1)
    yield s
    s.close()


def test_appd_refuses_content_length_above_2_63_minus_1(stack):
    """The proxy refuses a Content-Length above 2^63-1 (what nghttp2 and curl
    can hold); appd used to let the app send up to 10^19-1.  Now the app
    gets a ValueError and the client a 500."""
    status, fields, _, _ = h1(stack.port, "/cl?v=9223372036854775808")
    assert status == 500
    assert b"9223372036854775808" not in [v for _, v in fields]
    assert "invalid Content-Length '9223372036854775808'" in stack.appd.output()


def test_appd_and_proxy_both_trim_content_length_whitespace(stack):
    """Whitespace around the value is not part of it (RFC 9110 §5.5): appd
    strips it and the one parser accepts what is left (a guard: appd's
    caller trimmed before, now tc_http_content_length does)."""
    status, fields, head, body = h1(stack.port, "/cl?v=" + quote(" \t5 "))
    assert status == 200 and body == b"hello"
    assert b"\r\nContent-Length: 5\r\n" in head + b"\r\n"
