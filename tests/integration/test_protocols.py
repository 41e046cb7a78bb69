"""test_protocols.py: what a user sees with curl and nghttp over TLS: h2 via
ALPN, HTTP/1.1, HTTP/1.0, the SETTINGS the proxy sends, h1-only listeners."""
import re

from harness import Stack, curl, run


def test_curl_http2(tls_stack):
    r = curl("--http2", tls_stack.url + "/", "-w", "%{http_version}")
    assert r.stdout == b"hello2"


def test_curl_http11(tls_stack):
    r = curl("--http1.1", tls_stack.url + "/", "-w", "%{http_version}")
    assert r.stdout == b"hello1.1"


def test_curl_http10(tls_stack):
    r = curl("--http1.0", "-i", tls_stack.url + "/")
    assert r.stdout.startswith(b"HTTP/1.0 200")
    assert r.stdout.endswith(b"\r\n\r\nhello")


def test_server_protocol_seen_by_app(tls_stack):
    import json
    for flag, proto in (("--http2", "HTTP/2.0"), ("--http1.1", "HTTP/1.1"), ("--http1.0", "HTTP/1.0")):
        env = json.loads(curl(flag, tls_stack.url + "/environ").stdout)
        assert env["SERVER_PROTOCOL"] == proto
        assert env["wsgi.url_scheme"] == "https"
        assert env["REMOTE_ADDR"] == "127.0.0.1"


def test_nghttp_shows_alpn_and_settings(tls_stack):
    r = run(["nghttp", "-nv", tls_stack.url + "/"], timeout=30)
    out = r.stdout.decode()
    assert re.search(r"The negotiated protocol: h2", out), out
    settings = out[out.index("recv SETTINGS frame"):]
    assert "SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100" in settings
    assert "SETTINGS_INITIAL_WINDOW_SIZE(0x04):65536" in settings
    assert re.search(r"recv \(stream_id=\d+\) :status: 200", out)


def test_h1_only_listener_refuses_h2(certs):
    s = Stack(workers=1, tls=certs, proxy_args=["--http-protocols", "h1"])
    try:
        r = curl("--http2", s.url + "/", "-w", "%{http_version}")
        assert r.stdout == b"hello1.1"
    finally:
        s.close()


def test_plain_http_without_certs():
    s = Stack(workers=1)
    try:
        r = curl(s.url + "/", "-w", "%{http_version}")
        assert r.stdout == b"hello1.1"
    finally:
        s.close()


def test_repeated_bind_ipv4_and_ipv6(certs):
    from harness import free_port
    port6 = free_port()
    s = Stack(workers=1, tls=certs, proxy_args=["--bind", "[::1]:%d" % port6])
    try:
        assert curl("--http2", s.url + "/").stdout == b"hello"
        r = curl("--http2", "https://[::1]:%d/" % port6, "-w", "%{http_version}")
        assert r.stdout == b"hello2"
    finally:
        s.close()
