"""test_body_limit.py: limit_request_body in tandem-proxy, on HTTP/1.1 and
HTTP/2: a declared length over the limit is answered 413 at once (no body
read, no 100 Continue, the app never runs); a chunked or HTTP/2 body is cut
at the limit with a 413 while no response head went out, and reset (h2) or
closed (HTTP/1.1) after one; a body at the limit passes; bad values are
errors naming the setting and its range."""
import hashlib
import socket
import ssl
import subprocess

import pytest

from fake_stack import H2Conn
from harness import PROXY, Stack, free_port

LIMIT = 1000


@pytest.fixture(scope="module")
def stack(certs):
    s = Stack(workers=1, appd_args=["-k", "gthread", "--threads", "4"], tls=certs,
              proxy_args=["--limit-request-body", str(LIMIT)])
    yield s
    s.close()


def tls_socket(stack):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    raw = socket.create_connection(("127.0.0.1", stack.port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def read_all(sock):
    """Everything until the server closes."""
    out = b""
    while True:
        data = sock.recv(65536)
        if not data:
            return out
        out += data


def read_until(sock, marker):
    out = b""
    while marker not in out:
        data = sock.recv(65536)
        assert data, "closed before %r: %r" % (marker, out)
        out += data
    return out


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def test_declared_length_over_limit_answered_at_once(stack):
    for expect in (b"", b"Expect: 100-continue\r\n"):
        with tls_socket(stack) as s:
            s.sendall(b"POST /sha HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s\r\n"
                      % (LIMIT + 1, expect))
            # Not one body byte sent: the answer comes anyway, and the connection ends.
            reply = read_all(s)
            assert reply.startswith(b"HTTP/1.1 413 "), reply
            assert b"100 Continue" not in reply
            assert reply.endswith(b"Payload Too Large\n")


def test_body_at_the_limit_passes(stack):
    body = b"b" * LIMIT
    want = ("%s %d" % (hashlib.sha256(body).hexdigest(), LIMIT)).encode()
    with tls_socket(stack) as s:
        s.sendall(b"POST /sha HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + chunk(body[:600]) + chunk(body[600:]) + b"0\r\n\r\n")
        assert read_until(s, want).startswith(b"HTTP/1.1 200 ")
    h2 = H2Conn(stack.port, tls=True)
    try:
        sid = h2.headers("/sha", method="POST", end=False)
        h2.conn.send_data(sid, body, end_stream=True)
        h2.flush()
        assert h2.response(sid)[2] == want
    finally:
        h2.close()


def test_chunked_body_cut_at_the_limit(stack):
    with tls_socket(stack) as s:
        s.sendall(b"POST /sha HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + chunk(b"a" * 600))
        s.sendall(chunk(b"a" * 600))  # 1200 > 1000, the body not over yet
        reply = read_all(s)
        assert reply.startswith(b"HTTP/1.1 413 ") and reply.endswith(b"Payload Too Large\n")


def test_h2_declared_length_over_limit(stack):
    h2 = H2Conn(stack.port, tls=True)
    try:
        sid = h2.headers("/sha", method="POST", end=False,
                         extra=[("content-length", str(LIMIT + 1))])
        status, _, body, _, _ = h2.response(sid)  # no DATA sent at all
        assert status == 413 and body == b"Payload Too Large\n"
        # The connection goes on.
        assert h2.response(h2.headers("/"))[0] == 200
    finally:
        h2.close()


def test_h2_data_cut_at_the_limit(stack):
    h2 = H2Conn(stack.port, tls=True)
    try:
        sid = h2.headers("/sha", method="POST", end=False)  # no content-length
        h2.conn.send_data(sid, b"a" * 600)
        h2.conn.send_data(sid, b"a" * 600)
        h2.flush()
        status, _, body, _, _ = h2.response(sid)
        assert status == 413 and body == b"Payload Too Large\n"
        assert h2.response(h2.headers("/"))[0] == 200
    finally:
        h2.close()


@pytest.fixture
def streamed(certs):
    # The app answers its head before it reads, and the client waits for
    # it: the body must go to the app as it comes, which a body collected
    # first (one of unknown length within --request-buffer-size, for a
    # gthread worker) would not.
    s = Stack(workers=1, appd_args=["-k", "gthread", "--threads", "4"], tls=certs,
              proxy_args=["--limit-request-body", str(LIMIT), "--request-buffer-size", "0"])
    yield s
    s.close()


def test_over_the_limit_after_the_head_resets(streamed):
    stack = streamed
    import h2.errors
    import h2.events
    with tls_socket(stack) as s:
        s.sendall(b"POST /head-then-read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + chunk(b"a" * 600))
        read_until(s, b"head out\n")
        s.sendall(chunk(b"a" * 600))
        reply = read_all(s)
        assert b"read " not in reply and not reply.endswith(b"0\r\n\r\n"), reply
    conn = H2Conn(stack.port, tls=True)
    try:
        sid = conn.headers("/head-then-read", method="POST", end=False)
        conn.conn.send_data(sid, b"a" * 600)
        conn.flush()
        conn.wait(lambda e: isinstance(e, h2.events.DataReceived) and e.stream_id == sid,
                  "the first chunk")
        conn.conn.send_data(sid, b"a" * 600)
        conn.flush()
        reset = conn.wait(lambda e: isinstance(e, h2.events.StreamReset) and e.stream_id == sid,
                          "RST_STREAM")
        assert reset.error_code == h2.errors.ErrorCodes.INTERNAL_ERROR
    finally:
        conn.close()


@pytest.mark.parametrize("value,message", [
    ("-1", "limit_request_body (--limit-request-body): -1 is out of range (allowed: "
           "0..9223372036854775807)"),
    ("1k", "limit_request_body (--limit-request-body): '1k' is not an integer (allowed: "
           "0..9223372036854775807)"),
])
def test_bad_values(value, message):
    r = subprocess.run([PROXY, "--bind", "127.0.0.1:%d" % free_port(), "--limit-request-body",
                        value], capture_output=True, timeout=30)
    assert r.returncode == 2
    assert r.stderr.decode().strip() == "error: " + message
