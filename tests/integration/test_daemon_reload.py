"""test_daemon_reload.py: Gunicorn's -D (each daemon, and tandem, detach:
the command returns once they serve, the pid file names the daemon, TERM
stops it), --reuse-port (two proxies on one port; without it the second
says the address is in use) and --reload (a changed module file, or an
extra file, brings new workers with the new code)."""
import os
import signal
import socket
import subprocess

import pytest

from harness import APPD, APPS, FRONT, PROXY, Daemon, Detached, can_connect, children, curl, \
    free_port, wait_for


def _gone(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return "State:\tZ" in f.read()
    except FileNotFoundError:
        return True


def _read_pid(path):
    wait_for(lambda: os.path.exists(path) and open(path).read().strip(), 10, "pid file " + path)
    return int(open(path).read())


def _stop(pid):
    if not _gone(pid):
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: _gone(pid), 30, "pid %d to exit" % pid)


def test_tandem_daemon_returns_and_serves_until_term(tmp_path):
    port, pidfile = free_port(), str(tmp_path / "tandem.pid")
    log = Detached("tandem", str(tmp_path / "err.log"))
    r = subprocess.run([FRONT, "-D", "--pid", pidfile, "-b", "127.0.0.1:%d" % port,
                        "--error-logfile", str(tmp_path / "err.log"), "--pythonpath", APPS,
                        "probe:app"], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    pid = _read_pid(pidfile)
    try:
        # It serves as soon as the command returned: -D waits for readiness.
        assert curl("http://127.0.0.1:%d/" % port).stdout == b"hello"
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ppid, sid = int(fields[1]), int(fields[3])
        assert sid != os.getsid(0) and ppid != os.getpid()   # its own session, not our child
        names = {os.path.basename(os.readlink("/proc/%d/exe" % c)) for c in children(pid)}
        assert names == {"tandem-appd", "tandem-proxy"}
    finally:
        _stop(pid)
        log.forget()
    assert not can_connect(("127.0.0.1", port))
    assert not os.path.exists(pidfile)


def test_each_daemon_detaches_and_writes_its_own_pid(tmp_path):
    sock, port = str(tmp_path / "app.sock"), free_port()
    apid_file, ppid_file = str(tmp_path / "appd.pid"), str(tmp_path / "proxy.pid")
    log = Detached("tandem-appd", str(tmp_path / "appd.log"))
    r = subprocess.run([APPD, "--daemon", "--pid", apid_file, "--bind", "unix:" + sock,
                        "--error-logfile", str(tmp_path / "appd.log"), "--pythonpath", APPS,
                        "probe:app"], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    apid = _read_pid(apid_file)
    try:
        r = subprocess.run([PROXY, "-D", "--pid", ppid_file, "--bind", "127.0.0.1:%d" % port,
                            "--upstream", "unix:" + sock], capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        ppid = _read_pid(ppid_file)
        try:
            assert curl("http://127.0.0.1:%d/" % port).stdout == b"hello"
            assert children(apid)                      # the master, with its worker
        finally:
            _stop(ppid)
        assert not can_connect(("127.0.0.1", port))
    finally:
        _stop(apid)
        log.forget()
    assert not os.path.exists(sock)


def test_a_daemon_that_fails_to_start_fails_the_command(tmp_path):
    r = subprocess.run([APPD, "-D", "--bind", "unix:" + str(tmp_path / "s"), "--error-logfile",
                        str(tmp_path / "err.log"), "--pythonpath", APPS, "nosuchmod:app"],
                       capture_output=True, timeout=60)
    assert r.returncode == 1
    assert "the daemon exited during start-up" in r.stderr.decode(), r.stderr
    assert "Reason: App failed to load." in open(str(tmp_path / "err.log")).read()


def _proxy(port, upstream, *extra):
    return Daemon([PROXY, "--bind", "127.0.0.1:%d" % port, "--upstream", upstream] + list(extra))


def test_reuse_port_lets_two_proxies_share_a_port(tmp_path):
    with socket.socket(socket.AF_UNIX) as up:
        up.bind(str(tmp_path / "up.sock"))
        upstream, port = "unix:" + str(tmp_path / "up.sock"), free_port()
        a = _proxy(port, upstream, "--reuse-port")
        b = c = None
        try:
            assert a.wait_ready(30), a.output()
            b = _proxy(port, upstream, "--reuse-port")
            assert b.wait_ready(30), b.output()
            c = _proxy(port, upstream)
            assert c.proc.wait(30) == 1
            assert ("error: cannot listen on 127.0.0.1:%d: Address already in use" % port
                    in c.output()), c.output()
        finally:
            for d in (a, b, c):
                if d is not None:
                    d.stop()


APP = """import reload_msg
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [(reload_msg.MSG + " " + str(__import__("os").getpid())).encode()]
"""


@pytest.fixture
def reload_app(tmp_path):
    (tmp_path / "reload_app.py").write_text(APP)
    (tmp_path / "reload_msg.py").write_text('MSG = "one"\n')
    (tmp_path / "extra.txt").write_text("x")
    return tmp_path


def _worker_pid(url):
    """The pid in the app's answer; None while the workers restart (502)."""
    body = curl(url, check=False).stdout
    pid = body.rsplit(b" ", 1)[-1]
    return int(pid) if body.startswith((b"one ", b"two")) and pid.isdigit() else None


@pytest.mark.parametrize("engine", ["auto", "poll", "inotify"])
def test_reload_serves_the_changed_module(reload_app, engine):
    port = free_port()
    d = Daemon([FRONT, "--reload", "--reload-engine", engine, "--reload-extra-file",
                str(reload_app / "extra.txt"), "-b", "127.0.0.1:%d" % port, "-w", "2",
                "--pythonpath", str(reload_app), "reload_app:app"])
    url = "http://127.0.0.1:%d/" % port
    try:
        assert d.wait_ready(60), d.output()
        assert curl(url).stdout.startswith(b"one ")
        # Another size and content: a change even within one mtime tick.
        (reload_app / "reload_msg.py").write_text('MSG = "two, changed"\n')
        wait_for(lambda: curl(url, check=False).stdout.startswith(b"two, changed "), 30,
                 "the changed module to be served")
        assert "reload_msg.py modified" in d.output()
        wait_for(lambda: all(curl(url, check=False).stdout.startswith(b"two")
                             for _ in range(4)), 30, "every worker to serve the new code")
        # An extra file restarts the workers too.
        before = {_worker_pid(url) for _ in range(4)}
        (reload_app / "extra.txt").write_text("changed")
        # The log line first: a worker still restarting for reload_msg.py
        # (one that four requests did not reach) would also bring a new pid.
        wait_for(lambda: "extra.txt modified" in d.output(), 30,
                 "the watcher to see extra.txt change")
        wait_for(lambda: _worker_pid(url) not in before | {None}, 30,
                 "a worker started after extra.txt changed")
    finally:
        d.stop()
