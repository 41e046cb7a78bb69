"""test_review_front.py: `tandem` when a daemon dies after start-up, and its
run directory on error paths (review findings)."""
import os
import signal
import subprocess

from harness import APPS, FRONT, Daemon, can_connect, children, curl, free_port, wait_for


def _daemon_pid(front_pid, name):
    for pid in children(front_pid):
        try:
            exe = os.readlink("/proc/%d/exe" % pid)   # argv[0] is the process title
        except OSError:
            continue
        if os.path.basename(exe) == name:
            return pid
    return None


def _leftovers(tmpdir):
    return [n for n in os.listdir(tmpdir) if n.startswith("tandem-")]


def test_tandem_exits_when_appd_dies_later(tmp_path):
    """A proxy without its app only answers 502: tandem must stop it and exit
    with the dead daemon's status, removing its run directory."""
    port = free_port()
    d = Daemon([FRONT, "-b", "127.0.0.1:%d" % port, "--pythonpath", APPS, "probe:app"],
               env={"TMPDIR": str(tmp_path)})
    try:
        wait_for(lambda: can_connect(("127.0.0.1", port)) or not d.alive(), 30, "tandem port")
        assert d.alive(), d.output()
        assert curl("http://127.0.0.1:%d/" % port).stdout == b"hello"
        appd = wait_for(lambda: _daemon_pid(d.pid, "tandem-appd"), 5, "the appd child")
        os.kill(appd, signal.SIGKILL)
        try:
            rc = d.proc.wait(15)
        except subprocess.TimeoutExpired:
            raise AssertionError("tandem still running 15 s after tandem-appd died:\n"
                                 + d.output())
        assert rc == 128 + signal.SIGKILL, (rc, d.output())
        assert "tandem-appd exited" in d.output(), d.output()
        assert not can_connect(("127.0.0.1", port))
        assert _leftovers(tmp_path) == []
    finally:
        d.stop()


def test_tandem_exits_when_proxy_dies_later(tmp_path):
    port = free_port()
    d = Daemon([FRONT, "-b", "127.0.0.1:%d" % port, "--pythonpath", APPS, "probe:app"],
               env={"TMPDIR": str(tmp_path)})
    try:
        wait_for(lambda: can_connect(("127.0.0.1", port)) or not d.alive(), 30, "tandem port")
        assert d.alive(), d.output()
        proxy = wait_for(lambda: _daemon_pid(d.pid, "tandem-proxy"), 5, "the proxy child")
        appd = _daemon_pid(d.pid, "tandem-appd")
        os.kill(proxy, signal.SIGKILL)
        try:
            rc = d.proc.wait(15)
        except subprocess.TimeoutExpired:
            raise AssertionError("tandem still running 15 s after tandem-proxy died:\n"
                                 + d.output())
        assert rc == 128 + signal.SIGKILL, (rc, d.output())
        assert not os.path.exists("/proc/%d" % appd), "tandem-appd left running"
        assert _leftovers(tmp_path) == []
    finally:
        d.stop()


def test_tandem_sigterm_still_exits_zero_quietly(tmp_path):
    port = free_port()
    d = Daemon([FRONT, "-b", "127.0.0.1:%d" % port, "--pythonpath", APPS, "probe:app"],
               env={"TMPDIR": str(tmp_path)})
    try:
        wait_for(lambda: can_connect(("127.0.0.1", port)) or not d.alive(), 30, "tandem port")
        # Serving: both daemons run their loops (and own their signals).
        assert curl("http://127.0.0.1:%d/" % port).stdout == b"hello", d.output()
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(15) == 0, d.output()
        assert "stopping the other daemon" not in d.output()
        assert _leftovers(tmp_path) == []
    finally:
        d.stop()


def test_tandem_bad_pidfile_leaves_no_run_directory(tmp_path):
    r = subprocess.run([FRONT, "-b", "127.0.0.1:%d" % free_port(), "--pid",
                        str(tmp_path / "no" / "such" / "dir" / "pid"), "--pythonpath", APPS,
                        "probe:app"], capture_output=True, timeout=10,
                       env=dict(os.environ, TMPDIR=str(tmp_path)))
    assert r.returncode == 1, r
    assert "--pid" in r.stderr.decode(), r.stderr
    assert _leftovers(tmp_path) == []


def test_tandem_too_long_tmpdir_is_named(tmp_path):
    long_dir = tmp_path / ("d" * 70)
    long_dir.mkdir()
    r = subprocess.run([FRONT, "-b", "127.0.0.1:%d" % free_port(), "--pythonpath", APPS,
                        "probe:app"], capture_output=True, timeout=10,
                       env=dict(os.environ, TMPDIR=str(long_dir)))
    assert r.returncode == 1, r
    assert "TMPDIR" in r.stderr.decode() and str(long_dir) in r.stderr.decode(), r.stderr
