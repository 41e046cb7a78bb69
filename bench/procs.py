"""procs.py: the processes a bench run starts: each server is started with its
output in a log file, waited for with a real HTTPS request, measured (RSS of
its whole process tree) and stopped by PID -- never by name."""
import http.client
import os
import resource
import signal
import socket
import ssl
import subprocess
import time

NOFILE_WANTED = 65536


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_nofile():
    """Raises RLIMIT_NOFILE (inherited by every server and the holder) as far
    as the machine allows; returns a sentence saying what it got."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    before = (soft, hard)
    want = max(NOFILE_WANTED, soft)
    if hard < want:
        try:  # root may raise the hard limit up to fs.nr_open
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            soft, hard = want, want
        except (ValueError, OSError):
            pass
    if soft < min(want, hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    note = "RLIMIT_NOFILE %d for every server and the holder (it was %d soft, %d hard)" % (
        soft, *before)
    if soft < want:
        note += "; raising it to %d was refused" % want
    return soft, note


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def tree(pid):
    """pid and all its descendants alive now."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if os.path.exists("/proc/%d" % p):
            out.append(p)
            todo.extend(children(p))
    return out


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(pid):
    return sum(rss_kib(p) for p in tree(pid))


def https_get_ok(port, path="/", timeout=2.0):
    """One HTTP/1.1 GET over TLS (certificate not checked: a dev cert)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=ctx)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


class Server:
    """One started server (the leader of its process tree)."""

    def __init__(self, name, argv, port, log_path, cwd=None, env=None):
        self.name = name
        self.port = port
        self.log_path = log_path
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=cwd, env=full_env)
        self.pid = self.proc.pid

    def wait_ready(self, timeout=40.0, watch=()):
        """Until a GET / answers 200; fails early if this server or one it
        depends on (watch) exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for s in (self,) + tuple(watch):
                if s.proc.poll() is not None:
                    raise RuntimeError("%s exited with %s; log %s:\n%s" % (
                        s.name, s.proc.returncode, s.log_path, s.log_tail()))
            if https_get_ok(self.port):
                return
            time.sleep(0.1)
        raise RuntimeError("%s did not answer on port %d within %.0f s; log %s:\n%s" % (
            self.name, self.port, timeout, self.log_path, self.log_tail()))

    def rss_kib(self):
        return tree_rss_kib(self.pid)

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self, grace=15.0):
        """SIGTERM to the leader, then SIGKILL to whatever of its tree (PIDs
        taken before the signal) is still there after grace seconds."""
        pids = tree(self.pid)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        for p in pids:
            if p != self.pid and os.path.exists("/proc/%d" % p) and _same_tree_member(p, pids):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


def _same_tree_member(pid, pids):
    """A PID seen in the tree may have been reused after its process ended:
    only kill it while its parent is in pids, or is init or us (it was
    orphaned when the leader exited)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return False
    return ppid in pids or ppid in (1, os.getpid())
