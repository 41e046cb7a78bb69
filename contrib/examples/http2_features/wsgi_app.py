"""wsgi_app.py: HTTP/2 features from a WSGI app under tandem, with Gunicorn's
names, so the same file runs unchanged under Gunicorn 25's HTTP/2 support.

Routes:
  /             this list
  /priority     the stream priority the server saw, as JSON
  /trailers     a body, then trailers: x-checksum (sha-256 of the body) and
                server-timing
  /early-hints  103 Early Hints with a Link to /style.css, then the page
  /combined     early hints + priority + trailers in one response
  /health       "ok"

Run:  tandem --certfile cert.pem --keyfile key.pem -k gthread --threads 4 \\
          --chdir contrib/examples/http2_features wsgi_app:app
"""
import hashlib
import json
import time

LINK = "</style.css>; rel=preload; as=style"
ROUTES = ("/", "/priority", "/trailers", "/early-hints", "/combined", "/health")


def _priority(environ):
    """What the server says about this stream's priority.  The gunicorn.http2.*
    keys exist on HTTP/2 only; tandem adds RFC 9218's urgency/incremental."""
    return {
        "protocol": environ.get("SERVER_PROTOCOL"),
        "weight": environ.get("gunicorn.http2.priority_weight"),
        "depends_on": environ.get("gunicorn.http2.priority_depends_on"),
        "urgency": environ.get("tandem.priority_urgency"),
        "incremental": environ.get("tandem.priority_incremental"),
    }


def _hint(environ):
    hints = environ.get("wsgi.early_hints")
    if hints is not None:   # absent on servers without the extension
        hints([("Link", LINK)])


def _with_trailers(environ, chunks, started):
    """Yields the body, then queues the trailers: the server sends them after
    the last chunk, in a HEADERS frame that ends the stream (h2) or in the
    chunked body's trailer section (HTTP/1.1 with "TE: trailers")."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        yield chunk
    send_trailers = environ.get("gunicorn.http2.send_trailers")
    if send_trailers is not None:
        send_trailers([
            ("x-checksum", "sha256=" + digest.hexdigest()),
            ("server-timing", "app;dur=%.3f" % ((time.monotonic() - started) * 1000)),
        ])


def _reply(start_response, body, ctype="text/plain; charset=utf-8"):
    start_response("200 OK", [("Content-Type", ctype), ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    started = time.monotonic()
    if path == "/":
        return _reply(start_response, ("\n".join(ROUTES) + "\n").encode())
    if path == "/health":
        return _reply(start_response, b"ok\n")
    if path == "/priority":
        return _reply(start_response, json.dumps(_priority(environ)).encode(), "application/json")
    if path == "/early-hints":
        _hint(environ)
        page = b'<!doctype html><link rel="stylesheet" href="/style.css"><p>hinted</p>\n'
        return _reply(start_response, page, "text/html; charset=utf-8")
    if path == "/trailers":
        # No Content-Length: HTTP/1.1 clients get a chunked body, which is
        # where HTTP/1.1 carries trailers.
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Trailer", "x-checksum, server-timing")])
        chunks = [b"line %d of a body with trailers\n" % i for i in range(1, 6)]
        return _with_trailers(environ, chunks, started)
    if path == "/combined":
        _hint(environ)
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Trailer", "x-checksum, server-timing")])
        body = json.dumps(_priority(environ)).encode()
        return _with_trailers(environ, [body], started)
    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    return [b"not found\n"]
