"""test_appd_hooks.py: Gunicorn's server hooks from a config file.  Each hook
writes a line to a file, which proves it ran, in which process, and with
which arguments; then what a hook that raises does (fatal where Gunicorn's
is, logged where it is not), and the one hook tandem refuses."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import appd_client as ac
import daemon_logs
from harness import (APPD, APPS, PROXY, Stack, can_connect, children, curl, wait_for,
                     watch_appd_logs)

HOOKS = r'''
import os
_LOG = os.environ["HOOKLOG"]


def _w(*parts):
    with open(_LOG, "a") as f:
        f.write(" ".join(str(p) for p in parts) + "\n")


def on_starting(server):
    _w("on_starting", os.getpid(), server.pid, server.num_workers, server.cfg.workers,
       server.cfg.timeout, len(server.WORKERS))
    server.log.info("on_starting: %s through server.log", "logged")


def nworkers_changed(server, new_value, old_value):
    _w("nworkers_changed", os.getpid(), new_value, old_value, server.num_workers)


def when_ready(server):
    _w("when_ready", os.getpid(), server.pid, str(server.LISTENERS[0]).startswith("unix:"))


def pre_fork(server, worker):
    _w("pre_fork", os.getpid(), worker.age, worker.pid, worker.ppid, worker.index)


def post_fork(server, worker):
    _w("post_fork", os.getpid(), worker.pid, worker.ppid, worker.age, worker.alive,
       worker.pid in server.WORKERS)


def post_worker_init(worker):
    _w("post_worker_init", os.getpid(), worker.pid, callable(worker.wsgi), worker.cfg.workers,
       worker.booted)


def pre_request(worker, req):
    req.seen_by_pre = "yes"
    _w("pre_request", os.getpid(), worker.pid, req.method, req.uri, req.path, req.query,
       "%d.%d" % req.version, dict(req.headers).get("X-HOOK"))


def post_request(worker, req, environ, resp):
    _w("post_request", os.getpid(), req.seen_by_pre, req.method, environ.get("PATH_INFO"),
       resp.status_code, resp.status.replace(" ", "_"), resp.sent,
       dict(resp.headers).get("Content-Length"))


def worker_int(worker):
    _w("worker_int", os.getpid(), worker.pid)


def worker_abort(worker):
    _w("worker_abort", os.getpid(), worker.pid, worker.aborted)


def worker_exit(server, worker):
    _w("worker_exit", os.getpid(), worker.pid, server.pid)


def child_exit(server, worker):
    _w("child_exit", os.getpid(), worker.pid, worker.pid in server.WORKERS, worker.alive)


def on_reload(server):
    _w("on_reload", os.getpid(), server.cfg.workers, server.num_workers)


def on_exit(server):
    _w("on_exit", os.getpid(), len(server.WORKERS))
'''


def sanitizer_env(args):
    """greenlet switches stacks by copying raw stack slices, ASan's redzones
    included: under the sanitizers the gevent worker runs with memcpy
    unchecked, as in test_gevent.py (every other check stays on)."""
    if os.environ.get("TANDEM_SANITIZED") and "gevent" in args:
        return {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":replace_intrin=0"}
    return {}


class Hooked:
    """tandem-appd with a config file of hooks; HOOKLOG collects their lines."""

    def __init__(self, *args, conf=HOOKS, workers=2, wait=True, extra="", env=None,
                 app="appd_app:app"):
        self.tmp = tempfile.mkdtemp(prefix="tandem-hooks-")
        self.sock = os.path.join(self.tmp, "app.sock")
        self.log = os.path.join(self.tmp, "err.log")
        self.hooklog = os.path.join(self.tmp, "hooks.log")
        self.conf = os.path.join(self.tmp, "gunicorn.conf.py")
        with open(self.conf, "w") as f:
            f.write(conf + extra)
        full_env = dict(os.environ, HOOKLOG=self.hooklog)
        full_env.update(sanitizer_env(args))
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [APPD, "-c", self.conf, "--bind", "unix:" + self.sock, "--pythonpath", APPS,
             "--error-logfile", self.log] + (["-w", str(workers)] if workers else [])
            + list(args) + [app],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env)
        self.pid = self.proc.pid
        watch_appd_logs(self, self.log)   # some tests read stderr: it stays a pipe
        if wait:
            try:
                wait_for(lambda: can_connect(self.sock) or self.proc.poll() is not None, 20,
                         "appd socket")
                assert self.proc.poll() is None, self.output()
                for c in ac.connect_all(self.sock, workers or 1).values():
                    c.close()
            except BaseException:
                self.close()
                raise

    def output(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def lines(self, name=None):
        """[(hook, [fields...]), ...] in order, or the fields of one hook's lines."""
        try:
            with open(self.hooklog) as f:
                rows = [line.split() for line in f if line.strip()]
        except OSError:
            rows = []
        if name is None:
            return [(r[0], r[1:]) for r in rows]
        return [r[1:] for r in rows if r[0] == name]

    def order(self):
        return [name for name, _ in self.lines()]

    def wait_lines(self, name, n, timeout=15):
        return wait_for(lambda: len(self.lines(name)) >= n and self.lines(name), timeout,
                        "%d %s line(s)" % (n, name))

    def worker_pids(self):
        return set(children(self.pid))

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout)
        return self.proc.returncode

    def close(self):
        # Workers outlive a killed master for a moment and may still write
        # their hook lines: stop them too before the directory goes.
        kids = self.worker_pids() if self.proc.poll() is None else set()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_for(lambda: not any(os.path.exists("/proc/%d" % p) and
                                 not _zombie(p) for p in kids), 10, "the workers to exit")
        self.proc.stdout.close()
        self.proc.stderr.close()
        daemon_logs.forget(self)
        shutil.rmtree(self.tmp)


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.fixture
def hooked():
    made = []

    def make(*args, **kw):
        h = Hooked(*args, **kw)
        made.append(h)
        return h
    yield make
    for h in made:
        h.close()


def test_master_and_worker_hooks_at_start_and_stop(hooked):
    h = hooked()
    master = str(h.pid)
    workers = {str(p) for p in h.worker_pids()}
    assert len(workers) == 2
    # Gunicorn's order at start: the worker count is set, on_starting, the
    # socket and when_ready, then a pre_fork / post_fork per worker.
    order = h.order()
    assert order[:3] == ["nworkers_changed", "on_starting", "when_ready"], order
    assert h.lines("nworkers_changed") == [[master, "2", "None", "2"]]
    assert h.lines("on_starting") == [[master, master, "2", "2", "30", "0"]]
    assert h.lines("when_ready") == [[master, master, "True"]]
    pre = h.lines("pre_fork")
    assert sorted(p[1] for p in pre) == ["1", "2"]                  # worker.age
    assert all(p[0] == master and p[2] == "None" and p[3] == master for p in pre)
    assert sorted(p[4] for p in pre) == ["1", "2"]                  # worker.index
    post = h.wait_lines("post_fork", 2)
    for p in post:
        assert p[0] == p[1] and p[0] in workers     # worker.pid is the child's own pid
        assert p[2] == master and p[4] == "True"    # ppid, alive
    init = h.wait_lines("post_worker_init", 2)
    assert {i[0] for i in init} == workers
    assert all(i[1] == i[0] and i[2] == "True" and i[3] == "2" and i[4] == "False" for i in init)
    assert "on_starting: logged through server.log" in h.output()

    assert h.stop(signal.SIGTERM) == 0
    exits = h.lines("worker_exit")
    assert sorted(e[0] for e in exits) == sorted(workers)
    assert all(e[1] == e[0] and e[2] == master for e in exits)
    children_exit = h.lines("child_exit")
    assert sorted(c[1] for c in children_exit) == sorted(workers)
    assert all(c[0] == master and c[2] == "False" and c[3] == "False" for c in children_exit)
    assert h.order()[-1] == "on_exit" and h.lines("on_exit") == [[master, "0"]]


def test_request_hooks_around_each_request(hooked):
    h = hooked(workers=1)
    worker = str(next(iter(h.worker_pids())))
    with ac.Conn(h.sock) as c:
        r = c.request("GET", "/", headers=[(b"x-hook", b"on")], query="a=1&b=2")
        assert r.status == 200 and r.body == b"hello"
        r = c.request("GET", "/error")
        assert r.status == 500
    pre = h.wait_lines("pre_request", 2)
    assert pre[0] == [worker, worker, "GET", "/?a=1&b=2", "/", "a=1&b=2", "1.1", "on"]
    assert pre[1][:5] == [worker, worker, "GET", "/error", "/error"]
    post = h.wait_lines("post_request", 2)
    assert post[0] == [worker, "yes", "GET", "/", "200", "200_OK", "5", "5"]
    assert post[1][:6] == [worker, "yes", "GET", "/error", "500", "500_Internal_Server_Error"]



FRONT_HOOKS = r"""
import os


def _w(*parts):
    with open(os.environ["HOOKLOG"], "a") as f:
        f.write(" ".join(str(p) for p in parts) + "\n")


def pre_request(worker, req):
    _w("pre_request", req.scheme, req.remote_addr[0], req.peer_addr[0])


def post_request(worker, req, environ, resp):
    _w("post_request", req.scheme, req.remote_addr[0], environ["wsgi.url_scheme"],
       environ["REMOTE_ADDR"])
"""


@pytest.mark.parametrize("trusted", [True, False])
def test_request_hooks_see_the_scheme_and_client_the_proxy_decided(tmp_path, trusted):
    # Through tandem-proxy: a trusted front's X-Forwarded-Proto and -For are
    # req's scheme and client, as they are the environ's; an untrusted
    # peer's are plain headers.
    conf, hooklog = tmp_path / "gunicorn.conf.py", tmp_path / "hooks.log"
    conf.write_text(FRONT_HOOKS)
    s = Stack(workers=1, appd_args=["-c", str(conf)], env={"HOOKLOG": str(hooklog)},
              proxy_args=[] if trusted else ["--forwarded-allow-ips", "192.0.2.1"])
    try:
        r = curl("-H", "X-Forwarded-Proto: https", "-H", "X-Forwarded-For: 203.0.113.9",
                 s.url + "/")
        assert r.stdout == b"hello"
        lines = wait_for(lambda: hooklog.exists() and len(hooklog.read_text().splitlines()) == 2
                         and hooklog.read_text().splitlines(), 15, "the request hooks' lines")
    finally:
        s.close()
    scheme, client = ("https", "203.0.113.9") if trusted else ("http", "127.0.0.1")
    assert lines == ["pre_request %s %s %s" % (scheme, client, client),
                     "post_request %s %s %s %s" % (scheme, client, scheme, client)]


REQUEST_HOOKS = r'''
import os


def _w(*parts):
    with open(os.environ["HOOKLOG"], "a") as f:
        f.write(" ".join(str(p) for p in parts) + "\n")


def pre_request(worker, req):
    _w("pre_request", os.getpid(), req.method, req.path, req.query)


def post_request(worker, req, environ, resp):
    # WSGI's environ, or the ASGI scope
    where = environ.get("PATH_INFO") or environ.get("path")
    _w("post_request", os.getpid(), req.path, where, resp.status_code, resp.sent)
'''


@pytest.mark.parametrize("cls,app,path,body", [
    ("asgi", "asgi_probe:app", "/", b"hello"),
    ("gevent", "gevent_app:app", "/gsleep", b"slept"),
])
def test_request_hooks_in_every_worker_class(hooked, cls, app, path, body):
    h = hooked("-k", cls, conf=REQUEST_HOOKS, workers=1, app=app)
    worker = str(next(iter(h.worker_pids())))
    r = ac.get(h.sock, path, query="s=0")
    assert (r.status, r.body) == (200, body)
    assert h.wait_lines("pre_request", 1) == [[worker, "GET", path, "s=0"]]
    assert h.wait_lines("post_request", 1) == [[worker, path, path, "200", str(len(body))]]


def test_ttin_ttou_call_nworkers_changed(hooked):
    h = hooked()
    h.proc.send_signal(signal.SIGTTIN)
    wait_for(lambda: len(h.worker_pids()) == 3, 15, "a third worker after TTIN")
    h.proc.send_signal(signal.SIGTTOU)
    wait_for(lambda: len(h.worker_pids()) == 2, 15, "two workers after TTOU")
    master = str(h.pid)
    assert h.lines("nworkers_changed") == [[master, "2", "None", "2"], [master, "3", "2", "3"],
                                           [master, "2", "3", "2"]]
    assert [p[1] for p in h.lines("pre_fork")] == ["1", "2", "3"]


def test_hup_reloads_the_file_and_calls_on_reload(hooked):
    h = hooked(workers=None, extra="\nworkers = 2\n")
    old = h.worker_pids()
    with open(h.conf, "a") as f:
        f.write("\nworkers = 3\n")
    h.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: len(h.worker_pids()) == 3 and not (h.worker_pids() & old), 20,
             "three new workers after HUP")
    master = str(h.pid)
    assert h.lines("on_reload") == [[master, "3", "3"]]
    assert h.lines("nworkers_changed")[-1] == [master, "3", "2", "3"]
    # The old workers went after their replacements were ready.
    wait_for(lambda: len(h.lines("child_exit")) >= 2, 15, "the old workers' child_exit")
    assert {c[1] for c in h.lines("child_exit")} == {str(p) for p in old}


@pytest.mark.parametrize("cls,app", [("sync", "appd_app:app"), ("asgi", "asgi_probe:app"),
                                     ("gevent", "gevent_app:app")])
def test_quit_calls_worker_int_then_worker_exit(hooked, cls, app):
    h = hooked("-k", cls, app=app)
    workers = {str(p) for p in h.worker_pids()}
    assert h.stop(signal.SIGQUIT) == 0
    ints = h.lines("worker_int")
    assert sorted(i[0] for i in ints) == sorted(workers)
    assert all(i[1] == i[0] for i in ints)
    assert sorted(e[0] for e in h.lines("worker_exit")) == sorted(workers)
    # worker_int comes before that worker's worker_exit.
    for w in workers:
        mine = [n for n, f in h.lines() if n in ("worker_int", "worker_exit") and f[0] == w]
        assert mine == ["worker_int", "worker_exit"]


def test_timeout_calls_worker_abort_and_the_stacks_are_logged(hooked):
    h = hooked("-t", "1", workers=1)
    worker = str(next(iter(h.worker_pids())))
    with pytest.raises((ConnectionError, OSError)):
        ac.get(h.sock, "/sleep", query="s=30", timeout=20)
    ab = h.wait_lines("worker_abort", 1)
    assert ab == [[worker, worker, "True"]]
    assert [worker, worker, str(h.pid)] in h.wait_lines("worker_exit", 1)
    wait_for(lambda: "was sent SIGABRT" in h.output(), 10, "the master to reap the worker")
    out = h.output()
    assert "WORKER TIMEOUT (pid:%s)" % worker in out
    assert 'appd_app.py", line' in out      # the app thread's stack, as without the hook


FAILING = [
    # (hook, exit status, what the error says)
    ("on_starting", 1, "error: on_starting hook: RuntimeError: boom"),
    ("when_ready", 1, "error: when_ready hook: RuntimeError: boom"),
    ("nworkers_changed", 1, "error: nworkers_changed hook: RuntimeError: boom"),
    ("pre_fork", 1, "error: pre_fork hook: RuntimeError: boom"),
    ("post_fork", 3, "error: a worker failed to boot"),
    ("post_worker_init", 3, "error: a worker failed to boot"),
]


@pytest.mark.parametrize("hook,status,needle", FAILING, ids=[f[0] for f in FAILING])
def test_fatal_hooks_stop_appd(hooked, hook, status, needle):
    args = "server, worker" if hook in ("pre_fork", "post_fork") else \
        "worker" if hook == "post_worker_init" else \
        "server, new, old" if hook == "nworkers_changed" else "server"
    conf = "def %s(%s):\n    raise RuntimeError('boom')\n" % (hook, args)
    h = hooked(conf=conf, wait=False)
    assert h.proc.wait(30) == status
    err = h.proc.stderr.read().decode()
    assert needle in err, err
    out = h.output()
    assert "Exception in %s hook" % hook in out and "RuntimeError: boom" in out
    assert 'line 2, in %s' % hook in out     # the traceback names the hook's line


@pytest.mark.parametrize("cls,app", [("sync", "appd_app:app"), ("asgi", "asgi_probe:app")])
def test_pre_request_raising_answers_500_and_post_request_sees_no_response(hooked, cls, app):
    conf = HOOKS + '''
def pre_request(worker, req):
    if req.path == "/refuse":
        raise PermissionError("refused by pre_request")
    req.seen_by_pre = "yes"


def post_request(worker, req, environ, resp):
    _w("post_request", req.path, resp is None, len(environ))
'''
    h = hooked("-k", cls, conf=conf, workers=1, app=app)
    with ac.Conn(h.sock) as c:
        assert c.request("GET", "/refuse").status == 500
        assert c.request("GET", "/").status == 200      # the worker serves on
    assert h.wait_lines("post_request", 2)[0] == ["/refuse", "True", "0"]
    assert h.lines("post_request")[1][:2] == ["/", "False"]
    out = h.output()
    assert "pre_request hook" in out and "PermissionError: refused by pre_request" in out


def test_post_request_and_worker_exit_raising_are_only_logged(hooked):
    conf = '''
def post_request(worker, req, environ, resp):
    raise ValueError("post_request failed")


def worker_exit(server, worker):
    raise ValueError("worker_exit failed")
'''
    h = hooked(conf=conf, workers=1)
    assert ac.get(h.sock, "/").body == b"hello"
    wait_for(lambda: "ValueError: post_request failed" in h.output(), 10, "the traceback")
    assert "Exception in post_request hook" in h.output()
    assert h.stop(signal.SIGTERM) == 0
    out = h.output()
    assert "[WARNING] Exception in worker_exit hook" in out
    assert "ValueError: worker_exit failed" in out


def test_child_exit_raising_stops_appd_as_gunicorn_does(hooked):
    conf = "def child_exit(server, worker):\n    raise RuntimeError('child_exit failed')\n"
    h = hooked(conf=conf, workers=2)
    victim = next(iter(h.worker_pids()))
    os.kill(victim, signal.SIGKILL)
    assert h.proc.wait(30) == 1
    assert "error: child_exit hook: RuntimeError: child_exit failed" in h.proc.stderr.read().decode()


def test_hooks_see_the_settings_by_attribute(hooked):
    conf = '''
import os
workers = 2
timeout = 17
keepalive = 9
max_requests = 100

def on_starting(server):
    with open(os.environ["HOOKLOG"], "a") as f:
        f.write("cfg %s %s %s %s %s %r\\n" % (server.cfg.workers, server.cfg.timeout,
                server.cfg.keepalive, server.cfg.max_requests, server.cfg.worker_class,
                server.cfg.bind))
    try:
        server.cfg.no_such_setting
    except AttributeError as e:
        with open(os.environ["HOOKLOG"], "a") as f:
            f.write("missing %s\\n" % ("no_such_setting" in str(e)))
'''
    h = hooked(conf=conf)
    assert h.lines("cfg") == [["2", "17", "9", "100", "sync", "['unix:%s']" % h.sock]]
    assert h.lines("missing") == [["True"]]


@pytest.mark.parametrize("daemon", ["appd", "proxy"])
def test_ssl_context_is_refused_with_the_reason(tmp_path, daemon):
    conf = tmp_path / "gunicorn.conf.py"
    if daemon == "appd":
        conf.write_text("workers = 2\n\ndef ssl_context(conf, default_ssl_context_factory):\n"
                        "    return default_ssl_context_factory()\n")
        argv = [APPD, "-c", str(conf), "--bind", "unix:%s" % (tmp_path / "s"), "appd_app:app"]
    else:
        # The proxy reads no function bodies; an assignment it sees.
        conf.write_text("workers = 2\n\nssl_context = lambda conf, factory: factory()\n")
        argv = [PROXY, "-c", str(conf), "--upstream", "unix:/nonexistent"]
    r = subprocess.run(argv, capture_output=True, timeout=30)
    assert r.returncode == 2
    err = r.stderr.decode()
    assert "gunicorn.conf.py:3: ssl_context: tandem-proxy does TLS in C" in err, err


def test_usr2_calls_pre_exec_in_the_child_before_it_executes(hooked):
    conf = HOOKS + '''
def pre_exec(server):
    _w("pre_exec", os.getpid(), server.pid, os.getppid())
'''
    h = hooked(conf=conf)
    h.proc.send_signal(signal.SIGUSR2)
    pre = h.wait_lines("pre_exec", 1)
    new = int(pre[0][0])
    try:
        assert pre == [[str(new), str(h.pid), str(h.pid)]]   # the fork of this master
        # The new master runs the file's hooks too, knowing its parent.
        wait_for(lambda: [l for l in h.lines("on_starting") if l[0] == str(new)], 30,
                 "the new master's on_starting")
    finally:
        os.kill(new, signal.SIGQUIT)
        wait_for(lambda: not os.path.exists("/proc/%d" % new) or
                 open("/proc/%d/stat" % new).read().split()[2] == "Z", 30, "the new master")
