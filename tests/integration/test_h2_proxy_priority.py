"""test_h2_proxy_priority.py: stream priority reaches the request head (RFC
7540 weight/dependency from HEADERS or an early PRIORITY frame; RFC 9218
urgency/incremental from the priority header or PRIORITY_UPDATE), and the
wait queue serves the most urgent request first when the workers are full."""
import os
import struct

import pytest

from fake_stack import REQ_FLAGS, FakeStack, H2Conn
from harness import Stack, curl, wait_for

PRIORITY_UPDATE = 0x10


@pytest.fixture(scope="module")
def fake(certs):
    s = FakeStack(tls=certs, capacity=8)
    yield s
    s.close()


def prio(hdrs):
    return {k: int(hdrs[b"x-prio-" + k.encode()]) for k in
            ("weight", "depends-on", "exclusive", "urgency", "incremental")}


def test_headers_priority_block_reaches_head(fake):
    c = H2Conn(fake.port, tls=True)
    try:
        sid = c.headers("/prio", priority_weight=200, priority_depends_on=3,
                        priority_exclusive=True)
        status, hdrs, _, _, _ = c.response(sid)
        assert status == 200
        assert prio(hdrs) == {"weight": 200, "depends-on": 3, "exclusive": 1, "urgency": 3,
                              "incremental": 0}
        flags = int(hdrs[b"x-req-flags"])
        assert flags & REQ_FLAGS["HAS_PRIORITY"]
        assert hdrs[b"x-http"] == b"2.0"
        # No priority information: the RFC defaults, still flagged on h2.
        sid = c.headers("/prio")
        status, hdrs, _, _, _ = c.response(sid)
        assert prio(hdrs) == {"weight": 16, "depends-on": 0, "exclusive": 0, "urgency": 3,
                              "incremental": 0}
        assert int(hdrs[b"x-req-flags"]) & REQ_FLAGS["HAS_PRIORITY"]
    finally:
        c.close()


def test_priority_frame_before_headers(fake):
    c = H2Conn(fake.port, tls=True)
    try:
        sid = c.conn.get_next_available_stream_id()
        # PRIORITY on the idle stream, then HEADERS without a priority block.
        c.conn.prioritize(sid, weight=77, depends_on=0, exclusive=False)
        c.flush()
        c.headers("/prio")
        _, hdrs, _, _, _ = c.response(sid)
        assert prio(hdrs)["weight"] == 77
        # A priority block in the HEADERS wins over an earlier PRIORITY.
        sid = c.conn.get_next_available_stream_id()
        c.conn.prioritize(sid, weight=5)
        c.flush()
        c.headers("/prio", priority_weight=250)
        _, hdrs, _, _, _ = c.response(sid)
        assert prio(hdrs)["weight"] == 250
    finally:
        c.close()


def test_priority_header_rfc9218(fake):
    c = H2Conn(fake.port, tls=True)
    try:
        sid = c.headers("/prio", extra=[("priority", "u=5, i")])
        _, hdrs, _, _, _ = c.response(sid)
        assert prio(hdrs)["urgency"] == 5 and prio(hdrs)["incremental"] == 1
        # Not a structured field: ignored, defaults stand.
        sid = c.headers("/prio", extra=[("priority", "u=5,,")])
        _, hdrs, _, _, _ = c.response(sid)
        assert prio(hdrs)["urgency"] == 3 and prio(hdrs)["incremental"] == 0
    finally:
        c.close()


def test_priority_update_frame(fake):
    c = H2Conn(fake.port, tls=True)
    try:
        # PRIORITY_UPDATE before the HEADERS: it beats the header field.
        sid = c.conn.get_next_available_stream_id()
        c.flush(c.raw_frame(PRIORITY_UPDATE, 0, 0, struct.pack("!I", sid) + b"u=1"))
        c.headers("/prio", extra=[("priority", "u=6")])
        _, hdrs, _, _, _ = c.response(sid)
        assert prio(hdrs)["urgency"] == 1
        # One about stream 0 is a connection error (RFC 9218 7.1).
        c.flush(c.raw_frame(PRIORITY_UPDATE, 0, 0, struct.pack("!I", 0) + b"u=1"))
        import h2.events
        ev = c.wait(lambda e: isinstance(e, h2.events.ConnectionTerminated), "GOAWAY")
        assert ev.error_code == 1  # PROTOCOL_ERROR
    finally:
        c.close()


def test_priority_signals_while_queued(certs):
    # Capacity 1, held by an /echo whose body is still open: the next
    # stream waits in the proxy, where later PRIORITY and PRIORITY_UPDATE
    # frames still reach its head.
    s = FakeStack(tls=certs, capacity=1)
    c = H2Conn(s.port, tls=True)
    try:
        hold = c.headers("/echo", method="POST", end=False)
        c.ping()
        sid = c.headers("/prio", priority_weight=10, extra=[("priority", "u=6")])
        c.ping()
        c.conn.prioritize(sid, weight=99, depends_on=hold, exclusive=True)
        c.flush(c.raw_frame(PRIORITY_UPDATE, 0, 0, struct.pack("!I", sid) + b"u=2, i"))
        c.ping()
        c.conn.send_data(hold, b"x", end_stream=True)
        c.flush()
        assert c.response(hold)[2] == b"x"
        _, hdrs, _, _, _ = c.response(sid)
        assert prio(hdrs) == {"weight": 99, "depends-on": hold, "exclusive": 1, "urgency": 2,
                              "incremental": 1}
    finally:
        c.close()
        s.close()


def test_client_without_rfc7540_priorities(fake):
    # A client announcing SETTINGS_NO_RFC7540_PRIORITIES=1 said it sends no
    # RFC 7540 signals: a stray priority block is ignored; RFC 9218 works.
    c = H2Conn(fake.port, tls=True, settings={9: 1})
    try:
        c.ping()
        sid = c.conn.get_next_available_stream_id()
        c.flush(c.raw_frame(PRIORITY_UPDATE, 0, 0, struct.pack("!I", sid) + b"u=0"))
        c.headers("/prio", priority_weight=200)
        _, hdrs, _, _, _ = c.response(sid)
        assert prio(hdrs) == {"weight": 16, "depends-on": 0, "exclusive": 0, "urgency": 0,
                              "incremental": 0}
        _, hdrs, _, _, _ = c.response(c.headers("/prio", extra=[("priority", "u=4, i")]))
        assert prio(hdrs)["urgency"] == 4 and prio(hdrs)["incremental"] == 1
    finally:
        c.close()


def test_http1_priority_header_sets_urgency_only(fake):
    r = curl("--http1.1", "-D", "-", "-H", "Priority: u=0, i", fake.url + "/prio")
    out = r.stdout.decode().lower()
    assert "x-prio-urgency: 0" in out and "x-prio-incremental: 1" in out, out
    flags = int(out.split("x-req-flags: ")[1].split()[0])
    assert not flags & REQ_FLAGS["HAS_PRIORITY"]
    assert "x-http: 1.1" in out


def _order_test(certs, tmp_path, conns_for):
    """One sync worker held by /slow; four u=7 requests wait, then one u=0.
    Returns the order the app started them in."""
    log = str(tmp_path / "order")
    s = Stack(app="h2prio_app:app", workers=1, tls=certs, env={"H2PRIO_LOG": log},
              proxy_args=["--threads", "4"])
    conns = []
    try:
        slow = H2Conn(s.port, tls=True)
        conns.append(slow)
        slow_id = slow.headers("/slow", method="POST", end=False)
        wait_for(lambda: os.path.exists(log) and "/slow" in open(log).read(), 30,
                 "the slow request in the worker")
        sent = []
        for i, urgency in enumerate([7, 7, 7, 7, 0]):
            c = conns_for(i, conns, s.port)
            sid = c.headers("/r?n=%d" % i, extra=[("priority", "u=%d" % urgency)])
            c.ping()  # the proxy has queued it before the next one is sent
            sent.append((c, sid))
        slow.conn.send_data(slow_id, b"done", end_stream=True)
        slow.flush()
        assert slow.response(slow_id)[0] == 200
        for c, sid in sent:
            assert c.response(sid)[0] == 200
        return open(log).read().split()
    finally:
        for c in conns:
            c.close()
        s.close()


def test_queue_serves_most_urgent_first(certs, tmp_path):
    def same_conn(i, conns, port):
        if len(conns) < 2:
            conns.append(H2Conn(port, tls=True))
        return conns[1]
    order = _order_test(certs, tmp_path, same_conn)
    # FIFO would start n=4 last.
    assert order == ["/slow?", "/r?n=4", "/r?n=0", "/r?n=1", "/r?n=2", "/r?n=3"], order


def test_queue_priority_holds_across_threads(certs, tmp_path):
    # One connection per request: with --threads 4 they land on different
    # proxy threads, whose queues must still agree on the order.
    def own_conn(i, conns, port):
        conns.append(H2Conn(port, tls=True))
        return conns[-1]
    order = _order_test(certs, tmp_path, own_conn)
    assert order == ["/slow?", "/r?n=4", "/r?n=0", "/r?n=1", "/r?n=2", "/r?n=3"], order
