"""test_appd_signals.py: tandem-appd's signals as an operator uses them:
HUP reloads the config file and the app with no failed request (h2load
through the proxy across two reloads), a broken file changes nothing,
settings that cannot change are named; USR1 reopens the log; TERM is
graceful within graceful_timeout, INT and QUIT are quick; WINCH is ignored."""
import os
import re
import signal
import subprocess
import time

import pytest

import appd_client as ac
import daemon_logs
from harness import APPD, APPS, Stack, can_connect, children, wait_for, watch_appd_logs


def replaced(pid, old, n):
    """The master's workers are n and none of old."""
    now = set(children(pid))
    return len(now) == n and not (now & old)


def h2load_across_hups(s, argv, hups, replace_bound, end_bound, what):
    """Runs h2load argv while appd is sent hups HUPs, each checked to have
    replaced both workers within replace_bound s while h2load still ran;
    h2load must end within end_bound s.  (output, (total, done, succeeded,
    failed, errored))."""
    load = subprocess.Popen(["h2load"] + argv, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        for _ in range(hups):
            wait_for(lambda: os.path.exists("/proc/%d" % load.pid), 5, "h2load")
            old = set(s.worker_pids())
            os.kill(s.appd.pid, signal.SIGHUP)
            wait_for(lambda: replaced(s.appd.pid, old, 2), replace_bound, "the workers replaced")
        assert load.poll() is None, "h2load ended before the last reload: " + what
        out = load.communicate(timeout=end_bound)[0].decode()
    finally:
        if load.poll() is None:
            load.kill()
            load.wait()
    m = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored", out)
    assert m, out
    return out, tuple(map(int, m.groups()))


def test_hup_twice_under_h2load_fails_no_request(certs):
    # Every request spends a little time in the app, so the run outlasts two
    # reloads on any machine; the reloads are checked to have happened while
    # h2load ran, or the test would prove nothing.
    s = Stack(workers=2, tls=certs)
    try:
        n = 4000
        out, counts = h2load_across_hups(
            s, ["-n", str(n), "-c", "4", "-m", "4", s.url + "/sleep?s=0.004"], 2, 60, 300,
            "make n larger")
        assert counts == (n, n, n, 0, 0), out
        assert "status codes: %d 2xx" % n in out, out
        assert s.appd.output().count("Hang up: Master") == 2
    finally:
        s.close()


def test_hup_at_full_rate_loses_no_stream_to_a_closing_worker(certs):
    # Without a pause in the app, heads reach a worker in the instant it
    # drains; the worker must not close on a head still in its socket (the
    # proxy would log the connection "lost" and retry or fail the stream).
    # h2load runs for a duration, so in-flight requests at its end are not
    # failures, and the reloads are checked to happen inside it.
    s = Stack(workers=2, tls=certs, appd_args=["-k", "gthread", "--threads", "4"])
    try:
        out, (total, done, ok, failed, errored) = h2load_across_hups(
            s, ["-D", "20", "-c", "8", "-m", "10", s.url + "/"], 3, 15, 120,
            "make -D longer")
        assert total > 0 and (done, ok, failed, errored) == (total, total, 0, 0), out
        # In a timed run h2load may count the status of a request still in
        # flight at the end, so 2xx can exceed the total by a few.
        codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
        assert codes, out
        assert int(codes.group(1)) >= total and codes.groups()[1:] == ("0", "0", "0"), out
        assert " lost (" not in s.proxy.output(), s.proxy.output()
    finally:
        s.close()


class ConfAppd:
    """tandem-appd with a config file the test rewrites between reloads."""

    def __init__(self, tmp_path, conf, *args):
        self.conf = tmp_path / "gunicorn.conf.py"
        self.conf.write_text(conf)
        self.sock = str(tmp_path / "app.sock")
        self.log = str(tmp_path / "err.log")
        stderr_path = str(tmp_path / "stderr.log")   # where a sanitizer reports
        with open(stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                [APPD, "-c", str(self.conf), "--bind", "unix:" + self.sock, "--pythonpath", APPS,
                 "--error-logfile", self.log] + list(args) + ["appd_app:app"],
                stdout=subprocess.DEVNULL, stderr=stderr)
        watch_appd_logs(self, self.log, stderr_path)
        wait_for(lambda: can_connect(self.sock) or self.proc.poll() is not None, 20, "appd")
        assert self.proc.poll() is None, self.output()

    def output(self):
        with open(self.log) as f:
            return f.read()

    def workers(self):
        return set(children(self.proc.pid))

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            self.proc.wait(20)
        daemon_logs.forget(self)


@pytest.fixture
def conf_appd(tmp_path):
    made = []

    def make(conf, *args):
        a = ConfAppd(tmp_path, conf, *args)
        made.append(a)
        return a
    yield make
    for a in made:
        a.close()


def test_hup_applies_the_file_and_names_what_cannot_change(conf_appd, tmp_path):
    a = conf_appd("workers = 2\ntimeout = 30\n")
    wait_for(lambda: len(a.workers()) == 2, 20, "two workers")
    old = a.workers()
    a.conf.write_text("workers = 3\ntimeout = 5\nchdir = %r\nloglevel = 'debug'\n"
                      % str(tmp_path))
    a.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: replaced(a.proc.pid, old, 3), 30, "three new workers")
    out = a.output()
    assert "Reload: chdir cannot change while tandem-appd runs" in out, out
    assert ac.get(a.sock, "/").body == b"hello"
    # The new log level applies at once: the hand-off is logged at debug.
    wait_for(lambda: "[DEBUG] connection handed to worker" in a.output(), 10, "a debug line")


def test_hup_with_a_broken_file_keeps_everything(conf_appd):
    a = conf_appd("workers = 2\n")
    wait_for(lambda: len(a.workers()) == 2, 20, "two workers")
    old = a.workers()
    a.conf.write_text("workers = (\n")
    a.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "Reload failed" in a.output(), 20, "the reload to fail")
    assert "gunicorn.conf.py:1: SyntaxError" in a.output()
    assert a.workers() == old and a.proc.poll() is None
    assert ac.get(a.sock, "/").body == b"hello"
    a.conf.write_text("workers = 1\n")         # fixed: the next HUP applies it
    a.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: replaced(a.proc.pid, old, 1), 30, "one new worker")


def test_usr1_reopens_the_log_in_master_and_workers(conf_appd, tmp_path):
    a = conf_appd("workers = 2\n")
    wait_for(lambda: len(a.workers()) == 2, 20, "two workers")
    for c in ac.connect_all(a.sock, 2).values():
        c.close()
    os.rename(a.log, a.log + ".1")           # logrotate's move
    a.proc.send_signal(signal.SIGUSR1)
    wait_for(lambda: os.path.exists(a.log), 10, "a new log file")
    wait_for(lambda: "Handling signal: usr1" in open(a.log + ".1").read(), 10, "the old log")
    # Both the master and a worker write to the new file now.
    a.proc.send_signal(signal.SIGTTOU)
    wait_for(lambda: "Handling signal: ttou" in a.output(), 10, "the master's line")
    wait_for(lambda: "Worker exiting" in a.output(), 10, "a worker's line")


def test_term_is_graceful_within_graceful_timeout(conf_appd):
    a = conf_appd("workers = 1\ngraceful_timeout = 2\n")
    c = next(iter(ac.connect_all(a.sock, 1).values()))     # the worker serves
    r = c.open_stream("GET", "/sleep", query="s=60")
    r.keep, r.unacked = True, 0
    time.sleep(0.5)   # the request is in the app
    a.proc.send_signal(signal.SIGTERM)
    assert a.proc.wait(30) == 0      # well before the request's 60 s
    # The worker gives up the request at the deadline, or the master kills it
    # then, whichever comes first.
    out = a.output()
    assert ("graceful timeout: abandoning 1 request(s)" in out
            or "killed: it did not stop in time" in out), out
    c.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGQUIT])
def test_int_and_quit_stop_at_once(conf_appd, sig):
    a = conf_appd("workers = 1\ngraceful_timeout = 60\n")
    c = next(iter(ac.connect_all(a.sock, 1).values()))
    r = c.open_stream("GET", "/sleep", query="s=60")
    r.keep, r.unacked = True, 0
    time.sleep(0.3)
    a.proc.send_signal(sig)
    assert a.proc.wait(30) == 0      # not the 60 s of either
    c.close()


def test_winch_is_ignored(conf_appd):
    a = conf_appd("workers = 2\n")
    wait_for(lambda: len(a.workers()) == 2, 20, "two workers")
    old = a.workers()
    a.proc.send_signal(signal.SIGWINCH)
    wait_for(lambda: "Handling signal: winch" in a.output(), 10, "the master to see it")
    assert a.workers() == old and a.proc.poll() is None
    assert ac.get(a.sock, "/").body == b"hello"


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def _new_master(old):
    """The master USR2 started: the old master's child that has workers."""
    for pid in children(old):
        if children(pid):
            return pid
    return None


def test_usr2_starts_a_new_master_and_term_to_the_old_one_promotes_it(conf_appd, tmp_path):
    pidfile = str(tmp_path / "appd.pid")
    a = conf_appd("workers = 2\n", "--pid", pidfile)
    wait_for(lambda: len(a.workers()) == 2, 20, "two workers")
    old_workers = a.workers()
    a.proc.send_signal(signal.SIGUSR2)
    new = wait_for(lambda: _new_master(a.proc.pid), 30, "the new master and its workers")
    try:
        wait_for(lambda: len(children(new)) == 2, 30, "the new master's two workers")
        assert open(pidfile + ".2").read().strip() == str(new)
        assert open(pidfile).read().strip() == str(a.proc.pid)
        # Both serve: the old workers are still there, and dialing reaches
        # the new master's workers too (the socket is shared).
        assert old_workers <= set(children(a.proc.pid))
        new_workers = set(children(new))

        def reaches_new():
            with ac.Conn(a.sock) as c:
                return c.pid in new_workers
        # Which master accepts is the kernel's choice, once the new workers
        # are ready: some connection gets there.
        wait_for(reaches_new, 30, "a connection to the new master's workers")
        # A second USR2 is refused while a new master runs.
        a.proc.send_signal(signal.SIGUSR2)
        wait_for(lambda: "USR2 ignored: a new master" in a.output(), 10, "the refusal")

        a.proc.send_signal(signal.SIGTERM)       # the old master goes...
        assert a.proc.wait(30) == 0
        wait_for(lambda: "Master has been promoted" in a.output(), 10, "the promotion")
        assert os.path.exists(a.sock)           # ...and leaves the socket to the new one
        wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip() == str(new),
                 10, "the pid file taken over")
        assert not os.path.exists(pidfile + ".2")
        assert ac.get(a.sock, "/").body == b"hello"
    finally:
        if _alive(new):
            os.kill(new, signal.SIGTERM)
            wait_for(lambda: not _alive(new), 30, "the new master to stop")
    assert not os.path.exists(a.sock)           # promoted, it removes its socket file
    assert not os.path.exists(pidfile)
