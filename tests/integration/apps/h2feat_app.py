"""h2feat_app.py: WSGI routes for test_h2_features.py: early hints, trailers
and priority, including the errors an app can make (each caught by the app
and reported in the body as "error: Type: message").

/priority              JSON of the priority keys (null when absent)
/hints                 two 103s (Link a, then Link b), then 200 "hinted"
/hints-late            early hints after the head went out
/hints-bad             early hints carrying Content-Length
/trailers              generator, no Content-Length, trailers in two calls
/trailers-cl           generator with Content-Length, trailers after the last yield
/trailers-list         trailers queued before returning a list
/trailers-write        body through write(), then trailers, then []
/trailers-empty        no body at all, then trailers
/trailers-bad?name=N&value=V  send_trailers([(N, V)]) refused
/trailers-close        send_trailers from close(): refused, logged by appd
/cl-generator          generator with Content-Length and no trailers
/cl-then-raise         generator with Content-Length that queues trailers, then
                       raises after its last yield
"""
import hashlib
import json
import urllib.parse

KEYS = ("gunicorn.http2.priority_weight", "gunicorn.http2.priority_depends_on",
        "tandem.priority_urgency", "tandem.priority_incremental")
LINK_A = "</style.css>; rel=preload; as=style"
LINK_B = "</app.js>; rel=preload; as=script"
CHUNKS = [b"alpha\n", b"beta\n", b"gamma\n"]


def _error(e):
    return ("error: %s: %s" % (type(e).__name__, e)).encode()


def _checksum(body):
    return "sha256=" + hashlib.sha256(body).hexdigest()


def _reply(start_response, body, ctype="text/plain"):
    start_response("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(body)))])
    return [body]


def _generator(environ):
    body = b"".join(CHUNKS)
    for chunk in CHUNKS:
        yield chunk
    environ["gunicorn.http2.send_trailers"]([("x-checksum", _checksum(body))])
    environ["gunicorn.http2.send_trailers"]([("server-timing", "app;dur=1.5")])


class _SendsFromClose:
    def __init__(self, environ):
        self.environ = environ

    def __iter__(self):
        yield b"body"

    def close(self):
        self.environ["gunicorn.http2.send_trailers"]([("x-late", "1")])


def app(environ, start_response):
    path = environ["PATH_INFO"]
    query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    send_trailers = environ["gunicorn.http2.send_trailers"]
    hints = environ["wsgi.early_hints"]

    if path == "/priority":
        seen = {k: environ.get(k) for k in KEYS}
        seen["present"] = [k for k in KEYS if k in environ]
        return _reply(start_response, json.dumps(seen).encode(), "application/json")
    if path == "/hints":
        hints([("Link", LINK_A)])
        hints([("Link", LINK_B)])
        return _reply(start_response, b"hinted")
    if path == "/hints-late":
        def late():
            yield b"head sent\n"
            try:
                hints([("Link", LINK_A)])
                yield b"no error"
            except Exception as e:   # noqa: BLE001 - reported to the test
                yield _error(e)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return late()
    if path == "/hints-bad":
        try:
            hints([("Link", LINK_A), ("Content-Length", "5")])
            report = b"no error"
        except Exception as e:   # noqa: BLE001
            report = _error(e)
        return _reply(start_response, report)
    if path == "/trailers":
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Trailer", "x-checksum, server-timing")])
        return _generator(environ)
    if path == "/trailers-cl":
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(b"".join(CHUNKS))))])
        return _generator(environ)
    if path == "/trailers-list":
        body = b"".join(CHUNKS)
        send_trailers([("x-checksum", _checksum(body))])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return list(CHUNKS)
    if path == "/trailers-write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        for chunk in CHUNKS:
            write(chunk)
        send_trailers([("x-checksum", _checksum(b"".join(CHUNKS)))])
        return []
    if path == "/trailers-empty":
        start_response("200 OK", [("Content-Type", "text/plain")])
        send_trailers([("grpc-status", "0"), ("grpc-message", "OK")])
        return []
    if path == "/trailers-bad":
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            send_trailers([(query.get("name", ""), query.get("value", "1"))])
            report = b"no error"
        except Exception as e:   # noqa: BLE001
            report = _error(e)
        return [report]
    if path == "/trailers-close":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _SendsFromClose(environ)
    if path in ("/cl-generator", "/cl-then-raise"):
        def chunks():
            yield from CHUNKS
            if path == "/cl-then-raise":
                send_trailers([("x-checksum", "never sent")])
                raise RuntimeError("after the last chunk")
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(b"".join(CHUNKS))))])
        return chunks()
    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "0")])
    return []
