"""test_connection_limits.py: max_connections and max_connections_per_ip in
tandem-proxy, with raw sockets.  At the global limit the proxy stops
accepting (the connection waits in the backlog, is served once another
closes), does not spin while paused, and logs the episode once; past the
per-address limit a connection is reset while the address's others and
other addresses are served, logged once per episode."""
import os
import socket
import time

import pytest

from harness import Stack, wait_for

GET = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def served(sock):
    """Sends a request on sock and returns whether a 200 came back."""
    sock.sendall(GET)
    out = b""
    while b"\r\n\r\n" not in out:
        data = sock.recv(65536)
        if not data:
            return False
        out += data
    return out.startswith(b"HTTP/1.1 200 ")


def connect(port, src="127.0.0.1", timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


@pytest.fixture
def limited():
    s = Stack(workers=1, proxy_args=["--max-connections", "4", "--keepalive", "60"])
    yield s
    s.close()


def test_accept_pauses_at_max_connections(limited):
    port, pid = limited.port, limited.proxy.pid
    held = [connect(port) for _ in range(4)]
    try:
        for s in held:
            assert served(s)  # each is accepted and kept alive
        # Past the limit: the kernel completes the handshake (backlog), the
        # proxy does not accept, so the request waits...
        waiting = [connect(port, timeout=1) for _ in range(3)]
        cpu0 = cpu_seconds(pid)
        for w in waiting:
            w.sendall(GET)
        for w in waiting:
            with pytest.raises(socket.timeout):
                w.recv(100)
        # ...without the proxy spinning on the pending connections.
        assert cpu_seconds(pid) - cpu0 < 0.5
        # One closes: a waiting one is accepted and served.
        held.pop().close()
        got = []
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            for w in waiting:
                try:
                    w.settimeout(0.2)
                    data = w.recv(100)
                except socket.timeout:
                    continue
                if data:
                    got.append((w, data))
                    break
        assert got and got[0][1].startswith(b"HTTP/1.1 200 "), got
        for w in waiting:
            w.close()
        for s in held:
            assert served(s)  # those already in are still served
    finally:
        for s in held:
            s.close()
    wait_for(lambda: "no longer at the limit" in limited.proxy.output(), 10, "end of the episode")
    log = limited.proxy.output()
    assert log.count("max_connections (4) reached") == 1, log


@pytest.fixture
def per_ip():
    s = Stack(workers=1, proxy_args=["--max-connections-per-ip", "2", "--keepalive", "60"])
    yield s
    s.close()


def test_per_ip_cap_resets_only_the_extra_connection(per_ip):
    port = per_ip.port
    mine = [connect(port) for _ in range(2)]
    try:
        for s in mine:
            assert served(s)
        for _ in range(3):
            # The reset may come before connect(2) even returns.
            extra = None
            try:
                extra = connect(port)
                ok = served(extra)
            except (ConnectionResetError, BrokenPipeError):
                ok = False
            if extra:
                extra.close()
            assert not ok
        # another address is served, and so are this one's first two
        other = connect(port, src="127.0.0.2")
        assert served(other)
        other.close()
        for s in mine:
            assert served(s)
    finally:
        for s in mine:
            s.close()
    log = per_ip.proxy.output()
    assert log.count("max_connections_per_ip (2) reached by 127.0.0.1") == 1, log
    # once below the cap, the address connects again
    wait_for(lambda: _served_once(port), 10, "a new connection from 127.0.0.1")


def _served_once(port):
    # Until the proxy has seen the closes, the address is still at its cap
    # and the connection is reset, perhaps before connect(2) returns.
    try:
        s = connect(port)
    except OSError:
        return False
    try:
        return served(s)
    except OSError:
        return False
    finally:
        s.close()
