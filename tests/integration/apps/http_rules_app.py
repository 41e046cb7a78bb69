"""http_rules_app.py: a WSGI app for test_http_rules.py, which checks that
tandem-appd applies the same HTTP field rules as tandem-proxy.

/cl?v=VALUE   "hello" with the Content-Length VALUE (percent-decoded)
/environ-cl   the request's CONTENT_LENGTH, then the length of the body read
"""
from urllib.parse import unquote


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/cl":
        value = unquote(environ.get("QUERY_STRING", "").partition("v=")[2])
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", value)])
        return [b"hello"]
    if path == "/environ-cl":
        body = environ["wsgi.input"].read()
        text = "%s %d" % (environ.get("CONTENT_LENGTH", "-"), len(body))
        start_response("200 OK", [("Content-Type", "text/plain"),
                                  ("Content-Length", str(len(text)))])
        return [text.encode()]
    start_response("404 Not Found", [("Content-Length", "0")])
    return []
