"""test_connection_budget.py: what one client connection may make the proxy
hold (issue 14).  A client that announces an HTTP/2 initial window of 0 and
opens 100 streams of 250 KB on each of 4 connections, reading nothing, cost
the proxy 26 MiB per connection (every stream's worker window and spool
filled); --connection-buffer-size bounds it, and every stream still
completes byte-exact once the client reads."""
import json
import os
import subprocess
import time

import h2.events
import h2.settings
import pytest

from fake_stack import FakeStack, H2Conn
from harness import BUILD, rss_kib, wait_for

pytestmark = pytest.mark.skipif(os.environ.get("TANDEM_SANITIZED") is not None,
                                reason="ASan's quarantine and shadow memory make RSS say nothing")

CONNS = 4
STREAMS = 100
SIZE = 250000
BUDGET = 4 * 1024 * 1024       # the default --connection-buffer-size
PER_STREAM_FLOOR = 16 * 1024   # what each stream may hold beyond it
WINDOW = h2.settings.SettingCodes.INITIAL_WINDOW_SIZE
CTL = os.path.join(BUILD, "ctl", "tandemctl")


def _held(stack):
    """The proxy's response bytes held for clients (tandemctl show stats)."""
    r = subprocess.run([CTL, "-s", stack.sock + ".proxy.ctl", "--json", "show", "stats"],
                       capture_output=True, timeout=30, check=True)
    return json.loads(r.stdout)["stats"]["response_bytes_held"]


def _settled_rss(pid, bound=30):
    """The proxy's RSS (KiB) once it stopped growing for 2 s (bounded)."""
    deadline = time.monotonic() + bound
    last, since = rss_kib(pid)[0], time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = rss_kib(pid)[0]
        if now > last + 256:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= 2:
            break
    return rss_kib(pid)[0]


def _get_whole(c, path):
    sid = c.headers(path)
    status, _, body, _, _ = c.response(sid)
    return status, body


def _read_all(conns, sids):
    """Opens every stream's window and reads each body whole: {conn: {sid: body}}."""
    bodies = [{sid: bytearray() for sid in s} for s in sids]
    open_ = [set(s) for s in sids]
    for c in conns:
        c.conn.update_settings({WINDOW: 1 << 20})
        c.flush()
    deadline = time.monotonic() + 120
    for c, got, left in zip(conns, bodies, open_):
        while left:
            assert time.monotonic() < deadline, "%d streams unfinished" % len(left)
            c.pump()
            for ev in c.events:
                if isinstance(ev, h2.events.DataReceived):
                    got[ev.stream_id] += ev.data
                elif isinstance(ev, h2.events.StreamEnded):
                    left.discard(ev.stream_id)
                elif isinstance(ev, h2.events.StreamReset):
                    raise AssertionError("stream %d reset: %r" % (ev.stream_id, ev.error_code))
            c.events.clear()
    return bodies


def test_connection_budget_bounds_a_client_that_reads_nothing():
    s = FakeStack(proxy_args=["--http2-cleartext", "prior-knowledge", "--threads", "1",
                              "--timeout", "120"], workers=1, capacity=1000)
    conns = []
    try:
        # Warm up: the allocator's arenas and libevent's chains exist before we measure.
        warm = H2Conn(s.port)
        for _ in range(8):
            assert _get_whole(warm, "/big?n=%d" % SIZE) == (200, b"x" * SIZE)
        warm.close()
        before = _settled_rss(s.proxy.pid)
        sids = []
        for _ in range(CONNS):
            c = H2Conn(s.port, settings={WINDOW: 0}, timeout=60)
            conns.append(c)
            sids.append([c.headers("/big?n=%d" % SIZE) for _ in range(STREAMS)])
        # Every stream reached the worker, which answered its head.
        for c, want in zip(conns, sids):
            c.wait(lambda e: False if not isinstance(e, h2.events.ResponseReceived) else
                   len({x.stream_id for x in c.events
                        if isinstance(x, h2.events.ResponseReceived)}) == len(want),
                   "all %d response heads" % len(want))
        grown_kib = _settled_rss(s.proxy.pid) - before
        print("proxy RSS grew %d KiB" % grown_kib)
        # Another client is served meanwhile.
        other = H2Conn(s.port)
        assert _get_whole(other, "/big?n=%d" % SIZE) == (200, b"x" * SIZE)
        other.close()
        bound_kib = (CONNS * (BUDGET + STREAMS * PER_STREAM_FLOOR)) // 1024 + 8 * 1024
        assert grown_kib < bound_kib, "proxy grew %d KiB (bound %d KiB)" % (grown_kib, bound_kib)
        # The proxy counts what it holds, within the same bound.
        held = _held(s)
        assert 0 < held <= CONNS * (BUDGET + STREAMS * PER_STREAM_FLOOR), held
        # The client reads at last: nothing was lost, no stream stuck.
        for got in _read_all(conns, sids):
            for sid, body in got.items():
                assert body == b"x" * SIZE, (sid, len(body))
        wait_for(lambda: _held(s) == 0, 10, "no response bytes held once all was read")
    finally:
        for c in conns:
            c.close()
        s.close()
