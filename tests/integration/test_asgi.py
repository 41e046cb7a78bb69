"""test_asgi.py: the asgi worker class (-k asgi) through the real proxy
with real clients (curl, python3-h2 raw frames, h2load), over HTTP/2 and
HTTP/1.1: the scope, streaming bodies, disconnects, lifespan, errors and
every misbehaving-app case."""
import hashlib
import json
import os
import socket
import ssl
import subprocess
import time

import h2.events
import pytest

from asgi_h2 import H2
from harness import APPD, APPS, ROOT, Stack, curl, run, wait_for

PROTOS = ["--http2", "--http1.1"]
MIB = 1024 * 1024


@pytest.fixture(scope="module", params=["auto", "asyncio"])
def asgi(request, certs, tmp_path_factory):
    """auto is uvloop when python3-uvloop is installed: both loops are run."""
    log = tmp_path_factory.mktemp("asgi") / "probe.log"
    s = Stack(app="asgi_probe:app", workers=1, tls=certs, env={"ASGI_PROBE_LOG": str(log)},
              appd_args=["-k", "asgi", "--asgi-loop", request.param])
    s.probe_log = str(log)
    yield s
    s.close()


def probe_lines(stack):
    try:
        with open(stack.probe_log) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


@pytest.mark.parametrize("proto", PROTOS)
def test_hello(asgi, proto):
    assert curl(proto, asgi.url + "/").stdout == b"hello"


def test_http10(asgi):
    r = curl("--http1.0", "-i", asgi.url + "/scope")
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200")
    assert json.loads(body)["http_version"] == "1.0"


@pytest.mark.parametrize("proto", PROTOS)
def test_scope(asgi, proto):
    r = curl(proto, "-H", "X-Twice: 1", "-H", "X-Twice: 2", "-H", "X-Case: Value",
             asgi.url + "/scope/caf%C3%A9%20x?a=1&b=%20")
    s = json.loads(r.stdout)
    assert s["type"] == "http"
    assert s["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert s["http_version"] == ("2" if proto == "--http2" else "1.1")
    assert s["method"] == "GET" and s["scheme"] == "https"
    assert s["path"] == "/scope/café x"
    assert s["raw_path"] == "/scope/caf%C3%A9%20x"
    assert s["query_string"] == "a=1&b=%20"
    assert s["root_path"] == ""
    names = [n for n, _ in s["headers"]]
    assert all(n == n.lower() for n in names)
    assert [v for n, v in s["headers"] if n == "x-twice"] == ["1", "2"]
    assert ["x-case", "Value"] in s["headers"]
    assert names.count("host") == 1
    if proto == "--http2":
        assert s["headers"][0] == ["host", "127.0.0.1:%d" % asgi.port]
    assert s["client"][0] == "127.0.0.1" and isinstance(s["client"][1], int)
    assert s["server"] == ["127.0.0.1", asgi.port]
    ext = s["extensions"]
    for name in ("http.response.trailers", "http.response.early_hint",
                 "http.response.informational", "http.response.pathsend", "tandem.priority"):
        assert name in ext, name
    assert ext["tandem.priority"]["urgency"] == 3
    assert ("http.response.priority" in ext) == (proto == "--http2")


@pytest.mark.parametrize("proto", PROTOS)
def test_echo_10mib_byte_exact(asgi, proto, tmp_path):
    data = os.urandom(10 * MIB)
    src, dst = tmp_path / "in", tmp_path / "out"
    src.write_bytes(data)
    curl(proto, "--data-binary", "@%s" % src, "-H", "Content-Type: application/octet-stream",
         "-o", str(dst), asgi.url + "/echo", timeout=120)
    assert hashlib.sha256(dst.read_bytes()).digest() == hashlib.sha256(data).digest()
    r = curl(proto, "--data-binary", "@%s" % src, asgi.url + "/sha", timeout=120)
    assert r.stdout == b"%s %d" % (hashlib.sha256(data).hexdigest().encode(), len(data))


@pytest.mark.parametrize("proto", PROTOS)
def test_stream_10mib(asgi, proto, tmp_path):
    out = tmp_path / "out"
    curl(proto, "-o", str(out), asgi.url + "/stream?n=%d" % (10 * MIB + 7), timeout=120)
    assert out.read_bytes() == b"y" * (10 * MIB + 7)


@pytest.mark.parametrize("proto", PROTOS)
def test_pathsend(asgi, proto, tmp_path):
    f = tmp_path / "file.bin"
    data = os.urandom(3 * MIB + 5)
    f.write_bytes(data)
    out = tmp_path / "out"
    r = curl(proto, "-D", "-", "-o", str(out), asgi.url + "/pathsend?f=%s" % f)
    assert out.read_bytes() == data
    assert b"content-length: %d" % len(data) in r.stdout.lower()


def test_lifespan_state(asgi):
    assert json.loads(curl(asgi.url + "/state").stdout) == {"token": "from-lifespan"}


def test_disconnect_mid_body_h2(asgi):
    before = len(probe_lines(asgi))
    c = H2(asgi.port)
    try:
        sid = c.open("POST", "/watch")
        c.data(sid, b"x" * 1000)
        wait_for(lambda: "http.request" in probe_lines(asgi)[before:], 10, "the first body bytes")
        c.reset(sid)
        wait_for(lambda: "http.disconnect" in probe_lines(asgi)[before:], 10,
                 "http.disconnect in the app")
    finally:
        c.close()
    lines = probe_lines(asgi)[before:]
    assert lines[0] == "watch-start" and "http.request" in lines
    assert lines[-1] == "http.disconnect"


def test_send_waits_for_a_slow_client(asgi):
    """The client's window is full: the app's await send() waits (end-to-end
    back-pressure), then the whole body arrives once the client reads."""
    before = len(probe_lines(asgi))
    total = 64 * MIB
    c = H2(asgi.port)
    try:
        sid = c.open("GET", "/stream?n=%d&log=%d" % (total, MIB), end=True)
        time.sleep(2)  # reading nothing: only the windows and buffers fill
        sent = [int(ln.split()[1]) for ln in probe_lines(asgi)[before:] if ln.startswith("sent ")]
        assert max(sent, default=0) <= 24 * MIB, sent[-1:]
        evs = c.events(sid)
    finally:
        c.close()
    assert sum(len(e.data) for e in evs if isinstance(e, h2.events.DataReceived)) == total
    assert isinstance(evs[-1], h2.events.StreamEnded)


def test_disconnect_mid_body_http11(asgi):
    before = len(probe_lines(asgi))
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", asgi.port), timeout=10))
    s.sendall(b"POST /watch HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000)
    wait_for(lambda: "http.request" in probe_lines(asgi)[before:], 10, "the first body bytes")
    s.close()
    wait_for(lambda: "http.disconnect" in probe_lines(asgi)[before:], 10,
             "http.disconnect in the app")


@pytest.mark.parametrize("proto", PROTOS)
def test_exception_before_head_is_500(asgi, proto):
    r = curl(proto, "-w", "%{http_code}", "-o", "/dev/null", asgi.url + "/error")
    assert r.stdout == b"500"
    wait_for(lambda: "RuntimeError: boom before the head" in asgi.appd.output(), 10,
             "the traceback in the error log")
    assert curl(proto, asgi.url + "/").stdout == b"hello"  # the worker serves on


def test_exception_after_head_resets_h2(asgi):
    c = H2(asgi.port)
    try:
        sid = c.open("GET", "/error-late", end=True)
        evs = c.events(sid)
    finally:
        c.close()
    assert isinstance(evs[-1], h2.events.StreamReset) and evs[-1].error_code == 2
    assert not any(isinstance(e, h2.events.StreamEnded) for e in evs)
    # A reset may overtake the head and DATA the proxy had not written yet.
    assert b"partial".startswith(b"".join(e.data for e in evs
                                          if isinstance(e, h2.events.DataReceived)))


def test_exception_after_head_cuts_http11(asgi):
    r = curl("--http1.1", asgi.url + "/error-late", check=False)
    assert r.returncode != 0 and r.stdout == b"partial"


BAD = [
    ("body-before-start", 500, "http.response.body sent before http.response.start"),
    ("second-start", 500, "http.response.start sent a second time"),
    ("after-complete", 200, "sent after the response body was complete"),
    ("unknown-type", 500, "unknown message type 'http.response.begin'"),
    ("status-str", 500, "'status' must be an int, not str"),
    ("body-str", 500, "'body' must be bytes, not str (encode it)"),
    ("header-str", 500, "headers[0]: name must be bytes, not str"),
    ("more-body-int", 500, "'more_body' must be a bool, not int"),
    ("not-a-dict", 500, "send() takes an ASGI message (a dict), not list"),
    ("trailers-unannounced", 200, "did not say trailers: True"),
    ("no-response", 500, "returned without sending http.response.start"),
]


@pytest.mark.parametrize("proto", PROTOS)
@pytest.mark.parametrize("kind,status,why", BAD)
def test_misbehaving_app(asgi, proto, kind, status, why):
    r = curl(proto, "-w", "\n%{http_code}", asgi.url + "/bad/" + kind)
    body, _, code = r.stdout.rpartition(b"\n")
    assert int(code) == status, r.stdout
    if status == 200:
        assert body in (b"done", b"x")
    else:
        assert b"Internal Server Error" in body
    wait_for(lambda: why in asgi.appd.output(), 10, "'%s' in the error log" % why)


@pytest.mark.parametrize("proto", PROTOS)
def test_body_stopping_short_is_not_complete(asgi, proto):
    r = curl(proto, asgi.url + "/bad/short-body", check=False)
    # h2: RST_STREAM INTERNAL_ERROR (curl 92); HTTP/1.1: the connection is cut (18)
    assert r.returncode == (92 if proto == "--http2" else 18), r.stderr
    if proto == "--http1.1":
        assert r.stdout == b"x"
    wait_for(lambda: "before the response body was complete" in asgi.appd.output(), 10,
             "the log line")


def test_1000_concurrent_sleepers_on_one_worker(certs):
    s = Stack(app="asgi_probe:app", workers=1, appd_args=["-k", "asgi"], tls=certs,
              proxy_args=["--http2-max-concurrent-streams", "1000"])
    try:
        t0 = time.monotonic()
        r = run(["h2load", "-n", "1000", "-c", "4", "-m", "250", s.url + "/sleep?s=1"],
                timeout=120)
        took = time.monotonic() - t0
        out = r.stdout.decode()
        assert "1000 succeeded" in out and "1000 2xx" in out, out
        print("1000 sleepers of 1 s on one asgi worker: %.2f s" % took)
        assert took < 10
    finally:
        s.close()


def test_disconnected_task_is_cancelled_after_the_grace_period(certs, tmp_path):
    log = tmp_path / "probe.log"
    s = Stack(app="asgi_probe:app", workers=1, tls=certs, env={"ASGI_PROBE_LOG": str(log)},
              appd_args=["-k", "asgi", "--asgi-disconnect-grace-period", "1"])
    try:
        c = H2(s.port)
        sid = c.open("GET", "/sleep?s=60", end=True)
        time.sleep(0.3)
        t0 = time.monotonic()
        c.reset(sid)
        wait_for(lambda: log.exists() and "sleep cancelled" in log.read_text(), 10,
                 "the task's cancellation")
        assert 0.8 < time.monotonic() - t0 < 5
        c.close()
        assert curl(s.url + "/").stdout == b"hello"
    finally:
        s.close()


def test_asgi2_double_callable_is_wrapped(certs):
    s = Stack(app="asgi_probe:Asgi2", workers=1, appd_args=["-k", "asgi"], tls=certs)
    try:
        assert curl(s.url + "/x").stdout == b"asgi2 /x"
        assert "ASGI 2 double callable" in s.appd.output()
    finally:
        s.close()


def test_uvicorn_worker_name(certs):
    s = Stack(app="asgi_probe:app", workers=1, tls=certs,
              appd_args=["-k", "uvicorn.workers.UvicornWorker", "--asgi-loop", "asyncio",
                         "--root-path", "/api"])
    try:
        sc = json.loads(curl("--http2", s.url + "/scope").stdout)
        assert sc["root_path"] == "/api"
        out = s.appd.output()
        assert "Using worker: asgi (serving uvicorn.workers.UvicornWorker)" in out
        assert "event loop asyncio" in out
    finally:
        s.close()


LIFESPAN_APP = '''
import os
LOG = os.environ["LIFE_LOG"]
MODE = os.environ.get("LIFE_MODE", "ok")

def log(x):
    with open(LOG, "a") as f:
        f.write(x + "\\n")

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        if MODE == "raise":
            raise ValueError("no lifespan here")
        while True:
            m = await receive()
            log(m["type"])
            if m["type"] == "lifespan.startup":
                if MODE == "fail":
                    await send({"type": "lifespan.startup.failed", "message": "database down"})
                    return
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    log("request " + scope["path"])
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
'''


def test_lifespan_order(certs, tmp_path):
    (tmp_path / "life.py").write_text(LIFESPAN_APP)
    log = tmp_path / "life.log"
    s = Stack(app="life:app", workers=1, appd_args=["-k", "asgi"], tls=certs,
              env={"LIFE_LOG": str(log)}, pythonpath=str(tmp_path))
    try:
        assert log.read_text().splitlines() == ["lifespan.startup"]
        assert curl(s.url + "/one").stdout == b"ok"
    finally:
        s.close()
    assert log.read_text().splitlines() == ["lifespan.startup", "request /one",
                                            "lifespan.shutdown"]


def _appd(tmp_path, *args, timeout=30):
    (tmp_path / "life.py").write_text(LIFESPAN_APP)
    env = dict(os.environ, LIFE_LOG=str(tmp_path / "life.log"))
    for a in args:
        if a.startswith("LIFE_MODE="):
            env["LIFE_MODE"] = a.split("=", 1)[1]
    argv = [APPD, "--bind", "unix:%s/a.sock" % tmp_path, "--pythonpath", str(tmp_path),
            "-k", "asgi", "-w", "2"] + [a for a in args if "=" not in a or a.startswith("-")]
    return subprocess.run(argv + ["life:app"], capture_output=True, timeout=timeout, env=env)


def test_lifespan_startup_failure_stops_the_server(tmp_path):
    t0 = time.monotonic()
    r = _appd(tmp_path, "LIFE_MODE=fail")
    err = r.stderr.decode()
    assert r.returncode == 4, err
    assert err.splitlines()[-1] == "error: lifespan startup failed: database down"
    assert err.count("Booting worker") <= 2  # not respawned in a loop
    assert time.monotonic() - t0 < 20


def test_lifespan_on_makes_an_exception_fatal(tmp_path):
    r = _appd(tmp_path, "LIFE_MODE=raise", "--asgi-lifespan", "on")
    err = r.stderr.decode()
    assert r.returncode == 4, err
    assert "lifespan startup failed: ValueError: no lifespan here" in err.splitlines()[-1]


def test_lifespan_auto_goes_on_without_it(certs, tmp_path):
    (tmp_path / "life.py").write_text(LIFESPAN_APP)
    s = Stack(app="life:app", workers=1, appd_args=["-k", "asgi"], tls=certs,
              env={"LIFE_LOG": str(tmp_path / "l.log"), "LIFE_MODE": "raise"},
              pythonpath=str(tmp_path))
    try:
        assert curl(s.url + "/x").stdout == b"ok"
        assert "'lifespan' protocol appears unsupported" in s.appd.output()
    finally:
        s.close()


def test_http2_features_example(certs):
    ex = os.path.join(ROOT, "contrib", "examples", "http2_features")
    s = Stack(app="asgi_app:app", workers=1, appd_args=["-k", "asgi"], tls=certs, pythonpath=ex)
    try:
        r = subprocess.run(["/usr/bin/python3", os.path.join(ex, "client.py"), "--insecure",
                            s.url], capture_output=True, timeout=60)
        out = r.stdout.decode()
        lines = [ln for ln in out.splitlines() if ln[:4] in ("PASS", "FAIL")]
        assert r.returncode == 0 and len(lines) == 8, out
        assert all(ln.startswith("PASS") for ln in lines), out
    finally:
        s.close()
