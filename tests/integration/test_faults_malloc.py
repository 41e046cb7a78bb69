"""test_faults_malloc.py: failed allocations in the proxy are logged, the
connection concerned is answered 503 or dropped, and the daemon lives on
and serves the next client (issue 14, faults).  tests/faults/failmalloc.so,
preloaded into a real tandem-proxy, fails the Nth allocation a thread makes
after a chosen library call; each test sweeps N over the allocations that
follow, so every out-of-memory branch on that path runs once.  Under the
ASan build (TANDEM_SANITIZED=1) a use-after-free or double free aborts the
daemon, which the same assertions catch.

Two defects were found this way: a head that could not be kept was
dispatched anyway, pointing into the drained input (use-after-free), and a
TLS connection whose bufferevent (since replaced by px_conn_io.c) failed
part-way had its SSL freed and its fd closed twice."""
import os
import socket
import ssl
import subprocess
import time

import pytest

from harness import APPD, APPS, BUILD, PROXY, Daemon, free_port, wait_for

SHIM = os.path.join(BUILD, "tests", "faults", "failmalloc.so")
SWEEP = range(1, 13)


def shim():
    if not os.path.exists(SHIM):  # make check builds it; a lone pytest run may not have
        subprocess.run(["make", "-s", "-C", BUILD, "tests/faults/failmalloc.so"], check=True,
                       capture_output=True)
    return SHIM


@pytest.fixture(scope="module")
def appd(tmp_path_factory):
    d = tmp_path_factory.mktemp("fm")
    sock = str(d / "app.sock")
    a = Daemon([APPD, "--bind", "unix:" + sock, "-w", "1", "--pythonpath", APPS, "probe:app"])
    assert a.wait_ready(60), a.output()
    a.sock = sock
    yield a
    a.stop()


def start_proxy(appd, spec, certs=None):
    port = free_port()
    argv = [PROXY, "--bind", "127.0.0.1:%d" % port, "--upstream", "unix:" + appd.sock,
            "--threads", "1"]
    if certs:
        argv += ["--certfile", certs[0], "--keyfile", certs[1]]
    asan = os.environ.get("ASAN_OPTIONS", "")
    arm = os.path.join(os.path.dirname(appd.sock), "arm-%d" % port)
    env = {"LD_PRELOAD": shim(), "TANDEM_FAILMALLOC": spec, "TANDEM_FAILMALLOC_ARM": arm,
           # The shim sits before ASan's allocator on purpose.
           "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}
    p = Daemon(argv, env=env)
    assert p.wait_ready(30), "proxy not ready:\n" + p.output()
    # Armed once up and connected to the worker: startup's allocations and
    # the first dial are not the test's.
    wait_for(lambda: "connected to worker" in p.output(), 20, "the worker connection")
    open(arm, "w").close()
    p.port = port
    return p


def exchange(port, req, certs=None, timeout=10):
    """The status the proxy answered, or None when it closed without one."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s = raw
        if certs:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["http/1.1"])
            s = ctx.wrap_socket(raw, server_hostname="localhost")
        s.sendall(req)
        data = b""
        while True:
            piece = s.recv(65536)
            if not piece:
                break
            data += piece
    except (OSError, ssl.SSLError):
        data = b""  # reset or handshake refused: dropped
    finally:
        raw.close()
    if not data.startswith(b"HTTP/1.1 "):
        return None
    return int(data.split(b" ", 2)[1])


BIG = (b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
       b"X-Pad: " + b"p" * 3000 + b"\r\nX-More: 1\r\n\r\n")
SMALL = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def lives_on(p, certs=None):
    """The failure was injected, logged, and the daemon serves the next client."""
    wait_for(lambda: "failmalloc:" in p.output(), 10, "the injected failure")
    # A worker connection lost to the failure is dialled again (with backoff).
    wait_for(lambda: exchange(p.port, SMALL, certs) == 200, 15, "service after the failure")
    assert p.alive(), p.output()
    assert "AddressSanitizer" not in p.output(), p.output()


@pytest.mark.parametrize("nth", SWEEP)
def test_request_path_allocation_fails(appd, nth):
    """The Nth allocation after the proxy pulled up a request head fails:
    the stream, its head copy, the fields array, the frame to the worker..."""
    p = start_proxy(appd, "evbuffer_pullup:2000:%d" % nth)
    try:
        status = exchange(p.port, BIG)
        assert status in (200, 502, 503, None), (status, p.output())
        lives_on(p)
    finally:
        p.stop()


def test_head_kept_or_answered_503(appd):
    """Every allocation that keeps a head (the stream, its header array,
    its held bytes) failing is a 503 before the worker sees anything: no
    head pointing into drained input reaches the wire."""
    statuses = {}
    for nth in SWEEP:
        p = start_proxy(appd, "evbuffer_pullup:2000:%d" % nth)
        try:
            statuses[nth] = exchange(p.port, BIG)
            lives_on(p)
            out = p.output()
        finally:
            p.stop()
        if "keeping a request head" in out:
            assert statuses[nth] == 503, (nth, out)
    assert 503 in statuses.values(), statuses


def test_tls_connection_buffers_allocation_fails(appd, certs):
    """The first allocation after the TLS session gets its BIO fails (the
    output buffer's callback).  When libevent's TLS bufferevent owned the
    SSL (BEV_OPT_CLOSE_ON_FREE) that path freed it and the proxy freed it
    again; now the connection owns its SSL and fd, and px_conn_io.c its
    buffers: freed and closed once, the client dropped, the daemon serving
    on."""
    p = start_proxy(appd, "SSL_set_bio:0:1", certs)
    try:
        assert exchange(p.port, SMALL, certs) is None, p.output()
        lives_on(p, certs)
        assert "out of memory for its TLS or buffers" in p.output()
    finally:
        p.stop()


@pytest.mark.parametrize("nth", SWEEP)
def test_tls_connection_setup_fails(appd, certs, nth):
    """The Nth allocation after the connection's first buffer callback
    fails (the second callback, the fd's event slot inside libevent, then
    the handshake's, its records' buffer): the connection is dropped, its
    SSL freed and its fd closed once."""
    p = start_proxy(appd, "evbuffer_add_cb:0:%d" % nth, certs)
    try:
        status = exchange(p.port, SMALL, certs)
        assert status in (200, None), (status, p.output())
        lives_on(p, certs)
    finally:
        p.stop()
