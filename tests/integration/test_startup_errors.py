"""test_startup_errors.py: every start-up mistake a user can make ends in one
clear line naming the cause and a non-zero exit, within 5 seconds."""
import os
import socket
import subprocess
import time

import pytest

from harness import APPD, APPS, PROXY, free_port


def _run(argv, timeout=5):
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, timeout=timeout, cwd=APPS)
    return r, time.monotonic() - t0


def _last_line(r):
    lines = [l for l in r.stderr.decode().splitlines() if l.strip()]
    assert lines, "no message at all"
    return lines[-1]


def test_nonexistent_module(tmp_path):
    r, t = _run([APPD, "--bind", "unix:%s/a.sock" % tmp_path, "--pythonpath", APPS, "nosuchmod:app"])
    assert r.returncode != 0 and t < 5
    line = _last_line(r)
    assert "nosuchmod" in line and "No module named" in line, line


def test_callable_not_found(tmp_path):
    r, t = _run([APPD, "--bind", "unix:%s/a.sock" % tmp_path, "--pythonpath", APPS, "probe:nosuch"])
    assert r.returncode != 0 and t < 5
    line = _last_line(r)
    assert "nosuch" in line, line


def test_cert_file_missing(tmp_path, certs):
    r, t = _run([PROXY, "--bind", "127.0.0.1:%d" % free_port(), "--upstream",
                 "unix:%s/a.sock" % tmp_path, "--certfile", "/nonexistent/cert.pem",
                 "--keyfile", certs[1]])
    assert r.returncode != 0 and t < 5
    line = _last_line(r)
    assert "/nonexistent/cert.pem" in line and "No such file" in line, line


def test_key_not_matching_cert(tmp_path, certs):
    other = tmp_path / "other"
    subprocess.run([os.path.join(os.path.dirname(APPS), "..", "..", "contrib", "dev", "devcert"),
                    str(other)], check=True, capture_output=True)
    r, t = _run([PROXY, "--bind", "127.0.0.1:%d" % free_port(), "--upstream",
                 "unix:%s/a.sock" % tmp_path, "--certfile", certs[0],
                 "--keyfile", str(other / "key.pem")])
    assert r.returncode != 0 and t < 5
    line = _last_line(r)
    assert "does not match" in line and "key.pem" in line, line


def test_port_in_use(tmp_path, certs):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r, t = _run([PROXY, "--bind", "127.0.0.1:%d" % port, "--upstream",
                     "unix:%s/a.sock" % tmp_path, "--certfile", certs[0], "--keyfile", certs[1]])
    assert r.returncode != 0 and t < 5
    line = _last_line(r)
    assert str(port) in line and "in use" in line, line


def test_appd_socket_missing(tmp_path, certs):
    r, t = _run([PROXY, "--bind", "127.0.0.1:%d" % free_port(), "--upstream",
                 "unix:%s/missing.sock" % tmp_path, "--certfile", certs[0], "--keyfile", certs[1]])
    assert r.returncode != 0 and t < 5
    line = _last_line(r)
    assert "missing.sock" in line and "No such file" in line, line


@pytest.mark.parametrize("argv,needle", [
    ([PROXY, "--http2-max-frame-size", "1000"], "16384..16777215"),
    ([PROXY, "--http2-max-concurrent-streams", "0"], "http2_max_concurrent_streams"),
    ([PROXY, "--http-protocols", "h2,h3"], "h3"),
    ([PROXY, "--no-such-flag"], "--no-such-flag"),
    ([APPD, "--workers", "0", "probe:app"], "workers"),
    ([APPD, "-k", "tornado", "probe:app"], "tornado"),
])
def test_bad_settings(argv, needle):
    r, t = _run(argv)
    assert r.returncode == 2 and t < 5, (r.returncode, r.stderr)
    assert needle in _last_line(r)
