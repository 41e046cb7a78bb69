"""test_review_appd.py: tandem-appd findings of the C review: the master
under reloads during boot and bursts of signals, and WSGI edge cases driven
over the wire (appd_client.py)."""
import os
import signal
import subprocess
import tempfile

import appd_client as ac
from harness import APPD, APPS, can_connect, children, wait_for

SLOW_IMPORT = '''
import os, time
# Stays in import until the test lets it go, so the test controls "booting".
while not os.path.exists(os.environ["REVIEW_GO"]):
    time.sleep(0.01)

def app(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]
'''


class Master:
    """tandem-appd with an app from tmp_path; stopped by PID."""

    def __init__(self, tmp_path, src, workers, *args):
        (tmp_path / "review_app.py").write_text(src)
        self.go = str(tmp_path / "go")
        self.sock = str(tmp_path / "app.sock")
        self.log = str(tmp_path / "err.log")
        env = dict(os.environ, REVIEW_GO=self.go)
        self.proc = subprocess.Popen(
            [APPD, "--bind", "unix:" + self.sock, "-w", str(workers), "--pythonpath",
             "%s,%s" % (tmp_path, APPS), "--error-logfile", self.log] + list(args)
            + ["review_app:app"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)

    def output(self):
        with open(self.log) as f:
            return f.read()

    def workers(self):
        return set(children(self.proc.pid))

    def all_ready(self, n, timeout=20):
        """Waits until n workers answer HELLO (the master hands connections
        only to ready ones)."""
        wait_for(lambda: self.proc.poll() is not None or can_connect(self.sock), 10,
                 "the appd socket")
        assert self.proc.poll() is None, self.output()
        for c in ac.connect_all(self.sock, n, timeout=timeout).values():
            c.close()

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stderr.close()


def test_reload_while_workers_boot_is_not_a_boot_failure(tmp_path):
    """Workers the master itself retires (HUP, TTOU) before they are ready did
    not fail to boot: counting them made two reloads during a slow import
    halt the whole server with "workers keep dying while booting"."""
    m = Master(tmp_path, SLOW_IMPORT, 3)
    try:
        wait_for(lambda: len(m.workers()) == 3 or m.proc.poll() is not None, 10,
                 "three booting workers")
        seen = m.workers()
        for round_ in range(2):
            m.proc.send_signal(signal.SIGHUP)
            # A fresh set replaces the retired one; the old ones die by TERM.
            wait_for(lambda: (len(m.workers() - seen) == 3 and not (m.workers() & seen))
                     or m.proc.poll() is not None, 10, "three fresh workers after HUP")
            assert m.proc.poll() is None, m.output()
            seen = m.workers()
        open(m.go, "w").close()
        m.all_ready(3)
        assert m.proc.poll() is None, m.output()
        assert ac.get(m.sock, "/").body == b"ok"
        assert "keep dying" not in m.output()
    finally:
        m.close()


def test_signals_to_just_forked_workers_stay_theirs(tmp_path):
    """A TERM the master sends a worker it has just forked must end that
    worker.  Before the fix the child still ran the master's handler, which
    swallowed the TERM and wrote it into the master's self-pipe: back-to-back
    reloads made the master shut itself down ("Handling signal: term")."""
    (tmp_path / "go").write_text("")
    m = Master(tmp_path, SLOW_IMPORT, 4)
    try:
        m.all_ready(4)
        # HUP only: pending TTIN/TTOU coalesce, so their net count is chance.
        for _ in range(60):
            m.proc.send_signal(signal.SIGHUP)
        # The last reload's four workers boot; every older one is gone.
        wait_for(lambda: m.proc.poll() is not None or len(m.workers()) == 4, 30,
                 "four workers after the reloads")
        assert m.proc.poll() is None, m.output()
        m.all_ready(4)
        assert ac.get(m.sock, "/").body == b"ok"
        out = m.output()
        assert "Handling signal: term" not in out, out
        assert "Shutting down" not in out, out
    finally:
        m.close()


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
    m = Master(tmp_path, SHORT_FILE, 1)
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
    m = Master(tmp_path, LEAKY_INPUT, 1)
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
