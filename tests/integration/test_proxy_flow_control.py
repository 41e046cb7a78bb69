"""test_proxy_flow_control.py: tandem-proxy's windows hold against both
sides: a worker that sends beyond its window is reset instead of growing the
proxy's buffer, and an h2 client that never opens its window loses the
stream, not the connection."""
import socket

import h2.events
import h2.settings

from evil_worker import CANCEL, FLOW_CONTROL_ERROR
from fake_appd import H2Conn
from harness import curl, wait_for


def test_worker_data_beyond_window_is_reset(evil):
    """px_upstream.c: RESPONSE_DATA was taken whatever the window, so a
    worker ignoring CREDIT grew the proxy's buffer without bound while the
    client read slowly (here: not at all)."""
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.settimeout(20)
    c.connect(("127.0.0.1", evil.port))
    try:
        c.sendall(b"GET /overrun HTTP/1.1\r\nHost: x\r\n\r\n")
        wait_for(lambda: ("/overrun", FLOW_CONTROL_ERROR) in evil.worker.resets, 20,
                 "RESET FLOW_CONTROL_ERROR to the worker")
        data = b""
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
        # Head sent, then the connection closes: the body is cut short.
        assert data.startswith(b"HTTP/1.1 200") and not data.endswith(b"0\r\n\r\n")
    finally:
        c.close()
    assert "FLOW_CONTROL_ERROR" in evil.proxy.output()
    assert curl(evil.url + "/").stdout == b"ok\n"


def test_h2_stream_whose_window_never_opens_is_reset(evil_tls, certs):
    """px_stream.c: once the worker was done, nothing timed out the client
    side: a client that never opened its window held the buffered response
    (and its stream) for ever."""
    h = H2Conn(evil_tls.port, tls=True,
               settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    try:
        sid = h.headers("/fits")
        ev = h.wait(lambda e: isinstance(e, h2.events.StreamReset) and e.stream_id == sid,
                    "RST_STREAM for the stalled stream")
        assert ev.error_code == CANCEL
        h.ping()   # only the stream was dropped; the connection serves on
        sid = h.headers("/")
        h.conn.increment_flow_control_window(1 << 20, stream_id=sid)
        h.flush()
        assert h.response(sid)[2] == b"ok\n"
    finally:
        h.close()
    assert "client took no response bytes" in evil_tls.proxy.output()
