"""h2prio_app.py: a WSGI app for the wait-queue ordering test.  Every request
appends its path?query to $H2PRIO_LOG when it starts; /slow then reads its
whole body, so it holds the (single, sync) worker until the test sends it."""
import os

LOG = os.environ.get("H2PRIO_LOG")


def app(environ, start_response):
    what = "%s?%s" % (environ["PATH_INFO"], environ.get("QUERY_STRING", ""))
    if LOG:
        fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(fd, (what + "\n").encode())
        os.close(fd)
    if environ["PATH_INFO"] == "/slow":
        environ["wsgi.input"].read()
    body = (what + "\n").encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
