"""edges_app.py: a WSGI app for test_protocol_edges.py that logs every request
it sees ("METHOD target" a line, to $EDGES_LOG), so a test can show that a
refused request never reached it.

/headers     JSON list of the environ's HTTP_* keys
/cl-long     declares Content-Length 3, returns 10 bytes
/cl-short    declares Content-Length 10, returns 3 bytes
/mutating-headers  start_response's list is emptied while appd copies it
/threaded-write    4 threads write() 200 blocks of 1000 bytes each (and try
                   early_hints) on one response, then "end"
/            "ok"
"""
import json
import os
import threading

LOG = os.environ.get("EDGES_LOG")


def app(environ, start_response):
    if LOG:
        with open(LOG, "a") as f:
            f.write("%s %s\n" % (environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
    path = environ.get("PATH_INFO", "")
    if path == "/mutating-headers":
        return _mutating_headers(start_response)
    if path == "/threaded-write":
        return _threaded_write(environ, start_response)
    if path in ("/cl-long", "/cl-short"):
        declared, body = ("3", b"0123456789") if path == "/cl-long" else ("10", b"abc")
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", declared)])
        return [body]
    if path == "/headers":
        body = json.dumps(sorted(k for k in environ if k.startswith("HTTP_"))).encode()
    else:
        body = b"ok"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class _Shrinker:
    """A (name, value) pair whose conversion empties the list holding it."""

    def __init__(self, owner, pair):
        self.owner, self.pair = owner, pair

    def __iter__(self):
        self.owner.clear()
        return iter(self.pair)


def _mutating_headers(start_response):
    headers = []
    headers.append(_Shrinker(headers, ("Content-Type", "text/plain")))
    headers.extend(("X-Field-%d" % i, "v" * 100) for i in range(64))
    start_response("200 OK", headers)
    return [b"survived"]


def _threaded_write(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "application/octet-stream")])
    hints = environ.get("wsgi.early_hints")

    def hammer(k):
        for i in range(200):
            if hints and i % 50 == 0:
                try:
                    hints([("Link", "</s%d.css>; rel=preload" % k)])
                except RuntimeError:
                    pass  # the head went out already: refused, as it must be
            write(bytes([65 + k]) * 1000)

    threads = [threading.Thread(target=hammer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [b"end"]
