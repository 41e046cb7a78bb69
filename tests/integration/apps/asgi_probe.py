"""asgi_probe.py: an ASGI 3 app that reports what it saw, for the asgi
worker's integration tests.  $ASGI_PROBE_LOG, when set, gets one line per
lifespan event and per message a watched request received.

/            "hello"
/scope       the scope as JSON (bytes as latin-1 text)
/echo        the body back, streamed: one body message per received chunk
/sha         sha256 and length of the body
/stream?n=N  N bytes in 64 KiB messages (no Content-Length)
/sleep?s=S   sleeps S seconds, then "slept"
/watch       reads the body until the request ends or the client leaves,
             logging each message type; then answers
/state       the lifespan state the scope carries
/pathsend?f=FILE  the file, sent by the server (http.response.pathsend)
/bad/...     one misbehaviour each (see BAD)

WebSockets (logged: each disconnect's code and reason):
/ws          accepts (subprotocol "chat" when offered, a set-cookie field) and
             echoes every message; the text "close CODE REASON" makes it
             close with that code, "scope" sends the scope back as JSON
/ws-deny     denies with websocket.http.response: 403 and a body
/ws-reject   closes before accepting (a 403)
/ws-error    accepts, then raises (the client sees 1011)
/ws-quiet    accepts, then returns (a normal close, 1000)
"""
import asyncio
import hashlib
import json
import os
import urllib.parse

LOG = os.environ.get("ASGI_PROBE_LOG")


def _log(line):
    if LOG:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def _query(scope):
    return dict(urllib.parse.parse_qsl(scope["query_string"].decode()))


async def _body(receive):
    chunks = []
    while True:
        m = await receive()
        if m["type"] == "http.disconnect":
            raise ConnectionError("client left")
        chunks.append(m.get("body", b""))
        if not m.get("more_body"):
            return b"".join(chunks)


async def _reply(send, body, status=200, ctype=b"text/plain"):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


def _jsonable(v):
    if isinstance(v, bytes):
        return v.decode("latin-1")
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    return v


async def _lifespan(scope, receive, send):
    while True:
        m = await receive()
        _log(m["type"])
        if m["type"] == "lifespan.startup":
            scope["state"]["token"] = "from-lifespan"
            await send({"type": "lifespan.startup.complete"})
        elif m["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _echo(receive, send):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/octet-stream")]})
    while True:
        m = await receive()
        if m["type"] != "http.request":
            return
        more = m.get("more_body", False)
        await send({"type": "http.response.body", "body": m.get("body", b""), "more_body": more})
        if not more:
            return


async def _stream(send, n, log_every=0):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    block = b"y" * 65536
    sent = 0
    while n > 0:
        piece = block if n >= len(block) else block[:n]
        n -= len(piece)
        await send({"type": "http.response.body", "body": piece, "more_body": n > 0})
        sent += len(piece)
        if log_every and sent % log_every == 0:
            _log("sent %d" % sent)


async def _watch(receive, send):
    _log("watch-start")
    while True:
        m = await receive()
        _log(m["type"])
        if m["type"] == "http.disconnect" or not m.get("more_body"):
            break
    await _reply(send, b"watched")


START = {"type": "http.response.start", "status": 200, "headers": []}
BAD = {
    "body-before-start": [{"type": "http.response.body", "body": b"x"}],
    "second-start": [START, START],
    "after-complete": [START, {"type": "http.response.body", "body": b"done"},
                       {"type": "http.response.body", "body": b"more"}],
    "unknown-type": [{"type": "http.response.begin", "status": 200}],
    "status-str": [{"type": "http.response.start", "status": "200"}],
    "body-str": [START, {"type": "http.response.body", "body": "text"}],
    "header-str": [{"type": "http.response.start", "status": 200, "headers": [("a", "b")]}],
    "more-body-int": [START, {"type": "http.response.body", "body": b"", "more_body": 1}],
    "not-a-dict": [[("type", "http.response.start")]],
    "trailers-unannounced": [START, {"type": "http.response.body", "body": b"x"},
                             {"type": "http.response.trailers", "headers": []}],
    "no-response": [],
    "short-body": [START, {"type": "http.response.body", "body": b"x", "more_body": True}],
}


async def _bad(kind, send):
    for m in BAD[kind]:
        try:
            await send(m)
        except Exception as e:
            _log("bad %s: %s: %s" % (kind, type(e).__name__, e))
            raise


async def _ws(scope, receive, send):
    path = scope["path"]
    assert (await receive())["type"] == "websocket.connect"
    if path == "/ws-deny":
        await send({"type": "websocket.http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", b"7")]})
        await send({"type": "websocket.http.response.body", "body": b"go away"})
        return
    if path == "/ws-reject":
        await send({"type": "websocket.close"})
        return
    sub = "chat" if "chat" in scope["subprotocols"] else None
    await send({"type": "websocket.accept", "subprotocol": sub,
                "headers": [(b"set-cookie", b"ws=1")]})
    if path == "/ws-error":
        raise RuntimeError("boom in a websocket")
    if path == "/ws-quiet":
        return
    while True:
        m = await receive()
        if m["type"] == "websocket.disconnect":
            _log("ws disconnect %d %s" % (m["code"], m.get("reason", "")))
            return
        text = m.get("text")
        if text is not None and text.startswith("close "):
            _, code, reason = text.split(" ", 2)
            await send({"type": "websocket.close", "code": int(code), "reason": reason})
            _log("ws closed %s" % code)
            m = await receive()
            _log("ws after close %s %d" % (m["type"], m.get("code", 0)))
            return
        if text == "scope":
            s = {k: v for k, v in scope.items() if k != "state"}
            await send({"type": "websocket.send", "text": json.dumps(_jsonable(s))})
        elif text is not None:
            await send({"type": "websocket.send", "text": text})
        else:
            await send({"type": "websocket.send", "bytes": m["bytes"]})


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        return await _lifespan(scope, receive, send)
    if scope["type"] == "websocket":
        return await _ws(scope, receive, send)
    path = scope["path"]
    q = _query(scope)
    if path == "/watch":
        return await _watch(receive, send)
    if path == "/echo":
        return await _echo(receive, send)
    body = await _body(receive)
    if path == "/":
        await _reply(send, b"hello")
    elif path.startswith("/scope"):
        s = {k: v for k, v in scope.items() if k != "state"}
        await _reply(send, json.dumps(_jsonable(s)).encode(), ctype=b"application/json")
    elif path == "/sha":
        await _reply(send, b"%s %d" % (hashlib.sha256(body).hexdigest().encode(), len(body)))
    elif path == "/stream":
        await _stream(send, int(q.get("n", "0")), int(q.get("log", "0")))
    elif path == "/sleep":
        try:
            await asyncio.sleep(float(q.get("s", "1")))
        except asyncio.CancelledError:
            _log("sleep cancelled")
            raise
        await _reply(send, b"slept")
    elif path == "/state":
        await _reply(send, json.dumps(scope.get("state")).encode())
    elif path == "/pathsend":
        await send(START)
        await send({"type": "http.response.pathsend", "path": q["f"]})
    elif path == "/error":
        raise RuntimeError("boom before the head")
    elif path == "/error-late":
        await send(START)
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise RuntimeError("boom after the head")
    elif path.startswith("/bad/"):
        await _bad(path[5:], send)
    else:
        await _reply(send, b"not found", 404)


class Asgi2:
    """An ASGI 2 double callable: tandem wraps it."""

    def __init__(self, scope):
        self.scope = scope

    async def __call__(self, receive, send):
        if self.scope["type"] != "http":
            return
        await _reply(send, b"asgi2 " + self.scope["path"].encode())
