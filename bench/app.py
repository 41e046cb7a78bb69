"""app.py: the one WSGI app every Python stack in bench/ serves (uWSGI, Hypercorn,
Gunicorn, tandem), so the stacks differ only in the server around it.

Routes:
  /        "Hello, World!\n" with a Content-Length
  /stream  1 MiB streamed from a generator in 64 KiB chunks, no Content-Length
  /post    reads the request body (64 KiB in the bench) and answers its length
"""

HELLO = b"Hello, World!\n"
CHUNK = 64 * 1024
STREAM_BYTES = 1024 * 1024
_BLOCK = b"x" * CHUNK


def _stream():
    for _ in range(STREAM_BYTES // CHUNK):
        yield _BLOCK


def _post(environ, start_response):
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    body = stream.read(int(length)) if length else stream.read()
    answer = b"%d\n" % len(body)
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(answer)))])
    return [answer]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return _stream()
    if path == "/post":
        return _post(environ, start_response)
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(HELLO)))])
    return [HELLO]
