"""hello.py: the example WSGI app tandem's README runs.

Routes:
  /            "Hello, World!" with the protocol the client spoke
  /echo        POST: the request body back, byte for byte
  /stream?n=N  N bytes streamed in 64 KiB chunks from a generator
"""
import os

CHUNK = 64 * 1024


def _stream(n):
    block = b"x" * CHUNK
    while n > 0:
        piece = block if n >= CHUNK else block[:n]
        n -= len(piece)
        yield piece


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/echo":
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    if path == "/stream":
        query = dict(p.split("=", 1) for p in environ.get("QUERY_STRING", "").split("&") if "=" in p)
        n = int(query.get("n", str(CHUNK)))
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return _stream(n)
    body = ("Hello, World! (%s, worker %d)\n" % (environ["SERVER_PROTOCOL"], os.getpid())).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
