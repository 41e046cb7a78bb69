"""test_asgi_websocket.py: the ASGI websocket scope under -k asgi, through
the real proxy (which owns RFC 6455): python3-websockets over HTTP/1.1
(ws:// and wss://), python3-h2 raw frames over HTTP/2 extended CONNECT
(RFC 8441): echo of text and binary up to 1 MiB, close codes both ways,
subprotocols and accept headers, denials, app errors."""
import asyncio
import json
import ssl

import h2.events
import pytest
import websockets

import ws_client as wc
from fake_stack import H2Conn
from harness import Stack, wait_for
from test_websocket_proxy import H2WS

SIZES = [0, 1, 125, 126, 65535, 65536, 300000, 1 << 20]


@pytest.fixture(scope="module", params=["cleartext", "tls"])
def ws_stack(request, certs, tmp_path_factory):
    log = tmp_path_factory.mktemp("ws") / "probe.log"
    tls = certs if request.param == "tls" else None
    s = Stack(app="asgi_probe:app", workers=1, appd_args=["-k", "asgi"], tls=tls,
              env={"ASGI_PROBE_LOG": str(log)},
              proxy_args=[] if tls else ["--http2-cleartext", "both"])
    s.probe_log = log
    yield s
    s.close()


def _lines(stack):
    return stack.probe_log.read_text().splitlines() if stack.probe_log.exists() else []


def _uri(stack, path="/ws"):
    return ("wss" if stack.tls else "ws") + "://127.0.0.1:%d%s" % (stack.port, path)


def _ssl(stack):
    if not stack.tls:
        return None
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _run(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def test_h1_echo_up_to_1mib_and_scope(ws_stack):
    async def go():
        async with websockets.connect(_uri(ws_stack), ssl=_ssl(ws_stack), max_size=None,
                                      subprotocols=["chat", "other"]) as ws:
            assert ws.subprotocol == "chat"
            for n in SIZES:
                text = "\u00e9" * (n // 2) + "a" * (n % 2)
                await ws.send(text)
                assert await ws.recv() == text
                data = bytes(range(256)) * (n // 256) + b"\x07" * (n % 256)
                await ws.send(data)
                assert await ws.recv() == data
            await ws.send("scope")
            s = json.loads(await ws.recv())
            assert s["type"] == "websocket" and s["subprotocols"] == ["chat", "other"]
            assert s["scheme"] == ("wss" if ws_stack.tls else "ws")
            assert s["path"] == "/ws" and s["http_version"] == "1.1"
            assert "websocket.http.response" in s["extensions"] and "method" not in s
    _run(go())


def test_h1_client_close_code_reaches_the_app(ws_stack):
    async def go():
        async with websockets.connect(_uri(ws_stack), ssl=_ssl(ws_stack)) as ws:
            await ws.send("hi")
            assert await ws.recv() == "hi"
            await ws.close(4001, "client bye")
    _run(go())
    wait_for(lambda: "ws disconnect 4001 client bye" in _lines(ws_stack), 10, "the app's disconnect")


def test_h1_app_close_code_reaches_the_client(ws_stack):
    async def go():
        async with websockets.connect(_uri(ws_stack), ssl=_ssl(ws_stack)) as ws:
            await ws.send("close 4002 server bye")
            with pytest.raises(websockets.ConnectionClosed) as e:
                await ws.recv()
            return e.value
    closed = _run(go())
    assert closed.rcvd.code == 4002 and closed.rcvd.reason == "server bye"
    wait_for(lambda: "ws after close websocket.disconnect 4002" in _lines(ws_stack), 10,
             "the app's disconnect after its close")


def test_h1_app_error_closes_with_1011(ws_stack):
    async def go():
        async with websockets.connect(_uri(ws_stack, "/ws-error"), ssl=_ssl(ws_stack)) as ws:
            with pytest.raises(websockets.ConnectionClosed) as e:
                await ws.recv()
            return e.value
    assert _run(go()).rcvd.code == 1011
    wait_for(lambda: "RuntimeError: boom in a websocket" in ws_stack.appd.output(), 10,
             "the traceback")


def test_h1_app_that_returns_closes_with_1000(ws_stack):
    async def go():
        async with websockets.connect(_uri(ws_stack, "/ws-quiet"), ssl=_ssl(ws_stack)) as ws:
            with pytest.raises(websockets.ConnectionClosed) as e:
                await ws.recv()
            return e.value
    assert _run(go()).rcvd.code == 1000


@pytest.mark.parametrize("path,status,body", [("/ws-deny", 403, b"go away"),
                                              ("/ws-reject", 403, b"")])
def test_h1_denials(ws_stack, path, status, body):
    c = wc.H1(ws_stack.port, path, tls=bool(ws_stack.tls))
    try:
        assert c.status == status
        rest = c.rest
        while len(rest) < len(body):
            d = c.sock.recv(65536)
            if not d:
                break
            rest += d
        assert rest == body
    finally:
        c.close()


def test_h1_accept_headers(ws_stack):
    c = wc.H1(ws_stack.port, "/ws", tls=bool(ws_stack.tls),
              headers=[("Sec-WebSocket-Protocol", "chat")])
    try:
        assert c.status == 101
        assert c.header(b"set-cookie") == b"ws=1"
        assert c.header(b"sec-websocket-protocol") == b"chat"
    finally:
        c.close()


def test_h2_echo_up_to_1mib_and_close_codes(ws_stack):
    h = H2Conn(ws_stack.port, tls=bool(ws_stack.tls))
    try:
        w = H2WS(h, extra=[("sec-websocket-protocol", "chat")])
        assert w.status == 200 and w.headers[b"sec-websocket-protocol"] == b"chat"
        for n in SIZES:
            text = ("\u00e9" * (n // 2) + "a" * (n % 2)).encode()
            w.send(wc.frame(wc.TEXT, text))
            assert w.recv_event() == (wc.TEXT, text)
            data = bytes(range(256)) * (n // 256) + b"\x07" * (n % 256)
            w.send(wc.frame(wc.BINARY, data))
            assert w.recv_event() == (wc.BINARY, data)
        w.send(wc.frame(wc.TEXT, b"scope"))
        op, s = w.recv_event()
        assert json.loads(s)["http_version"] == "2"
        w.send(wc.frame(wc.CLOSE, wc.close_payload(4003, b"h2 bye")))
        assert w.recv_event() == (wc.CLOSE, wc.close_payload(4003, b"h2 bye"))
        assert isinstance(w.recv_event(), (h2.events.StreamEnded, h2.events.StreamReset))
        w2 = H2WS(h)
        w2.send(wc.frame(wc.TEXT, b"close 4004 done"))
        assert w2.recv_event() == (wc.CLOSE, wc.close_payload(4004, b"done"))
    finally:
        h.close()
    wait_for(lambda: "ws disconnect 4003 h2 bye" in _lines(ws_stack), 10, "the h2 close")


def test_h2_denial(ws_stack):
    h = H2Conn(ws_stack.port, tls=bool(ws_stack.tls))
    try:
        w = H2WS(h, path="/ws-deny")
        assert w.status == 403
        h.wait(lambda e: isinstance(e, h2.events.StreamEnded) and e.stream_id == w.sid,
               "the denial's end")
        assert b"".join(e.data for e in h.events if isinstance(e, h2.events.DataReceived)
                        and e.stream_id == w.sid) == b"go away"
    finally:
        h.close()


def test_ping_answered_and_oversize_message_closes_with_1009(certs, tmp_path):
    log = tmp_path / "probe.log"
    s = Stack(app="asgi_probe:app", workers=1, appd_args=["-k", "asgi"],
              env={"ASGI_PROBE_LOG": str(log)},
              proxy_args=["--websocket-max-message-size", "1000"])
    try:
        async def go():
            async with websockets.connect("ws://127.0.0.1:%d/ws" % s.port) as ws:
                await asyncio.wait_for(await ws.ping(b"are you there"), 10)
                await ws.send("x" * 1000)
                assert await ws.recv() == "x" * 1000
                await ws.send("x" * 1001)
                with pytest.raises(websockets.ConnectionClosed) as e:
                    await ws.recv()
                return e.value
        assert _run(go()).rcvd.code == 1009
        wait_for(lambda: log.exists() and "ws disconnect 1009" in log.read_text(), 10,
                 "the app's disconnect with 1009")
    finally:
        s.close()
