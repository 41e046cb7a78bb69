"""test_appd_wire.py: tandem-appd alone, driven over its Unix socket with the
wire protocol (appd_client.py) the way tandem-proxy drives it: bodies both
ways under flow control, WSGI semantics, reachability of every worker,
failures (app errors, killed and hung workers), signals and start-up errors."""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import pytest

import appd_client as ac
import daemon_logs
from harness import APPD, APPS, can_connect, children, rss_kib, wait_for, watch_appd_logs

MiB = 1024 * 1024


class Appd:
    """tandem-appd on a private socket; stopped by PID."""

    def __init__(self, *args, app="appd_app:app", workers=2, wait=True):
        self.tmp = tempfile.mkdtemp(prefix="tandem-appd-")
        self.sock = os.path.join(self.tmp, "app.sock")
        self.log = os.path.join(self.tmp, "err.log")
        self.stderr = os.path.join(self.tmp, "stderr.log")   # where a sanitizer reports
        self.argv = [APPD, "--bind", "unix:" + self.sock, "-w", str(workers), "--pythonpath",
                     APPS, "--error-logfile", self.log] + list(args) + [app]
        self.start()
        watch_appd_logs(self, self.log, self.stderr)
        self.workers = workers
        if wait:
            try:
                wait_for(lambda: can_connect(self.sock) or self.proc.poll() is not None, 10,
                         "appd socket")
                assert self.proc.poll() is None, self.output()
                # Every worker ready: dial like the proxy until all pids answered.
                for c in ac.connect_all(self.sock, workers).values():
                    c.close()
            except BaseException:
                self.close()
                raise

    def start(self):
        with open(self.stderr, "ab") as f:
            self.proc = subprocess.Popen(self.argv, stdout=f, stderr=f)
        self.pid = self.proc.pid

    def output(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def worker_pids(self):
        return set(children(self.pid))

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                raise AssertionError("appd did not stop on %s" % sig)
        return self.proc.returncode

    def close(self):
        try:
            self.stop()
        except AssertionError:
            pass
        daemon_logs.forget(self)
        for name in os.listdir(self.tmp):
            os.unlink(os.path.join(self.tmp, name))
        os.rmdir(self.tmp)


@pytest.fixture(scope="module")
def appd():
    a = Appd(workers=2)
    yield a
    a.close()


@pytest.fixture
def conn(appd):
    c = ac.Conn(appd.sock, timeout=20)
    yield c
    c.close()


# ---- basics -----------------------------------------------------------------

def test_hello_and_get(appd, conn):
    h = conn.hello
    assert h["worker_class"] == 1 and h["capacity"] == 1 and h["worker_count"] == 2
    assert 1 <= h["worker_index"] <= 2 and h["pid"] in appd.worker_pids()
    assert h["initial_window"] >= 256 * 1024 and h["max_frame"] >= 16384
    r = conn.request("GET", "/")
    assert (r.status, r.body, r.reset) == (200, b"hello", None)
    assert r.header("Content-Type") == "text/plain"


@pytest.mark.parametrize("size", [0, 1, 64 * 1024, 10 * MiB])
def test_echo_exact(conn, size):
    body = os.urandom(size)
    r = conn.request("POST", "/echo", body=body)
    assert r.status == 200 and r.reset is None
    assert r.body == body
    assert r.header("Content-Length") == str(size)


def test_echo_unknown_length_in_pieces(conn):
    body = os.urandom(3 * MiB + 17)
    r = conn.request("POST", "/echo-chunks", body=body, content_length=ac.LENGTH_UNKNOWN)
    assert r.status == 200 and r.body == body


def test_request_body_flow_control(conn):
    """The worker never lets more than its announced window be outstanding."""
    body = os.urandom(5 * MiB)
    r = conn.open_stream("POST", "/slowread", body)
    r.keep, r.unacked = True, 0
    window = conn.hello["initial_window"]
    # Send exactly one window; the worker must answer with CREDIT, not data loss.
    conn.run(r, body)
    assert r.status == 200 and r.body == str(len(body)).encode()
    assert r.send_window <= window


def test_lines_iteration(conn):
    body = b"".join(b"line %d\n" % i for i in range(10000)) + b"no newline at end"
    r = conn.request("POST", "/lines", body=body)
    assert r.body == b"10001"


def test_stream_100mib_bounded_rss(appd, conn):
    rss0, _ = rss_kib(conn.pid)
    peak = [rss0]
    n = 100 * MiB
    r = conn.open_stream("GET", "/stream", query="n=%d" % n)
    r.keep, r.unacked = False, 0
    deadline = time.monotonic() + 60
    while not r.done:
        conn.pump(deadline - time.monotonic())
        if r.data_frames % 64 == 0:
            peak.append(rss_kib(conn.pid)[0])
    assert r.status == 200 and r.reset is None and r.length == n
    growth = max(peak) - rss0
    assert growth < 24 * 1024, "worker RSS grew by %d KiB streaming 100 MiB" % growth


def test_head_sends_no_body(conn):
    r = conn.request("HEAD", "/")
    assert r.status == 200 and r.length == 0 and r.ended
    assert r.header("Content-Length") == "5"


def test_write_callable(conn):
    r = conn.request("GET", "/write")
    assert r.body == b"written and returned"


def test_file_wrapper(conn):
    r = conn.request("GET", "/file", query="n=1000000&skip=10")
    full = bytes(range(256)) * (1000000 // 256) + bytes(range(1000000 % 256))
    assert r.status == 200 and r.body == full[10:]
    assert r.header("content-length") == str(len(full) - 10)


def test_list_result_gets_content_length(conn):
    r = conn.request("GET", "/write")   # write() used: length unknown, streamed
    assert r.header("content-length") is None
    r = conn.request("GET", "/pid")
    assert r.header("Content-Length") == str(len(r.body))


def test_early_hints(conn):
    r = conn.request("GET", "/hints", flags=ac.REQ_EARLY_HINTS)
    assert r.infos == [(103, [("Link", "</style.css>; rel=preload; as=style")])]
    assert r.status == 200 and r.body == b"hinted"
    r = conn.request("GET", "/hints")   # client cannot take 1xx: silently skipped
    assert r.infos == [] and r.body == b"hinted"


def test_ping(conn):
    conn.send(ac.frame(ac.PING, 0, 0, b"12345678"))
    while not conn.pings:
        conn.pump(5)
    assert conn.pings == [b"12345678"]


# ---- environ ----------------------------------------------------------------

def _environ(conn, **kw):
    r = conn.request("GET", kw.pop("path", "/environ"), **kw)
    assert r.status == 200, r.body
    env = {}
    for line in r.body.decode("latin-1").splitlines():
        k, v = line.split("=", 1)
        env[k] = eval(v)
    return env


def test_environ_http1(conn):
    env = _environ(conn, query="a=1&b=%20", headers=[
        ("Host", "example.com:8080"), ("X-Forwarded-For", "1.1.1.1"), ("Accept", "a"),
        ("accept", "b"), ("Cookie", "x=1"), ("cookie", "y=2"), ("X_Spoof", "bad"),
        ("Content-Type", "text/plain")], authority="example.com:8080")
    assert env["REQUEST_METHOD"] == "GET"
    assert env["PATH_INFO"] == "/environ" and env["SCRIPT_NAME"] == ""
    assert env["QUERY_STRING"] == "a=1&b=%20"
    assert env["RAW_URI"] == "/environ?a=1&b=%20"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["SERVER_NAME"] == "example.com" and env["SERVER_PORT"] == "8080"
    assert env["HTTP_HOST"] == "example.com:8080"
    assert env["HTTP_X_FORWARDED_FOR"] == "1.1.1.1"
    assert env["HTTP_ACCEPT"] == "a,b"
    assert env["HTTP_COOKIE"] == "x=1; y=2"
    assert "HTTP_X_SPOOF" not in env and "HTTP_X_Spoof" not in env
    assert env["CONTENT_TYPE"] == "text/plain" and "HTTP_CONTENT_TYPE" not in env
    assert "CONTENT_LENGTH" not in env
    assert env["REMOTE_ADDR"] == "127.0.0.1" and env["REMOTE_PORT"] == "40000"
    assert env["wsgi.url_scheme"] == "http" and env["wsgi.version"] == (1, 0)
    assert env["wsgi.multiprocess"] is True and env["wsgi.multithread"] is False
    assert env["wsgi.run_once"] is False and env["wsgi.input_terminated"] is True


def test_environ_h2_tls_and_percent_decoding(conn):
    env = _environ(conn, path="/environ/caf%C3%A9%2Fx%zz", version=(2, 0), scheme="https",
                   authority="h2.example", flags=ac.REQ_TLS, h2_stream_id=5)
    assert env["SERVER_PROTOCOL"] == "HTTP/2.0"
    # percent-decoded bytes, as latin-1 (PEP 3333); %2F decoded too, like Gunicorn
    assert env["PATH_INFO"] == "/environ/caf\xc3\xa9/x%zz"
    assert env["RAW_URI"] == "/environ/caf%C3%A9%2Fx%zz"
    assert env["HTTP_HOST"] == "h2.example"
    assert env["SERVER_NAME"] == "h2.example" and env["SERVER_PORT"] == "443"
    assert env["wsgi.url_scheme"] == "https"
    assert env["tandem.h2_stream_id"] == 5


def test_script_name_from_env_and_pidfile():
    first = tempfile.mkdtemp(prefix="tandem-pid-")
    placeholder = os.path.join(first, "appd.pid")
    a = Appd("-e", "SCRIPT_NAME=/mount/", "--pid", placeholder, workers=1, wait=False)
    a.proc.kill()   # restart with the pid file inside its own temp dir
    a.proc.wait()
    shutil.rmtree(first, ignore_errors=True)
    pidfile = os.path.join(a.tmp, "appd.pid")
    a.argv[a.argv.index(placeholder)] = pidfile
    a.start()
    try:
        wait_for(lambda: can_connect(a.sock), 10, "appd socket")
        with open(pidfile) as f:
            assert int(f.read()) == a.pid
        with ac.Conn(a.sock) as c:
            env = _environ(c, path="/mount/environ/x")
            assert env["SCRIPT_NAME"] == "/mount" and env["PATH_INFO"] == "/environ/x"
            env = _environ(c, path="/environ")   # outside the prefix: left alone
            assert env["SCRIPT_NAME"] == "/mount" and env["PATH_INFO"] == "/environ"
        assert a.stop() == 0
        assert not os.path.exists(pidfile) and not os.path.exists(a.sock)
    finally:
        a.close()


def test_check_config():
    r = subprocess.run([APPD, "--pythonpath", APPS, "--check-config", "appd_app:app"],
                       capture_output=True, timeout=10)
    assert r.returncode == 0 and r.stdout == b"appd_app:app: OK\n", r
    r = subprocess.run([APPD, "--pythonpath", APPS, "--check-config", "appd_app:nope"],
                       capture_output=True, timeout=10)
    assert r.returncode == 4 and b"'appd_app:nope' not found" in r.stderr


def test_errors_stream_goes_to_log(appd, conn):
    assert conn.request("GET", "/errors").body == b"logged"
    wait_for(lambda: "a line for wsgi.errors" in appd.output(), 5, "wsgi.errors line in the log")


# ---- app behaviour ------------------------------------------------------------

def test_exception_gives_500_and_worker_survives(appd, conn):
    r = conn.request("GET", "/error")
    assert r.status == 500 and b"Internal Server Error" in r.body
    r = conn.request("GET", "/pid")
    assert r.status == 200 and int(r.body) == conn.pid
    assert "RuntimeError: appd_app: error before start_response" in appd.output()


def test_exception_after_head_resets(conn):
    r = conn.request("GET", "/error-late")
    assert r.status == 200 and r.body == b"first"
    assert r.reset == 2   # INTERNAL_ERROR
    assert conn.request("GET", "/").body == b"hello"


def test_header_and_status_validation(conn):
    r = conn.request("GET", "/badheader")
    assert r.body.startswith(b"rejected: header 'X-Bad'"), r.body
    for status in ["OK", "20 OK", "2000 OK", "200OK", "099 Low"]:
        r = conn.request("GET", "/badstatus", query="status=" + status)
        assert r.body.startswith(b"rejected: invalid status"), (status, r.body)
    r = conn.request("GET", "/badstatus", query="status=201 Created")
    assert r.status == 201


def test_header_forms(conn):
    r = conn.request("GET", "/hdrforms")
    assert r.status == 200 and r.body == b"ok"
    assert r.headers == [("X-List", "pair"), ("X-Space", "padded"), ("Content-Length", "2")]


def test_content_length_policing(conn):
    r = conn.request("GET", "/short")   # says 10, sends 5: the client would hang
    assert r.reset == 2 and r.length == 5
    r = conn.request("GET", "/long")    # says 5, sends 10: truncated
    assert r.status == 200 and r.body == b"12345" and r.reset is None


def test_exc_info_replaces_headers(conn):
    r = conn.request("GET", "/exc-info")
    assert r.status == 503 and r.body == b"replaced"


def test_hop_by_hop_header_dropped(conn):
    r = conn.request("GET", "/hop")
    assert r.status == 200 and r.header("Connection") is None and r.body == b"hop"


def test_reset_from_proxy_calls_close(appd, conn, tmp_path):
    log = str(tmp_path / "close.log")
    r = conn.open_stream("GET", "/closelog", query="path=%s&n=200" % log)
    r.keep, r.unacked = False, 0
    while r.length < MiB // 2:                 # read some, give no credit back
        conn.pump(10, credit=False)
    conn.send(ac.frame(ac.RESET, 0, r.stream, struct.pack("!I", 8)))
    while r.reset is None:                     # the worker's final frame: RESET CANCEL
        conn.pump(10, credit=False)
    assert r.reset == 8
    wait_for(lambda: os.path.exists(log) and "closed" in open(log).read(), 10,
             "close() of the cancelled iterable")
    assert conn.request("GET", "/").body == b"hello"   # the worker serves on


def test_unread_body_and_id_reuse(conn):
    """The app answers without reading a 5 MiB upload; the proxy ends its
    direction with RESET NO_ERROR and may then reuse the stream id."""
    body = os.urandom(5 * MiB)
    r = conn.request("POST", "/", body=body)
    assert r.status == 200 and r.body == b"hello" and r.reset is None
    conn.next_id = r.stream            # reuse the id, as a slot-numbering proxy does
    assert conn.request("POST", "/echo", body=b"again").body == b"again"


def test_reset_of_queued_stream(appd):
    with ac.Conn(appd.sock) as c:
        busy = c.open_stream("GET", "/sleep", query="s=0.5")
        queued = c.open_stream("GET", "/")
        for r in (busy, queued):
            r.keep, r.unacked = True, 0
        c.send(ac.frame(ac.RESET, 0, queued.stream, struct.pack("!I", 8)))
        while not (busy.done and queued.done):
            c.pump(10)
        assert queued.reset == 8 and queued.status is None
        assert busy.status == 200


def test_refused_beyond_capacity(appd):
    # sync: 1 running + 1 queued per worker; the third stream is refused.
    with ac.Conn(appd.sock) as c:
        rs = [c.open_stream("GET", "/sleep", query="s=0.5") for _ in range(3)]
        for r in rs:
            r.keep, r.unacked = True, 0
        deadline = time.monotonic() + 10
        while not all(r.done for r in rs):
            c.pump(deadline - time.monotonic())
        assert [r.status for r in rs[:2]] == [200, 200]
        assert rs[2].reset == 7 and rs[2].status is None   # REFUSED_STREAM


# ---- process model ----------------------------------------------------------

def test_every_worker_reachable(appd):
    conns = ac.connect_all(appd.sock, 2)
    try:
        assert set(conns) == appd.worker_pids()
        assert {c.hello["worker_index"] for c in conns.values()} == {1, 2}
        for pid, c in conns.items():
            assert int(c.request("GET", "/pid").body) == pid
    finally:
        for c in conns.values():
            c.close()


def test_master_hands_a_connection_to_the_worker_it_asks_for(appd):
    """tandem-protocol(7): the proxy's HELLO worker_index names the worker
    it wants; least-connected alone left proxy threads stuck on one worker."""
    held = []
    try:
        for k in (2, 2, 1, 2, 1, 1):
            c = ac.Conn(appd.sock, ask=k)
            held.append(c)   # held open: the counts favour the other worker
            assert c.hello["worker_index"] == k, (k, c.hello)
            assert int(c.request("GET", "/pid").body) == c.pid
    finally:
        for c in held:
            c.close()


@pytest.mark.parametrize("ask", [0, 3, 0xFFFFFFFF])
def test_asking_for_no_worker_or_one_not_run_gets_a_live_one(appd, ask):
    with ac.Conn(appd.sock, ask=ask) as c:
        assert c.hello["worker_index"] in (1, 2)
        assert int(c.request("GET", "/pid").body) == c.pid


def _hello_bytes(ask):
    return ac.frame(ac.HELLO_T, 0, 0, ac.HELLO.pack(ac.VERSION, ac.ROLE_PROXY, 0, os.getpid(), 0,
                                                    ask, 0, 1 << 20, 256 * 1024, 0, 0))


def _read_worker_hello(s):
    """The worker's HELLO: it comes as soon as the master hands the
    connection over, whatever we sent."""
    s.settimeout(20)
    buf = b""
    while len(buf) < ac.HEADER.size + ac.HELLO.size:
        data = s.recv(4096)
        assert data, "closed before the worker's HELLO"
        buf += data
    length, ftype, _, _, stream = ac.HEADER.unpack_from(buf)
    assert ftype == ac.HELLO_T and stream == 0 and length == ac.HELLO.size
    return ac.HELLO.unpack_from(buf, ac.HEADER.size)


@pytest.mark.parametrize("first", [0, 5, ac.HEADER.size + 10])
def test_a_connection_whose_hello_is_late_is_handed_anyway(appd, first):
    """Nothing, or part of a HELLO: the master waits a moment, then hands
    the connection to a worker, which then reads the rest."""
    hello = _hello_bytes(2)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(appd.sock)
        s.sendall(hello[:first])
        fields = _read_worker_hello(s)
        assert fields[1] == ac.ROLE_WORKER and fields[5] in (1, 2)
        s.sendall(hello[first:])
        # the worker took our HELLO: a PING is answered
        s.sendall(ac.frame(ac.PING, 0, 0, b"12345678"))
        buf = b""
        while True:
            data = s.recv(4096)
            assert data, "closed instead of answering PING"
            buf += data
            if len(buf) >= ac.HEADER.size:
                length, ftype, flags, _, _ = ac.HEADER.unpack_from(buf)
                if len(buf) >= ac.HEADER.size + length:
                    assert ftype == ac.PING and flags & ac.ACK, (ftype, flags)
                    break
    finally:
        s.close()


def test_more_silent_connections_than_the_intake_holds_are_all_handed(appd):
    """The master holds at most 64 connections waiting for their HELLO
    (ad_intake.h); the rest wait in the listen backlog, and every one still
    reaches a worker once the wait runs out."""
    socks = []
    try:
        for _ in range(100):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            socks.append(s)
            s.connect(appd.sock)
        for s in socks:
            fields = _read_worker_hello(s)
            assert fields[1] == ac.ROLE_WORKER and fields[5] in (1, 2)
    finally:
        for s in socks:
            s.close()
    # and the master still routes by HELLO afterwards
    with ac.Conn(appd.sock, ask=2) as c:
        assert c.hello["worker_index"] == 2


def test_killed_worker_is_respawned(appd):
    before = appd.worker_pids()
    victim = sorted(before)[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: len(appd.worker_pids() - before) == 1 and victim not in appd.worker_pids(),
             10, "a replacement worker")
    conns = ac.connect_all(appd.sock, 2)
    try:
        assert set(conns) == appd.worker_pids()
        for pid, c in conns.items():
            assert int(c.request("GET", "/pid").body) == pid
    finally:
        for c in conns.values():
            c.close()
    assert "Worker (pid:%d) was sent SIGKILL" % victim in appd.output()


def test_drain_from_proxy_closes_when_idle(appd):
    c = ac.Conn(appd.sock)
    r = c.open_stream("GET", "/sleep", query="s=0.3")
    r.keep, r.unacked = True, 0
    c.send(ac.frame(ac.DRAIN, 0, 0, struct.pack("!I", r.stream)))
    c.run(r)
    assert r.status == 200
    with pytest.raises(ConnectionError):
        c.pump(5)
    c.close()


def test_version_mismatch_closes(appd):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(appd.sock)
    s.sendall(ac.frame(ac.HELLO_T, 0, 0, ac.HELLO.pack(99, ac.ROLE_PROXY, 0, 1, 0, 0, 0,
                                                      65536, 65536, 0, 0)))
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    frames, _ = ac.frames(data)
    assert [f[0] for f in frames] == [ac.HELLO_T]   # its own HELLO, then close
    s.close()


def test_gthread_runs_streams_concurrently():
    a = Appd("-k", "gthread", "--threads", "4", workers=1)
    try:
        with ac.Conn(a.sock) as c:
            assert c.hello["worker_class"] == 2 and c.hello["capacity"] == 4
            t0 = time.monotonic()
            rs = [c.open_stream("GET", "/sleep", query="s=0.5") for _ in range(4)]
            for r in rs:
                r.keep, r.unacked = True, 0
            while not all(r.done for r in rs):
                c.pump(10)
            assert [r.status for r in rs] == [200] * 4
            assert time.monotonic() - t0 < 1.5
            env = _environ(c)
            assert env["wsgi.multithread"] is True and env["wsgi.multiprocess"] is False
    finally:
        a.close()


def test_timeout_kills_hung_worker():
    a = Appd("--timeout", "2", workers=1)
    try:
        old = a.worker_pids()
        with ac.Conn(a.sock) as c:
            c.open_stream("GET", "/sleep", query="s=30")
            with pytest.raises(ConnectionError):
                while True:
                    c.pump(10)
        wait_for(lambda: a.worker_pids() and not (a.worker_pids() & old), 10, "a new worker")
        out = a.output()
        assert re.search(r"WORKER TIMEOUT \(pid:%d\) GET /sleep" % min(old), out), out
        assert "Fatal Python error: Aborted" in out and "appd_app.py" in out   # stacks dumped
        assert ac.get(a.sock, "/").body == b"hello"
    finally:
        a.close()


def test_max_requests_restarts_worker():
    a = Appd("--max-requests", "3", workers=1)
    try:
        first = a.worker_pids()
        with ac.Conn(a.sock) as c:
            for _ in range(3):
                assert c.request("GET", "/").status == 200
        wait_for(lambda: a.worker_pids() and not (a.worker_pids() & first), 10,
                 "the worker to be replaced")
        assert ac.get(a.sock, "/").body == b"hello"
    finally:
        a.close()


def test_hup_ttin_ttou():
    a = Appd(workers=2)
    try:
        old = a.worker_pids()
        a.proc.send_signal(signal.SIGHUP)        # reload: a fresh set of workers
        wait_for(lambda: len(a.worker_pids()) == 2 and not (a.worker_pids() & old), 10,
                 "two new workers after HUP")
        a.proc.send_signal(signal.SIGTTIN)
        wait_for(lambda: len(a.worker_pids()) == 3, 10, "a third worker after TTIN")
        conns = ac.connect_all(a.sock, 3)
        assert {c.hello["worker_count"] for c in conns.values()} == {3}
        assert {c.hello["worker_index"] for c in conns.values()} == {1, 2, 3}
        for c in conns.values():
            c.close()
        a.proc.send_signal(signal.SIGTTOU)
        wait_for(lambda: len(a.worker_pids()) == 2, 10, "two workers after TTOU")
        assert ac.get(a.sock, "/").body == b"hello"
    finally:
        a.close()


def test_graceful_term_finishes_inflight():
    a = Appd("--graceful-timeout", "10", workers=1)
    c = ac.Conn(a.sock)
    r = c.open_stream("GET", "/sleep", query="s=1")
    r.keep, r.unacked = True, 0
    time.sleep(0.2)   # let the request start in the app
    a.proc.send_signal(signal.SIGTERM)
    c.run(r, timeout=10)
    assert r.status == 200 and r.body == b"slept"
    assert c.drained is not None   # the worker announced DRAIN
    assert a.proc.wait(10) == 0
    assert not os.path.exists(a.sock)
    c.close()
    a.close()


# ---- start-up errors -------------------------------------------------------

def _start(args, timeout=5):
    t0 = time.monotonic()
    r = subprocess.run([APPD] + args, capture_output=True, timeout=timeout)
    lines = [l for l in r.stderr.decode().splitlines() if l.strip()]
    return r.returncode, lines[-1] if lines else "", time.monotonic() - t0


@pytest.mark.parametrize("preload", [[], ["--preload"]])
def test_startup_errors(tmp_path, preload):
    sock = "unix:%s/a.sock" % tmp_path
    base = ["--bind", sock, "--pythonpath", APPS, "-w", "2"] + preload
    rc, line, t = _start(base + ["nosuchmod:app"])
    assert rc == 4 and t < 5
    assert line == ("error: cannot import 'nosuchmod': ModuleNotFoundError: "
                    "No module named 'nosuchmod'"), line
    rc, line, t = _start(base + ["appd_app:nosuch"])
    assert rc == 4 and t < 5
    assert line == ("error: 'appd_app:nosuch' not found: module 'appd_app' has no attribute "
                    "'nosuch'"), line
    rc, line, t = _start(base + ["appd_app:CHUNK"])
    assert rc == 4 and "is not callable" in line and "int" in line
    assert not os.path.exists(str(tmp_path / "a.sock"))


def test_bind_errors(tmp_path, appd):
    rc, line, t = _start(["--bind", "unix:%s/missing/a.sock" % tmp_path, "appd_app:app"])
    assert rc == 1 and "No such file or directory" in line and "missing/a.sock" in line
    rc, line, t = _start(["--bind", "unix:" + appd.sock, "appd_app:app"])
    assert rc == 1 and "in use" in line and appd.sock in line


@pytest.mark.parametrize("args,needle", [
    (["--workers", "0", "a:b"], "workers (--workers): 0 is out of range"),
    (["-k", "meinheld", "a:b"], "'meinheld' is not a worker class (choose from sync, gthread"),
    (["-k", "tornado", "a:b"], "'tornado' is not supported (tandem runs no Tornado IOLoop"),
    (["-k", "eventlet", "a:b"], "Gunicorn 26 dropped eventlet: use gevent"),
    (["--no-such-flag", "a:b"], "--no-such-flag"),
    (["--timeout", "x", "a:b"], "timeout"),
    ([], "no application given"),
])
def test_usage_errors(args, needle):
    rc, line, t = _start(args)
    assert rc == 2 and needle in line and line.startswith("error: "), line


def test_web_concurrency(tmp_path):
    r = subprocess.run([APPD, "--print-config", "a:b"], capture_output=True,
                       env=dict(os.environ, WEB_CONCURRENCY="3"))
    assert re.search(rb"workers\s+= 3", r.stdout), r.stdout
    r = subprocess.run([APPD, "--print-config", "-w", "2", "a:b"], capture_output=True,
                       env=dict(os.environ, WEB_CONCURRENCY="3"))
    assert re.search(rb"workers\s+= 2", r.stdout), r.stdout
