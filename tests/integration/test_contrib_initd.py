"""test_contrib_initd.py: the LSB init scripts of contrib/init.d, installed
with contrib/default files that point at the build tree, start both daemons
(as nobody when run as root and nobody can reach the build), serve a page
through them, report status, reload both, rotate
logs with contrib/logrotate/tandem, and stop both: processes gone, pid files
removed."""
import os
import shutil
import subprocess
import time

import pytest

from contrib_install import Installed
from harness import APPS, curl, free_port, wait_for


def sh(script, action, timeout=90):
    return subprocess.run(["/bin/sh", script, action], capture_output=True, timeout=timeout)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def read_pid(path):
    with open(path) as f:
        return int(f.read())


class Scripts:
    def __init__(self, inst):
        self.inst = inst
        self.appd = inst.init_script("tandem-appd")
        self.proxy = inst.init_script("tandem-proxy")
        self.pids = []

    def start(self):
        for script, pidfile in ((self.appd, "appd.pid"), (self.proxy, "proxy.pid")):
            r = sh(script, "start")
            assert r.returncode == 0, (r.stdout + r.stderr).decode() + self.logs()
            self.pids.append(read_pid(os.path.join(self.inst.run, pidfile)))

    def logs(self):
        out = ""
        for name in ("appd.log", "proxy.log"):
            try:
                with open(os.path.join(self.inst.logs, name)) as f:
                    out += "\n--- %s\n%s" % (name, f.read())
            except OSError:
                pass
        return out

    def close(self):
        """Stops whatever is left, by the scripts, then by PID."""
        for script in (self.proxy, self.appd):
            sh(script, "stop")
        for pid in self.pids:
            if alive(pid):
                os.kill(pid, 9)


@pytest.fixture
def installed():
    inst = Installed()
    yield inst
    inst.remove()


def test_init_scripts_start_serve_and_stop(installed, certs):
    port = free_port()
    cert = installed.copy_readable(certs[0], "etc/tandem/cert.pem")
    key = installed.copy_readable(certs[1], "etc/tandem/key.pem")
    sock = installed.stack_defaults(port, cert, key, appdir=APPS)
    s = Scripts(installed)
    try:
        s.start()
        appd_pid, proxy_pid = s.pids
        if installed.user:
            assert os.stat("/proc/%d" % appd_pid).st_uid == os.stat("/proc/%d" % proxy_pid).st_uid \
                != 0
        r = curl("--http2", "-w", "\n%{http_version}", "https://127.0.0.1:%d/" % port)
        assert r.stdout == b"hello\n2", r.stdout
        r = curl("-X", "POST", "--data-binary", "posted", "https://127.0.0.1:%d/echo" % port)
        assert r.stdout == b"posted"

        for script, pid in ((s.appd, appd_pid), (s.proxy, proxy_pid)):
            r = sh(script, "status")
            assert r.returncode == 0, r
            assert ("is running (pid %d)" % pid).encode() in r.stdout + r.stderr
        # Starting what runs is a success that changes nothing.
        assert sh(s.appd, "start").returncode == 0
        assert read_pid(os.path.join(installed.run, "appd.pid")) == appd_pid

        # reload: appd replaces its workers (HUP); the proxy reloads its settings.
        workers = set(open("/proc/%d/task/%d/children" % (appd_pid, appd_pid)).read().split())
        assert sh(s.appd, "reload").returncode == 0
        wait_for(lambda: not workers & set(
            open("/proc/%d/task/%d/children" % (appd_pid, appd_pid)).read().split()), 30,
            "appd's workers replaced after reload")
        r = sh(s.proxy, "reload")
        assert r.returncode == 0, r
        wait_for(lambda: "Reloaded:" in open(os.path.join(installed.logs, "proxy.log")).read(),
                 30, "the proxy's reload in its log")
        wait_for(lambda: curl("-o", "/dev/null", "-w", "%{http_code}",
                              "https://127.0.0.1:%d/" % port).stdout == b"200", 30,
                 "a page after the reload")

        rotate_logs(installed, s)

        for script in (s.proxy, s.appd):
            r = sh(script, "stop")
            assert r.returncode == 0, r
        # start-stop-daemon counts a process as gone once its executable is
        # released, a moment before the process has quite finished exiting.
        for pid in (appd_pid, proxy_pid):
            wait_for(lambda: not alive(pid), 5, "pid %d to exit" % pid)
        for name in ("appd.pid", "proxy.pid", "app.sock"):
            assert not os.path.exists(os.path.join(installed.run, name)), name
        assert not os.path.exists(sock)
        for script in (s.appd, s.proxy):
            r = sh(script, "status")
            assert r.returncode == 3 and b"is not running" in r.stdout + r.stderr, r
            assert sh(script, "stop").returncode == 0     # stopping what is stopped
    finally:
        s.close()


def rotate_logs(inst, s):
    """contrib/logrotate/tandem, forced: both logs rotated, and each daemon
    (told by USR1 from postrotate) writes to the new file."""
    conf = inst.write("etc/logrotate.d/tandem", inst.text(
        "logrotate/tandem", **{"/var/log/tandem": inst.logs, "/run/tandem": inst.run,
                               "create 0640 tandem tandem":
                               "create 0640 %s %s" % (inst.user or "root", inst.group or "root")}))
    r = subprocess.run(["logrotate", "-f", "-s", inst.path("logrotate.state"), conf],
                       capture_output=True, timeout=60)
    assert r.returncode == 0 and r.stderr == b"", r.stderr.decode()
    appd_log, proxy_log = (os.path.join(inst.logs, n) for n in ("appd.log", "proxy.log"))
    for log in (appd_log, proxy_log):
        assert os.path.getsize(log + ".1") > 0
    # The proxy logs the reopen itself; appd says something on its next reload.
    wait_for(lambda: b"log reopened" in open(proxy_log, "rb").read(), 10, "the proxy's new log")
    assert sh(s.appd, "reload").returncode == 0
    wait_for(lambda: b"Hang up" in open(appd_log, "rb").read(), 10, "appd's new log")
    assert b"log reopened" not in open(proxy_log + ".1", "rb").read()


def test_init_script_reports_a_failed_start_at_once(installed):
    installed.stack_defaults(free_port(), app="nosuchmodule:app", appdir=APPS)
    s = Scripts(installed)
    try:
        t0 = time.monotonic()
        r = sh(s.appd, "start")
        assert r.returncode == 1, r
        assert time.monotonic() - t0 < 30          # not the whole START_TIMEOUT (60)
        assert b"did not start" in r.stderr + r.stdout
        with open(os.path.join(installed.logs, "appd.log")) as f:
            assert "No module named 'nosuchmodule'" in f.read()
        assert not os.path.exists(os.path.join(installed.run, "appd.pid"))
        r = sh(s.appd, "status")
        assert r.returncode == 3, r
    finally:
        s.close()


def test_init_scripts_need_no_lsb_functions(installed):
    """The scripts define their own messages where /lib/lsb/init-functions
    is missing: checked by hiding it from a copy."""
    script = installed.init_script("tandem-appd")
    with open(script) as f:
        text = f.read().replace("/lib/lsb/init-functions", installed.path("no-such-file"))
    with open(script, "w") as f:
        f.write(text)
    installed.stack_defaults(free_port(), appdir=APPS)
    try:
        r = sh(script, "start")
        assert r.returncode == 0, r
        assert r.stdout == b"Starting tandem application server: tandem-appd.\n", r.stdout
        r = sh(script, "status")
        assert r.returncode == 0 and b"tandem-appd is running" in r.stdout, r
    finally:
        r = sh(script, "stop")
    assert r.returncode == 0 and r.stdout == b"Stopping tandem application server: tandem-appd.\n"


@pytest.mark.skipif(not shutil.which("logrotate"), reason="logrotate not installed")
def test_logrotate_config_parses():
    inst = Installed()
    try:
        conf = inst.write("tandem", inst.text("logrotate/tandem", **{
            "/var/log/tandem": inst.logs, "create 0640 tandem tandem": "create 0640 root root"}))
        r = subprocess.run(["logrotate", "-d", "-s", inst.path("state"), conf],
                           capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr.decode()
        assert b"error" not in r.stderr.lower(), r.stderr.decode()
    finally:
        inst.remove()
