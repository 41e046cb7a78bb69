"""test_log_config.py: Gunicorn's log configuration through the real
daemons: an INI file (fileConfig) directing both daemons' error lines, the
access log and the application's own logger (its file reopened on USR1), a
logconfig_dict in gunicorn.conf.py run with tandem (-c), the access log off
above INFO, and what tandem refuses at start-up."""
import os
import signal

import pytest

from harness import APPD, APPS, FRONT, PROXY, Daemon, Stack, curl, free_port, run, wait_for

LOGGING_APP = '''
import logging

log = logging.getLogger("shop")

def app(environ, start_response):
    log.warning("order %s placed", environ["PATH_INFO"].strip("/"))
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]
'''

INI = '''
[loggers]
keys = root, gerr, gacc, shop

[handlers]
keys = errfile, accfile, shopfile, console

[formatters]
keys = generic, plain

[logger_root]
level = WARNING
handlers = console

[logger_gerr]
level = DEBUG
handlers = errfile
propagate = 0
qualname = gunicorn.error

[logger_gacc]
level = INFO
handlers = accfile
propagate = 0
qualname = gunicorn.access

[logger_shop]
level = INFO
handlers = shopfile
propagate = 0
qualname = shop

[handler_console]
class = StreamHandler
args = (sys.stderr,)

[handler_errfile]
class = handlers.WatchedFileHandler
formatter = generic
args = ('%(here)s/error.log', 'a')

[handler_accfile]
class = FileHandler
args = ('%(here)s/access.log',)

[handler_shopfile]
class = FileHandler
formatter = plain
args = ('%(here)s/shop.log',)

[formatter_generic]
format = %(asctime)s [%(process)d] [%(levelname)s] %(message)s
datefmt = [%Y-%m-%d %H:%M:%S %z]
class = logging.Formatter

[formatter_plain]
format = %(name)s %(levelname)s %(message)s
'''


def text(path):
    return open(path).read() if os.path.exists(path) else ""


def test_ini_file_directs_both_daemons_and_the_app(tmp_path):
    (tmp_path / "logging_app.py").write_text(LOGGING_APP)
    ini = tmp_path / "logging.ini"
    ini.write_text(INI)
    args = ["--log-config", str(ini)]
    s = Stack(app="logging_app:app", workers=1, appd_args=args, proxy_args=args,
              pythonpath="%s,%s" % (tmp_path, APPS))
    try:
        error, access, shop = (str(tmp_path / n) for n in ("error.log", "access.log", "shop.log"))
        curl(s.url + "/first")
        wait_for(lambda: '"GET /first HTTP/1.1" 200 2' in text(access), 10, "the access line")
        wait_for(lambda: "shop WARNING order first placed" in text(shop), 10, "the app's line")
        log = text(error)
        assert "Booting worker" in log and "tandem-proxy" in log, log  # both daemons' lines
        assert "[DEBUG]" in log  # the logger's level, not --log-level's
        os.rename(shop, shop + ".1")
        os.kill(s.appd.pid, signal.SIGUSR1)  # the master passes it to the workers
        # Nothing says when the worker has reopened: requests made before
        # that still go to the old file, so wait until one reaches the new.
        wait_for(lambda: curl(s.url + "/probe").stdout == b"ok" and
                 "order probe placed" in text(shop), 10, "the app's line in the new file")
        assert curl(s.url + "/second").stdout == b"ok"
        wait_for(lambda: "order second placed" in text(shop), 10, "the next line in the new file")
        assert "second" not in text(shop + ".1")
    finally:
        s.close()


CONF = '''
bind = "127.0.0.1:{port}"
workers = 1
logconfig_dict = {{
    "root": {{"level": "INFO", "handlers": []}},
    "loggers": {{"gunicorn.access": {{"level": "INFO", "handlers": ["acc"]}}}},
    "handlers": {{"acc": {{"class": "logging.FileHandler", "filename": "{access}"}}}},
}}
'''


def test_logconfig_dict_through_tandem(tmp_path):
    port = free_port()
    access = str(tmp_path / "dict-access.log")
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text(CONF.format(port=port, access=access))
    d = Daemon([FRONT, "-c", str(conf), "--pythonpath", APPS, "probe:app"], cwd=str(tmp_path))
    try:
        assert d.wait_ready(60), d.output()
        curl("-A", "dict/1", "http://127.0.0.1:%d/" % port)
        wait_for(lambda: '"GET / HTTP/1.1" 200 5 "-" "dict/1"' in text(access), 10,
                 "the access line the dict asked for")
    finally:
        d.stop()


def test_access_logger_above_info_writes_nothing(tmp_path):
    cfg = tmp_path / "quiet.json"
    cfg.write_text('{"loggers": {"gunicorn.access": {"level": "WARNING", "handlers": ["f"]}},'
                   ' "handlers": {"f": {"class": "logging.FileHandler", "filename": "%s"}}}'
                   % (tmp_path / "never.log"))
    path = tmp_path / "access.log"
    s = Stack(workers=1, proxy_args=["--log-config-json", str(cfg), "--access-logfile",
                                     str(path)])
    try:
        curl(s.url + "/")
        curl(s.url + "/")
        assert not path.exists() or path.read_text() == ""
        assert not (tmp_path / "never.log").exists()
    finally:
        s.close()


@pytest.mark.parametrize("handler,message", [
    ('{"class": "logging.handlers.RotatingFileHandler", "filename": "x.log"}',
     "log config: gunicorn.error: handler class handlers.RotatingFileHandler is not one "
     "tandem's own lines can use"),
    ('{"class": "logging.FileHandler", "filename": "x.log", "mode": "w"}',
     "log config: FileHandler mode 'w'"),
])
def test_refused_at_start(tmp_path, handler, message):
    cfg = tmp_path / "bad.json"
    cfg.write_text('{"loggers": {"gunicorn.error": {"handlers": ["h"]}}, "handlers": {"h": %s}}'
                   % handler)
    for argv in ([PROXY, "--log-config-json", str(cfg), "--check-config"],
                 [APPD, "--log-config-json", str(cfg), "--check-config", "probe:app"]):
        r = run(argv, check=False)
        assert r.returncode == 2, r
        assert message in r.stderr.decode(), r.stderr


def test_python_refusal_is_a_start_up_error(tmp_path):
    # Valid for tandem's own loggers, but Python's logging cannot build it.
    cfg = tmp_path / "py.json"
    cfg.write_text('{"loggers": {"app": {"handlers": ["h"]}},'
                   ' "handlers": {"h": {"class": "no.such.Handler"}}}')
    r = run([APPD, "--log-config-json", str(cfg), "--pythonpath", APPS, "--check-config",
             "probe:app"], check=False)
    assert r.returncode == 1, r
    assert "log config: Python's logging refused it" in r.stderr.decode(), r.stderr
