"""test_front.py: `tandem` runs both daemons from Gunicorn's command line,
forwards signals, fails fast with the failing daemon's message, exits when
either daemon dies later, leaves no run directory behind on error paths, and
routes each flag by the daemons' own settings tables."""
import os
import re
import signal
import socket
import subprocess
import time

from harness import (APPD, APPS, FRONT, PROXY, Daemon, can_connect, children, curl, free_port,
                     wait_for)


def test_tandem_serves_h2_and_stops_on_sigterm(certs):
    port = free_port()
    d = Daemon([FRONT, "-b", "127.0.0.1:%d" % port, "--certfile", certs[0], "--keyfile", certs[1],
                "-w", "2", "--pythonpath", APPS, "probe:app"])
    try:
        wait_for(lambda: can_connect(("127.0.0.1", port)) or not d.alive(), 30, "tandem port")
        assert d.alive(), d.output()
        r = curl("--http2", "https://127.0.0.1:%d/" % port, "-w", "%{http_version}")
        assert r.stdout == b"hello2"
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(15) == 0, d.output()
        assert not can_connect(("127.0.0.1", port))
    finally:
        d.stop()


def test_tandem_app_import_error():
    t0 = time.monotonic()
    r = subprocess.run([FRONT, "-b", "127.0.0.1:%d" % free_port(), "--pythonpath", APPS,
                        "nosuchmod:app"], capture_output=True, timeout=10)
    assert r.returncode != 0 and time.monotonic() - t0 < 5
    err = r.stderr.decode()
    assert "No module named 'nosuchmod'" in err, err


def test_tandem_port_in_use(certs):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = subprocess.run([FRONT, "-b", "127.0.0.1:%d" % port, "--pythonpath", APPS, "probe:app"],
                           capture_output=True, timeout=20)
    assert r.returncode != 0
    assert "in use" in r.stderr.decode(), r.stderr


def test_tandem_unknown_flag():
    r = subprocess.run([FRONT, "--frobnicate", "probe:app"], capture_output=True, timeout=5)
    assert r.returncode == 2
    assert "--frobnicate" in r.stderr.decode()


def test_tandem_passes_h2c_flags_to_the_proxy():
    port = free_port()
    d = Daemon([FRONT, "-b", "127.0.0.1:%d" % port, "--http2-cleartext", "prior-knowledge",
                "--forwarded-allow-ips", "127.0.0.1", "--pythonpath", APPS, "probe:app"])
    try:
        assert d.wait_ready(30), d.output()
        r = curl("--http2-prior-knowledge", "http://127.0.0.1:%d/" % port, "-w", "%{http_version}")
        assert r.stdout == b"hello2"
    finally:
        d.stop()


# ---- a daemon that dies after start-up; the run directory on error paths ----

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


def _help_line(prog, flag):
    r = subprocess.run([prog, "--help"], capture_output=True, timeout=5)
    assert r.returncode == 0, r.stderr
    pattern = re.compile(r"\s+(-\w, )?%s\s" % re.escape(flag))
    lines = [l for l in r.stdout.decode().splitlines() if pattern.match(l)]
    assert len(lines) == 1, (flag, r.stdout.decode())
    return lines[0]


def test_tandem_help_takes_defaults_from_each_daemons_table():
    """tandem --help shows each flag as the daemon that owns it does, default included."""
    frame = _help_line(FRONT, "--http2-max-frame-size")
    assert frame.endswith("[16384]"), frame
    assert frame == _help_line(PROXY, "--http2-max-frame-size")
    max_requests = _help_line(FRONT, "--max-requests")
    assert max_requests.endswith("[0]"), max_requests
    assert max_requests == _help_line(APPD, "--max-requests")


def test_tandem_refuses_upstream_and_hints_at_typos():
    r = subprocess.run([FRONT, "--upstream", "unix:/tmp/x.sock", "probe:app"],
                       capture_output=True, timeout=5)
    assert r.returncode == 2
    assert "'--upstream' is set by tandem" in r.stderr.decode(), r.stderr
    r = subprocess.run([FRONT, "--wrokers", "2", "probe:app"], capture_output=True, timeout=5)
    assert r.returncode == 2
    assert "did you mean --workers?" in r.stderr.decode(), r.stderr
