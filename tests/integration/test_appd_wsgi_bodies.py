"""test_appd_wsgi_bodies.py: request and response bodies at the WSGI edge,
driven over the wire (appd_client.py): a wsgi.file_wrapper file shorter than
its size ends in RESET, and a wsgi.input left reading after its request
cannot read (or steal the wake-ups of) the next request's body."""
import os

import appd_client as ac
from harness import AppdFromSource, wait_for

SHORT_FILE = '''
def app(environ, start_response):
    # A regular file whose size (st_size) promises more than read() gives:
    # sysfs attributes report 4096 bytes; a file truncated while it is being
    # sent behaves the same.
    f = open(environ["QUERY_STRING"], "rb")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return environ["wsgi.file_wrapper"](f)
'''

SYSFS_FILE = "/sys/kernel/mm/transparent_hugepage/enabled"


def test_file_shorter_than_its_announced_length_is_reset(tmp_path):
    """tandem announces Content-Length from the file's size; when fewer bytes
    come, the stream must end in RESET (as for an app's own short
    Content-Length), not END_STREAM: an HTTP/1.1 client would wait forever
    for the rest."""
    import pytest
    if not os.path.exists(SYSFS_FILE) or os.stat(SYSFS_FILE).st_size <= len(
            open(SYSFS_FILE, "rb").read()):
        pytest.skip("no sysfs file whose st_size exceeds its content")
    (tmp_path / "go").write_text("")
    m = AppdFromSource(tmp_path, SHORT_FILE, 1)
    try:
        m.all_ready(1)
        with ac.Conn(m.sock) as c:
            r = c.request("GET", "/", query=SYSFS_FILE)
        assert r.status == 200 and r.header("content-length") == "4096", r.headers
        assert 0 < r.length < 4096
        assert r.reset == 2 and not r.ended, r
        assert "resetting the stream" in m.output(), m.output()
    finally:
        m.close()


LEAKY_INPUT = '''
import threading

late = {}

def app(environ, start_response):
    if environ["PATH_INFO"] == "/leak":
        # A thread of the app keeps reading wsgi.input after the request
        # returned (a bug in the app, but one that must not reach the next
        # request's body or steal its wake-ups).
        inp = environ["wsgi.input"]
        started = threading.Event()
        def reader():
            started.set()
            try:
                late["got"] = inp.read(100)
            except Exception as e:
                late["got"] = type(e).__name__
        threading.Thread(target=reader, daemon=True).start()
        started.wait()
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]
    if environ["PATH_INFO"] == "/echo":
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
    got = repr(late.get("got")).encode()
    start_response("200 OK", [("Content-Length", str(len(got)))])
    return [got]
'''


def test_stale_wsgi_input_cannot_read_the_next_request(tmp_path):
    """Stream objects are pooled: a wsgi.input left blocked in read() when its
    request finished woke on the *next* request's body and read it (or stole
    the wake-up of the thread that should have)."""
    (tmp_path / "go").write_text("")
    m = AppdFromSource(tmp_path, LEAKY_INPUT, 1)
    try:
        m.all_ready(1)
        with ac.Conn(m.sock, timeout=10) as c:
            # Body left open: the app's reader thread blocks in read().
            r1 = c.open_stream("POST", "/leak", end=False, content_length=ac.LENGTH_UNKNOWN)
            c.run(r1, timeout=10)
            assert r1.status == 200
            # Stream 1 is done on the worker's side (its response ended) and
            # its object is recycled for the next stream, reader still blocked.
            r2 = c.request("POST", "/echo", body=b"SECRET-of-request-2", timeout=10)
            assert r2.status == 200 and r2.body == b"SECRET-of-request-2", r2
            # The stale reader must have been released with an error, not
            # left blocked to wake on some later request's body.
            late = wait_for(lambda: c.request("GET", "/late", timeout=10).body != b"None"
                            and c.request("GET", "/late", timeout=10).body, 10,
                            "the stale wsgi.input reader to give up")
        assert late == b"'ValueError'", late
    finally:
        m.close()
