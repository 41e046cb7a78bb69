"""test_socket_activation.py: each daemon started the way systemd starts a
socket-activated service (sockets at fd 3.., LISTEN_FDS and LISTEN_PID) takes
its sockets from there, serves on them, hides the variables from its
children, leaves systemd's socket file alone, and refuses a socket its --bind
does not ask for."""
import os
import shutil
import subprocess

import pytest

from harness import APPD, APPS, PROXY, PYTHON, Daemon, curl, free_port, wait_for

LAUNCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sd_launch.py")

# Reports which socket-activation variables the worker still sees.
ENV_APP = '''import os
def app(environ, start_response):
    seen = ",".join(k for k in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES") if k in os.environ)
    body = ("activated; leaked: %s" % (seen or "none")).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''


def launched(listen, argv, pid_offset=0):
    opts = []
    for a in listen:
        opts += ["--listen", a]
    return [PYTHON, LAUNCH] + opts + ["--pid-offset", str(pid_offset), "--"] + argv


@pytest.fixture
def env_app(tmp_path):
    (tmp_path / "envapp.py").write_text(ENV_APP)
    return str(tmp_path)


def start(argv, what):
    d = Daemon(argv)
    if not d.wait_ready(60):
        out = d.output()
        d.stop()
        raise AssertionError("%s not ready:\n%s" % (what, out))
    return d


def test_both_daemons_take_their_sockets(tmp_path, env_app):
    sock = str(tmp_path / "app.sock")
    port, own_port = free_port(), free_port()
    appd = start(launched([sock], [APPD, "--bind", "unix:" + sock, "-w", "2",
                                   "--pythonpath", env_app, "envapp:app"]), "appd")
    try:
        assert "Using socket fd 3 from the service manager for unix:" + sock in appd.output()
        # One listener from systemd, one the proxy binds itself.
        proxy = start(launched(["127.0.0.1:%d" % port],
                               [PROXY, "--bind", "127.0.0.1:%d" % own_port,
                                "--bind", "127.0.0.1:%d" % port, "--upstream", "unix:" + sock]),
                      "proxy")
        try:
            log = proxy.output()
            assert "Using socket fd 3 from the service manager for 127.0.0.1:%d" % port in log
            assert "service manager for 127.0.0.1:%d" % own_port not in log
            for p in (port, own_port):
                r = curl("http://127.0.0.1:%d/" % p)
                assert r.stdout == b"activated; leaked: none", r.stdout
        finally:
            assert proxy.stop() == 0
        assert os.path.exists(sock)
    finally:
        assert appd.stop() == 0
    # The socket file belongs to the .socket unit, which outlives the service.
    assert os.path.exists(sock)


def test_variables_for_another_process_are_ignored(tmp_path):
    port = free_port()
    own = free_port()
    sock = str(tmp_path / "none.sock")
    open(sock, "w").close()
    # LISTEN_PID names someone else: fd 3 is not ours to use, --bind is bound.
    proxy = start(launched(["127.0.0.1:%d" % port],
                           [PROXY, "--bind", "127.0.0.1:%d" % own, "--upstream", "unix:" + sock],
                           pid_offset=1), "proxy")
    try:
        assert "service manager" not in proxy.output()
        # It serves on its own socket (502: no appd behind it in this test).
        r = curl("-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:%d/" % own)
        assert r.stdout == b"502"
    finally:
        assert proxy.stop() == 0


def _refused(argv):
    r = subprocess.run(argv, capture_output=True, timeout=30, cwd=APPS)
    lines = [l for l in r.stderr.decode().splitlines() if l.strip()]
    return r.returncode, lines[-1] if lines else ""


def test_proxy_refuses_a_socket_it_was_not_asked_for(tmp_path):
    port, other = free_port(), free_port()
    sock = str(tmp_path / "app.sock")
    open(sock, "w").close()
    rc, line = _refused(launched(["127.0.0.1:%d" % other],
                                 [PROXY, "--bind", "127.0.0.1:%d" % port, "--upstream",
                                  "unix:" + sock]))
    assert rc == 1
    assert line == ("error: LISTEN_FDS: inherited socket fd 3 (127.0.0.1:%d) matches no --bind "
                    "address" % other), line


def test_appd_refuses_a_socket_it_was_not_asked_for(tmp_path):
    sock, other = str(tmp_path / "app.sock"), str(tmp_path / "other.sock")
    rc, line = _refused(launched([other], [APPD, "--bind", "unix:" + sock, "--pythonpath", APPS,
                                           "probe:app"]))
    assert rc == 1
    assert line == ("error: LISTEN_FDS: inherited socket fd 3 (unix:%s) matches no --bind "
                    "address" % other), line
    assert not os.path.exists(sock)


def test_bad_listen_fds_is_a_startup_error(tmp_path):
    env = dict(os.environ, LISTEN_FDS="many")
    # LISTEN_PID must be the daemon's own pid: exec through sh keeps it.
    r = subprocess.run(["/bin/sh", "-c", 'LISTEN_PID=$$ exec "$0" "$@"', APPD, "--bind",
                        "unix:%s/a.sock" % tmp_path, "--pythonpath", APPS, "probe:app"],
                       capture_output=True, timeout=30, env=env)
    assert r.returncode == 1
    assert r.stderr.decode().strip().splitlines()[-1] == \
        "error: LISTEN_FDS=many: not a number of sockets from 0 to 64"


@pytest.mark.skipif(not shutil.which("systemd-socket-activate"),
                    reason="systemd-socket-activate (Debian's systemd package) not installed")
def test_systemd_socket_activate_starts_the_stack_on_demand(tmp_path):
    """systemd's own launcher, for the protocol as systemd speaks it: each
    daemon starts only when a first connection arrives, and that connection
    waits in the socket's backlog meanwhile, as with a .socket unit."""
    sock = str(tmp_path / "app.sock")
    port = free_port()
    # It passes on only the variables named with -E (the sanitizers' too).
    activate = ["systemd-socket-activate"] + sum(
        (["-E", v] for v in ("NOTIFY_SOCKET", "ASAN_OPTIONS", "UBSAN_OPTIONS")), [])
    appd = Daemon(activate + ["-l", sock, APPD, "--bind", "unix:" + sock, "--pythonpath", APPS,
                              "probe:app"])
    try:
        wait_for(lambda: os.path.exists(sock), 10, "the socket bound by systemd-socket-activate")
        proxy = Daemon(activate + ["-l", "127.0.0.1:%d" % port, PROXY, "--bind",
                                   "127.0.0.1:%d" % port, "--upstream", "unix:" + sock])
        try:
            wait_for(lambda: "Listening on 127.0.0.1" in proxy.output(), 10, "the proxy's socket")
            # The first request starts the proxy, whose first dial starts appd.
            # It is answered (by the app, or 502 while appd still boots).
            r = curl("-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:%d/" % port)
            assert r.stdout in (b"200", b"502"), r.stdout
            assert proxy.wait_ready(30), proxy.output()
            assert "Using socket fd 3 from the service manager" in proxy.output()
            wait_for(lambda: curl("http://127.0.0.1:%d/" % port, check=False).stdout == b"hello",
                     30, "hello through systemd-socket-activate")
            assert "Using socket fd 3 from the service manager" in appd.output()
        finally:
            assert proxy.stop() == 0
    finally:
        assert appd.stop() == 0
