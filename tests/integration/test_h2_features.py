"""test_h2_features.py: Gunicorn's HTTP/2 features for WSGI apps, end to end
through tandem-proxy and tandem-appd over TLS: 103 Early Hints
(wsgi.early_hints), response trailers (gunicorn.http2.send_trailers) and
stream priority in the environ; over h2 with raw frames (python3-h2), over
HTTP/1.1 and HTTP/1.0 with raw bytes; and the example client in
contrib/examples/http2_features against its app."""
import hashlib
import json
import os
import socket
import ssl
import urllib.parse

import h2.config
import h2.connection
import h2.events
import pytest

from harness import PYTHON, ROOT, Stack, run, wait_for

EXAMPLE = os.path.join(ROOT, "contrib", "examples", "http2_features")
LINK_A = "</style.css>; rel=preload; as=style"
LINK_B = "</app.js>; rel=preload; as=script"
BODY = b"alpha\nbeta\ngamma\n"
CHECKSUM = "sha256=" + hashlib.sha256(BODY).hexdigest()


@pytest.fixture(scope="module")
def stack(certs):
    s = Stack(app="h2feat_app:app", workers=1, appd_args=["-k", "gthread", "--threads", "4"],
              tls=certs)
    yield s
    s.close()


def _tls(port, alpn):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols([alpn])
    raw = socket.create_connection(("127.0.0.1", port), timeout=15)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def h2_get(port, path, headers=(), **priority):
    """One GET over a fresh h2 connection; the events of its stream, in order."""
    sock = _tls(port, "h2")
    assert sock.selected_alpn_protocol() == "h2"
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    # Stream 5, so that "depends on stream 3" names another stream.
    sid = 5
    conn.send_headers(sid, [(":method", "GET"), (":scheme", "https"),
                            (":authority", "127.0.0.1:%d" % port), (":path", path)]
                      + list(headers), end_stream=True, **priority)
    sock.sendall(conn.data_to_send())
    events = []
    try:
        while not events or not isinstance(events[-1], (h2.events.StreamEnded,
                                                         h2.events.StreamReset)):
            data = sock.recv(65536)
            assert data, "connection closed before the stream ended: %s" % events
            for ev in conn.receive_data(data):
                if getattr(ev, "stream_id", None) == sid:
                    events.append(ev)
                    if isinstance(ev, h2.events.DataReceived):
                        conn.acknowledge_received_data(ev.flow_controlled_length, sid)
            sock.sendall(conn.data_to_send())
    finally:
        sock.close()
    return events


def kinds(events):
    return [type(e).__name__ for e in events]


def body_of(events):
    return b"".join(e.data for e in events if isinstance(e, h2.events.DataReceived))


def head_of(events, kind=h2.events.ResponseReceived):
    return [dict(e.headers) for e in events if isinstance(e, kind)]


def h1_exchange(port, request):
    """Raw bytes of a whole HTTP/1.x exchange over TLS (the request should
    ask to close, so the response ends at EOF)."""
    sock = _tls(port, "http/1.1")
    try:
        sock.sendall(request)
        out = b""
        while True:
            data = sock.recv(65536)
            if not data:
                return out
            out += data
    finally:
        sock.close()


def h2_json(port, path, **kw):
    ev = h2_get(port, path, **kw)
    assert head_of(ev)[0][":status"] == "200", kinds(ev)
    return json.loads(body_of(ev))


# ---- the example ----

def test_example_client_passes(certs):
    s = Stack(app="wsgi_app:app", workers=1, appd_args=["-k", "gthread", "--threads", "4"],
              tls=certs, pythonpath=EXAMPLE)
    try:
        r = run([PYTHON, os.path.join(EXAMPLE, "client.py"), "--insecure", s.url], check=False)
        out = r.stdout.decode()
        assert r.returncode == 0 and "all checks passed" in out, out + r.stderr.decode()
        assert "FAIL" not in out
    finally:
        s.close()


# ---- priority ----

def test_h2_priority_block_reaches_environ(stack):
    seen = h2_json(stack.port, "/priority", priority_weight=200, priority_depends_on=3)
    assert seen["gunicorn.http2.priority_weight"] == 200
    assert seen["gunicorn.http2.priority_depends_on"] == 3


def test_h2_priority_defaults_without_block(stack):
    seen = h2_json(stack.port, "/priority")
    assert seen["gunicorn.http2.priority_weight"] == 16
    assert seen["gunicorn.http2.priority_depends_on"] == 0
    assert seen["tandem.priority_urgency"] == 3
    assert seen["tandem.priority_incremental"] is False


def test_h2_rfc9218_priority_header(stack):
    seen = h2_json(stack.port, "/priority", headers=[("priority", "u=5, i")])
    assert seen["tandem.priority_urgency"] == 5
    assert seen["tandem.priority_incremental"] is True


def test_h1_has_no_gunicorn_priority_keys(stack):
    raw = h1_exchange(stack.port, b"GET /priority HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    seen = json.loads(raw.split(b"\r\n\r\n", 1)[1])
    assert seen["present"] == ["tandem.priority_urgency", "tandem.priority_incremental"]
    assert seen["tandem.priority_urgency"] == 3


# ---- 103 Early Hints ----

def test_h2_early_hints_before_final(stack):
    ev = h2_get(stack.port, "/hints")
    k = kinds(ev)
    infos = head_of(ev, h2.events.InformationalResponseReceived)
    assert [i[":status"] for i in infos] == ["103", "103"], k
    assert [i["link"] for i in infos] == [LINK_A, LINK_B]
    assert max(i for i, x in enumerate(k) if x == "InformationalResponseReceived") < \
        k.index("ResponseReceived")
    assert head_of(ev)[0][":status"] == "200" and body_of(ev) == b"hinted"


def test_h1_early_hints_before_final(stack):
    raw = h1_exchange(stack.port, b"GET /hints HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 103 "), raw
    final = raw.index(b"HTTP/1.1 200 ")
    hints = raw[:final]
    assert hints.count(b"HTTP/1.1 103 ") == 2
    assert hints.index(LINK_A.encode()) < hints.index(LINK_B.encode())
    assert raw.endswith(b"\r\n\r\nhinted")


def test_h10_gets_no_early_hints(stack):
    raw = h1_exchange(stack.port, b"GET /hints HTTP/1.0\r\nHost: x\r\n\r\n")
    assert raw.startswith(b"HTTP/1.0 200 "), raw
    assert b" 103 " not in raw and b"style.css" not in raw
    assert raw.endswith(b"hinted")


def test_early_hints_after_head_raises(stack):
    ev = h2_get(stack.port, "/hints-late")
    assert not head_of(ev, h2.events.InformationalResponseReceived)
    assert head_of(ev)[0][":status"] == "200"
    body = body_of(ev).decode()
    assert body.startswith("head sent\nerror: RuntimeError: wsgi.early_hints called after the "
                           "response head was sent"), body
    assert isinstance(ev[-1], h2.events.StreamEnded)


def test_early_hints_refuse_content_length(stack):
    ev = h2_get(stack.port, "/hints-bad")
    assert body_of(ev).startswith(b"error: ValueError: header 'Content-Length' is not allowed in "
                                  b"103 Early Hints")
    assert not head_of(ev, h2.events.InformationalResponseReceived)


# ---- trailers ----

def assert_trailers_end_stream(ev):
    """Trailers in a HEADERS frame with END_STREAM, after the last DATA frame,
    and no DATA frame ended the stream."""
    k = kinds(ev)
    assert "TrailersReceived" in k, k
    t = k.index("TrailersReceived")
    last_data = max(i for i, x in enumerate(k) if x == "DataReceived")
    assert last_data < t, k
    trailers = [e for e in ev if isinstance(e, h2.events.TrailersReceived)][0]
    assert trailers.stream_ended is not None, "trailers did not carry END_STREAM"
    assert all(e.stream_ended is None for e in ev if isinstance(e, h2.events.DataReceived))
    assert k[t + 1:] == ["StreamEnded"], k
    return dict(trailers.headers)


@pytest.mark.parametrize("path", ["/trailers", "/trailers-cl"])
def test_h2_trailers_after_generator(stack, path):
    ev = h2_get(stack.port, path)
    assert body_of(ev) == BODY
    trailers = assert_trailers_end_stream(ev)
    assert trailers == {"x-checksum": CHECKSUM, "server-timing": "app;dur=1.5"}
    if path == "/trailers-cl":
        assert head_of(ev)[0]["content-length"] == str(len(BODY))


@pytest.mark.parametrize("path", ["/trailers-list", "/trailers-write"])
def test_h2_trailers_queued_before_return(stack, path):
    ev = h2_get(stack.port, path)
    assert body_of(ev) == BODY
    assert assert_trailers_end_stream(ev) == {"x-checksum": CHECKSUM}


def test_h2_trailers_without_body(stack):
    ev = h2_get(stack.port, "/trailers-empty")
    k = kinds(ev)
    assert k[0] == "ResponseReceived" and "TrailersReceived" in k, k
    assert body_of(ev) == b""
    trailers = [e for e in ev if isinstance(e, h2.events.TrailersReceived)][0]
    assert dict(trailers.headers) == {"grpc-status": "0", "grpc-message": "OK"}
    assert trailers.stream_ended is not None


def test_h1_trailers_chunked_with_te(stack):
    raw = h1_exchange(stack.port, b"GET /trailers HTTP/1.1\r\nHost: x\r\nTE: trailers\r\n"
                                  b"Connection: close\r\n\r\n")
    head, body = raw.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"\r\ntransfer-encoding: chunked" in head.lower()
    assert body.endswith(b"\r\n0\r\nx-checksum: " + CHECKSUM.encode() +
                         b"\r\nserver-timing: app;dur=1.5\r\n\r\n"), body


def test_h1_trailers_dropped_without_te(stack):
    raw = h1_exchange(stack.port, b"GET /trailers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, body = raw.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert body.endswith(b"\r\n0\r\n\r\n") and b"x-checksum" not in body, body


@pytest.mark.parametrize("name,value,why", [
    ("content-length", "3", "message framing fields are not allowed in trailers"),
    (":status", "200", "pseudo-header fields are not allowed in trailers"),
    ("Transfer-Encoding", "chunked", "message framing fields are not allowed in trailers"),
    ("connection", "close", "connection-specific fields are not allowed in trailers"),
    ("host", "example.com", "routing fields are not allowed in trailers"),
    ("te", "trailers", "message framing fields are not allowed in trailers"),
    ("set-cookie", "a=b", "authentication and cookie fields are not allowed in trailers"),
    ("bad name", "1", "not a valid field name"),
])
def test_send_trailers_refuses_forbidden_fields(stack, name, value, why):
    ev = h2_get(stack.port, "/trailers-bad?" + urllib.parse.urlencode({"name": name, "value": value}))
    body = body_of(ev).decode()
    assert body.startswith("error: ValueError: invalid trailer %r: %s" % (name, why)), body
    assert "TrailersReceived" not in kinds(ev)


def test_send_trailers_refuses_control_characters(stack):
    ev = h2_get(stack.port, "/trailers-bad?name=x-ok&value=a%0D%0Ab")
    assert body_of(ev).startswith(b"error: ValueError: header 'x-ok': value 'a\\r\\nb' contains a "
                                  b"control character"), body_of(ev)


def test_send_trailers_from_close_raises(stack):
    ev = h2_get(stack.port, "/trailers-close")
    assert body_of(ev) == b"body" and isinstance(ev[-1], h2.events.StreamEnded)
    assert "TrailersReceived" not in kinds(ev)
    wait_for(lambda: "called after the response was complete" in stack.appd.output(), 10,
             "the close() error in the appd log")
