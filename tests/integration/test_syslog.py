"""test_syslog.py: --log-syslog through the real daemons, received on a UDP
socket the test listens on: RFC 3164 messages with Gunicorn's facility and
a tandem.PREFIX.error / .access tag, the access log redirected to syslog
(and not with --disable-redirect-access-to-syslog), tandem-appd's error log
too."""
import contextlib
import re
import socket
import time

import pytest

from harness import Stack, curl, wait_for

HEADER = r"<(\d+)>[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d \S+ "


@contextlib.contextmanager
def listening():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def collect(sock, until, timeout=10):
    """Messages received until until(messages) holds."""
    got = []

    def more():
        while True:
            try:
                got.append(sock.recv(65536).decode())
            except BlockingIOError:
                break
        return until(got)
    wait_for(more, timeout, "syslog messages")
    return got


def syslog_args(sock, *extra):
    return ["--log-syslog", "--log-syslog-to", "udp://127.0.0.1:%d" % sock.getsockname()[1],
            "--log-syslog-facility", "local1"] + list(extra)


def tagged(messages, tag):
    out = []
    for m in messages:
        hit = re.fullmatch(HEADER + re.escape(tag) + r": \[(\d+)\] (.*)", m, re.S)
        if hit:
            out.append((int(hit.group(1)), int(hit.group(2)), hit.group(3)))
    return out


def test_proxy_error_and_access_lines(tmp_path):
    with listening() as sock:
        s = Stack(workers=1, proxy_args=syslog_args(sock, "--log-syslog-prefix", "site"))
        try:
            curl("-A", "probe/1", s.url + "/")
            got = collect(sock, lambda g: tagged(g, "tandem.site.access"))
            proxy_pid = s.proxy.pid
        finally:
            s.close()
    errors = tagged(got, "tandem.site.error")
    # local1 (17) * 8 + info (6); the proxy's own start-up line
    assert any(pri == 142 and pid == proxy_pid and "tandem-proxy" in text and "ready" in text
               for pri, pid, text in errors), got
    (pri, pid, line), = tagged(got, "tandem.site.access")
    assert (pri, pid) == (142, proxy_pid)
    assert re.fullmatch(r'127\.0\.0\.1 - - \[[^]]+\] "GET / HTTP/1\.1" 200 5 "-" "probe/1"', line)


def test_access_lines_kept_out_when_asked(tmp_path):
    path = tmp_path / "access.log"
    with listening() as sock:
        s = Stack(workers=1, proxy_args=syslog_args(sock, "--disable-redirect-access-to-syslog",
                                                    "--access-logfile", str(path)))
        try:
            curl(s.url + "/")
            wait_for(lambda: path.exists() and path.read_text(), 10, "the access log")
            time.sleep(0.3)
            got = collect(sock, lambda g: tagged(g, "tandem.proxy.error"))
        finally:
            s.close()
    assert not [m for m in got if ".access:" in m], got
    assert '"GET / HTTP/1.1" 200 5' in path.read_text()


def test_appd_error_log_to_syslog():
    with listening() as sock:
        s = Stack(workers=1, appd_args=syslog_args(sock))
        try:
            got = collect(sock, lambda g: [t for t in tagged(g, "tandem.appd.error")
                                           if "Booting worker" in t[2]])
            master = s.appd.pid
        finally:
            s.close()
    lines = tagged(got, "tandem.appd.error")
    assert any(pid == master and "Listening at" in text for pri, pid, text in lines), got
    assert all(pri == 142 for pri, pid, text in lines)


@pytest.mark.parametrize("addr,message", [
    ("localhost:514", "expected udp://HOST:PORT, tcp://HOST:PORT or unix://PATH"),
    ("udp://host:port", "the port is not a number"),
])
def test_bad_address_refused(addr, message):
    from harness import APPD, PROXY, run
    for prog in (PROXY, APPD):
        r = run([prog, "--log-syslog-to", addr, "--check-config", "a:b"][:4 if prog == PROXY else 5],
                check=False)
        assert r.returncode == 2 and message in r.stderr.decode(), r.stderr
    r = run([PROXY, "--log-syslog-facility", "nosuch", "--check-config"], check=False)
    assert r.returncode == 2 and "'nosuch' is not a syslog facility" in r.stderr.decode()
