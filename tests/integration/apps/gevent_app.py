"""gevent_app.py: a WSGI app written for gevent (monkey-patched blocking
calls), for the -k gevent tests.

/sleep?s=S   time.sleep (patched: a greenlet switch), then "slept"
/gsleep?s=S  gevent.sleep, then "slept"
/sha         sha256 and length of the body, read in pieces
/stream?n=N  N bytes from a generator, 64 KiB chunks
/patched     whether socket and time are gevent's
"""
import hashlib
import time
import urllib.parse

import gevent


def _q(environ):
    return dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))


def _stream(n):
    block = b"y" * 65536
    while n > 0:
        piece = block if n >= len(block) else block[:n]
        n -= len(piece)
        yield piece


def app(environ, start_response):
    path, q = environ["PATH_INFO"], _q(environ)
    if path in ("/sleep", "/gsleep"):
        (time.sleep if path == "/sleep" else gevent.sleep)(float(q.get("s", "1")))
        body = [b"slept"]
    elif path == "/sha":
        h, n = hashlib.sha256(), 0
        while True:
            piece = environ["wsgi.input"].read(100003)
            if not piece:
                break
            h.update(piece)
            n += len(piece)
        body = [b"%s %d" % (h.hexdigest().encode(), n)]
    elif path == "/stream":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return _stream(int(q.get("n", "0")))
    elif path == "/patched":
        import socket
        from gevent import monkey
        body = [b"%s %s" % (str(monkey.is_module_patched("socket")).encode(),
                            str(monkey.is_module_patched("time")).encode())]
    else:
        body = [b"hello from gevent"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return body
