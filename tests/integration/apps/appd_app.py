"""appd_app.py: the WSGI app tandem-appd's own wire tests (test_appd_wire.py)
drive: each route exercises one server duty.

/                 "hello"
/pid              the worker's pid
/echo             the body back (read(), Content-Length from the app)
/echo-chunks      the body back, read in 8191-byte pieces, no Content-Length
/lines            count of body lines (iterating wsgi.input)
/stream?n=N       N bytes from a generator, 64 KiB chunks, no Content-Length
/environ          repr() of selected environ values, one "KEY=value" a line
/error            raises before start_response
/error-late       raises after the first chunk
/write            write() callable, then a returned chunk
/file?n=N         wsgi.file_wrapper over a temporary N-byte file
/sleep?s=S        sleeps S seconds (timeout tests), then "slept"
/thread?s=S       sleeps S seconds, then the running thread's ident
/badheader        start_response with a CR in a header value
/short            Content-Length 10, sends 5 bytes
/long             Content-Length 5, sends 10 bytes
/exc-info         start_response, then again with exc_info before any body
/hop              sets Connection: close (dropped by the server)
/closelog?path=P&n=N  N 64 KiB chunks from an iterable whose close() appends
                  "closed" to P
/slowread         reads the body slowly (flow control of the request)
/hdrforms         headers as lists, values with blanks around them
/hints            wsgi.early_hints (103) before the response
/errors           writes a line to wsgi.errors
/fork-hold?path=P forks a child that keeps every descriptor of the worker (its
                  proxy connections among them) until the file P exists (60 s
                  at most); the child's pid
"""
import os
import sys
import tempfile
import threading
import time

CHUNK = 64 * 1024


def _query(environ):
    q = environ.get("QUERY_STRING", "")
    return dict(p.split("=", 1) for p in q.split("&") if "=" in p)


def _reply(start_response, body, ctype="text/plain", status="200 OK"):
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
    return [body]


def _stream(n):
    block = b"z" * CHUNK
    while n > 0:
        piece = block if n >= CHUNK else block[:n]
        n -= len(piece)
        yield piece


class _Closing:
    def __init__(self, path, body):
        self.path, self.body = path, body

    def __iter__(self):
        for b in self.body:
            yield b

    def close(self):
        with open(self.path, "a") as f:
            f.write("closed\n")


def _fork_hold(path):
    """A child holding the worker's descriptors, as an app's background
    process does; the worker's own copies close as usual."""
    pid = os.fork()
    if pid == 0:
        try:
            deadline = time.monotonic() + 60
            while not os.path.exists(path) and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            os._exit(0)
    return pid


def app(environ, start_response):
    path = environ["PATH_INFO"]
    q = _query(environ)
    if path == "/":
        return _reply(start_response, b"hello")
    if path == "/pid":
        return _reply(start_response, str(os.getpid()).encode())
    if path == "/echo":
        return _reply(start_response, environ["wsgi.input"].read(), "application/octet-stream")
    if path == "/echo-chunks":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        inp = environ["wsgi.input"]

        def gen():
            while True:
                piece = inp.read(8191)
                if not piece:
                    return
                yield piece
        return gen()
    if path == "/lines":
        return _reply(start_response, str(sum(1 for _ in environ["wsgi.input"])).encode())
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return _stream(int(q.get("n", "65536")))
    if path.startswith("/environ"):
        keys = sorted(k for k, v in environ.items() if isinstance(v, (str, bool, int, tuple)))
        body = "".join("%s=%a\n" % (k, environ[k]) for k in keys).encode()
        return _reply(start_response, body)
    if path == "/error":
        raise RuntimeError("appd_app: error before start_response")
    if path == "/error-late":
        def gen():
            yield b"first"
            raise RuntimeError("appd_app: error after the head")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return gen()
    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")
        return [b"and returned"]
    if path == "/file":
        n = int(q.get("n", "1000"))
        f = tempfile.TemporaryFile()
        f.write(bytes(range(256)) * (n // 256) + bytes(range(n % 256)))
        f.seek(int(q.get("skip", "0")))
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](f, 8192)
    if path == "/sleep":
        time.sleep(float(q.get("s", "1")))
        return _reply(start_response, b"slept")
    if path == "/thread":
        time.sleep(float(q.get("s", "0")))
        return _reply(start_response, str(threading.get_ident()).encode())
    if path == "/badheader":
        try:
            start_response("200 OK", [("X-Bad", "a\r\nInjected: yes")])
        except ValueError as e:
            return _reply(start_response, ("rejected: %s" % e).encode())
        return [b"accepted"]
    if path == "/badstatus":
        try:
            start_response(q.get("status", "OK"), [])
        except ValueError as e:
            return _reply(start_response, ("rejected: %s" % e).encode())
        return [b"accepted"]
    if path == "/short":
        start_response("200 OK", [("Content-Length", "10")])
        return [b"12345"]
    if path == "/long":
        start_response("200 OK", [("Content-Length", "5")])
        return [b"12345", b"67890"]
    if path == "/exc-info":
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("replaced")
        except ValueError:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")],
                           sys.exc_info())
        return [b"replaced"]
    if path == "/hop":
        start_response("200 OK", [("Connection", "close"), ("Content-Length", "3")])
        return [b"hop"]
    if path == "/closelog":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _Closing(q["path"], [b"c" * CHUNK] * int(q.get("n", "1")))
    if path == "/slowread":
        inp, n = environ["wsgi.input"], 0
        while True:
            piece = inp.read(65536)
            if not piece:
                break
            n += len(piece)
            time.sleep(0.001)
        return _reply(start_response, str(n).encode())
    if path == "/hdrforms":
        start_response("200 OK", [["X-List", "pair"], ("X-Space", "  padded\t"),
                                  ("Content-Length", " 2 ")])
        return [b"ok"]
    if path == "/hints":
        environ["wsgi.early_hints"]([("Link", "</style.css>; rel=preload; as=style")])
        return _reply(start_response, b"hinted")
    if path == "/fork-hold":
        return _reply(start_response, str(_fork_hold(_query(environ)["path"])).encode())
    if path == "/errors":
        environ["wsgi.errors"].write("appd_app: a line for wsgi.errors\n")
        environ["wsgi.errors"].flush()
        return _reply(start_response, b"logged")
    return _reply(start_response, b"not found", status="404 Not Found")
