"""tandemctl against tandem-appd's control socket: every command, the
socket's permissions, and the errors when the daemon is not there or the
socket is not a tandem daemon's."""
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading

import pytest

from harness import (APPD, APPS, BUILD, FRONT, Daemon, Stack, can_connect, curl,
                     free_port, wait_for)

CTL = os.path.join(BUILD, "ctl", "tandemctl")


def ctl(sock, *words, json_out=False, check=True):
    argv = [CTL, "-s", sock] + (["--json"] if json_out else []) + list(words)
    r = subprocess.run(argv, capture_output=True, timeout=30)
    if check:
        assert r.returncode == 0, (argv, r.returncode, r.stderr.decode())
    return r


def ctl_json(sock, *words):
    return json.loads(ctl(sock, *words, json_out=True).stdout)


def ready_pids(sock, n):
    """The pids of the n workers serving, once exactly n are idle or busy."""
    def check():
        ws = ctl_json(sock, "show", "workers")["workers"]
        serving = [w for w in ws if w["state"] in ("idle", "busy")]
        return len(ws) == n and len(serving) == n and [w["pid"] for w in ws]
    return wait_for(check, 30, "%d serving workers" % n, interval=0.1)


@pytest.fixture
def stack():
    s = Stack(workers=2)
    yield s
    s.close()


def test_default_socket_next_to_bind_with_mode_0600(stack):
    path = stack.sock + ".ctl"
    st = os.stat(path)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert "Control socket at: %s" % path in stack.appd.output()


def test_show_workers_stats_listeners_config(stack):
    path = stack.sock + ".ctl"
    pids = ready_pids(path, 2)
    assert sorted(pids) == sorted(stack.worker_pids())
    for _ in range(7):
        assert curl(stack.url + "/").stdout == b"hello"
    stats = wait_for(lambda: (lambda s: s["requests"] == 7 and s)(
        ctl_json(path, "show", "stats")["stats"]), 10, "7 requests counted")
    assert stats["pid"] == stack.appd.pid
    assert stats["workers_target"] == 2 and stats["workers_ready"] == 2
    ws = ctl_json(path, "show", "workers")["workers"]
    assert sum(w["requests"] for w in ws) == 7
    assert all(w["age_s"] >= 0 and w["generation"] == 0 for w in ws)
    listeners = ctl_json(path, "show", "listeners")["listeners"]
    assert {"unix:" + stack.sock, path} == {x["address"] for x in listeners}
    config = ctl_json(path, "show", "config")["config"]
    assert config["workers"] == "2" and config["worker_class"] == "'sync'"
    assert config["control_socket_mode"] == "384"
    every = ctl_json(path, "show", "all")
    assert set(every) == {"stats", "workers", "listeners"}
    text = ctl(path, "show", "workers").stdout.decode()
    assert text.startswith("workers:\n") and text.count("pid=") == 2, text
    names = [c["command"] for c in ctl_json(path, "help")["commands"]]
    assert "worker add [N]" in names and "show connections" not in names


def test_worker_add_remove_kill(stack):
    path = stack.sock + ".ctl"
    ready_pids(path, 2)
    assert ctl_json(path, "worker", "add", "2") == {"added": 2, "previous": 2, "total": 4}
    four = ready_pids(path, 4)
    assert "Booting worker" in stack.appd.output()
    assert ctl_json(path, "worker", "remove") == {"removed": 1, "previous": 4, "total": 3}
    three = ready_pids(path, 3)
    assert set(three) < set(four)
    victim = three[0]
    assert ctl_json(path, "worker", "kill", str(victim)) == {"killed": victim}
    after = wait_for(lambda: (lambda p: victim not in p and len(p) == 3 and p)(
        ready_pids(path, 3)), 30, "a replacement for the killed worker")
    assert set(after) - set(three)
    r = ctl(path, "worker", "kill", "999999", check=False)
    assert r.returncode == 1 and b"no worker with pid 999999" in r.stderr
    # never below one worker
    assert ctl_json(path, "worker", "remove", "10")["total"] == 1


def test_reload_and_reopen(stack):
    path = stack.sock + ".ctl"
    before = ready_pids(path, 2)
    for _ in range(3):
        assert curl(stack.url + "/").stdout == b"hello"
    assert ctl_json(path, "reload") == {"started": "reload"}
    wait_for(lambda: ctl_json(path, "show", "stats")["stats"]["reloads"] == 1, 30, "a reload")
    after = wait_for(lambda: (lambda p: not set(p) & set(before) and p)(ready_pids(path, 2)), 30,
                     "the new generation")
    assert len(after) == 2
    assert "Handling signal: hup" in stack.appd.output()
    # The old generation's requests still count, once its workers are gone.
    assert ctl_json(path, "show", "stats")["stats"]["requests"] == 3
    assert sum(w["requests"] for w in ctl_json(path, "show", "workers")["workers"]) == 0
    assert ctl_json(path, "reopen") == {"started": "reopen"}
    wait_for(lambda: "Handling signal: usr1" in stack.appd.output(), 10, "USR1 handled")
    assert curl(stack.url + "/").stdout == b"hello"


def test_shutdown_is_graceful_and_removes_the_socket(tmp_path):
    sock = str(tmp_path / "app.sock")
    d = Daemon([APPD, "--bind", "unix:" + sock, "-w", "1", "--pythonpath", APPS, "probe:app"])
    try:
        assert d.wait_ready(60), d.output()
        assert ctl_json(sock + ".ctl", "shutdown") == {"started": "shutdown"}
        assert d.proc.wait(30) == 0, d.output()
        assert "Handling signal: term" in d.output()
        assert not os.path.exists(sock + ".ctl")
        r = ctl(sock + ".ctl", "show", "stats", check=False)
        assert r.returncode == 3 and b"does not exist" in r.stderr, r.stderr
    finally:
        d.stop()


def test_explicit_path_mode_and_disable(tmp_path):
    sock, path = str(tmp_path / "app.sock"), str(tmp_path / "my.ctl")
    d = Daemon([APPD, "--bind", "unix:" + sock, "-w", "1", "--control-socket", path,
                "--control-socket-mode", "416", "--pythonpath", APPS, "probe:app"])
    try:
        assert d.wait_ready(60), d.output()
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
        assert not os.path.exists(sock + ".ctl")
        assert ctl_json(path, "show", "stats")["stats"]["pid"] == d.pid
        # A second daemon may not take a path a live daemon serves.
        r = subprocess.run([APPD, "--bind", "unix:" + str(tmp_path / "b.sock"), "-w", "1",
                            "--control-socket", path, "--pythonpath", APPS, "probe:app"],
                           capture_output=True, timeout=60)
        assert r.returncode != 0
        assert b"another daemon is running there" in r.stderr, r.stderr
        assert ctl_json(path, "show", "stats")["stats"]["pid"] == d.pid
    finally:
        d.stop()
    assert not os.path.exists(path)
    sock2 = str(tmp_path / "c.sock")
    d = Daemon([APPD, "--bind", "unix:" + sock2, "-w", "1", "--no-control-socket",
                "--pythonpath", APPS, "probe:app"])
    try:
        assert d.wait_ready(60), d.output()
        assert not os.path.exists(sock2 + ".ctl")
    finally:
        d.stop()


def _as_nobody(*argv):
    cmd = " ".join("'%s'" % a for a in argv)
    return subprocess.run(["su", "nobody", "-s", "/bin/sh", "-c", cmd], capture_output=True,
                          timeout=30)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a command as another user")
def test_another_user_cannot_connect():
    # A directory anyone may enter, so that the socket file's mode is what stops it.
    top = tempfile.mkdtemp(prefix="tandem-ctl-", dir="/tmp")
    os.chmod(top, 0o755)
    sock = os.path.join(top, "app.sock")
    d = Daemon([APPD, "--bind", "unix:" + sock, "-w", "1", "--pythonpath", APPS, "probe:app"])
    try:
        assert d.wait_ready(60), d.output()
        r = _as_nobody(CTL, "-s", sock + ".ctl", "show", "stats")
        assert r.returncode == 4 and b"permission denied" in r.stderr, (r.returncode, r.stderr)
        # Even with the file opened to everyone, the daemon checks the peer's uid.
        os.chmod(sock + ".ctl", 0o666)
        r = _as_nobody(CTL, "-s", sock + ".ctl", "show", "stats")
        assert r.returncode == 4 and b"not the daemon's user" in r.stderr, (r.returncode, r.stderr)
        assert ctl_json(sock + ".ctl", "show", "stats")["stats"]["pid"] == d.pid
    finally:
        d.stop()
        shutil.rmtree(top, ignore_errors=True)


def test_tandemctl_errors(tmp_path):
    r = ctl(str(tmp_path / "none.ctl"), "show", "stats", check=False)
    assert r.returncode == 3 and b"is the daemon running" in r.stderr
    stale = str(tmp_path / "stale.ctl")
    s = socket.socket(socket.AF_UNIX)
    s.bind(stale)
    s.close()
    r = ctl(stale, "show", "stats", check=False)
    assert r.returncode == 3 and b"stale" in r.stderr
    plain = tmp_path / "plain"
    plain.write_text("x")
    r = ctl(str(plain), "show", "stats", check=False)
    assert r.returncode == 4 and b"not a socket" in r.stderr
    # A socket that answers, but not as a tandem daemon.
    other = str(tmp_path / "other.ctl")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(other)
    srv.listen(1)

    def answer():
        c, _ = srv.accept()
        c.recv(1024)
        c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        c.close()
    t = threading.Thread(target=answer)
    t.start()
    r = ctl(other, "show", "stats", check=False)
    t.join(10)
    srv.close()
    assert r.returncode == 4 and b"not a tandem control socket" in r.stderr, r.stderr
    r = subprocess.run([CTL, "--frobnicate"], capture_output=True, timeout=10)
    assert r.returncode == 2
    r = subprocess.run([CTL, "-c", "show stats", "extra"], capture_output=True, timeout=10)
    assert r.returncode == 2
    r = subprocess.run([CTL, "-t", "0", "show", "stats"], capture_output=True, timeout=10)
    assert r.returncode == 2 and b"--timeout" in r.stderr


def test_bad_requests_are_refused_with_a_reason(stack):
    path = stack.sock + ".ctl"
    r = ctl(path, "show", "bogus", check=False)
    assert r.returncode == 1 and b"unknown command" in r.stderr
    r = ctl(path, "worker", "add", "x", check=False)
    assert r.returncode == 1
    r = ctl(path, "show", "connections", check=False)
    assert r.returncode == 1 and b"tandem-proxy's command" in r.stderr
    # Raw: an overlong line is refused unread, and the daemon keeps serving.
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall(b"a" * 4096 + b"\n")
        assert s.recv(4096).startswith(b"TANDEM-CTL/1 ERROR")
    assert ctl_json(path, "show", "stats")["stats"]["workers_target"] == 2


def test_through_tandem(tmp_path):
    port, path = free_port(), str(tmp_path / "appd.ctl")
    d = Daemon([FRONT, "-b", "127.0.0.1:%d" % port, "-w", "2", "--control-socket", path,
                "--pythonpath", APPS, "probe:app"])
    try:
        wait_for(lambda: can_connect(("127.0.0.1", port)) or not d.alive(), 30, "tandem port")
        assert d.alive(), d.output()
        assert curl("http://127.0.0.1:%d/" % port).stdout == b"hello"
        pids = ready_pids(path, 2)
        assert ctl_json(path, "worker", "add")["total"] == 3
        ready_pids(path, 3)
        assert ctl_json(path, "show", "stats")["stats"]["requests"] == 1
        assert set(pids) < set(p for p in ready_pids(path, 3))
        assert ctl_json(path, "shutdown") == {"started": "shutdown"}
        assert d.proc.wait(30) == 0, d.output()
        assert not os.path.exists(path)
    finally:
        d.stop()


def test_usr2_master_serves_path_2_until_promoted(tmp_path):
    sock = str(tmp_path / "app.sock")
    path = sock + ".ctl"
    d = Daemon([APPD, "--bind", "unix:" + sock, "-w", "1", "--pythonpath", APPS, "probe:app"])
    new = None
    try:
        assert d.wait_ready(60), d.output()
        d.proc.send_signal(signal.SIGUSR2)
        wait_for(lambda: os.path.exists(path + ".2"), 30, "the new master's control socket")
        new = ctl_json(path + ".2", "show", "stats")["stats"]["pid"]
        assert new != d.pid and ctl_json(path, "show", "stats")["stats"]["pid"] == d.pid
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(30) == 0
        wait_for(lambda: not os.path.exists(path + ".2"), 20, "the promotion")
        assert ctl_json(path, "show", "stats")["stats"]["pid"] == new
        ready_pids(path, 1)
        assert ctl_json(path, "shutdown") == {"started": "shutdown"}
        wait_for(lambda: not os.path.exists(path), 30, "the new master to stop")
    finally:
        if new:
            try:
                os.kill(new, signal.SIGKILL)
            except ProcessLookupError:
                pass
        d.stop()
