"""test_conn_io.py: the proxy's own client I/O (proxy/px_conn_io.c) at its
edges, over TLS: a client that reads slowly makes the socket refuse bytes
(records wait sealed, then the write event resumes them), requests arrive
pipelined in one record or one byte per record, and a closing connection
ends with close_notify before its FIN."""
import hashlib
import os
import socket
import ssl
import sys

import pytest

from harness import APPS, curl

sys.path.insert(0, APPS)
from probe import pattern  # noqa: E402


def client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def tls_client(port):
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    # A ragged close must show, not read as a clean end.
    return client_context().wrap_socket(raw, server_hostname="localhost",
                                        suppress_ragged_eofs=False)


def read_to_eof(t, size=65536):
    data = b""
    while True:
        d = t.recv(size)
        if not d:
            return data
        data += d


def read_responses(t, count):
    """count HTTP/1.1 responses with Content-Length, in order: their bodies."""
    data, bodies = b"", []
    while len(bodies) < count:
        while b"\r\n\r\n" not in data:
            d = t.recv(65536)
            assert d, (len(bodies), data[:200])
            data += d
        head, _, data = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        n = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
             if l.lower().startswith(b"content-length:")][0]
        while len(data) < n:
            d = t.recv(65536)
            assert d
            data += d
        bodies.append(data[:n])
        data = data[n:]
    return bodies


@pytest.mark.parametrize("proto", ["--http1.1", "--http2"])
def test_slow_reader_gets_every_byte(tls_stack, proto):
    # 6 MiB read at 3 MiB/s: the proxy's socket refuses bytes again and
    # again, its sealed records wait for the write event, and plaintext
    # past them waits unsealed.  Every byte must arrive, in order.
    n = 6 * 1024 * 1024
    r = curl("-k", proto, "--limit-rate", "3M", tls_stack.url + "/pattern?n=%d" % n)
    assert len(r.stdout) == n
    assert hashlib.sha256(r.stdout).digest() == hashlib.sha256(pattern(n)).digest()


def test_slow_reader_with_small_receive_buffer(tls_stack):
    # The same with a tiny receive window, read 4 KiB at a time over HTTP/1.1.
    n = 3 * 1024 * 1024
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(20)
    raw.connect(("127.0.0.1", tls_stack.port))
    t = client_context().wrap_socket(raw, server_hostname="localhost")
    try:
        t.sendall(b"GET /pattern?n=%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % n)
        data = read_to_eof(t, 4096)
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        # No Content-Length: chunked.  De-chunk and compare.
        out, rest = [], body
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            out.append(rest[:size])
            rest = rest[size + 2:]
        assert b"".join(out) == pattern(n)
    finally:
        t.close()


def test_pipelined_requests_in_one_record(tls_stack):
    # Twenty requests in one write (one TLS record): the proxy holds the
    # decrypted rest while it answers each in turn.
    t = tls_client(tls_stack.port)
    try:
        reqs = b"".join(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                        % (len(b"r%d" % i), b"r%d" % i) for i in range(20))
        t.sendall(reqs)
        assert read_responses(t, 20) == [b"r%d" % i for i in range(20)]
    finally:
        t.close()


def test_request_one_byte_per_record(tls_stack):
    t = tls_client(tls_stack.port)
    try:
        body = os.urandom(300)
        req = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n" + body
        for i in range(len(req)):
            t.sendall(req[i:i + 1])   # a record each
        assert read_responses(t, 1) == [body]
    finally:
        t.close()


def test_close_ends_with_close_notify(tls_stack):
    # Connection: close: the response, then close_notify, then FIN.  With
    # suppress_ragged_eofs off, a FIN without close_notify raises here.
    t = tls_client(tls_stack.port)
    try:
        t.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_to_eof(t)
        assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"hello")
    finally:
        t.close()
