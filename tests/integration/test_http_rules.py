"""test_http_rules.py: tandem-proxy and tandem-appd apply one set of HTTP field
rules (common/tc_http): field values, Content-Length, hop-by-hop fields and
fields refused in trailers.  Each test drives the daemon that used to
disagree with the other: appd behind the real proxy with a WSGI app
(apps/http_rules_app.py), or the proxy in front of fake_appd.py sending what
a buggy worker could."""
import socket
import ssl
import time
from urllib.parse import quote

import pytest

from fake_stack import FakeStack, H2Conn
from harness import Stack


def h1(port, target, method="GET", headers=(), body=b"", tls=False, timeout=10):
    """One HTTP/1.1 exchange on a fresh connection the proxy closes after
    it: (status, [(name, value)] as sent, raw head bytes, body).  A chunked
    body is decoded; its trailers are appended to the list after a
    (b"", b"") marker."""
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: localhost", "Connection: close"]
    lines += ["%s: %s" % h for h in headers]
    req = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        s = raw
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["http/1.1"])
            s = ctx.wrap_socket(raw, server_hostname="localhost")
        s.sendall(req)
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                piece = s.recv(65536)
            except (ssl.SSLEOFError, socket.timeout):
                break
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


def test_appd_accepts_leading_zeros_past_19_digits(stack):
    """1*DIGIT has no length limit: the proxy's parser took "000...05" while
    appd refused any value longer than 19 digits (a 500)."""
    zeros = "0" * 20 + "5"
    status, fields, _, body = h1(stack.port, "/cl?v=" + zeros)
    assert status == 200
    assert body == b"hello"
    assert (b"Content-Length", zeros.encode()) in fields


def test_appd_and_proxy_both_trim_content_length_whitespace(stack):
    """Whitespace around the value is not part of it (RFC 9110 §5.5): appd
    strips it and the one parser accepts what is left (a guard: appd's
    caller trimmed before, now tc_http_content_length does)."""
    status, fields, head, body = h1(stack.port, "/cl?v=" + quote(" \t5 "))
    assert status == 200 and body == b"hello"
    assert b"\r\nContent-Length: 5\r\n" in head + b"\r\n"


# ---- proxy: what a worker sends, judged like appd judges what apps send ----


@pytest.fixture(scope="module")
def fake(certs):
    s = FakeStack(tls=certs, workers=1)
    yield s
    s.close()


def fields_url(h=(), t=(), i=()):
    """A /fields target for fake_appd: response fields h, trailers t, hint
    fields i, each a (name, value) pair of str (any byte as a latin-1 char)."""
    items = []
    for kind, pairs in (("h", h), ("t", t), ("i", i)):
        items += ["%s=%s:%s" % (kind, quote(n.encode("latin-1"), safe=""),
                                quote(v.encode("latin-1"), safe="")) for n, v in pairs]
    return "/fields?" + "&".join(items)


def h2_get(fake, target):
    c = H2Conn(fake.port, tls=True)
    try:
        return c.response(c.headers(target)), c.events
    finally:
        c.close()


CTL_FIELDS = [("x-ok", "fine"), ("x-soh", "a\x01b"), ("x-esc", "\x1b[31m"), ("x-del", "a\x7f"),
              ("x-vt", "a\x0bb")]


def test_proxy_drops_worker_values_with_control_characters_h1(fake):
    """appd refuses a value with any CTL but HTAB, or DEL; the proxy only
    refused CR, LF and NUL, so a worker's \\x01 or ESC reached clients.  Now
    the proxy drops such a field too."""
    status, fields, _, body = h1(fake.port, fields_url(h=CTL_FIELDS), tls=True)
    assert status == 200 and body == b"fields\n"
    names = names_of(fields)
    assert b"x-ok" in names
    for n, _ in CTL_FIELDS[1:]:
        assert n.encode() not in names


def test_proxy_drops_worker_values_with_control_characters_h2(fake):
    (status, hdrs, body, _, _), _ = h2_get(fake, fields_url(h=CTL_FIELDS))
    assert status == 200 and body == b"fields\n"
    assert hdrs[b"x-ok"] == b"fine"
    for n, _ in CTL_FIELDS[1:]:
        assert n.encode() not in hdrs


def test_proxy_trims_whitespace_around_worker_values_h1(fake):
    """Whitespace around a value is not part of it (RFC 9110 §5.5): appd
    strips it from an app's values; the proxy passed a worker's on as it
    came.  Now it strips it too."""
    status, _, head, _ = h1(fake.port, fields_url(h=[("x-pad", " \t padded value\t ")]), tls=True)
    assert status == 200
    assert b"\r\nx-pad: padded value\r\n" in head + b"\r\n"


def test_proxy_trims_whitespace_around_worker_values_h2(fake):
    """On h2 such a value makes the response malformed (RFC 9113 §8.2.1):
    the client used to refuse the whole response."""
    (status, hdrs, _, _, _), _ = h2_get(fake, fields_url(h=[("x-pad", "  padded\t")]))
    assert status == 200 and hdrs[b"x-pad"] == b"padded"


HOP = [("te", "trailers"), ("upgrade", "h2c"), ("keep-alive", "timeout=5"), ("x-ok", "1")]


def test_proxy_drops_te_and_upgrade_from_worker_responses_h1(fake):
    """TE and Upgrade are hop-by-hop (RFC 9110 §7.6.1): appd drops them from
    an app's response, the proxy passed a worker's on to HTTP/1.1 clients."""
    status, fields, _, _ = h1(fake.port, fields_url(h=HOP), tls=True)
    assert status == 200
    names = names_of(fields)
    assert b"x-ok" in names
    assert b"te" not in names and b"upgrade" not in names and b"keep-alive" not in names


def test_proxy_drops_te_from_worker_responses_and_hints_h2(fake):
    """On h2 the proxy dropped the other connection-specific fields but sent
    TE, which a response never needs (RFC 9113 §8.2.2 allows it in requests
    only); in 103 hints as well."""
    hints = [("link", "</a.css>; rel=preload"), ("te", "trailers")]
    (status, hdrs, _, _, info), events = h2_get(fake, fields_url(h=HOP, i=hints))
    assert status == 200 and info == [103]
    assert hdrs[b"x-ok"] == b"1" and b"te" not in hdrs and b"upgrade" not in hdrs
    hint = [dict(e.headers) for e in events if type(e).__name__ == "InformationalResponseReceived"]
    assert hint[0][b"link"] == b"</a.css>; rel=preload" and b"te" not in hint[0]


TRAILERS = [("x-checksum", "abc"), ("set-cookie", "sid=1"), ("cache-control", "no-store"),
            ("authorization", "Basic eA=="), ("content-type", "text/html"), ("date", "today"),
            ("max-forwards", "1"), ("x-after", "kept")]


def test_proxy_drops_trailers_appd_refuses_h2(fake):
    """appd refuses 29 names in trailers (RFC 9110 §6.5.1), the proxy dropped
    only 9: a worker's Set-Cookie or Cache-Control trailer reached clients.
    Now the proxy drops every field appd refuses, and logs the category."""
    (status, _, body, trailers, _), _ = h2_get(fake, fields_url(t=TRAILERS))
    assert status == 200 and body == b"fields\n"
    assert trailers == {b"x-checksum": b"abc", b"x-after": b"kept"}
    log = fake.proxy.output()
    assert "'set-cookie' (authentication and cookie fields are not allowed in trailers)" in log
    assert "'cache-control' (response control fields are not allowed in trailers)" in log


def test_proxy_drops_trailers_appd_refuses_h1(fake):
    status, fields, _, body = h1(fake.port, fields_url(t=TRAILERS), headers=[("TE", "trailers")],
                                 tls=True)
    assert status == 200 and body == b"fields\n"
    trailers = fields[fields.index((b"", b"")) + 1:]
    assert trailers == [(b"x-checksum", b"abc"), (b"x-after", b"kept")]


def test_proxy_drops_worker_content_length_above_2_63_minus_1(fake):
    """The proxy refused a client's Content-Length above 2^63-1 but passed a
    worker's up to 10^19-1.  Now it drops it (and frames the body itself),
    as appd refuses it from an app."""
    status, fields, _, body = h1(fake.port, fields_url(h=[("content-length",
                                                           "9223372036854775808")]), tls=True)
    assert status == 200
    assert b"content-length" not in names_of(fields)
    assert (b"Transfer-Encoding", b"chunked") in fields and body == b"fields\n"


def test_proxy_takes_worker_content_length_with_leading_zeros(fake):
    """1*DIGIT has no length limit: the proxy's request parser took
    "000...07" from clients but dropped it from a worker past 19 digits."""
    zeros = "0" * 19 + "7"
    status, fields, _, body = h1(fake.port, fields_url(h=[("content-length", zeros)]), tls=True)
    assert status == 200
    assert (b"content-length", zeros.encode()) in fields and body == b"fields\n"


def test_appd_reads_a_content_length_list_as_the_proxy_does(stack):
    """RFC 9110 §8.6: the proxy takes "5, 5" (identical copies) as 5, but
    appd handed the app the text "5, 5" as CONTENT_LENGTH, which int()
    refuses.  Now the app gets the one value the proxy framed the body by."""
    status, _, _, body = h1(stack.port, "/environ-cl", method="POST",
                            headers=[("Content-Length", "5, 5")], body=b"hello")
    assert status == 200 and body == b"5 5"
    status, _, _, body = h1(stack.port, "/environ-cl", method="POST",
                            headers=[("Content-Length", "005"), ("Content-Length", "005")],
                            body=b"hello")
    assert status == 200 and body == b"005 5"
    status, _, _, body = h1(stack.port, "/environ-cl", method="POST",
                            headers=[("Content-Length", "5")], body=b"hello")
    assert status == 200 and body == b"5 5"
