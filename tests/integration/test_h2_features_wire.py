"""test_h2_features_wire.py: tandem-appd's side of early hints, trailers and
priority, driven over its socket with the wire protocol (appd_client.py)
the way tandem-proxy drives it, so each REQUEST_HEAD flag and field is set
exactly and each frame the worker sends is seen: RESPONSE_INFO before
RESPONSE_HEAD, TRAILERS as the final frame, END_STREAM on the last DATA
frame (never an extra empty one) when no trailers follow."""
import hashlib
import json
import os
import tempfile

import pytest

import appd_client as ac
from harness import APPD, APPS, Daemon, can_connect, wait_for

BODY = b"alpha\nbeta\ngamma\n"
HAS_PRIORITY, TE_TRAILERS = 0x02, 0x08
H2, H11, H10 = (2, 0), (1, 1), (1, 0)


@pytest.fixture(scope="module")
def appd():
    tmp = tempfile.mkdtemp(prefix="tandem-h2feat-")
    sock = os.path.join(tmp, "app.sock")
    d = Daemon([APPD, "--bind", "unix:" + sock, "-w", "1", "-k", "gthread", "--threads", "4",
                "--pythonpath", APPS, "h2feat_app:app"])
    try:
        wait_for(lambda: can_connect(sock) or not d.alive(), 30, "appd socket")
        assert d.alive(), d.output()
        for c in ac.connect_all(sock, 1).values():
            c.close()
        d.sock = sock
        yield d
    finally:
        d.stop()
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)


def head(path, version=H2, flags=ac.REQ_EARLY_HINTS, prio=(16, 0, 0, 3, 0), method="GET",
         query=""):
    """A REQUEST_HEAD payload with every priority field under our control."""
    weight, depends_on, exclusive, urgency, incremental = prio
    fixed = ac.REQ_FIXED.pack(version[0], version[1], flags, ac.LENGTH_UNKNOWN, weight,
                              depends_on, exclusive, urgency, incremental, 40000, 8443, 1,
                              5 if version == H2 else 0, 0)
    strs = [method, "https", "localhost", path, query, "127.0.0.1", "127.0.0.1", "TLSv1.3",
            "", "h2" if version == H2 else "http/1.1", ""]
    strs += [""] * (len(ac.REQUEST_STRINGS) - len(strs))
    return fixed + b"".join(ac._str(s) for s in strs) + ac._headers([])


def exchange(appd, payload):
    """Sends one REQUEST_HEAD; returns the Response and the worker's frames
    for it as (type, flags, payload length)."""
    with ac.Conn(appd.sock) as c:
        sid = c.next_id
        c.next_id += 2
        r = ac.Response(sid)
        r.keep, r.unacked, r.trailers = True, 0, None
        r.send_window = c.hello["initial_window"]
        c.streams[sid] = r
        c.send(ac.frame(ac.REQUEST_HEAD, ac.END_STREAM, sid, payload))
        seq = []
        while not r.done:
            ftype, flags, s, p = c.pump()
            if s == sid:
                seq.append((ftype, flags, len(p)))
        return r, seq


def types(seq):
    return [t for t, _, _ in seq]


# ---- priority ----

def test_priority_fields_reach_environ(appd):
    r, _ = exchange(appd, head("/priority", flags=HAS_PRIORITY, prio=(200, 3, 0, 1, 1)))
    seen = json.loads(r.body)
    assert seen["gunicorn.http2.priority_weight"] == 200
    assert seen["gunicorn.http2.priority_depends_on"] == 3
    assert seen["tandem.priority_urgency"] == 1
    assert seen["tandem.priority_incremental"] is True


def test_priority_extremes(appd):
    r, _ = exchange(appd, head("/priority", flags=HAS_PRIORITY, prio=(256, 2**31 - 1, 1, 7, 0)))
    seen = json.loads(r.body)
    assert seen["gunicorn.http2.priority_weight"] == 256
    assert seen["gunicorn.http2.priority_depends_on"] == 2**31 - 1
    assert seen["tandem.priority_urgency"] == 7


def test_h2_without_priority_block_gets_defaults(appd):
    # Without HAS_PRIORITY the weight field is not meaningful (even 0 passes the codec).
    r, _ = exchange(appd, head("/priority", prio=(0, 9, 0, 3, 0)))
    seen = json.loads(r.body)
    assert seen["gunicorn.http2.priority_weight"] == 16
    assert seen["gunicorn.http2.priority_depends_on"] == 0


@pytest.mark.parametrize("version", [H11, H10])
def test_http1_has_only_rfc9218_keys(appd, version):
    r, _ = exchange(appd, head("/priority", version=version, prio=(16, 0, 0, 6, 1)))
    seen = json.loads(r.body)
    assert seen["present"] == ["tandem.priority_urgency", "tandem.priority_incremental"]
    assert seen["tandem.priority_urgency"] == 6 and seen["tandem.priority_incremental"] is True


# ---- early hints ----

def test_early_hints_frames_precede_head(appd):
    r, seq = exchange(appd, head("/hints"))
    assert types(seq)[:3] == [ac.RESPONSE_INFO, ac.RESPONSE_INFO, ac.RESPONSE_HEAD], seq
    assert [s for s, _ in r.infos] == [103, 103]
    assert [h for _, h in r.infos] == [[("Link", "</style.css>; rel=preload; as=style")],
                                       [("Link", "</app.js>; rel=preload; as=script")]]


def test_early_hints_noop_without_flag(appd):
    r, seq = exchange(appd, head("/hints", version=H10, flags=0))
    assert ac.RESPONSE_INFO not in types(seq)
    assert r.status == 200 and r.body == b"hinted"


# ---- trailers and the end of the stream ----

def assert_trailers_final(r, seq):
    t = types(seq)
    assert t[0] == ac.RESPONSE_HEAD and not seq[0][1] & ac.END_STREAM, seq
    assert t[-1] == ac.TRAILERS, seq
    assert all(not f & ac.END_STREAM for ty, f, _ in seq if ty == ac.RESPONSE_DATA), seq
    assert all(n > 0 for ty, _, n in seq if ty == ac.RESPONSE_DATA), "empty DATA frame: %s" % seq


@pytest.mark.parametrize("path", ["/trailers", "/trailers-cl", "/trailers-list",
                                  "/trailers-write"])
def test_trailers_are_the_final_frame(appd, path):
    r, seq = exchange(appd, head(path))
    assert r.body == BODY
    assert_trailers_final(r, seq)
    assert ("x-checksum", "sha256=" + hashlib.sha256(BODY).hexdigest()) in r.trailers


def test_trailers_without_body(appd):
    r, seq = exchange(appd, head("/trailers-empty"))
    assert types(seq) == [ac.RESPONSE_HEAD, ac.TRAILERS], seq
    assert not seq[0][1] & ac.END_STREAM
    assert r.trailers == [("grpc-status", "0"), ("grpc-message", "OK")]


def test_http11_with_te_trailers_gets_them(appd):
    r, seq = exchange(appd, head("/trailers", version=H11, flags=TE_TRAILERS))
    assert_trailers_final(r, seq)


@pytest.mark.parametrize("version,flags", [(H11, 0), (H10, TE_TRAILERS)])
def test_trailers_dropped_when_client_cannot_take_them(appd, version, flags):
    r, seq = exchange(appd, head("/trailers-cl", version=version, flags=flags))
    assert ac.TRAILERS not in types(seq) and r.body == BODY
    assert seq[-1][0] == ac.RESPONSE_DATA and seq[-1][1] & ac.END_STREAM and seq[-1][2] > 0, seq


def test_head_request_drops_trailers(appd):
    r, seq = exchange(appd, head("/trailers-cl", method="HEAD"))
    assert ac.TRAILERS not in types(seq) and r.body == b""
    assert r.ended, seq


@pytest.mark.parametrize("version", [H2, H11])
def test_content_length_generator_ends_on_last_data(appd, version):
    """The chunk completing the Content-Length is held until the generator is
    exhausted, then carries END_STREAM: no extra empty DATA frame on h2."""
    r, seq = exchange(appd, head("/cl-generator", version=version))
    assert r.body == BODY
    data = [(f, n) for ty, f, n in seq if ty == ac.RESPONSE_DATA]
    assert all(n > 0 for _, n in data), seq
    assert [bool(f & ac.END_STREAM) for f, _ in data] == [False] * (len(data) - 1) + [True], seq


def test_error_after_complete_body_still_delivers_it(appd):
    r, seq = exchange(appd, head("/cl-then-raise"))
    assert r.status == 200 and r.body == BODY and r.ended and r.reset is None
    assert ac.TRAILERS not in types(seq)
    wait_for(lambda: "after the last chunk" in appd.output(), 10, "the app error in the log")
