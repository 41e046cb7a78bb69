"""test_head_limits.py: the request head's bounds in tandem-proxy, with raw
clients: a head is held to the request line plus 32 KiB of fields by default
(never more than appd's 256 KiB frame) and refused with 431 as soon as it
passes, before it is complete, so heads the app could never take cost no
memory; limit_request_fields 0 means Gunicorn's 32768 and does not shrink
the head; limit_request_field_size counts the field line with its CRLF as
Gunicorn does; HTTP/2's SETTINGS_MAX_HEADER_LIST_SIZE never exceeds the
frame limit.  Each test checks the server still serves others."""
import os
import socket

import h2.settings
import pytest

from fake_stack import H2Conn, FakeStack
from harness import Stack, rss_kib

MIB = 1024


@pytest.fixture(scope="module")
def stack():
    s = Stack(workers=1)
    yield s
    s.close()


def request(port, head, timeout=10):
    """Sends head (tolerating a server that answers and closes first) and
    returns the status of the first response, or None if none came."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            for i in range(0, len(head), 16384):
                sock.sendall(head[i:i + 16384])
        except OSError:
            pass  # answered and closed while we were still sending
        out = b""
        try:
            while b"\r\n" not in out:
                data = sock.recv(65536)
                if not data:
                    break
                out += data
        except OSError:
            pass
        if not out.startswith(b"HTTP/1.1 "):
            return None
        return int(out[9:12])
    finally:
        sock.close()


def head_with(fields, end=True):
    lines = b"".join(b"%s: %s\r\n" % (n, v) for n, v in fields)
    return b"GET / HTTP/1.1\r\nHost: a\r\n" + lines + (b"\r\n" if end else b"")


def serves(port):
    return request(port, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") == 200


def test_head_over_32k_of_fields_is_431(stack):
    # Ten fields of 4 KB: each within limit_request_field_size, the count
    # within limit_request_fields, but 40 KB of fields in all.
    big = [(b"X-F%d" % i, b"v" * 4000) for i in range(10)]
    assert request(stack.port, head_with(big)) == 431
    # 7 of them (28 KB) fit
    assert request(stack.port, head_with(big[:7])) == 200
    assert serves(stack.port)


def test_huge_heads_are_refused_before_they_are_buffered(stack):
    # Heads of 770 KB that never end, every field and the count within
    # their limits: each is refused with 431 once it passes the bound
    # instead of being held, so 20 of them at once leave the proxy's memory
    # where it was.
    pid = stack.proxy.pid
    assert serves(stack.port)
    rss0, _ = rss_kib(pid)
    fields = [(b"X-F%d" % i, b"v" * 8100) for i in range(95)]
    head = head_with(fields, end=False)
    assert len(head) > 770 * 1000
    socks = []
    try:
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", stack.port), timeout=5)
            socks.append(s)
            try:
                s.sendall(head)
            except OSError:
                pass
        rss1, _ = rss_kib(pid)
        for s in socks:
            data = b""
            try:
                data = s.recv(100)
            except OSError:
                pass
            assert data.startswith(b"HTTP/1.1 431 "), data
    finally:
        for s in socks:
            s.close()
    # Buffering them would take 15 MB.  ASan's quarantine and shadow memory
    # add a few MiB of their own to any burst of allocations, so its bound
    # is looser but still well under what holding the heads would cost.
    bound = 8 * MIB if os.environ.get("TANDEM_SANITIZED") else 4 * MIB
    assert rss1 - rss0 < bound, (rss0, rss1)
    assert serves(stack.port)


@pytest.mark.parametrize("line, status", [(8188, 200), (8189, 431)])
def test_field_line_counted_with_its_crlf(stack, line, status):
    # Gunicorn: len(line) + len("\r\n") > limit_request_field_size is refused.
    value = b"v" * (line - len(b"X-Big: "))
    assert request(stack.port, head_with([(b"X-Big", value)])) == status
    assert serves(stack.port)


@pytest.fixture(scope="module")
def zero_fields():
    s = Stack(workers=1, proxy_args=["--limit-request-fields", "0"])
    yield s
    s.close()


def test_limit_request_fields_zero_means_gunicorns_32768(zero_fields):
    # 0 used to shrink the head to 8 KiB (a product with 0); now it is
    # 32768 fields, sized as Gunicorn sizes its head buffer, within 256 KiB.
    many = [(b"X-F%d" % i, b"value-%d" % i) for i in range(1000)]
    assert len(head_with(many)) > 16 * 1024
    assert request(zero_fields.port, head_with(many)) == 200
    # past the frame limit it is refused all the same
    huge = [(b"X-F%d" % i, b"v" * 4000) for i in range(80)]
    assert request(zero_fields.port, head_with(huge)) == 431
    assert serves(zero_fields.port)


def test_h2_header_list_size_capped_at_frame_limit(certs):
    s = FakeStack(tls=certs, proxy_args=["--http2-max-header-list-size", "4194304",
                                         "--limit-request-field-size", "0"])
    try:
        c = H2Conn(s.port, tls=True)
        try:
            c.ping()
            announced = c.remote_settings.get(h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE)
            assert announced == 256 * 1024
            status = c.response(c.headers("/", extra=[("x-a", "v" * 8000)]))[0]
            assert status == 200
        finally:
            c.close()
    finally:
        s.close()
