"""test_config.py: Gunicorn's configuration, tandem's way: a Gunicorn user's
gunicorn.conf.py runs with `tandem -c` and with the two daemons apart; the
config file, GUNICORN_CMD_ARGS, TANDEM_CMD_ARGS and the command line each
override the one before (seen in --print-config and in behaviour); every
config error is one line naming the file and line; $PORT,
$FORWARDED_ALLOW_IPS and $WEB_CONCURRENCY are read as Gunicorn reads them;
Gunicorn's flag spellings are taken, tandem's earlier ones still are."""
import ast
import os
import re
import subprocess
import time

import pytest

from harness import (APPD, APPS, FRONT, PROXY, Daemon, can_connect, children, curl, free_port,
                     wait_for)

# What every test starts from: none of the variables the tests set.
CLEAN = {k: v for k, v in os.environ.items()
         if k not in ("GUNICORN_CMD_ARGS", "TANDEM_CMD_ARGS", "PORT", "FORWARDED_ALLOW_IPS",
                      "WEB_CONCURRENCY")}

# A Gunicorn user's file, unchanged but for the paths the test fills in.
GUNICORN_CONF = '''\
import multiprocessing
import os

bind = "127.0.0.1:" + os.environ["TEST_PORT"]
workers = int(os.environ.get("TEST_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = 4
timeout = 60
keepalive = 5
certfile = "{cert}"
keyfile = "{key}"
http_protocols = ["h2", "h1"]
limit_request_field_size = 1024


def post_fork(server, worker):
    server.log.info("Worker spawned (pid: %s)", worker.pid)
'''


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _run(argv, tmp_path, env=None, timeout=30):
    full = dict(CLEAN)
    full.update(env or {})
    return subprocess.run(argv, capture_output=True, timeout=timeout, cwd=str(tmp_path), env=full)


def _settings(text):
    """{section: {key: value}} from --print-config (tandem's sections, or one "")."""
    out, section = {}, ""
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif " = " in line:
            key, value = line.split(" = ", 1)
            out.setdefault(section, {})[key.strip()] = ast.literal_eval(value)
    return out


def _print_config(argv, tmp_path, env=None):
    r = _run(argv + ["--print-config"], tmp_path, env)
    assert r.returncode == 0, r.stderr.decode()
    return _settings(r.stdout.decode())


def _last_line(r):
    lines = [l for l in r.stderr.decode().splitlines() if l.strip()]
    assert lines, "no message at all"
    return lines[-1]


def _appd_pid(front_pid):
    for pid in children(front_pid):
        try:
            if os.path.basename(os.readlink("/proc/%d/exe" % pid)) == "tandem-appd":
                return pid
        except OSError:
            pass
    return None


# ---- a Gunicorn user's file ---------------------------------------------------

def test_gunicorn_conf_runs_with_tandem(tmp_path, certs):
    conf = _write(tmp_path, "gunicorn.conf.py", GUNICORN_CONF.format(cert=certs[0], key=certs[1]))
    port = free_port()
    env = dict(CLEAN, TEST_PORT=str(port), TEST_WORKERS="3")
    d = Daemon([FRONT, "-c", conf, "--pythonpath", APPS, "probe:app"], env=env, cwd=str(tmp_path))
    try:
        assert d.wait_ready(60), d.output()
        r = curl("--http2", "https://127.0.0.1:%d/" % port, "-w", "%{http_version}")
        assert r.stdout == b"hello2"
        appd = _appd_pid(d.pid)
        wait_for(lambda: len(children(appd)) == 3, 20, "3 workers")
        # The file's post_fork hook ran in each worker, logging through server.log.
        spawned = wait_for(lambda: len(re.findall(r"Worker spawned \(pid: (\d+)\)",
                                                  d.output())) == 3
                           and re.findall(r"Worker spawned \(pid: (\d+)\)", d.output()), 20,
                           "post_fork in each worker")
        assert {int(p) for p in spawned} == set(children(appd))
        # limit_request_field_size = 1024: a longer field is refused
        r = curl("--http1.1", "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Big: " + "a" * 2000,
                 "https://127.0.0.1:%d/" % port)
        assert r.stdout == b"431"
    finally:
        d.stop()
    s = _print_config([FRONT, "-c", conf, "probe:app"], tmp_path,
                      dict(TEST_PORT=str(port), TEST_WORKERS="3"))
    proxy, appd = s["tandem-proxy"], s["tandem-appd"]
    assert proxy["bind"] == ["127.0.0.1:%d" % port]
    assert (proxy["keepalive"], proxy["timeout"], proxy["limit_request_field_size"]) == (5, 60, 1024)
    assert proxy["http_protocols"] == ["h2", "h1"]
    assert (proxy["certfile"], proxy["keyfile"]) == certs
    assert (appd["workers"], appd["worker_class"], appd["threads"], appd["timeout"]) == \
        (3, "gthread", 4, 60)


def test_gunicorn_conf_runs_with_the_daemons_apart(tmp_path, certs):
    conf = _write(tmp_path, "gunicorn.conf.py", GUNICORN_CONF.format(cert=certs[0], key=certs[1]))
    port = free_port()
    env = dict(CLEAN, TEST_PORT=str(port), TEST_WORKERS="2")
    sock, proxy_conf = str(tmp_path / "app.sock"), str(tmp_path / "proxy.conf.py")
    # The proxy never runs Python: bind is computed, so it says how to get it evaluated.
    r = _run([PROXY, "-c", conf], tmp_path, env)
    assert r.returncode == 2
    line = _last_line(r)
    assert "gunicorn.conf.py:4: bind: the value is computed" in line, line
    assert "tandem -c" in line and "--export-proxy-config" in line, line
    # appd evaluates the file (its bind is the proxy's: its own socket is
    # on its command line) and hands the proxy the values.
    appd = Daemon([APPD, "-c", conf, "--bind", "unix:" + sock, "--pythonpath", APPS,
                   "--export-proxy-config", proxy_conf, "probe:app"], env=env, cwd=str(tmp_path))
    try:
        assert appd.wait_ready(60), appd.output()
        assert len(children(appd.pid)) == 2
        exported = open(proxy_conf).read()
        assert "bind = '127.0.0.1:%d'" % port in exported, exported   # as the file made it
        assert "workers" not in exported and "post_fork" not in exported, exported
        proxy = Daemon([PROXY, "-c", proxy_conf, "--upstream", "unix:" + sock], env=env,
                       cwd=str(tmp_path))
        try:
            assert proxy.wait_ready(30), proxy.output()
            r = curl("--http2", "https://127.0.0.1:%d/" % port, "-w", "%{http_version}")
            assert r.stdout == b"hello2"
        finally:
            proxy.stop()
    finally:
        appd.stop()


def test_proxy_reads_the_literals_of_the_same_file(tmp_path):
    """Computed values of appd's keys are not the proxy's business."""
    port = free_port()
    conf = _write(tmp_path, "gunicorn.conf.py",
                  "import os\nworkers = int(os.environ['TEST_WORKERS'])\nthreads = 2\n"
                  "bind = '127.0.0.1:%d'\nkeepalive = 7\nproxy_threads = 1\n"
                  "def when_ready(server): pass\n" % port)
    sock = str(tmp_path / "app.sock")
    env = dict(CLEAN, TEST_WORKERS="2")
    appd = Daemon([APPD, "-c", conf, "--bind", "unix:" + sock, "--pythonpath", APPS, "probe:app"],
                  env=env, cwd=str(tmp_path))
    try:
        assert appd.wait_ready(60), appd.output()
        proxy = Daemon([PROXY, "-c", conf, "--upstream", "unix:" + sock], env=env,
                       cwd=str(tmp_path))
        try:
            assert proxy.wait_ready(30), proxy.output()
            assert curl("http://127.0.0.1:%d/" % port).stdout == b"hello"
        finally:
            proxy.stop()
    finally:
        appd.stop()
    s = _print_config([PROXY, "-c", conf], tmp_path, env)[""]
    assert (s["keepalive"], s["proxy_threads"]) == (7, 1)   # threads is the workers'


# ---- precedence ---------------------------------------------------------------

LEVELS = ["file", "gunicorn", "tandem", "cli"]


def _layers(tmp_path, level, ports):
    """What sets workers (appd), keepalive and bind (proxy) up to level:
    file 2, GUNICORN_CMD_ARGS 3, TANDEM_CMD_ARGS 4, command line 5.  Returns
    the config flags, each daemon's command-line part, and the variables."""
    conf = _write(tmp_path, "layers.conf.py",
                  "workers = 2\nkeepalive = 2\nbind = ['127.0.0.1:%d']\n" % ports[0])
    n = LEVELS.index(level)
    env = {}
    if n >= 1:
        env["GUNICORN_CMD_ARGS"] = "-w 3 --keep-alive 3 -b 127.0.0.1:%d" % ports[1]
    if n >= 2:
        env["TANDEM_CMD_ARGS"] = "--workers=4 --keepalive=4 --bind=127.0.0.1:%d" % ports[2]
    appd = ["-w", "5"] if n >= 3 else []
    proxy = ["--keep-alive", "5", "-b", "127.0.0.1:%d" % ports[3]] if n >= 3 else []
    return ["-c", conf], appd, proxy, env


@pytest.mark.parametrize("level", LEVELS)
def test_each_source_overrides_the_one_before(tmp_path, level):
    ports = [free_port() for _ in range(4)]
    n = LEVELS.index(level)
    want, bind = n + 2, ["127.0.0.1:%d" % ports[n]]
    conf, appd, proxy, env = _layers(tmp_path, level, ports)
    assert _print_config([APPD] + conf + appd, tmp_path, env)[""]["workers"] == want
    s = _print_config([PROXY] + conf + proxy, tmp_path, env)[""]
    assert (s["keepalive"], s["bind"]) == (want, bind)
    s = _print_config([FRONT] + conf + appd + proxy + ["probe:app"], tmp_path, env)
    assert s["tandem-appd"]["workers"] == want
    assert (s["tandem-proxy"]["keepalive"], s["tandem-proxy"]["bind"]) == (want, bind)
    # and behaviour: tandem serves on that source's address, and on no other
    d = Daemon([FRONT] + conf + appd + proxy + ["--pythonpath", APPS, "probe:app"],
               env=dict(CLEAN, **env), cwd=str(tmp_path))
    try:
        assert d.wait_ready(60), d.output()
        assert curl("http://127.0.0.1:%d/" % ports[n]).stdout == b"hello"
        assert [p for p in ports if p != ports[n] and can_connect(("127.0.0.1", p))] == []
        wait_for(lambda: len(children(_appd_pid(d.pid))) == want, 20, "%d workers" % want)
    finally:
        d.stop()


def test_default_config_file_is_read_from_the_working_directory(tmp_path):
    _write(tmp_path, "gunicorn.conf.py", "workers = 3\nkeepalive = 9\n")
    s = _print_config([FRONT, "probe:app"], tmp_path)
    assert s["tandem-appd"]["workers"] == 3 and s["tandem-proxy"]["keepalive"] == 9
    assert s["tandem-appd"]["config"] == str(tmp_path / "gunicorn.conf.py")
    assert _print_config([PROXY], tmp_path)[""]["keepalive"] == 9
    # -c names another file: the default one is not read
    other = _write(tmp_path, "other.py", "workers = 4\n")
    s = _print_config([FRONT, "-c", other, "probe:app"], tmp_path)
    assert s["tandem-appd"]["workers"] == 4 and s["tandem-proxy"]["keepalive"] == 2
    # and from GUNICORN_CMD_ARGS
    s = _print_config([APPD], tmp_path, {"GUNICORN_CMD_ARGS": "-c other.py"})[""]
    assert s["workers"] == 4


def test_module_config_and_wsgi_app(tmp_path):
    (tmp_path / "siteconf.py").write_text("import os\nwsgi_app = 'probe:app'\nworkers = 2\n"
                                          "bind = '127.0.0.1:' + os.environ['TEST_PORT']\n")
    port = free_port()
    d = Daemon([FRONT, "-c", "python:siteconf", "--pythonpath", APPS],
               env=dict(CLEAN, TEST_PORT=str(port)), cwd=str(tmp_path))
    try:
        assert d.wait_ready(60), d.output()
        assert curl("http://127.0.0.1:%d/" % port).stdout == b"hello"
    finally:
        d.stop()
    r = _run([PROXY, "-c", "python:siteconf"], tmp_path)
    assert r.returncode == 2 and "reads files, not modules" in _last_line(r)


# ---- environment defaults -----------------------------------------------------

def test_port_forwarded_allow_ips_and_web_concurrency(tmp_path):
    port = free_port()
    env = {"PORT": str(port), "FORWARDED_ALLOW_IPS": "10.0.0.0/8,192.0.2.1",
           "WEB_CONCURRENCY": "3"}
    s = _print_config([FRONT, "probe:app"], tmp_path, env)
    assert s["tandem-proxy"]["bind"] == ["0.0.0.0:%d" % port]
    assert s["tandem-proxy"]["forwarded_allow_ips"] == ["10.0.0.0/8", "192.0.2.1"]
    assert s["tandem-appd"]["workers"] == 3
    # the config file overrides these defaults
    _write(tmp_path, "gunicorn.conf.py", "workers = 2\nforwarded_allow_ips = '*'\n")
    s = _print_config([FRONT, "probe:app"], tmp_path, env)
    assert s["tandem-appd"]["workers"] == 2
    assert s["tandem-proxy"]["forwarded_allow_ips"] == ["*"]
    assert s["tandem-proxy"]["bind"] == ["0.0.0.0:%d" % port]
    os.unlink(str(tmp_path / "gunicorn.conf.py"))
    d = Daemon([FRONT, "--pythonpath", APPS, "probe:app"], env=dict(CLEAN, **env),
               cwd=str(tmp_path))
    try:
        assert d.wait_ready(60), d.output()
        assert curl("http://127.0.0.1:%d/" % port).stdout == b"hello"
        wait_for(lambda: len(children(_appd_pid(d.pid))) == 3, 20, "3 workers")
    finally:
        d.stop()


# ---- errors -------------------------------------------------------------------

# (file text, who reports it, the line's expected text)
ERRORS = [
    ("timeout = 5\nwokers = 2\n", "all",
     "gunicorn.conf.py:2: unknown setting 'wokers'; did you mean 'workers'?"),
    ("spew = True\n", "all",
     "gunicorn.conf.py:1: 'spew' is a Gunicorn setting tandem does not support yet"),
    ("\nkeepalive = -1\n", "proxy",
     "gunicorn.conf.py:2: keepalive (--keep-alive): -1 is out of range (allowed: 0..86400)"),
    ("workers = 0\n", "appd",
     "gunicorn.conf.py:1: workers (--workers): 0 is out of range (allowed: 1..1024)"),
    ("timeout = 'soon'\n", "all", "gunicorn.conf.py:1: timeout (--timeout): 'soon' is not an "
                                  "integer"),
    ("http_protocols = ['h2', 'h3']\n", "proxy",
     "gunicorn.conf.py:1: http_protocols: unknown protocol 'h3' (allowed: h2, h1)"),
    ("import os\nbind = ('127.0.0.1:8000',\n", "appd-syntax",
     "gunicorn.conf.py:2: SyntaxError: '(' was never closed"),
    ("import os\nbind = ('127.0.0.1:8000',\n", "proxy-syntax",
     "gunicorn.conf.py:2: '(' was never closed"),
    ("workers = 2\nif True\n    threads = 2\n", "appd-syntax",
     "gunicorn.conf.py:2: SyntaxError: expected ':'"),
    ("import os\nworkers = int(os.environ['NO_SUCH_VARIABLE'])\n", "appd",
     "gunicorn.conf.py:2: KeyError: 'NO_SUCH_VARIABLE'"),
    ("post_fork = 3\n", "appd",
     "gunicorn.conf.py:1: post_fork: a server hook must be callable, not 'int'"),
    ("check_config = True\n", "all",
     "gunicorn.conf.py:1: 'check_config' is a command-line setting, not for a config file"),
]


def _who(who):
    appd = [APPD, "-c", "gunicorn.conf.py", "probe:app", "--check-config"]
    proxy = [PROXY, "-c", "gunicorn.conf.py", "--check-config"]
    front = [FRONT, "-c", "gunicorn.conf.py", "--pythonpath", APPS, "probe:app"]
    return {"all": [appd, proxy, front], "appd": [appd, front], "proxy": [proxy, front],
            "appd-syntax": [appd, front], "proxy-syntax": [proxy]}[who]


@pytest.mark.parametrize("text,who,needle", ERRORS)
def test_config_errors_name_file_and_line(tmp_path, text, who, needle):
    _write(tmp_path, "gunicorn.conf.py", text)
    for argv in _who(who):
        t0 = time.monotonic()
        r = _run(argv, tmp_path)
        assert r.returncode == 2 and time.monotonic() - t0 < 10, (argv[0], r)
        err = r.stderr.decode()
        # one line from the daemon (tandem adds its own after it)
        line = [l for l in err.splitlines() if l.startswith("error: ")]
        assert len(line) == 1 and needle in line[0], (argv[0], err)


def test_missing_config_file(tmp_path):
    for argv in ([APPD, "-c", "nosuch.py", "probe:app"], [PROXY, "-c", "nosuch.py"],
                 [FRONT, "-c", "nosuch.py", "probe:app"]):
        r = _run(argv, tmp_path)
        assert r.returncode == 2, r
        assert "error: cannot read config file nosuch.py: No such file or directory" in \
            r.stderr.decode(), r.stderr


def test_bad_variables_stop_tandem_before_anything_starts(tmp_path):
    r = _run([FRONT, "probe:app"], tmp_path, {"GUNICORN_CMD_ARGS": "--wrokers 2"})
    assert r.returncode == 2
    assert _last_line(r) == ("tandem: error: GUNICORN_CMD_ARGS: unrecognized option '--wrokers' "
                             "(see tandem --help); did you mean --workers?")
    r = _run([APPD, "probe:app"], tmp_path, {"TANDEM_CMD_ARGS": "--spew"})
    assert r.returncode == 2
    assert _last_line(r) == ("error: TANDEM_CMD_ARGS: option '--spew' (spew) is a Gunicorn "
                             "setting tandem does not support yet")
    r = _run([PROXY], tmp_path, {"GUNICORN_CMD_ARGS": "--keep-alive=x"})
    assert r.returncode == 2
    assert "GUNICORN_CMD_ARGS: keepalive (--keep-alive): 'x' is not an integer" in _last_line(r)


# ---- --check-config and --print-config through tandem -----------------------

def test_check_config_through_tandem(tmp_path, certs):
    ok = _run([FRONT, "--check-config", "--pythonpath", APPS, "--certfile", certs[0],
               "--keyfile", certs[1], "probe:app"], tmp_path)
    assert ok.returncode == 0, ok
    assert ok.stdout.decode().splitlines() == ["probe:app: OK", "tandem-proxy: OK"]
    # both daemons are checked; each error is labelled
    bad = _run([FRONT, "--check-config", "--pythonpath", APPS, "--certfile", "/nonexistent.pem",
                "--keyfile", certs[1], "probe:nosuch"], tmp_path)
    assert bad.returncode == 1, bad
    err = bad.stderr.decode()
    assert "tandem-appd: error: 'probe:nosuch' not found" in err, err
    assert "tandem-proxy: error: " in err and "/nonexistent.pem" in err, err
    # a config file that does not evaluate leaves the proxy unchecked, and says so
    _write(tmp_path, "gunicorn.conf.py", "workers = 0\n")
    bad = _run([FRONT, "--check-config", "--pythonpath", APPS, "probe:app"], tmp_path)
    assert bad.returncode == 1
    assert "tandem-appd: error: " in bad.stderr.decode()
    assert "tandem-proxy: not checked" in bad.stderr.decode()


def test_print_config_through_tandem_is_labelled(tmp_path):
    r = _run([FRONT, "--print-config", "-w", "3", "--keep-alive", "4", "--proxy-threads", "2"],
             tmp_path)
    assert r.returncode == 0, r
    out = r.stdout.decode()
    assert out.startswith("[tandem-appd]\n") and "\n\n[tandem-proxy]\n" in out, out
    s = _settings(out)
    assert s["tandem-appd"]["workers"] == 3 and s["tandem-proxy"]["keepalive"] == 4
    assert s["tandem-proxy"]["proxy_threads"] == 2 and s["tandem-appd"]["threads"] == 1


# ---- Gunicorn's spellings -------------------------------------------------------

def test_gunicorn_spellings_and_old_ones(tmp_path):
    log = str(tmp_path / "e.log")
    for spelling in (["--keep-alive", "6", "--limit-request-field_size", "300", "--log-file", log],
                     ["--keepalive=6", "--limit-request-field-size=300", "--error-logfile", log]):
        s = _print_config([PROXY] + spelling, tmp_path)[""]
        assert (s["keepalive"], s["limit_request_field_size"], s["errorlog"]) == (6, 300, log)
        s = _print_config([FRONT] + spelling + ["probe:app"], tmp_path)
        assert s["tandem-proxy"]["keepalive"] == 6
        assert s["tandem-appd"]["errorlog"] == log
    assert _print_config([APPD, "--log-file", log], tmp_path)[""]["errorlog"] == log
    for prog in ([APPD, "a:b"], [PROXY], [FRONT, "a:b"]):
        r = _run(prog + ["--spew"], tmp_path)
        assert r.returncode == 2
        assert "'--spew' (spew) is a Gunicorn setting tandem does not support yet" in _last_line(r)
