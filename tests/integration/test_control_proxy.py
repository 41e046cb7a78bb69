"""tandemctl against tandem-proxy's control socket: counters that match the
requests made (by protocol and status class, bytes, connections, streams
in flight), listeners, settings, the signal-like commands, permissions."""
import json
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading

import pytest

from harness import (APPS, BUILD, FRONT, PROXY, Daemon, Stack, can_connect, curl, free_port,
                     wait_for)

CTL = os.path.join(BUILD, "ctl", "tandemctl")


def ctl(sock, *words, json_out=False, check=True):
    argv = [CTL, "-s", sock] + (["--json"] if json_out else []) + list(words)
    r = subprocess.run(argv, capture_output=True, timeout=30)
    if check:
        assert r.returncode == 0, (argv, r.returncode, r.stderr.decode())
    return r


def ctl_json(sock, *words):
    return json.loads(ctl(sock, *words, json_out=True).stdout)


def stats(path):
    return ctl_json(path, "show", "stats")["stats"]


@pytest.fixture
def tls(certs):
    s = Stack(workers=2, appd_args=["-k", "gthread", "--threads", "4"], tls=certs)
    yield s
    s.close()


def test_default_socket_and_counts_by_protocol_and_class(tls):
    path = tls.sock + ".proxy.ctl"
    st = os.stat(path)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    for _ in range(3):
        assert curl("--http1.1", tls.url + "/").stdout == b"hello"
    for _ in range(4):
        assert curl("--http2", tls.url + "/").stdout == b"hello"
    curl("--http2", tls.url + "/status?code=503")
    curl("--http1.1", tls.url + "/nope")
    assert curl("--http1.1", "--data-binary", "x" * 1000, tls.url + "/echo").stdout == b"x" * 1000
    s = wait_for(lambda: (lambda s: s["requests"] == 10 and s)(stats(path)), 10,
                 "10 requests counted")
    assert s["requests_h1"] == {"none": 0, "1xx": 0, "2xx": 4, "3xx": 0, "4xx": 1, "5xx": 0}
    assert s["requests_h2"] == {"none": 0, "1xx": 0, "2xx": 4, "3xx": 0, "4xx": 0, "5xx": 1}
    assert s["bytes_in"] == 1000
    assert s["bytes_out"] == 7 * 5 + len(b"not found") + 1000
    assert s["connections_accepted"] == 10 and s["streams_in_flight"] == 0
    assert s["latency"]["count"] == 10
    assert s["latency"]["buckets"][-1] == {"le": "+Inf", "count": 10}
    assert s["workers"] == 2 and s["worker_capacity"] == 8
    assert s["pid"] == tls.proxy.pid


def test_connections_and_streams_in_flight(tls):
    path = tls.sock + ".proxy.ctl"
    mark = os.path.join(tls.tmp, "busy")
    done = []
    t = threading.Thread(target=lambda: done.append(
        curl("--http2", tls.url + "/sleep?s=3&mark=" + mark)))
    t.start()
    try:
        wait_for(lambda: os.path.exists(mark), 20, "the slow request in the app")
        streams = ctl_json(path, "show", "streams")
        assert streams["streams_in_flight"] == 1, streams
        conns = ctl_json(path, "show", "connections")
        assert conns["connections_open"] == 1, conns
        assert len(conns["threads"]) == stats(path)["threads"]
        assert stats(path)["worker_streams"] == 1
    finally:
        t.join(30)
    assert done and done[0].stdout == b"slept"
    wait_for(lambda: ctl_json(path, "show", "connections")["connections_open"] == 0, 10,
             "the connection closed")
    assert ctl_json(path, "show", "streams")["streams_in_flight"] == 0


def test_listeners_config_help_and_refusals(tls):
    path = tls.sock + ".proxy.ctl"
    ls = ctl_json(path, "show", "listeners")["listeners"]
    assert {"role": "clients", "address": "127.0.0.1:%d" % tls.port, "tls": True} in ls
    assert {"role": "control", "address": path, "tls": False} in ls
    config = ctl_json(path, "show", "config")["config"]
    assert config["upstream"] == "'unix:%s'" % tls.sock
    assert config["proxy_control_socket_mode"] == "384"
    names = [c["command"] for c in ctl_json(path, "help")["commands"]]
    assert "show connections" in names and "worker add [N]" not in names
    r = ctl(path, "worker", "add", check=False)
    assert r.returncode == 1 and b"tandem-appd's command" in r.stderr
    assert set(ctl_json(path, "show", "all")) == {"stats", "listeners"}
    text = ctl(path, "show", "stats").stdout.decode()
    assert text.startswith("stats:\n") and "  requests_h2:\n    none: 0\n" in text, text


def test_reload_reopen_shutdown(tmp_path, certs):
    s = Stack(workers=1, proxy_args=["--proxy-control-socket", str(tmp_path / "p.ctl")],
              tls=certs)
    path = str(tmp_path / "p.ctl")
    try:
        assert not os.path.exists(s.sock + ".proxy.ctl")
        assert ctl_json(path, "reload") == {"started": "reload"}
        wait_for(lambda: "Handling signal: hup" in s.proxy.output(), 10, "HUP handled")
        assert ctl_json(path, "reopen") == {"started": "reopen"}
        wait_for(lambda: "usr1" in s.proxy.output(), 10, "USR1 handled")
        assert curl(s.url + "/").stdout == b"hello"
        assert ctl_json(path, "shutdown") == {"started": "shutdown"}
        assert s.proxy.proc.wait(30) == 0, s.proxy.output()
        assert "Handling signal: term" in s.proxy.output()
        assert not os.path.exists(path)
    finally:
        s.close()


def test_live_path_refused_and_disable(tmp_path):
    s = Stack(workers=1)
    try:
        path = s.sock + ".proxy.ctl"
        r = subprocess.run([PROXY, "--bind", "127.0.0.1:%d" % free_port(), "--upstream",
                            "unix:" + s.sock, "--proxy-control-socket", path],
                           capture_output=True, timeout=30)
        assert r.returncode == 1 and b"another daemon is running there" in r.stderr, r.stderr
        assert stats(path)["pid"] == s.proxy.pid
        # The derived default only warns: the second proxy serves without one.
        port = free_port()
        d = Daemon([PROXY, "--bind", "127.0.0.1:%d" % port, "--upstream", "unix:" + s.sock])
        try:
            assert d.wait_ready(30), d.output()
            assert "serving no control socket" in d.output()
            assert stats(path)["pid"] == s.proxy.pid
        finally:
            d.stop()
        assert stats(path)["pid"] == s.proxy.pid  # its file stayed
        d = Daemon([PROXY, "--bind", "127.0.0.1:%d" % port, "--upstream", "unix:" + s.sock,
                    "--no-proxy-control-socket", "--proxy-control-socket", str(tmp_path / "x")])
        try:
            assert d.wait_ready(30), d.output()
            assert not os.path.exists(str(tmp_path / "x"))
        finally:
            d.stop()
    finally:
        s.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a command as another user")
def test_another_user_cannot_connect():
    top = tempfile.mkdtemp(prefix="tandem-ctl-", dir="/tmp")
    os.chmod(top, 0o755)
    path = os.path.join(top, "p.ctl")
    s = Stack(workers=1, proxy_args=["--proxy-control-socket", path])
    try:
        cmd = "'%s' -s '%s' show stats" % (CTL, path)
        r = subprocess.run(["su", "nobody", "-s", "/bin/sh", "-c", cmd], capture_output=True,
                           timeout=30)
        assert r.returncode == 4 and b"permission denied" in r.stderr, (r.returncode, r.stderr)
        assert stats(path)["pid"] == s.proxy.pid
    finally:
        s.close()
        shutil.rmtree(top, ignore_errors=True)


def test_through_tandem(tmp_path):
    port, path = free_port(), str(tmp_path / "proxy.ctl")
    d = Daemon([FRONT, "-b", "127.0.0.1:%d" % port, "--proxy-control-socket", path,
                "--pythonpath", APPS, "probe:app"])
    try:
        wait_for(lambda: can_connect(("127.0.0.1", port)) or not d.alive(), 30, "tandem port")
        assert d.alive(), d.output()
        for _ in range(2):
            assert curl("http://127.0.0.1:%d/" % port).stdout == b"hello"
        assert stats(path)["requests_h1"]["2xx"] == 2
        assert ctl_json(path, "shutdown") == {"started": "shutdown"}
        d.proc.wait(30)
        assert not d.alive()
        assert not os.path.exists(path)
    finally:
        d.stop()
