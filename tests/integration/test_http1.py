"""test_http1.py: HTTP/1.x on the wire, byte by byte: keep-alive, pipelining,
HEAD, 100-continue, chunked and close-delimited responses, strict parsing."""
import socket
import ssl

import pytest

from harness import Stack


@pytest.fixture(scope="module")
def plain():
    s = Stack(workers=1, appd_args=["-k", "gthread", "--threads", "2"])
    yield s
    s.close()


def _connect(stack, tls=False):
    sock = socket.create_connection(("127.0.0.1", stack.port), timeout=10)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["http/1.1"])
        sock = ctx.wrap_socket(sock)
    return sock


class Reader:
    """Reads HTTP/1 responses off a socket, honouring their framing."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def head(self):
        status = self.line()
        headers = {}
        while True:
            line = self.line()
            if not line:
                return status, headers
            name, value = line.split(b":", 1)
            headers.setdefault(name.strip().lower().decode(), []).append(value.strip().decode())

    def response(self, method=b"GET"):
        status, headers = self.head()
        code = int(status.split()[1])
        if method == b"HEAD" or code in (204, 304) or 100 <= code < 200:
            return status, headers, b""
        if "chunked" in headers.get("transfer-encoding", [""])[0]:
            body = b""
            while True:
                size = int(self.line().split(b";")[0], 16)
                if size == 0:
                    while self.line():
                        pass
                    return status, headers, body
                body += self.exact(size)
                assert self.line() == b""
        if "content-length" in headers:
            return status, headers, self.exact(int(headers["content-length"][0]))
        try:
            while True:
                self._fill()
        except EOFError:
            body, self.buf = self.buf, b""
            return status, headers, body


def test_keepalive_two_requests_one_connection(plain):
    with _connect(plain) as s:
        r = Reader(s)
        for _ in range(2):
            s.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
            status, headers, body = r.response()
            assert status == b"HTTP/1.1 200 OK" and body.isdigit()


def test_pipelined_requests_answered_in_order(plain):
    with _connect(plain) as s:
        s.sendall(b"GET /sleep?s=0.2 HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        r = Reader(s)
        assert r.response()[2] == b"slept"
        assert r.response()[2] == b"hello"
        assert r.response()[2] == b"abc"


def test_head_has_framing_but_no_body(plain):
    with _connect(plain) as s:
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        r = Reader(s)
        status, headers, body = r.response(b"HEAD")
        assert status == b"HTTP/1.1 200 OK"
        assert headers["content-length"] == ["5"] and body == b""
        assert r.response()[2] == b"hello"   # no stray body bytes in between


def test_expect_100_continue(plain):
    with _connect(plain) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        r = Reader(s)
        status, _ = r.head()
        assert status == b"HTTP/1.1 100 Continue"
        s.sendall(b"hello")
        assert r.response()[2] == b"hello"


def test_chunked_request_and_response(plain):
    with _connect(plain) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n"
                  b"GET /stream?n=100000 HTTP/1.1\r\nHost: x\r\n\r\n")
        r = Reader(s)
        assert r.response()[2] == b"abcdefg"
        status, headers, body = r.response()
        assert headers["transfer-encoding"] == ["chunked"] and len(body) == 100000


def test_http10_close_delimited(plain):
    with _connect(plain) as s:
        s.sendall(b"GET /stream?n=70000 HTTP/1.0\r\n\r\n")
        status, headers, body = Reader(s).response()
        assert status.startswith(b"HTTP/1.0 200")
        assert "transfer-encoding" not in headers and len(body) == 70000


@pytest.mark.parametrize("request_bytes,code", [
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"v" * 9000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    (b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
])
def test_bad_requests_get_error_and_close(plain, request_bytes, code):
    with _connect(plain) as s:
        s.sendall(request_bytes)
        status, headers, body = Reader(s).response()
        assert int(status.split()[1]) == code, status
        assert headers.get("connection") == ["close"]
        s.settimeout(5)
        assert s.recv(1) == b""   # and the connection is closed


def test_tls_http11_without_alpn_preference(tls_stack):
    with _connect(tls_stack, tls=True) as s:
        assert s.selected_alpn_protocol() == "http/1.1"
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert Reader(s).response()[2] == b"hello"
