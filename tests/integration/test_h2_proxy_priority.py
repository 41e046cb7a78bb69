"""test_h2_proxy_priority.py: stream priority reaches the request head (RFC
7540 weight/dependency from HEADERS or an early PRIORITY frame; RFC 9218
urgency/incremental from the priority header or PRIORITY_UPDATE), and the
wait queue, when the workers are full, lets connections take turns and on
a connection's turn serves its most urgent request first."""
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
    # frames still reach its head.  (An open body reaches the worker, and
    # holds it, only when the proxy does not collect bodies first.)
    s = FakeStack(tls=certs, capacity=1, proxy_args=["--request-buffer-size", "0"])
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


class H1Client:
    """One HTTP/1.1 request over TLS on its own connection."""

    def __init__(self, port, path, urgency):
        import socket
        import ssl
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nPriority: u=%d\r\n"
                           "Connection: close\r\n\r\n" % (path, urgency)).encode())

    def status(self):
        data = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return int(data.split(b" ", 2)[1])

    def close(self):
        self.sock.close()


def _order_test(certs, tmp_path, plan, threads=4):
    """One sync worker held by /slow; then the requests of plan, a list of
    (client, urgency), wait in that order, request n on client connection
    plan[n][0] (over HTTP/1.1, each on its own, when client is "h1").
    Returns the order the app started them in."""
    log = str(tmp_path / "order")
    # /slow holds the worker with its body open: bodies go to the worker as
    # they come, not collected first.
    s = Stack(app="h2prio_app:app", workers=1, tls=certs, env={"H2PRIO_LOG": log},
              proxy_args=["--threads", str(threads), "--request-buffer-size", "0"])
    conns, h1s = {}, []
    try:
        slow = conns["slow"] = H2Conn(s.port, tls=True)
        slow_id = slow.headers("/slow", method="POST", end=False)
        wait_for(lambda: os.path.exists(log) and "/slow" in open(log).read(), 30,
                 "the slow request in the worker")
        sent = []
        for i, (client, urgency) in enumerate(plan):
            if client == "h1":
                h1s.append(H1Client(s.port, "/r?n=%d" % i, urgency))
                # One proxy thread: the request, in its socket before this
                # PING, has been read (and queued) when the ACK comes back.
                slow.ping()
                continue
            if client not in conns:
                conns[client] = H2Conn(s.port, tls=True)
            c = conns[client]
            sid = c.headers("/r?n=%d" % i, extra=[("priority", "u=%d" % urgency)])
            c.ping()  # the proxy has queued it before the next one is sent
            sent.append((c, sid))
        slow.conn.send_data(slow_id, b"done", end_stream=True)
        slow.flush()
        assert slow.response(slow_id)[0] == 200
        for c, sid in sent:
            assert c.response(sid)[0] == 200
        for h in h1s:
            assert h.status() == 200
        return open(log).read().split()
    finally:
        for c in conns.values():
            c.close()
        for h in h1s:
            h.close()
        s.close()


def started(*ns):
    return ["/slow?"] + ["/r?n=%d" % n for n in ns]


def test_queue_serves_most_urgent_first(certs, tmp_path):
    order = _order_test(certs, tmp_path, [("a", 7), ("a", 7), ("a", 7), ("a", 7), ("a", 0)])
    # FIFO would start n=4 last.
    assert order == started(4, 0, 1, 2, 3), order


def test_queue_turns_hold_across_threads(certs, tmp_path):
    # One connection per request: with --threads 4 they land on different
    # proxy threads, whose queues must still agree on the turns.  The late
    # u=0 request of the last connection is about its own requests only
    # (RFC 9218 section 12): it overtakes no other connection's.
    order = _order_test(certs, tmp_path, [(n, u) for n, u in enumerate([7, 7, 7, 7, 0])])
    assert order == started(0, 1, 2, 3, 4), order


def test_queue_urgent_client_takes_its_turn(certs, tmp_path):
    # Connection a queues three u=7 requests, then b one u=0: b's urgency
    # does not jump a's queue; the two connections take turns.
    order = _order_test(certs, tmp_path, [("a", 7), ("a", 7), ("a", 7), ("b", 0)])
    assert order == started(0, 3, 1, 2), order


def test_queue_urgency_within_connection_turns_across(certs, tmp_path):
    # a: three u=7, then (after b's u=0) one u=0 of its own.  On a's turn its
    # own u=0 request overtakes its earlier u=7 ones; then it is b's turn,
    # then a's again, in arrival order among a's equals.
    order = _order_test(certs, tmp_path, [("a", 7), ("a", 7), ("a", 7), ("b", 0), ("a", 0)])
    assert order == started(4, 3, 0, 1, 2), order


def test_queue_http1_urgency_takes_its_turn(certs, tmp_path):
    # The same over HTTP/1.1: a Priority: u=0 request on its own connection
    # waits for its turn after a's first request.
    order = _order_test(certs, tmp_path, [("a", 7), ("a", 7), ("a", 7), ("h1", 0)], threads=1)
    assert order == started(0, 3, 1, 2), order
