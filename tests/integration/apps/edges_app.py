"""edges_app.py: a WSGI app for test_protocol_edges.py that logs every request
it sees ("METHOD target" a line, to $EDGES_LOG), so a test can show that a
refused request never reached it.

/headers     JSON list of the environ's HTTP_* keys
/cl-long     declares Content-Length 3, returns 10 bytes
/cl-short    declares Content-Length 10, returns 3 bytes
/            "ok"
"""
import json
import os

LOG = os.environ.get("EDGES_LOG")


def app(environ, start_response):
    if LOG:
        with open(LOG, "a") as f:
            f.write("%s %s\n" % (environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
    path = environ.get("PATH_INFO", "")
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
