"""probe.py: a WSGI app that reports what it saw, for the integration tests.

/            "hello" (and logs the worker pid to $PROBE_PIDLOG when set)
/pid         the worker's pid
/echo        the body back (Content-Length from the app)
/sha         sha256 and length of the body, read in odd-sized pieces
/lines       the body read with readline(), lines counted
/environ     JSON of the environ's str values
/stream?n=N  N bytes from a generator, 64 KiB chunks, no Content-Length
/pattern?n=N N bytes of pattern(n) in chunks of odd sizes (1 byte to past a
             frame), no Content-Length
/chunks?sizes=A,B,..[&cl=1]  pattern bytes in chunks of exactly those sizes
             (with a Content-Length when cl=1)
/write       body sent with the write() callable
/error       raises before start_response
/error-late  raises after the first chunk
/status?code=N  that status, empty body
/close       iterable whose close() records itself in $PROBE_CLOSELOG
/sleep?s=S[&mark=FILE]  writes its pid to FILE, sleeps S seconds, then "slept"
/head-then-read  sends its head and a first chunk, then reads the body
/trickle?n=N&every=S[&stall=T]  N lines "chunk K", S seconds apart, then
             after T more seconds the line "end"
"""
import hashlib
import json
import os
import time

PIDLOG = os.environ.get("PROBE_PIDLOG")
CLOSELOG = os.environ.get("PROBE_CLOSELOG")


def _query(environ):
    q = environ.get("QUERY_STRING", "")
    return dict(p.split("=", 1) for p in q.split("&") if "=" in p)


def _stream(n, chunk=64 * 1024):
    block = b"y" * chunk
    while n > 0:
        piece = block if n >= chunk else block[:n]
        n -= len(piece)
        yield piece


PATTERN_SIZES = (1, 4093, 65537, 17, 262147, 100003, 255)


def pattern(n):
    """n bytes cycling through 0..250: a prime period, so no chunk or frame
    boundary lines up with it."""
    period = bytes(range(251))
    return (period * (n // 251 + 1))[:n]


def _pattern(n):
    body, i, k = pattern(n), 0, 0
    while i < n:
        size = PATTERN_SIZES[k % len(PATTERN_SIZES)]
        yield body[i:i + size]
        i += size
        k += 1


class _Closing:
    def __init__(self, body):
        self.body = body

    def __iter__(self):
        yield self.body

    def close(self):
        if CLOSELOG:
            with open(CLOSELOG, "a") as f:
                f.write("closed\n")


def _reply(start_response, body, ctype="text/plain", status="200 OK"):
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
    return [body]


def _trickle(n, every, stall):
    for k in range(n):
        if k:
            time.sleep(every)
        yield b"chunk %d\n" % k
    time.sleep(stall)
    yield b"end\n"


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/":
        if PIDLOG:
            fd = os.open(PIDLOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(fd, b"%d\n" % os.getpid())
            os.close(fd)
        return _reply(start_response, b"hello")
    if path == "/pid":
        return _reply(start_response, str(os.getpid()).encode())
    if path == "/echo":
        return _reply(start_response, environ["wsgi.input"].read(), "application/octet-stream")
    if path == "/sha":
        h, n, inp = hashlib.sha256(), 0, environ["wsgi.input"]
        while True:
            piece = inp.read(7919)
            if not piece:
                break
            h.update(piece)
            n += len(piece)
        return _reply(start_response, ("%s %d" % (h.hexdigest(), n)).encode())
    if path == "/lines":
        count = sum(1 for _ in environ["wsgi.input"])
        return _reply(start_response, str(count).encode())
    if path == "/environ":
        env = {k: v for k, v in environ.items() if isinstance(v, (str, int, bool, tuple))}
        return _reply(start_response, json.dumps(env, default=list).encode(), "application/json")
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return _stream(int(_query(environ).get("n", "65536")))
    if path == "/pattern":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return _pattern(int(_query(environ).get("n", "65536")))
    if path == "/chunks":
        q = _query(environ)
        sizes = [int(x) for x in q.get("sizes", "").split(",") if x]
        body, heads, i = pattern(sum(sizes)), [("Content-Type", "application/octet-stream")], 0
        if q.get("cl") == "1":
            heads.append(("Content-Length", str(len(body))))
        start_response("200 OK", heads)
        parts = []
        for size in sizes:
            parts.append(body[i:i + size])
            i += size
        return parts
    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")
        return [b"and returned"]
    if path == "/error":
        raise RuntimeError("probe: error before start_response")
    if path == "/error-late":
        def gen():
            yield b"first"
            raise RuntimeError("probe: error after the head")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return gen()
    if path == "/trickle":
        q = _query(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _trickle(int(q.get("n", "3")), float(q.get("every", "1")),
                        float(q.get("stall", "0")))
    if path == "/sleep":
        mark = _query(environ).get("mark")
        if mark:  # tells a test which worker is busy, before it sleeps
            with open(mark, "w") as f:
                f.write(str(os.getpid()))
        time.sleep(float(_query(environ).get("s", "1")))
        return _reply(start_response, b"slept")
    if path == "/status":
        code = int(_query(environ).get("code", "200"))
        start_response("%d Custom" % code, [("Content-Length", "0")])
        return []
    if path == "/close":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _Closing(b"closing")
    if path == "/head-then-read":
        def late():
            yield b"head out\n"
            yield b"read %d\n" % len(environ["wsgi.input"].read())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return late()
    return _reply(start_response, b"not found", status="404 Not Found")
