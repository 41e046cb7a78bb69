"""test_faults.py: app errors, killed and hung workers, appd down and back, a
proxy out of file descriptors: only the affected requests fail, with the
right status, and service goes on."""
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from evil_worker import EvilStack
from harness import APPD, APPS, Daemon, Stack, can_connect, curl, wait_for


def _code(r):
    return int(r.stdout[-3:])


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
def test_app_exception_is_500_and_worker_survives(tls_stack, proto):
    pids = set(tls_stack.worker_pids())
    r = curl(proto, "-o", "/dev/null", "-w", "%{http_code}", tls_stack.url + "/error")
    assert _code(r) == 500
    assert "probe: error before start_response" in tls_stack.appd.output()
    assert curl(proto, tls_stack.url + "/").stdout == b"hello"
    assert set(tls_stack.worker_pids()) == pids


def test_error_after_head_resets_stream(tls_stack):
    r = curl("--http2", tls_stack.url + "/error-late", check=False)
    assert r.returncode == 92, r   # HTTP/2 stream error (RST_STREAM)
    r = curl("--http1.1", tls_stack.url + "/error-late", check=False)
    assert r.returncode == 18, r   # transfer closed with outstanding data
    assert curl("--http2", tls_stack.url + "/").stdout == b"hello"


def test_killed_worker_fails_only_its_streams(certs, tmp_path):
    s = Stack(workers=2, tls=certs)
    try:
        results = {}
        mark = tmp_path / "busy"

        def slow():
            results["slow"] = curl("--http2", "-w", "%{http_code}",
                                   s.url + "/sleep?s=30&mark=%s" % mark, check=False)

        t = threading.Thread(target=slow)
        t.start()
        busy = int(wait_for(lambda: mark.exists() and mark.read_text(), 10, "worker busy"))
        # the other worker serves meanwhile
        assert int(curl("--http2", s.url + "/pid").stdout) != busy
        os.kill(busy, signal.SIGKILL)
        t.join(40)
        assert results["slow"].stdout.endswith(b"502"), results["slow"]
        new = wait_for(lambda: len(s.worker_pids()) == 2 and busy not in s.worker_pids()
                       and s.worker_pids(), 10, "respawned worker")
        seen = set()
        wait_for(lambda: seen.add(int(curl("--http2", s.url + "/pid").stdout)) or seen == set(new),
                 20, "both workers serving")
    finally:
        s.close()


def test_hung_worker_is_killed_after_timeout(certs):
    s = Stack(workers=1, tls=certs, appd_args=["--timeout", "2"])
    try:
        old = s.worker_pids()
        t0 = time.monotonic()
        r = curl("--http2", "-o", "/dev/null", "-w", "%{http_code}", s.url + "/sleep?s=60",
                 check=False)
        assert _code(r) in (502, 504), r
        assert time.monotonic() - t0 < 20
        assert "WORKER TIMEOUT" in s.appd.output()
        wait_for(lambda: s.worker_pids() and s.worker_pids() != old, 10, "respawn")
        wait_for(lambda: curl("--http2", s.url + "/", check=False).stdout == b"hello", 10,
                 "service after the timeout")
    finally:
        s.close()


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
def test_no_progress_timeout_starts_over_with_each_chunk(certs, proto):
    """The proxy's --timeout bounds a response's silences, not its length:
    chunks 0.7 s apart keep a 2 s timeout from firing for 5 s, and a worker
    that falls silent after its chunks (for 8 s) is cut once the silence
    reaches the timeout."""
    s = Stack(workers=1, tls=certs, appd_args=["--timeout", "120"], proxy_args=["--timeout", "2"])
    try:
        r = curl(proto, s.url + "/trickle?n=8&every=0.7")
        assert r.stdout == b"".join(b"chunk %d\n" % k for k in range(8)) + b"end\n"
        r = curl(proto, s.url + "/trickle?n=3&every=0.5&stall=8", check=False)
        assert r.returncode != 0, r
        assert r.stdout == b"chunk 0\nchunk 1\nchunk 2\n", r
        assert "no progress for 2 s" in s.proxy.output()
    finally:
        s.close()


def test_appd_down_gives_502_then_recovers(certs):
    s = Stack(workers=1, tls=certs)
    try:
        s.appd.stop()
        t0 = time.monotonic()
        r = curl("--http2", "-o", "/dev/null", "-w", "%{http_code}", s.url + "/", check=False)
        assert _code(r) == 502 and time.monotonic() - t0 < 2
        s.appd = Daemon([APPD, "--bind", "unix:" + s.sock, "-w", "1", "--pythonpath", APPS,
                         "probe:app"])
        wait_for(lambda: can_connect(s.sock), 30, "appd back")
        wait_for(lambda: curl("--http2", s.url + "/", check=False).stdout == b"hello", 15,
                 "proxy reconnects by itself")
    finally:
        s.close()


def _cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime + stime


def test_accept_at_emfile_does_not_spin():
    """px_listener.c: at EMFILE the pending connection stays in the backlog
    and the level-triggered listener woke the loop again at once: 100% CPU
    and an error line per wake-up, for as long as the descriptors lacked."""
    s = EvilStack(wrap=["prlimit", "--nofile=40:40", "--"])
    held = []
    try:
        assert curl(s.url + "/").stdout == b"ok\n"
        # Keep-alive connections until the proxy has no descriptor left.
        for _ in range(60):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=20)
            held.append(c)
            if "accept: Too many open files" in s.proxy.output():
                break
        wait_for(lambda: "accept: Too many open files" in s.proxy.output(), 20, "EMFILE")
        # A window to watch the loop in: spinning shows as CPU and log lines.
        t0 = _cpu_ticks(s.proxy.pid)
        time.sleep(1.0)
        ticks = _cpu_ticks(s.proxy.pid) - t0
        lines = s.proxy.output().count("accept: Too many open files")
        assert ticks < 40, "proxy used %d ticks of CPU in 1 s at EMFILE" % ticks
        assert lines < 50, "%d accept error lines in about 1 s" % lines
        # Descriptors come back: the connection waiting in the backlog is served.
        last = held.pop()
        for c in held:
            c.close()
        held = [last]
        last.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"ok\n" not in data:
            d = last.recv(4096)
            assert d, "closed without a response: " + data.decode(errors="replace")
            data += d
        assert data.startswith(b"HTTP/1.1 200")
    finally:
        for c in held:
            c.close()
        s.close()
