"""count_app.py: a WSGI app that marks when each request starts and stops,
for tests that check cancelled work really stops.

/work   creates $COUNT_DIR/started-<id>, then streams a byte every 50 ms for
        60 s; $COUNT_DIR/finished-<id> is created when it ends, however
        (completed, or closed because the client went away)
/       "hello"
"""
import os
import time
import uuid

COUNT_DIR = os.environ.get("COUNT_DIR", "/tmp")


def _mark(name):
    with open(os.path.join(COUNT_DIR, name), "w"):
        pass


def _work(tag):
    _mark("started-" + tag)  # here, so a body never started is never counted
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            yield b"x"
            time.sleep(0.05)
    finally:
        _mark("finished-" + tag)


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/work":
        tag = uuid.uuid4().hex
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return _work(tag)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]
