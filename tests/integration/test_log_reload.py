"""test_log_reload.py: the logs across a reload (HUP), Gunicorn's way: the
reloaded config file's log settings take effect in both daemons (the
proxy's access log file and format, statsd; tandem-appd's syslog and the
log configuration of the application's loggers), and USR1 reopens the
logs the reload opened."""
import os
import signal

from harness import APPS, Stack, children, curl, wait_for
from test_log_config import LOGGING_APP
from test_statsd import Metrics
from test_statsd import listening as listening_udp
from test_syslog import collect, tagged


def text(path):
    return open(path).read() if os.path.exists(path) else ""


def holds_open(pid, path):
    """Whether process pid has path open (it may exit meanwhile)."""
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == path:
                return True
        except OSError:
            continue
    return False


def hup_proxy(s, n):
    s.proxy.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: s.proxy.output().count("Reloaded:") >= n, 10, "the proxy to reload")


def hup_appd(s):
    old = set(children(s.appd.pid))
    s.appd.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: children(s.appd.pid) and not old & set(children(s.appd.pid)), 30,
             "the new generation of workers")


def test_proxy_hup_moves_the_access_log_and_usr1_reopens_the_new_one(tmp_path):
    first, second = str(tmp_path / "first.log"), str(tmp_path / "second.log")
    conf = tmp_path / "proxy.conf.py"
    conf.write_text("accesslog = %r\naccess_log_format = 'one %%(U)s'\n" % first)
    s = Stack(workers=1, proxy_args=["-c", str(conf)])
    try:
        curl(s.url + "/a")
        wait_for(lambda: text(first) == "one /a\n", 10, "the first log's line")
        conf.write_text("accesslog = %r\naccess_log_format = 'two %%(U)s %%(m)s'\n" % second)
        hup_proxy(s, 1)
        curl(s.url + "/b")
        wait_for(lambda: text(second) == "two /b GET\n", 10, "the reloaded log's line")
        assert text(first) == "one /a\n"
        os.rename(second, second + ".1")
        s.proxy.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: os.path.exists(second), 10, "the reopened log")
        curl(s.url + "/c")
        wait_for(lambda: text(second) == "two /c GET\n", 10, "the line in the reopened log")
        assert text(second + ".1") == "two /b GET\n"
        # Without an access log in the file, a reload turns it off.
        conf.write_text("loglevel = 'info'\n")
        hup_proxy(s, 2)
        curl(s.url + "/d")
        curl(s.url + "/e")
        assert text(second) == "two /c GET\n"
    finally:
        s.close()


def test_proxy_hup_turns_statsd_on(tmp_path):
    conf = tmp_path / "proxy.conf.py"
    conf.write_text("loglevel = 'info'\n")
    with listening_udp() as sock:
        s = Stack(workers=1, proxy_args=["-c", str(conf)])
        try:
            curl(s.url + "/")
            conf.write_text("statsd_host = '127.0.0.1:%d'\nstatsd_prefix = 'after'\n"
                            % sock.getsockname()[1])
            hup_proxy(s, 1)
            for _ in range(2):
                curl(s.url + "/")
            m = Metrics(sock)
            wait_for(lambda: m.receive().counts("after.")["gunicorn.requests"] >= 2, 10,
                     "the requests after the reload counted")
        finally:
            s.close()
    assert m.counts("after.")["gunicorn.requests"] == 2


def test_appd_hup_turns_syslog_on(tmp_path):
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text("workers = 1\n")
    with listening_udp() as sock:
        s = Stack(workers=1, appd_args=["-c", str(conf)])
        try:
            conf.write_text("workers = 1\nsyslog = True\nsyslog_addr = 'udp://127.0.0.1:%d'\n"
                            % sock.getsockname()[1])
            hup_appd(s)
            booted = collect(sock, lambda got: any("Booting worker" in m for _, _, m in
                                                   tagged(got, "tandem.appd.error")))
        finally:
            s.close()
    pids = [pid for _, pid, m in tagged(booted, "tandem.appd.error") if "Booting worker" in m]
    assert pids == [s.appd.pid], booted


DICT = '''workers = 1
logconfig_dict = {{
    "root": {{"level": "INFO", "handlers": []}},
    "loggers": {{"shop": {{"level": "INFO", "handlers": ["f"], "propagate": False}}}},
    "handlers": {{"f": {{"class": "logging.FileHandler", "filename": "{path}"}}}},
}}
'''


def test_appd_hup_applies_a_new_log_config_and_usr1_reopens_its_files(tmp_path):
    (tmp_path / "logging_app.py").write_text(LOGGING_APP)
    before, after = str(tmp_path / "before.log"), str(tmp_path / "after.log")
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text(DICT.format(path=before))
    s = Stack(app="logging_app:app", workers=1, appd_args=["-c", str(conf)],
              pythonpath="%s,%s" % (tmp_path, APPS))
    try:
        curl(s.url + "/one")
        wait_for(lambda: "order one placed" in text(before), 10, "the first file's line")
        conf.write_text(DICT.format(path=after))
        hup_appd(s)
        curl(s.url + "/two")
        wait_for(lambda: "order two placed" in text(after), 10, "the new file's line")
        assert "two" not in text(before)
        os.rename(after, after + ".1")
        os.kill(s.appd.pid, signal.SIGUSR1)  # the master passes it to the new workers
        # The worker's handler opens the file again as it reopens.  The
        # master reopens its own handler too, so the file's existence does
        # not say the worker is done: wait for the worker to hold it open.
        wait_for(lambda: any(holds_open(w, after) for w in children(s.appd.pid)), 10,
                 "the worker holding the reopened file")
        curl(s.url + "/three")
        wait_for(lambda: "order three placed" in text(after), 10, "the line in the reopened file")
        assert "three" not in text(after + ".1")
    finally:
        s.close()
