"""test_h2_idle.py: an HTTP/2 connection with no open stream lives by
--http2-idle-timeout, not by HTTP/1's --keep-alive (issue 15): a browser's
connection survives between page views, and is still closed with a GOAWAY
once idle for the h2 idle time."""
import signal
import time

import h2.errors
import h2.events

from fake_stack import FakeStack, H2Conn


def _get(c, path="/"):
    sid = c.headers(path)
    c.wait(lambda e: isinstance(e, h2.events.StreamEnded) and e.stream_id == sid, "response end")
    return sid


def test_idle_h2_outlives_keepalive_then_gets_goaway(certs):
    s = FakeStack(tls=certs, proxy_args=["--keep-alive", "1", "--http2-idle-timeout", "4"])
    c = H2Conn(s.port, tls=True, timeout=20)
    try:
        _get(c)
        # Three times --keep-alive with no stream open: the connection serves on.
        time.sleep(3)
        c.ping()
        assert not [e for e in c.events if isinstance(e, h2.events.ConnectionTerminated)]
        _get(c)
        # Then, idle again, the h2 idle time ends it: GOAWAY(NO_ERROR), then EOF.
        ev = c.wait(lambda e: isinstance(e, h2.events.ConnectionTerminated), "GOAWAY")
        assert ev.error_code == h2.errors.ErrorCodes.NO_ERROR
    finally:
        c.close()
        s.close()


def test_settled_h2_connection_wakes_for_requests_and_stop(certs):
    """A connection idle past the settle second has given its buffers back
    (issue 15): the next request, a burst of streams, and the proxy's
    graceful stop (GOAWAY from a connection asleep again) each wake it."""
    s = FakeStack(tls=certs, proxy_args=["--http2-idle-timeout", "600"])
    c = H2Conn(s.port, tls=True, timeout=20)
    try:
        _get(c)
        time.sleep(2)
        _get(c)
        sids = [c.headers("/") for _ in range(8)]
        c.wait(lambda e: isinstance(e, h2.events.StreamEnded) and e.stream_id == sids[-1],
               "the burst's last response")
        time.sleep(2)
        s.proxy.proc.send_signal(signal.SIGTERM)
        ev = c.wait(lambda e: isinstance(e, h2.events.ConnectionTerminated), "GOAWAY")
        assert ev.error_code == h2.errors.ErrorCodes.NO_ERROR
    finally:
        c.close()
        s.close()


def test_http1_keepalive_unchanged(certs):
    """HTTP/1.1 keep-alive still follows --keep-alive, whatever the h2 idle time."""
    import socket
    import ssl
    s = FakeStack(tls=certs, proxy_args=["--keep-alive", "1", "--http2-idle-timeout", "600"])
    try:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["http/1.1"])
        raw = socket.create_connection(("127.0.0.1", s.port), timeout=20)
        t = ctx.wrap_socket(raw, server_hostname="localhost")
        try:
            t.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            got = b""
            while b"Hello, World!\n" not in got:
                got += t.recv(65536)
            # The server closes the idle connection: EOF (or a reset) within the bound.
            t.settimeout(20)
            try:
                while t.recv(65536):
                    pass
            except (ConnectionResetError, ssl.SSLError):
                pass
        finally:
            t.close()
    finally:
        s.close()
