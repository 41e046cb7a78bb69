"""test_h2_proxy_h2c.py: HTTP/2 over cleartext for trusted peers only:
prior knowledge (the connection preface) and Upgrade: h2c, as
--http2-cleartext allows; untrusted peers get HTTP/1.x as if it were off."""
import socket

import pytest

from fake_stack import REQ_FLAGS, FakeStack, H2Conn
from harness import curl, run

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def _stack(mode, *extra):
    return FakeStack(proxy_args=["--http2-cleartext", mode] + list(extra))


@pytest.fixture(scope="module")
def both():
    s = _stack("both")
    yield s
    s.close()


def _version(url, *args):
    r = curl(*args, url, "-o", "/dev/null", "-w", "%{http_version} %{http_code}", check=False)
    return r.stdout.decode(), r.returncode


def _raw(port, data, timeout=10):
    """Sends data, returns everything the proxy answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def test_prior_knowledge_from_trusted_peer(both):
    assert _version(both.url + "/", "--http2-prior-knowledge") == ("2 200", 0)
    # And the app sees an h2 request: stream 1, both h2 capabilities, no TLS.
    c = H2Conn(both.port)
    try:
        sid = c.headers("/prio", authority="127.0.0.1")
        status, hdrs, _, _, _ = c.response(sid)
        assert status == 200 and hdrs[b"x-http"] == b"2.0"
        flags = int(hdrs[b"x-req-flags"])
        assert flags & REQ_FLAGS["EARLY_HINTS"] and flags & REQ_FLAGS["TE_TRAILERS"]
        assert flags & REQ_FLAGS["HAS_PRIORITY"] and not flags & REQ_FLAGS["TLS"]
    finally:
        c.close()


def test_upgrade_from_trusted_peer(both):
    # curl --http2 on http:// sends Upgrade: h2c with HTTP2-Settings.
    r = curl("--http2", "-v", both.url + "/prio", "-D", "-", check=True)
    out = r.stdout.decode()
    assert "HTTP/1.1 101 Switching Protocols" in out, out
    assert "HTTP/2 200" in out and "x-http: 2.0" in out and "x-h2-stream: 1" in out, out
    assert _version(both.url + "/", "--http2") == ("2 200", 0)


def test_nghttp_upgrade(both):
    r = run(["nghttp", "-nv", "-u", both.url + "/"], timeout=30)
    out = r.stdout.decode()
    assert "HTTP Upgrade response" in out and "HTTP Upgrade success" in out, out


def test_h1_still_served_in_both_mode(both):
    assert _version(both.url + "/", "--http1.1") == ("1.1 200", 0)


def test_preface_after_http1_request_is_refused(both):
    # Prior knowledge means the preface opens the connection.
    out = _raw(both.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + PREFACE)
    first, rest = out.split(b"Hello, World!\n", 1)
    assert first.startswith(b"HTTP/1.1 200 ") and rest.startswith(b"HTTP/1.1 505 "), out


def test_upgrade_with_body_served_as_http11(both):
    # RFC 7540 3.2 allows ignoring the upgrade; a body would have to arrive
    # whole before the switch, so the proxy stays on HTTP/1.1.
    out, rc = _version(both.url + "/echo", "--http2", "--data-binary", "abc")
    assert (out, rc) == ("1.1 200", 0)


def test_untrusted_peer_gets_http1(tmp_path):
    s = _stack("both", "--forwarded-allow-ips", "10.9.9.9")
    try:
        # Prior knowledge: the preface is an HTTP/1 request it cannot be: 505.
        out = _raw(s.port, PREFACE)
        assert out.startswith(b"HTTP/1.1 505 "), out
        r = curl("--http2-prior-knowledge", s.url + "/", check=False)
        assert r.returncode != 0
        # Upgrade: ignored, answered as HTTP/1.1.
        assert _version(s.url + "/", "--http2") == ("1.1 200", 0)
        r = curl("--http2", "-v", s.url + "/", check=True)
        assert b"101" not in r.stderr
    finally:
        s.close()


def test_trusted_network_and_star():
    for allow in ("127.0.0.0/8", "*"):
        s = _stack("prior-knowledge", "--forwarded-allow-ips", "10.0.0.1," + allow)
        try:
            assert _version(s.url + "/", "--http2-prior-knowledge") == ("2 200", 0)
        finally:
            s.close()


def test_prior_knowledge_only():
    s = _stack("prior-knowledge")
    try:
        assert _version(s.url + "/", "--http2-prior-knowledge") == ("2 200", 0)
        # A trusted peer speaking HTTP/1 here is a client misconfigured: 400.
        out = _raw(s.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 400 "), out
        # Upgrade is not offered in this mode either.
        out = _raw(s.port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                           b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 400 "), out
    finally:
        s.close()


def test_upgrade_only():
    s = _stack("upgrade")
    try:
        assert _version(s.url + "/", "--http2") == ("2 200", 0)
        assert _version(s.url + "/", "--http1.1") == ("1.1 200", 0)
        out = _raw(s.port, PREFACE)
        assert out.startswith(b"HTTP/1.1 505 "), out
    finally:
        s.close()


def test_off_by_default():
    s = FakeStack()
    try:
        out = _raw(s.port, PREFACE)
        assert out.startswith(b"HTTP/1.1 505 "), out
        assert _version(s.url + "/", "--http2") == ("1.1 200", 0)
    finally:
        s.close()


def test_bad_http2_settings_header_served_as_http11(both):
    out = _raw(both.port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings, close"
                          b"\r\nUpgrade: h2c\r\nHTTP2-Settings: A!!A\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 "), out
    assert b"Hello, World!" in out
