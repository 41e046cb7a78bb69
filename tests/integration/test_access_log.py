"""test_access_log.py: tandem-proxy's access log through the real daemons:
every Gunicorn atom and tandem's own over HTTP/1.1 and HTTP/2, environ
entries as the app saw them, the proxy's own 431 and 503, the default line
byte for byte against Gunicorn 20's, USR1 after a logrotate-style rename,
and formats refused at start-up."""
import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time

import pytest

from harness import APPS, FRONT, PROXY, Daemon, Stack, curl, free_port, run, wait_for

SEP = "\x1f"  # a separator no atom's value can contain (bytes below 0x20 are escaped)
ATOMS = ["h", "l", "u", "t", "r", "s", "m", "U", "q", "H", "b", "B", "f", "a", "T", "D", "M", "L",
         "p", "{x-req}i", "{content-type}o", "{REMOTE_ADDR}e", "{http_x_req}e", "{stream_id}t",
         "{worker_pid}t", "{connection}t"]
EVERY_ATOM = SEP.join("%%(%s)s" % a for a in ATOMS)
TIME_RE = r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]"


@contextlib.contextmanager
def stack(**kwargs):
    s = Stack(**kwargs)
    try:
        yield s
    finally:
        s.close()


def read_lines(path, n, timeout=10):
    """The first n lines of the log, once they are there."""
    def lines():
        if not os.path.exists(path):
            return None
        with open(path, encoding="ascii") as f:
            got = f.read().splitlines()
        return got if len(got) >= n else None
    return wait_for(lines, timeout, "%d access-log lines in %s" % (n, path))[:n]


def atoms_of(line):
    values = line.split(SEP)
    assert len(values) == len(ATOMS), line
    return dict(zip(ATOMS, values))


@pytest.fixture(scope="module")
def logged(certs, tmp_path_factory):
    """A TLS stack whose access log has every atom, and its log's path."""
    path = str(tmp_path_factory.mktemp("alog") / "access.log")
    s = Stack(workers=1, tls=certs,
              proxy_args=["--access-logfile", path, "--access-logformat", EVERY_ATOM])
    yield s, path
    s.close()


def request_every_atom(stack, proto):
    body = curl(proto, "-u", "alice:secret", "-H", "X-Req: v\t1", "-e", "http://ref/x",
                "-A", "ua/1", stack.url + "/p%69d?a=%20b").stdout.decode()
    return int(body)


@pytest.mark.parametrize("proto,version,stream", [("--http1.1", "HTTP/1.1", "-"),
                                                  ("--http2", "HTTP/2.0", "1")])
def test_every_atom(logged, proto, version, stream):
    stack, path = logged
    before = len(open(path).read().splitlines()) if os.path.exists(path) else 0
    started = time.time()
    pid = request_every_atom(stack, proto)
    a = atoms_of(read_lines(path, before + 1)[before])
    assert a["h"] == "127.0.0.1" and a["l"] == "-" and a["u"] == "alice"
    assert re.fullmatch(TIME_RE, a["t"]), a["t"]
    logged_at = time.mktime(time.strptime(a["t"], "[%d/%b/%Y:%H:%M:%S %z]"))
    assert started - 2 <= logged_at <= time.time() + 1
    assert a["r"] == "GET /p%69d?a=%20b " + version
    assert (a["s"], a["m"], a["U"], a["q"], a["H"]) == ("200", "GET", "/pid", "a=%20b", version)
    assert a["b"] == a["B"] == str(len(str(pid)))
    assert (a["f"], a["a"]) == ("http://ref/x", "ua/1")
    assert a["T"] == "0" and int(a["D"]) // 1000 == int(a["M"])
    assert re.fullmatch(r"0\.\d{6}", a["L"]) and int(a["L"][2:]) == int(a["D"])
    assert a["p"] == "<%d>" % pid and a["{worker_pid}t"] == str(pid)
    assert a["{x-req}i"] == a["{http_x_req}e"] == "v\\x091"  # the tab, escaped
    assert a["{content-type}o"] == "text/plain"
    assert a["{REMOTE_ADDR}e"] == "127.0.0.1"
    assert a["{stream_id}t"] == stream
    assert int(a["{connection}t"]) >= 1


ENV_NAMES = ["REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "RAW_URI", "SERVER_PROTOCOL",
             "REMOTE_ADDR", "REMOTE_PORT", "SERVER_NAME", "SERVER_PORT", "HTTP_HOST",
             "CONTENT_TYPE", "CONTENT_LENGTH", "SERVER_SOFTWARE", "wsgi.url_scheme",
             "tandem.stream_id", "HTTP_USER_AGENT", "HTTP_X_MULTI", "HTTP_COOKIE"]


@pytest.mark.parametrize("proto", ["--http1.1", "--http2"])
def test_environ_entries_as_the_app_saw_them(certs, tmp_path, proto):
    path = str(tmp_path / "access.log")
    names = ENV_NAMES + (["tandem.h2_stream_id"] if proto == "--http2" else [])
    fmt = SEP.join("%%({%s}e)s" % n for n in names)
    with stack(workers=1, tls=certs,
               proxy_args=["--access-logfile", path, "--access-logformat", fmt]) as s:
        env = json.loads(curl(proto, "-A", "ua/2", "-H", "X-Multi: a", "-H", "X-Multi: b",
                              "-H", "Cookie: c=1", "-H", "Content-Type: text/x-test",
                              "--data-binary", "12345", "-X", "GET",
                              s.url + "/environ?x=%2F1").stdout)
        values = read_lines(path, 1)[0].split(SEP)
    for name, value in zip(names, values):
        assert value == str(env[name]), (name, value, env[name])


def test_proxy_answered_431_and_503(tmp_path, certs):
    path = str(tmp_path / "access.log")
    fmt = "%(s)s %(r)s %(p)s %({worker_pid}t)s %(b)s %(D)s"
    with stack(workers=1, tls=certs,
               proxy_args=["--access-logfile", path, "--access-logformat", fmt,
                           "--limit-request-field_size", "200", "--queue-timeout", "1"]) as s:
        big = "X-Big: " + "x" * 300
        r = curl("--http1.1", "-H", big, s.url + "/", "-o", "/dev/null", "-w", "%{http_code}")
        assert r.stdout == b"431"
        r = curl("--http2", "-H", big, s.url + "/h2", "-o", "/dev/null", "-w", "%{http_code}")
        assert r.stdout == b"431"
        # The only worker sleeps; the next request waits 1 s for it, then 503.
        mark = str(tmp_path / "busy")
        slow = threading.Thread(target=curl,
                                args=("--http1.1", s.url + "/sleep?s=3&mark=" + mark))
        slow.start()
        wait_for(lambda: os.path.exists(mark), 10, "the worker busy")
        r = curl("--http2", s.url + "/queued", "-o", "/dev/null", "-w", "%{http_code}")
        assert r.stdout == b"503"
        slow.join()
        lines = read_lines(path, 4)
        proxy = "<%d>" % s.proxy.pid
    h1_431, h2_431, queued = lines[0].split(), lines[1].split(), None
    # HTTP/1: no request was understood, so its atoms are '-'.
    assert h1_431[:3] == ["431", "-", proxy] and h1_431[3] == "-"
    assert h2_431[:5] == ["431", "GET", "/h2", "HTTP/2.0", proxy] and h2_431[5] == "-"
    assert int(h2_431[6]) == len("Request Header Fields Too Large\n")
    for line in lines[2:]:
        f = line.split()
        if f[0] == "503":
            queued = f
    assert queued and queued[1:5] == ["GET", "/queued", "HTTP/2.0", proxy], lines
    assert queued[5] == "-" and int(queued[7]) >= 900000  # it waited the queue timeout


def gunicorn_line(tmp_path, args):
    """Gunicorn 20's access line for the request curl args make."""
    port = free_port()
    path = str(tmp_path / "gunicorn-access.log")
    p = subprocess.Popen(["/usr/bin/python3", "-m", "gunicorn", "-b", "127.0.0.1:%d" % port,
                          "--pythonpath", APPS, "--access-logfile", path, "probe:app"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        wait_for(lambda: curl("http://127.0.0.1:%d/pid" % port, check=False).returncode == 0,
                 20, "gunicorn")
        curl(*args, "http://127.0.0.1:%d/?a=%%20b&q" % port)
        wanted = lambda: [ln for ln in open(path).read().splitlines() if "/?a=%20b&q" in ln]
        return wait_for(wanted, 10, "gunicorn's line")[0]
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(20)


def test_default_line_byte_for_byte_as_gunicorn(tmp_path):
    args = ["--http1.1", "-A", 'agent "quoted" \\ 1', "-e", "http://ref/", "-u", "bob:pw"]
    expected = gunicorn_line(tmp_path, args)
    path = str(tmp_path / "access.log")
    with stack(workers=1, proxy_args=["--access-logfile", path]) as s:
        curl(*args, s.url + "/?a=%20b&q")
        curl("--http1.1", "-H", "User-Agent:", s.url + "/?a=%20b&q")  # no Referer, no UA
        ours, bare = read_lines(path, 2)
    assert re.sub(TIME_RE, "[T]", ours) == re.sub(TIME_RE, "[T]", expected)
    assert ours.endswith('"GET /?a=%20b&q HTTP/1.1" 200 5 "http://ref/" "agent \\"quoted\\" \\ 1"')
    assert bare.endswith('"GET /?a=%20b&q HTTP/1.1" 200 5 "-" "-"')
    assert bare.startswith("127.0.0.1 - - [")


def test_usr1_reopens_after_rename(tmp_path):
    path = str(tmp_path / "access.log")
    with stack(workers=1, proxy_args=["--access-logfile", path,
                                      "--access-logformat", "%(U)s"]) as s:
        curl(s.url + "/before")
        read_lines(path, 1)
        os.rename(path, path + ".1")
        curl(s.url + "/renamed")  # still into the renamed file
        read_lines(path + ".1", 2)
        os.kill(s.proxy.pid, signal.SIGUSR1)
        wait_for(lambda: os.path.exists(path), 10, "the reopened log")
        curl(s.url + "/after")
        assert read_lines(path, 1) == ["/after"]
        with open(path + ".1") as f:
            assert f.read() == "/before\n/renamed\n"
        assert "log reopened" in s.proxy.output()


def test_stdout_and_no_log_at_all(tmp_path):
    with stack(workers=1, proxy_args=["--access-logfile", "-", "--access-logformat",
                                      "line %(s)s %(U)s"]) as s:
        curl(s.url + "/to-stdout")
        wait_for(lambda: "line 404 /to-stdout" in s.proxy.output(), 10, "the line on stdout")


GUNICORN_CONF = '''
import os
bind = "127.0.0.1:{port}"
workers = 1
accesslog = os.path.join(os.path.dirname(__file__), "access.log")
access_log_format = "%(p)s %(r)s %(s)s"
'''


def test_gunicorn_conf_through_tandem(tmp_path):
    """A gunicorn.conf.py computing accesslog: tandem-appd evaluates it, and
    the proxy writes the log."""
    port = free_port()
    (tmp_path / "gunicorn.conf.py").write_text(GUNICORN_CONF.format(port=port))
    d = Daemon([FRONT, "-c", str(tmp_path / "gunicorn.conf.py"), "--pythonpath", APPS,
                "probe:app"], cwd=str(tmp_path))
    try:
        assert d.wait_ready(60), d.output()
        pid = int(curl("http://127.0.0.1:%d/pid" % port).stdout)
        assert read_lines(str(tmp_path / "access.log"), 1) == ["<%d> GET /pid HTTP/1.1 200" % pid]
    finally:
        d.stop()


@pytest.mark.parametrize("fmt,message", [
    ("%(h)s %(z)s", "access_log_format: unknown atom 'z'"),
    ("%({SCRIPT_NAME}e)s", "environ variable '{SCRIPT_NAME}e' is not one the proxy knows"),
    ("%(h)r", "conversion '%(h)r' is not supported"),
])
def test_bad_format_refused_at_start(fmt, message):
    r = run([PROXY, "--access-logformat", fmt, "--check-config"], check=False)
    assert r.returncode == 2, r
    assert message in r.stderr.decode(), r.stderr


def test_bad_format_in_config_file_names_its_line(tmp_path):
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text('workers = 2\naccess_log_format = "%(h)s %({x}q)s"\n')
    r = run([PROXY, "-c", str(conf), "--check-config"], check=False)
    assert r.returncode == 2
    assert "gunicorn.conf.py:2: access_log_format: unknown atom '{x}q'" in r.stderr.decode()
