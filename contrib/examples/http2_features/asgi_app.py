"""asgi_app.py: the routes of wsgi_app.py written to the ASGI spec.

Run:  tandem --certfile cert.pem --keyfile key.pem -k asgi \\
          --chdir contrib/examples/http2_features asgi_app:app

It runs under any ASGI server with these extensions (Hypercorn; Gunicorn's
ASGI worker) too.

Each feature is used only when the server announces it in
scope["extensions"], as the ASGI spec asks:
  http.response.early_hint   103 via {"type": "http.response.early_hint",
                             "links": [...]}; servers that instead accept
                             Gunicorn's {"type": "http.response.informational",
                             "status": 103} are served that way
  http.response.trailers     "trailers": True in http.response.start, then
                             {"type": "http.response.trailers", ...} after the
                             last body message
  http.response.priority     Gunicorn's {"weight", "depends_on"} (HTTP/2 only)
  tandem.priority            tandem's RFC 9218 {"urgency", "incremental"} (every
                             request, as the WSGI environ's tandem.priority_* keys)

Routes: /, /priority, /trailers, /early-hints, /combined, /health.
"""
import hashlib
import json
import time

LINK = b"</style.css>; rel=preload; as=style"
ROUTES = ("/", "/priority", "/trailers", "/early-hints", "/combined", "/health")


def _ext(scope):
    return scope.get("extensions") or {}


def _priority(scope):
    prio = _ext(scope).get("http.response.priority") or {}
    rfc9218 = _ext(scope).get("tandem.priority") or {}
    return {
        "protocol": "HTTP/" + scope.get("http_version", "1.1"),
        "weight": prio.get("weight"),
        "depends_on": prio.get("depends_on"),
        "urgency": rfc9218.get("urgency"),
        "incremental": rfc9218.get("incremental"),
    }


async def _hint(scope, send):
    ext = _ext(scope)
    if "http.response.early_hint" in ext:
        await send({"type": "http.response.early_hint", "links": [LINK]})
    elif "http.response.informational" in ext:
        await send({"type": "http.response.informational", "status": 103,
                    "headers": [(b"link", LINK)]})


async def _reply(send, body, ctype=b"text/plain; charset=utf-8"):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", ctype),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _with_trailers(scope, send, chunks, ctype, started):
    trailers = "http.response.trailers" in _ext(scope)
    start = {"type": "http.response.start", "status": 200,
             "headers": [(b"content-type", ctype)]}
    if trailers:
        start["trailers"] = True
        start["headers"].append((b"trailer", b"x-checksum, server-timing"))
    await send(start)
    digest = hashlib.sha256()
    for i, chunk in enumerate(chunks):
        digest.update(chunk)
        await send({"type": "http.response.body", "body": chunk,
                    "more_body": i + 1 < len(chunks)})
    if trailers:
        dur = (time.monotonic() - started) * 1000
        await send({"type": "http.response.trailers", "more_trailers": False, "headers": [
            (b"x-checksum", b"sha256=" + digest.hexdigest().encode()),
            (b"server-timing", b"app;dur=%.3f" % dur),
        ]})


async def _drain(receive):
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    await _drain(receive)
    started = time.monotonic()
    path = scope["path"]
    if path == "/":
        await _reply(send, ("\n".join(ROUTES) + "\n").encode())
    elif path == "/health":
        await _reply(send, b"ok\n")
    elif path == "/priority":
        await _reply(send, json.dumps(_priority(scope)).encode(), b"application/json")
    elif path == "/early-hints":
        await _hint(scope, send)
        await _reply(send, b'<!doctype html><link rel="stylesheet" href="/style.css">'
                           b"<p>hinted</p>\n", b"text/html; charset=utf-8")
    elif path == "/trailers":
        chunks = [b"line %d of a body with trailers\n" % i for i in range(1, 6)]
        await _with_trailers(scope, send, chunks, b"text/plain", started)
    elif path == "/combined":
        await _hint(scope, send)
        body = json.dumps(_priority(scope)).encode()
        await _with_trailers(scope, send, [body], b"application/json", started)
    else:
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"not found\n"})
