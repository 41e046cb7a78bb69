"""test_websocket_proxy.py: WebSockets through tandem-proxy to a worker
(tandem-protocol(7) WEBSOCKETS), over HTTP/1.1 Upgrade (ws:// and wss://,
python3-websockets and a raw client that breaks the rules on purpose) and
over HTTP/2 extended CONNECT (RFC 8441, python3-h2 raw frames), against
fake_appd's WebSocket routes; and a WSGI app behind the real tandem-appd,
which answers a WebSocket request as an ordinary one."""
import asyncio
import ssl
import struct
import time

import h2.events
import pytest
import websockets

import ws_client as wc
from fake_stack import REQ_FLAGS, FakeStack, H2Conn
from harness import Stack, curl, rss_kib, wait_for

SIZES = [0, 1, 125, 126, 65535, 65536, 300000, 1 << 20]


@pytest.fixture(scope="module")
def fake():
    s = FakeStack(proxy_args=["--http2-cleartext", "both"])
    yield s
    s.close()


@pytest.fixture(scope="module")
def fake_tls(certs):
    s = FakeStack(tls=certs)
    yield s
    s.close()


def _events(stack):
    return curl(stack.url + "/ws-events").stdout.decode().splitlines()


def _run(coro, timeout=30):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def _uri(stack, path="/ws"):
    return ("wss" if stack.tls else "ws") + "://127.0.0.1:%d%s" % (stack.port, path)


def _ssl(stack):
    if not stack.tls:
        return None
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# ---- HTTP/1.1 ----

@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_h1_text_and_binary_echo_up_to_1mib(tls, fake, fake_tls):
    stack = fake_tls if tls else fake

    async def go():
        async with websockets.connect(_uri(stack), ssl=_ssl(stack), max_size=None,
                                      subprotocols=["chat", "superchat"]) as ws:
            assert ws.subprotocol == "chat"
            hdrs = ws.response_headers
            assert int(hdrs["x-req-flags"]) & REQ_FLAGS["WEBSOCKET"]
            fields = hdrs["x-ws-fields"].split(",")
            # the handshake is the proxy's: the worker sees none of it
            for f in ("upgrade", "connection", "sec-websocket-key", "sec-websocket-extensions"):
                assert f not in fields, fields
            assert "sec-websocket-protocol" in fields
            for n in SIZES:
                text = ("\u00e9" * (n // 2) + "a" * (n % 2))
                await ws.send(text)
                assert await ws.recv() == text
                data = bytes(range(256)) * (n // 256) + b"\x07" * (n % 256)
                await ws.send(data)
                assert await ws.recv() == data
    _run(go())


def test_h1_fragmented_client_message(fake):
    async def go():
        async with websockets.connect(_uri(fake)) as ws:
            await ws.send(["frag", "men", "", "ted \u20ac"])
            assert await ws.recv() == "fragmented \u20ac"
            await ws.send([b"\x00" * 70000, b"\x01" * 5])
            assert await ws.recv() == b"\x00" * 70000 + b"\x01" * 5
    _run(go())


def test_h1_fragments_with_control_frames_between(fake):
    c = wc.H1(fake.port)
    try:
        assert c.status == 101
        c.send(wc.frame(wc.TEXT, b"He", fin=False) + wc.frame(wc.PING, b"mid") +
               wc.frame(0, b"llo", fin=False) + wc.frame(wc.PONG, b"") + wc.frame(0, b"!"))
        assert c.recv_event() == (wc.PONG, b"mid")      # the proxy answers at once
        assert c.recv_event() == (wc.TEXT, b"Hello!")
    finally:
        c.close()


def test_h1_ping_answered_by_the_proxy(fake):
    async def go():
        async with websockets.connect(_uri(fake)) as ws:
            pong = await ws.ping(b"are you there")
            await asyncio.wait_for(pong, 5)
            await ws.send("still echoing")
            assert await ws.recv() == "still echoing"
    _run(go())


def test_h1_client_that_never_answers_a_ping_is_closed():
    stack = FakeStack(proxy_args=["--websocket-ping-interval", "1", "--websocket-ping-timeout", "1"])
    try:
        c = wc.H1(stack.port)
        assert c.status == 101
        t0 = time.monotonic()
        evs = c.until_eof()
        took = time.monotonic() - t0
        c.close()
        assert evs[0][0] == wc.PING, evs
        assert (wc.CLOSE, wc.close_payload(1011, b"ping timeout")) in evs, evs
        assert 1.5 <= took < 10, took
        # the application saw the client vanish (ASGI code 1006)
        wait_for(lambda: "reset 8" in _events(stack), 10, "RESET CANCEL at the worker")
        assert "did not answer a ping" in stack.proxy.output()
    finally:
        stack.close()


def test_h1_client_close_codes_reach_the_worker(fake):
    async def go(code, reason):
        ws = await websockets.connect(_uri(fake))
        await ws.send("x")
        assert await ws.recv() == "x"
        await ws.close(code, reason)
        # the proxy echoed the client's code (RFC 6455 §5.5.1)
        assert ws.close_code == code
    _run(go(1000, ""))
    _run(go(4001, "client bye"))
    wait_for(lambda: {"close 1000 ", "close 4001 client bye"} <= set(_events(fake)), 10,
             "the closes at the worker")


def test_h1_worker_close_reaches_the_client(fake):
    async def go():
        async with websockets.connect(_uri(fake)) as ws:
            await ws.send("close:4002:bye")
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
            return ws.close_code, ws.close_reason
    assert _run(go()) == (4002, "bye")
    # the proxy answered the worker's WS_CLOSE with the same code at once
    wait_for(lambda: "answer 4002 bye" in _events(fake), 10, "the answer to the worker")


def test_h1_oversize_message_closes_with_1009():
    stack = FakeStack(proxy_args=["--websocket-max-message-size", "1000"])
    try:
        async def go():
            async with websockets.connect(_uri(stack), max_size=None) as ws:
                await ws.send(b"y" * 1000)       # at the bound: fine
                assert await ws.recv() == b"y" * 1000
                await ws.send([b"z" * 600, b"z" * 401])   # fragments count together
                with pytest.raises(websockets.ConnectionClosed):
                    await ws.recv()
                return ws.close_code
        assert _run(go()) == 1009
        wait_for(lambda: "close 1009 " in _events(stack), 10, "1009 at the worker")
    finally:
        stack.close()


def _refused(port, data, code):
    c = wc.H1(port)
    try:
        assert c.status == 101
        c.send(data)
        evs = c.until_eof()
        assert evs and evs[0][0] == wc.CLOSE, evs
        assert struct.unpack("!H", evs[0][1][:2])[0] == code, evs
    finally:
        c.close()


def test_h1_invalid_utf8_closes_with_1007(fake):
    _refused(fake.port, wc.frame(wc.TEXT, b"ok \xed\xa0\x80"), 1007)
    # split across fragments too: the check runs across them
    _refused(fake.port, wc.frame(wc.TEXT, b"\xe2\x82", fin=False) + wc.frame(0, b"\x28"), 1007)
    wait_for(lambda: "close 1007 " in _events(fake), 10, "1007 at the worker")


def test_h1_unmasked_client_frame_closes_with_1002(fake):
    _refused(fake.port, wc.frame(wc.TEXT, b"plain", mask=False), 1002)


def test_h1_protocol_faults_close_with_1002(fake):
    _refused(fake.port, wc.frame(wc.TEXT, b"x", rsv=0x40), 1002)       # RSV1, nothing negotiated
    _refused(fake.port, wc.frame(0x3, b"x"), 1002)                     # reserved opcode
    _refused(fake.port, wc.frame(0, b"x"), 1002)                       # continuation, no start
    _refused(fake.port, wc.frame(wc.PING, b"p" * 126), 1002)           # control over 125 bytes
    _refused(fake.port, wc.frame(wc.CLOSE, struct.pack("!H", 1005)), 1002)  # code never sent


def test_h1_subprotocol_negotiation(fake):
    async def go(offer):
        async with websockets.connect(_uri(fake), subprotocols=offer) as ws:
            return ws.subprotocol
    assert _run(go(["superchat", "chat"])) == "superchat"
    assert _run(go(None)) is None

    # an application that picks one the client did not offer: the proxy
    # drops it (the client would fail the WebSocket), and logs it
    async def bad():
        async with websockets.connect(_uri(fake, "/ws?proto=evil"), subprotocols=["chat"]) as ws:
            await ws.send("still fine")
            assert await ws.recv() == "still fine"
            return ws.subprotocol
    assert _run(bad()) is None
    h = H2Conn(fake.port)
    try:
        w = H2WS(h, path="/ws?proto=evil", extra=[("sec-websocket-protocol", "chat")])
        assert w.status == 200 and b"sec-websocket-protocol" not in w.headers
    finally:
        h.close()
    assert "subprotocol the client did not offer" in fake.proxy.output()


def test_h1_denial_with_403_and_its_body(fake):
    c = wc.H1(fake.port, path="/ws-deny")
    try:
        assert c.status == 403
        assert c.rest.endswith(b"go away\n") or b"go away" in c.rest + c.sock.recv(4096)
        assert c.header(b"connection") == b"close"
    finally:
        c.close()

    async def go():
        with pytest.raises(websockets.InvalidStatusCode) as e:
            await websockets.connect(_uri(fake, "/ws-deny"))
        return e.value.status_code
    assert _run(go()) == 403


def test_h1_bad_handshakes(fake):
    r = curl(fake.url + "/ws", "-i", "-H", "Upgrade: websocket", "-H", "Connection: Upgrade",
             "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "-H",
             "Sec-WebSocket-Version: 8").stdout
    assert r.startswith(b"HTTP/1.1 426 ") and b"sec-websocket-version: 13" in r.lower(), r
    r = curl(fake.url + "/ws", "-i", "-H", "Upgrade: websocket", "-H", "Connection: Upgrade",
             "-H", "Sec-WebSocket-Version: 13").stdout
    assert r.startswith(b"HTTP/1.1 400 "), r


def test_101_from_a_worker_for_a_normal_request_is_502(fake):
    r = curl(fake.url + "/bad101", "-o", "/dev/null", "-w", "%{http_code}")
    assert r.stdout == b"502"
    assert "answered 101 to a request that is no WebSocket" in fake.proxy.output()
    h = H2Conn(fake.port)
    try:
        assert h.response(h.headers("/bad101"))[0] == 502
    finally:
        h.close()
    assert curl(fake.url + "/").stdout == b"Hello, World!\n"


def test_h1_slow_client_stalls_the_worker_and_memory_stays_bounded():
    stack = FakeStack(window=256 * 1024)
    n, size = 64, 65536
    try:
        c = wc.H1(stack.port, path="/ws-flood?n=%d&size=%d" % (n, size), rcvbuf=4096)
        assert c.status == 101

        def sent():
            line = [l for l in _events(stack) if l.startswith("flood")][0]
            return int(line.split()[1].split("=")[1]), int(line.split()[2].split("=")[1])
        # the client reads nothing: the worker's sends wait for credit
        wait_for(lambda: sent()[1] > 0, 20, "the worker waiting on its window")
        time.sleep(1)
        first = sent()[0]
        time.sleep(1)
        assert sent()[0] == first < n * size, (first, n * size)
        rss, _ = rss_kib(stack.proxy.pid)
        assert rss < 64 * 1024, rss
        # now it reads: every message arrives whole
        got = 0
        while got < n:
            op, data = c.recv_event()
            assert op == wc.BINARY and data == b"f" * size
            got += 1
        c.send(wc.frame(wc.CLOSE, wc.close_payload(1000)))
        assert c.recv_event() == (wc.CLOSE, wc.close_payload(1000))
        c.close()
    finally:
        stack.close()


# ---- HTTP/2 extended CONNECT ----

class H2WS:
    """A WebSocket on one stream of an H2Conn (RFC 8441)."""

    def __init__(self, h, path="/ws", extra=()):
        self.h = h
        h.wait(lambda e: isinstance(e, h2.events.RemoteSettingsChanged), "SETTINGS")
        assert h.remote_settings.get(8) == 1       # SETTINGS_ENABLE_CONNECT_PROTOCOL
        self.sid = h.conn.get_next_available_stream_id()
        h.conn.send_headers(self.sid, [(":method", "CONNECT"), (":protocol", "websocket"),
                                       (":scheme", "https"), (":path", path),
                                       (":authority", "localhost"),
                                       ("sec-websocket-version", "13")] + list(extra))
        h.flush()
        ev = h.wait(lambda e: isinstance(e, (h2.events.ResponseReceived, h2.events.StreamReset))
                    and e.stream_id == self.sid, "the CONNECT's answer")
        self.headers = dict(getattr(ev, "headers", []))
        self.status = int(self.headers.get(b":status", 0))
        self.msgs = wc.Messages()
        self.seen = 0

    def send(self, data):
        mv = memoryview(data)
        while len(mv):
            room = min(self.h.conn.local_flow_control_window(self.sid),
                       self.h.conn.max_outbound_frame_size)
            if room == 0:
                self.h.pump()
                continue
            self.h.conn.send_data(self.sid, bytes(mv[:room]))
            self.h.flush()
            mv = mv[room:]

    def recv_event(self):
        while True:
            if getattr(self, "pending", None):
                return self.pending.pop(0)
            evs = [e for e in self.h.events[self.seen:] if getattr(e, "stream_id", None) == self.sid]
            for e in evs:
                self.seen = self.h.events.index(e) + 1
                if isinstance(e, h2.events.DataReceived):
                    out = self.msgs.feed(e.data)
                    if out:
                        self.pending = out[1:]
                        return out[0]
                elif isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)):
                    return e
            self.seen = len(self.h.events)
            self.h.pump()


@pytest.mark.parametrize("tls", [False, True], ids=["h2c", "h2"])
def test_h2_echo_up_to_1mib(tls, fake, fake_tls):
    stack = fake_tls if tls else fake
    h = H2Conn(stack.port, tls=tls)
    try:
        w = H2WS(h, extra=[("sec-websocket-protocol", "chat")])
        assert w.status == 200 and w.headers[b"sec-websocket-protocol"] == b"chat"
        assert int(w.headers[b"x-req-flags"]) & REQ_FLAGS["WEBSOCKET"]
        for n in SIZES:
            text = ("\u00e9" * (n // 2) + "a" * (n % 2)).encode()
            w.send(wc.frame(wc.TEXT, text))
            assert w.recv_event() == (wc.TEXT, text)
            data = bytes(range(256)) * (n // 256) + b"\x07" * (n % 256)
            w.send(wc.frame(wc.BINARY, data))
            assert w.recv_event() == (wc.BINARY, data)
        w.send(wc.frame(wc.TEXT, b"frag", fin=False) + wc.frame(wc.PING, b"h2") +
               wc.frame(0, b"ments"))
        assert w.recv_event() == (wc.PONG, b"h2")
        assert w.recv_event() == (wc.TEXT, b"fragments")
        w.send(wc.frame(wc.CLOSE, wc.close_payload(4001, b"h2 bye")))
        assert w.recv_event() == (wc.CLOSE, wc.close_payload(4001, b"h2 bye"))
        assert isinstance(w.recv_event(), (h2.events.StreamEnded, h2.events.StreamReset))
    finally:
        h.close()
    wait_for(lambda: "close 4001 h2 bye" in _events(stack), 10, "the close at the worker")


def test_h2_worker_close_and_faults(fake):
    h = H2Conn(fake.port)
    try:
        w = H2WS(h)
        w.send(wc.frame(wc.TEXT, b"close:4002:h2 worker bye"))
        assert w.recv_event() == (wc.CLOSE, wc.close_payload(4002, b"h2 worker bye"))
        # the client's answer ends the stream at once, though the worker is
        # already done (not the close wait of --websocket-ping-timeout, 20 s)
        t0 = time.monotonic()
        w.send(wc.frame(wc.CLOSE, wc.close_payload(4002)))
        assert isinstance(w.recv_event(), (h2.events.StreamEnded, h2.events.StreamReset))
        assert time.monotonic() - t0 < 5
        w = H2WS(h)
        w.send(wc.frame(wc.TEXT, b"\xff"))
        op, p = w.recv_event()
        assert op == wc.CLOSE and struct.unpack("!H", p[:2])[0] == 1007
        w = H2WS(h)
        w.send(wc.frame(wc.TEXT, b"x", mask=False))
        op, p = w.recv_event()
        assert op == wc.CLOSE and struct.unpack("!H", p[:2])[0] == 1002
        h.ping()    # only those streams ended: the connection serves on
    finally:
        h.close()


def test_h2_denial_and_bad_connects(fake):
    h = H2Conn(fake.port)
    try:
        w = H2WS(h, path="/ws-deny")
        assert w.status == 403
        assert h.response(w.sid)[2] == b"go away\n"
        def connect(protocol, version):
            sid = h.conn.get_next_available_stream_id()
            h.conn.send_headers(sid, [(":method", "CONNECT"), (":protocol", protocol),
                                      (":scheme", "https"), (":path", "/ws"),
                                      (":authority", "localhost"),
                                      ("sec-websocket-version", version)])
            h.flush()
            return h.response(sid)
        assert connect("webtransport", "13")[0] == 501
        st, hdrs, _, _, _ = connect("websocket", "8")
        assert st == 426 and hdrs[b"sec-websocket-version"] == b"13"
        assert H2WS(h).status == 200     # the connection serves on
    finally:
        h.close()


def test_h2_many_websockets_alongside_requests():
    # Each WebSocket holds a worker slot for its life: room for all of them.
    stack = FakeStack(proxy_args=["--http2-cleartext", "both"], workers=2, capacity=8)
    h = H2Conn(stack.port)
    try:
        socks = [H2WS(h) for _ in range(8)]
        sids = [h.headers("/big", extra=[], end=True) for _ in range(3)]
        for i, w in enumerate(socks):
            w.send(wc.frame(wc.TEXT, b"ws %d" % i))
        for i, w in enumerate(socks):
            assert w.recv_event() == (wc.TEXT, b"ws %d" % i)
        for sid in sids:
            st, _, body, _, _ = h.response(sid)
            assert st == 200 and len(body) == 1 << 20
        for w in socks:
            w.send(wc.frame(wc.CLOSE, wc.close_payload(1000)))
            assert w.recv_event() == (wc.CLOSE, wc.close_payload(1000))
    finally:
        h.close()
        stack.close()


def test_h2_oversize_message_closes_with_1009():
    stack = FakeStack(proxy_args=["--http2-cleartext", "both",
                                  "--websocket-max-message-size", "100"])
    h = H2Conn(stack.port)
    try:
        w = H2WS(h)
        w.send(wc.frame(wc.BINARY, b"b" * 101))
        op, p = w.recv_event()
        assert op == wc.CLOSE and struct.unpack("!H", p[:2])[0] == 1009
    finally:
        h.close()
        stack.close()


# ---- a WSGI app behind tandem-appd ----

def test_wsgi_app_answers_a_websocket_request_as_a_normal_one():
    stack = Stack(workers=1, proxy_args=["--http2-cleartext", "both"])
    try:
        c = wc.H1(stack.port, path="/echo")
        try:
            # no 101: an ordinary response, whose wsgi.input is empty at once
            assert c.status == 200, c.head
            assert c.header(b"content-length") == b"0"
            assert c.header(b"connection") == b"close"
        finally:
            c.close()
        h = H2Conn(stack.port)
        try:
            w = H2WS(h, path="/")
            assert w.status == 200
            assert h.response(w.sid)[2] == b"hello"
        finally:
            h.close()
        assert curl(stack.url + "/").stdout == b"hello"
    finally:
        stack.close()
