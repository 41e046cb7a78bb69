"""test_front_signals.py: signals sent to `tandem` reach each daemon only
where that daemon handles them.  HUP reloads appd (the config file again)
and then the proxy with what appd evaluated; TTIN and TTOU go to appd only
and never stop the proxy; USR2 reaches neither; USR1 reopens both logs;
TERM, INT and QUIT stop both."""
import os
import signal

import h2.settings
import pytest

from fake_stack import H2Conn
from harness import APPS, FRONT, Daemon, can_connect, children, curl, free_port, wait_for

STREAMS = h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS


def daemon_pid(front_pid, name):
    for pid in children(front_pid):
        try:
            if os.path.basename(os.readlink("/proc/%d/exe" % pid)) == name:
                return pid
        except OSError:
            continue
    return None


def state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


class Front:
    """tandem with a config file, over TLS on a free port."""

    def __init__(self, tmp_path, certs, conf):
        self.conf = tmp_path / "gunicorn.conf.py"
        self.conf.write_text(conf)
        self.port = free_port()
        self.d = Daemon([FRONT, "-c", str(self.conf), "-b", "127.0.0.1:%d" % self.port,
                         "--certfile", certs[0], "--keyfile", certs[1], "--pythonpath", APPS,
                         "probe:app"], env={"TMPDIR": str(tmp_path)})
        try:
            assert self.d.wait_ready(60), self.d.output()
            self.appd = daemon_pid(self.d.pid, "tandem-appd")
            self.proxy = daemon_pid(self.d.pid, "tandem-proxy")
            assert self.appd and self.proxy
        except BaseException:
            self.d.stop()
            raise

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def workers(self):
        return set(children(self.appd))

    def output(self):
        return self.d.output()

    def close(self):
        self.d.stop()


@pytest.fixture
def front(tmp_path, certs):
    made = []

    def make(conf="workers = 2\n"):
        f = Front(tmp_path, certs, conf)
        made.append(f)
        return f
    yield make
    for f in made:
        f.close()


def test_hup_reloads_appd_then_the_proxy_with_what_appd_evaluated(front):
    f = front("workers = 2\nhttp2_max_concurrent_streams = 7\n")
    wait_for(lambda: len(f.workers()) == 2, 20, "two workers")
    old = f.workers()
    c = H2Conn(f.port, tls=True)
    c.ping()
    assert c.remote_settings[STREAMS] == 7
    # Computed: only appd can evaluate it; the proxy gets the result.
    f.conf.write_text("workers = 1 + 2\nhttp2_max_concurrent_streams = 3 * 3\n")
    f.d.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: len(f.workers()) == 3 and not (f.workers() & old), 30,
             "appd's three new workers")
    wait_for(lambda: "Reloaded:" in f.output(), 30, "the proxy's reload")
    # The proxy reloaded after appd had rewritten its settings.
    out = f.output()
    assert out.index("Hang up: Master") < out.index("Reloaded:")
    n = H2Conn(f.port, tls=True)
    try:
        n.ping()
        assert n.remote_settings[STREAMS] == 9
    finally:
        n.close()
    assert c.response(c.headers("/"))[2] == b"hello"     # the open connection serves on
    c.close()
    assert f.d.alive() and f.appd in children(f.d.pid) and f.proxy in children(f.d.pid)


def test_ttin_ttou_reach_appd_only(front):
    f = front()
    wait_for(lambda: len(f.workers()) == 2, 20, "two workers")
    f.d.proc.send_signal(signal.SIGTTIN)
    wait_for(lambda: len(f.workers()) == 3, 20, "a third worker")
    f.d.proc.send_signal(signal.SIGTTOU)
    wait_for(lambda: len(f.workers()) == 2, 20, "two workers again")
    assert state(f.proxy) != "T" and state(f.appd) != "T"
    assert "Handling signal: ttin" not in "\n".join(
        l for l in f.output().splitlines() if "[%d]" % f.proxy in l)
    assert curl(f.url + "/").stdout == b"hello"


def test_usr2_reaches_neither_daemon(front):
    f = front()
    f.d.proc.send_signal(signal.SIGUSR2)
    wait_for(lambda: "SIGUSR2 ignored" in f.output(), 10, "tandem's word")
    assert "Handling signal: usr2" not in f.output()
    assert children(f.appd) and len(children(f.d.pid)) == 2   # no new master
    assert curl(f.url + "/").stdout == b"hello"


def test_usr1_reaches_both(front):
    f = front()
    f.d.proc.send_signal(signal.SIGUSR1)
    wait_for(lambda: "log reopened" in f.output(), 10, "the proxy's reopen")
    wait_for(lambda: "Handling signal: usr1" in f.output(), 10, "appd's")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT])
def test_stop_signals_stop_both(front, sig):
    f = front()
    assert curl(f.url + "/").stdout == b"hello"
    f.d.proc.send_signal(sig)
    assert f.d.proc.wait(30) == 0, f.output()
    assert not can_connect(("127.0.0.1", f.port))
    for pid in (f.appd, f.proxy):
        assert not os.path.exists("/proc/%d" % pid) or state(pid) == "Z"
