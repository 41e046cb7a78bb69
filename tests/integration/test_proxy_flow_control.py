"""test_proxy_flow_control.py: tandem-proxy's windows hold against both
sides: a worker that sends beyond its window is reset instead of growing the
proxy's buffer, and an h2 client that never opens its window loses the
stream, not the connection."""
import socket

import h2.events
import h2.settings

from evil_worker import CANCEL, FLOW_CONTROL_ERROR
from fake_stack import FakeStack, H2Conn
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


UPLOAD_64K = bytes(range(256)) * 256


def _upload(c, path, body):
    """Sends a POST of body on c in frames of the largest size, as far as the
    stream's window lets it go unasked: the stream id and the bytes left."""
    sid = c.headers(path, [("content-length", str(len(body)))], end=False, method="POST")
    room = min(c.conn.local_flow_control_window(sid), len(body))
    step = c.conn.max_outbound_frame_size
    for i in range(0, room, step):
        piece = body[i:min(i + step, room)]
        c.conn.send_data(sid, piece, end_stream=i + len(piece) == len(body))
    c.flush()
    return sid, len(body) - room


def test_h2_64k_upload_goes_in_one_flight(certs):
    """The default SETTINGS_INITIAL_WINDOW_SIZE was the RFC's 65535: a
    64 KiB upload (what --request-buffer-size collects whole) waited for a
    WINDOW_UPDATE round trip before its last byte.  The window now matches
    that buffer, and the whole body goes unasked."""
    s = FakeStack(tls=certs)
    c = H2Conn(s.port, tls=True)
    try:
        c.ping()  # our SETTINGS are in
        assert c.remote_settings[h2.settings.SettingCodes.INITIAL_WINDOW_SIZE] == 65536
        sid, left = _upload(c, "/echo", UPLOAD_64K)
        assert left == 0, "the stream window stopped the body %d bytes short" % left
        status, _, echoed, _, _ = c.response(sid)
        assert status == 200 and echoed == UPLOAD_64K
    finally:
        c.close()
        s.close()


def test_h2_ended_upload_gets_no_stream_window_update(certs):
    """Body bytes that reached the worker were acknowledged with a
    WINDOW_UPDATE for their stream even once the client had ended it (one
    useless frame a POST); only the connection's window is given back then."""
    s = FakeStack(tls=certs)
    c = H2Conn(s.port, tls=True)
    try:
        c.ping()
        sids = []
        for _ in range(3):
            sid, left = _upload(c, "/echo", UPLOAD_64K)
            assert left == 0
            sids.append(sid)
        for sid in sids:
            assert c.response(sid)[2] == UPLOAD_64K
        c.ping()  # all the proxy sent for them has come
        updates = [e for e in c.events if isinstance(e, h2.events.WindowUpdated)]
        assert [e for e in updates if e.stream_id in sids] == [], updates
        # The connection window still comes back: 100 more uploads pass.
        for _ in range(100):
            sid, left = _upload(c, "/echo", UPLOAD_64K)
            assert left == 0 and c.response(sid)[0] == 200
    finally:
        c.close()
        s.close()


def _read_response(sock):
    """A whole HTTP/1.1 response with Content-Length, or what came before EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        d = sock.recv(65536)
        if not d:
            return data
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    n = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
    while n and len(body) < n[0]:
        d = sock.recv(65536)
        if not d:
            break
        body += d
    return head + b"\r\n\r\n" + body


def test_chunked_body_read_while_queued_reaches_a_batching_worker(tmp_path):
    """h1_conn.c: a chunked body the proxy read whole while its request
    waited for a worker was de-chunked 64 KiB per event; once dispatched, no
    read event came to move the rest, and a worker that credits in batches
    (appd credits a quarter of its window at a time) waited for bytes the
    proxy held, until --timeout answered 504."""
    from fake_stack import FakeStack
    stack = FakeStack(workers=1, capacity=1, window=1024 * 1024)
    blocker = socket.create_connection(("127.0.0.1", stack.port), timeout=20)
    c = socket.create_connection(("127.0.0.1", stack.port), timeout=20)
    try:
        # The only slot: a request whose body the worker waits for.
        blocker.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
        body = bytes(range(256)) * 1200          # 300 KiB, well inside the worker's window
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 8000]), body[i:i + 8000])
                          for i in range(0, len(body), 8000))
        c.sendall(b"POST /echo?cb=131072 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + chunks + b"0\r\n\r\n")
        blocker.sendall(b"cd")                   # frees the slot: the chunked request goes
        assert _read_response(blocker).endswith(b"\r\n\r\nabcd")
        r = _read_response(c)
        assert r.startswith(b"HTTP/1.1 200"), r[:200]
        assert r.endswith(b"\r\n\r\n" + body)
    finally:
        blocker.close()
        c.close()
        stack.close()


def test_body_to_a_worker_that_stops_reading_waits_for_its_socket():
    """px_upstream_out.c: frames toward a worker are written at the end of
    the loop turn; a worker that stops reading fills its socket, and the
    rest waits on the write event (armed only then) until the worker reads
    again.  The whole body arrives, in order."""
    import zlib
    from fake_stack import FakeStack
    stack = FakeStack(proxy_args=["--log-level", "debug"], workers=1, capacity=1,
                      window=8 * 1024 * 1024)
    c = socket.create_connection(("127.0.0.1", stack.port), timeout=30)
    try:
        body = bytes(range(256)) * (16 * 1024)   # 4 MiB: far more than a Unix socket holds
        c.sendall(b"POST /stall?s=1 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
                  + body)
        r = _read_response(c)
        assert r.startswith(b"HTTP/1.1 200"), r[:200]
        assert b"x-body-crc: %08x\r\n" % zlib.crc32(body) in r.lower()
        assert r.endswith(b"\r\n\r\n" + body)
        wait_for(lambda: "socket full" in stack.proxy.output(), 10, "the proxy's debug line")
    finally:
        c.close()
        stack.close()
