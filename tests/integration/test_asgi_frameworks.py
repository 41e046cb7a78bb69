"""test_asgi_frameworks.py: Starlette, FastAPI, Django (ASGI) and Quart from
Debian serve pages, JSON, streaming responses and a WebSocket route
unmodified under -k asgi, over HTTP/2 and HTTP/1.1."""
import asyncio
import json
import ssl

import pytest

import websockets

import ws_client as wc
from fake_stack import H2Conn
from harness import Stack, curl
from test_websocket_proxy import H2WS

PROTOS = ["--http2", "--http1.1"]
APPS = {
    "starlette": "starlette_app:app",
    "fastapi": "fastapi_app:app",
    "django": "djsite.asgi:application",
    "quart": "quart_app:app",
}


@pytest.fixture(scope="module", params=sorted(APPS))
def fw(request, certs):
    s = Stack(app=APPS[request.param], workers=1, appd_args=["-k", "asgi"], tls=certs)
    s.name = request.param
    yield s
    s.close()


def post_json(proto, url, obj):
    return json.loads(curl(proto, "-H", "Content-Type: application/json", "--data",
                           json.dumps(obj), url).stdout)


@pytest.mark.parametrize("proto", PROTOS)
def test_page(fw, proto):
    r = curl(proto, "-w", "\n%{http_code}", fw.url + "/")
    body, _, code = r.stdout.rpartition(b"\n")
    assert code == b"200"
    want = {"starlette": b"starlette says hi", "fastapi": b'{"hello":"fastapi"}',
            "django": b"django says hi", "quart": b"quart says hi"}[fw.name]
    assert body == want


@pytest.mark.parametrize("proto", PROTOS)
def test_json(fw, proto):
    if fw.name == "fastapi":
        got = post_json(proto, fw.url + "/items", {"name": "pen", "price": 2.5})
        assert got == {"name": "pen", "price": 2.5, "taxed": 3.0}
        assert json.loads(curl(proto, fw.url + "/items/7?q=x%20y").stdout) == {"n": 7, "q": "x y"}
    elif fw.name == "django":
        got = json.loads(curl(proto, fw.url + "/info/?q=1").stdout)
        assert got == {"path": "/info/", "secure": True, "q": "1",
                       "host": "127.0.0.1:%d" % fw.port}
    else:
        got = post_json(proto, fw.url + "/json", {"a": [1, 2]})
        assert got["got"] == {"a": [1, 2]} and got["method"] == "POST"
        assert got["scheme"] == "https"
        if fw.name == "starlette":
            assert got["state"] == "hello from lifespan"


@pytest.mark.parametrize("proto", PROTOS)
def test_streaming(fw, proto):
    path = "/stream/?n=50" if fw.name == "django" else "/stream?n=50"
    r = curl(proto, fw.url + path)
    assert r.stdout == b"".join(b"chunk %d\n" % i for i in range(50))


def test_not_found(fw):
    r = curl("-o", "/dev/null", "-w", "%{http_code}", fw.url + "/missing/")
    assert r.stdout == b"404"


def _ws_exchange(fw, send, expect):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    async def go():
        async with websockets.connect("wss://127.0.0.1:%d/ws" % fw.port, ssl=ctx) as ws:
            for _ in range(3):
                await ws.send(send)
                assert await ws.recv() == expect
    asyncio.run(asyncio.wait_for(go(), 30))


WS = {
    "starlette": ("hi", "starlette: hi"),
    "fastapi": ('{"a": 1}', '{"fastapi": {"a": 1}}'),
    "django": ("hi", "django: hi"),
    "quart": ("hi", "quart: hi"),
}


def test_websocket_route_http11(fw):
    send, expect = WS[fw.name]
    got = _ws_exchange(fw, send, expect)
    assert got is None


def test_websocket_route_h2(fw):
    send, expect = WS[fw.name]
    h = H2Conn(fw.port, tls=True)
    try:
        w = H2WS(h)
        assert w.status == 200
        w.send(wc.frame(wc.TEXT, send.encode()))
        op, data = w.recv_event()
        assert (op, json.loads(data) if fw.name == "fastapi" else data.decode()) == \
            (wc.TEXT, json.loads(expect) if fw.name == "fastapi" else expect)
        w.send(wc.frame(wc.CLOSE, wc.close_payload(1000)))
        assert w.recv_event()[0] == wc.CLOSE
    finally:
        h.close()
