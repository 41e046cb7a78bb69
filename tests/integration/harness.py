"""harness.py: starts tandem's daemons on ephemeral loopback ports for tests,
waits on conditions with bounds (never sleep-and-hope), stops them by PID."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import appd_client as ac
import daemon_logs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("TANDEM_BUILD_DIR") or (
    os.path.join(ROOT, "build") if os.path.isdir(os.path.join(ROOT, "build", "proxy")) else ROOT)
PROXY = os.path.join(BUILD, "proxy", "tandem-proxy")
APPD = os.path.join(BUILD, "appd", "tandem-appd")
FRONT = os.path.join(BUILD, "front", "tandem")
APPS = os.path.join(ROOT, "tests", "integration", "apps")


def wait_for(cond, timeout, what, interval=0.02):
    """Polls cond() until true or timeout seconds pass; fails naming what."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def can_connect(addr):
    family = socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        try:
            s.connect(addr)
            return True
        except OSError:
            return False


def rss_kib(pid):
    """Resident set size of pid in KiB (VmRSS) and its peak (VmHWM)."""
    rss = hwm = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _log_files(argv):
    """The files argv sends the daemon's log to besides stderr."""
    paths = []
    for i, arg in enumerate(argv):
        for flag in ("--error-logfile", "--log-file"):
            if arg == flag and i + 1 < len(argv):
                paths.append(argv[i + 1])
            elif arg.startswith(flag + "="):
                paths.append(arg[len(flag) + 1:])
    return [p for p in paths if p != "-"]


class Daemon:
    """One process with its stderr captured to a file for assertions."""

    def __init__(self, argv, env=None, cwd=None, notify=True):
        self.argv = argv
        self.log = tempfile.NamedTemporaryFile(prefix="tandem-test-", suffix=".log", delete=False)
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.notify = None
        if notify:
            # The daemons say READY=1 (sd_notify) once they serve: the one
            # condition that means "workers booted" / "listening".
            self.notify_path = self.log.name + ".notify"
            self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.notify.bind(self.notify_path)
            self.notify.setblocking(False)
            full_env["NOTIFY_SOCKET"] = self.notify_path
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=full_env, cwd=cwd or ROOT, start_new_session=True)
        self.pid = self.proc.pid
        for path in [self.log.name] + _log_files(argv):
            daemon_logs.watch(self, path, Daemon._describe)

    def _describe(self):
        return daemon_logs.describe_process(os.path.basename(self.argv[0]), self.proc)

    def output(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def wait_ready(self, timeout):
        """Waits for READY=1 or the process's exit; True when ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive():
            try:
                if b"READY=1" in self.notify.recv(4096):
                    return True
            except BlockingIOError:
                time.sleep(0.02)
        return False

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(5)
        daemon_logs.forget(self)
        os.unlink(self.log.name)
        if self.notify is not None:
            self.notify.close()
            os.unlink(self.notify_path)
            self.notify = None
        return self.proc.returncode


class Stack:
    """tandem-appd + tandem-proxy on a private Unix socket and a free port."""

    def __init__(self, app="probe:app", workers=2, appd_args=(), proxy_args=(), tls=None,
                 env=None, pythonpath=APPS):
        self.tmp = tempfile.mkdtemp(prefix="tandem-it-")
        self.sock = os.path.join(self.tmp, "app.sock")
        self.port = free_port()
        self.tls = tls
        env = dict(env or {})
        self.appd = Daemon([APPD, "--bind", "unix:" + self.sock, "-w", str(workers),
                            "--pythonpath", pythonpath] + list(appd_args) + [app], env=env)
        try:
            assert self.appd.wait_ready(60), "appd not ready:\n" + self.appd.output()
            argv = [PROXY, "--bind", "127.0.0.1:%d" % self.port, "--upstream", "unix:" + self.sock]
            if tls:
                argv += ["--certfile", tls[0], "--keyfile", tls[1]]
            self.proxy = Daemon(argv + list(proxy_args))
            assert self.proxy.wait_ready(30), "proxy not ready:\n" + self.proxy.output()
        except BaseException:
            self.close()
            raise

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def worker_pids(self):
        return children(self.appd.pid)

    def close(self):
        for d in (getattr(self, "proxy", None), self.appd):
            if d is not None:
                d.stop()
        for name in os.listdir(self.tmp):
            try:
                os.unlink(os.path.join(self.tmp, name))
            except OSError:
                pass
        os.rmdir(self.tmp)


class AppdFromSource:
    """tandem-appd serving src_app:app, written from source into tmp_path,
    with its log in a file; stopped by PID.  The app may wait in import for
    the file self.go ($TANDEM_TEST_GO) so that the test decides when the
    workers finish booting."""

    def __init__(self, tmp_path, src, workers, *args):
        (tmp_path / "src_app.py").write_text(src)
        self.go = str(tmp_path / "go")
        self.sock = str(tmp_path / "app.sock")
        self.log = str(tmp_path / "err.log")
        env = dict(os.environ, TANDEM_TEST_GO=self.go)
        # stderr to a file too: a sanitizer's report goes there, not to the log.
        stderr_path = str(tmp_path / "stderr.log")
        with open(stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                [APPD, "--bind", "unix:" + self.sock, "-w", str(workers), "--pythonpath",
                 "%s,%s" % (tmp_path, APPS), "--error-logfile", self.log] + list(args)
                + ["src_app:app"], stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        watch_appd_logs(self, self.log, stderr_path)

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
        daemon_logs.forget(self)


def watch_appd_logs(owner, *paths):
    """Registers the log files of a tandem-appd that owner.proc runs."""
    for path in paths:
        daemon_logs.watch(owner, path, _describe_appd)


def _describe_appd(owner):
    return daemon_logs.describe_process("tandem-appd", owner.proc)


class Detached:
    """A daemon that detached itself (-D): its log file stays in the failing
    test's report from here until forget()."""

    def __init__(self, name, log):
        self.name = name
        daemon_logs.watch(self, log, lambda me: "%s (detached)" % me.name)

    def forget(self):
        daemon_logs.forget(self)


def run(argv, timeout=60, input=None, check=True):
    r = subprocess.run(argv, capture_output=True, timeout=timeout, input=input)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (argv[0], r.returncode,
                                                     r.stderr.decode(errors="replace")))
    return r


def curl(*args, timeout=60, input=None, check=True):
    return run(["curl", "-sS", "-k", "--max-time", str(timeout)] + list(args), timeout=timeout + 5,
               input=input, check=check)


PYTHON = "/usr/bin/python3"
assert sys.executable.startswith("/usr/bin/python3"), "run the tests with Debian's /usr/bin/python3"
