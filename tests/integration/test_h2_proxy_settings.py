"""test_h2_proxy_settings.py: the four HTTP/2 settings are sent and enforced
(streams beyond the limit refused, an oversized header list answered 431
with bounded memory, uploads complete with a zero initial window), bad
values stop the proxy, and settings that cannot apply are warned about."""
import hashlib
import os
import subprocess

import h2.errors
import h2.events
import h2.settings
import pytest

from fake_stack import FakeStack, H2Conn
from harness import PROXY, Stack, curl, free_port, rss_kib, wait_for


@pytest.mark.parametrize("argv,needle", [
    (["--http2-cleartext", "sometimes"], "http2_cleartext"),
    (["--forwarded-allow-ips", "10.0.0.0/40"], "forwarded_allow_ips: '10.0.0.0/40'"),
    (["--http2-initial-window-size", "-1"], "0..2147483647"),
    (["--http2-max-header-list-size", "0"], "http2_max_header_list_size"),
    (["--http2-max-concurrent-streams", "2147483648"], "1..2147483647"),
])
def test_bad_values_exit_2(tmp_path, argv, needle):
    r = subprocess.run([PROXY, "--upstream", "unix:%s/a.sock" % tmp_path] + argv,
                       capture_output=True, timeout=5)
    assert r.returncode == 2, r
    assert needle in r.stderr.decode().strip().splitlines()[-1]


def _warnings(proxy_args, tls=None):
    s = FakeStack(proxy_args=proxy_args, tls=tls)
    try:
        return [l for l in s.proxy.output().splitlines() if "[WARNING]" in l]
    finally:
        s.close()


def test_warning_when_no_listener_can_do_h2(certs):
    w = _warnings(["--http2-max-frame-size", "32768", "--http2-max-concurrent-streams", "10"])
    assert len(w) == 1, w
    assert "http2_max_concurrent_streams, http2_max_frame_size" in w[0], w
    assert "no TLS" in w[0] and "http2_cleartext is off" in w[0], w
    w = _warnings(["--http-protocols", "h1", "--http2-initial-window-size", "0"], tls=certs)
    assert len(w) == 1 and "http_protocols does not include h2" in w[0], w
    # Where they apply, or when nobody set them: silence.
    assert _warnings(["--http2-max-frame-size", "32768"], tls=certs) == []
    assert _warnings(["--http2-max-frame-size", "32768", "--http2-cleartext", "both"]) == []
    assert _warnings([]) == []


def test_settings_frame(certs):
    s = FakeStack(tls=certs, proxy_args=["--http2-max-concurrent-streams", "7",
                                         "--http2-initial-window-size", "100000",
                                         "--http2-max-frame-size", "32768",
                                         "--http2-max-header-list-size", "9000"])
    c = H2Conn(s.port, tls=True)
    try:
        c.ping()
        assert c.remote_settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] == 7
        assert c.remote_settings[h2.settings.SettingCodes.INITIAL_WINDOW_SIZE] == 100000
        assert c.remote_settings[h2.settings.SettingCodes.MAX_FRAME_SIZE] == 32768
        assert c.remote_settings[h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE] == 9000
        assert c.remote_settings[9] == 1  # SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218)
        # The connection window was raised to room for 7 stream windows.
        ev = [e for e in c.events if isinstance(e, h2.events.WindowUpdated) and e.stream_id == 0]
        assert [65535 + e.delta for e in ev] == [7 * 100000], ev
    finally:
        c.close()
        s.close()


def test_streams_beyond_the_limit_are_refused(certs):
    s = FakeStack(tls=certs, capacity=1, proxy_args=["--http2-max-concurrent-streams", "2"])
    c = H2Conn(s.port, tls=True)
    try:
        # Three slow streams at once, before our SETTINGS can be acknowledged.
        ids = []
        for _ in range(3):
            ids.append(c.conn.get_next_available_stream_id())
            c.conn.send_headers(ids[-1], [(":method", "GET"), (":scheme", "https"),
                                          (":authority", "x"), (":path", "/sleep?s=0.3")],
                                end_stream=True)
        c.sock.sendall(c.conn.data_to_send())
        ev = c.wait(lambda e: isinstance(e, h2.events.StreamReset), "RST_STREAM")
        assert ev.stream_id == ids[2] and ev.error_code == h2.errors.ErrorCodes.REFUSED_STREAM
        assert c.response(ids[0])[0] == 200 and c.response(ids[1])[0] == 200
        # The connection goes on: a new stream within the limit works.
        assert c.response(c.headers("/"))[0] == 200
    finally:
        c.close()
        s.close()


def test_streams_beyond_an_acknowledged_limit_end_the_connection(certs):
    # nghttp2's rule, documented in tandem-proxy(8): a client that opens
    # more streams after acknowledging the limit gets GOAWAY(PROTOCOL_ERROR).
    import hpack
    s = FakeStack(tls=certs, capacity=1, proxy_args=["--http2-max-concurrent-streams", "2"])
    c = H2Conn(s.port, tls=True)
    try:
        c.ping()  # our SETTINGS are acknowledged by now
        enc = hpack.Encoder()
        frames = b"".join(c.raw_frame(0x1, 0x5, sid, enc.encode(
            [(":method", "GET"), (":scheme", "https"), (":authority", "x"),
             (":path", "/sleep?s=0.3")])) for sid in (1, 3, 5))
        c.sock.sendall(frames)  # python-h2 itself would refuse to send the third
        ev = c.wait(lambda e: isinstance(e, h2.events.ConnectionTerminated), "GOAWAY")
        assert ev.error_code == h2.errors.ErrorCodes.PROTOCOL_ERROR and ev.last_stream_id == 3
    finally:
        c.close()
        s.close()


@pytest.fixture
def unlimited(certs):
    # Field count and size limits off: only the header list size bounds it.
    s = FakeStack(tls=certs, proxy_args=["--limit-request-fields", "0",
                                         "--limit-request-field-size", "0",
                                         "--http2-max-header-list-size", "65536"])
    yield s
    s.close()


def test_header_list_over_the_limit_gets_431(unlimited):
    c = H2Conn(unlimited.port, tls=True)
    try:
        # ~100 KB of distinct fields, in a block nghttp2 still accepts.
        big = [("x-filler-%d" % i, "v" * 1000) for i in range(100)]
        status, _, body, _, _ = c.response(c.headers("/", extra=big))
        assert status == 431, body
        # Just under the limit is fine, and the connection still serves.
        small = [("x-filler-%d" % i, "v" * 900) for i in range(60)]
        assert c.response(c.headers("/", extra=small))[0] == 200
    finally:
        c.close()


def test_hpack_bomb_memory_stays_bounded(unlimited):
    # One 3 KB field indexed once, then repeated by its index: a ~30 KB
    # block that decodes to ~90 MB of fields.  The proxy keeps none of it.
    c = H2Conn(unlimited.port, tls=True)
    try:
        rss0, _ = rss_kib(unlimited.proxy.pid)
        sid = c.headers("/", extra=[("x-bomb", "v" * 3000)] * 30000)
        assert c.response(sid)[0] == 431
        rss1, _ = rss_kib(unlimited.proxy.pid)
        assert rss1 - rss0 < 8 * 1024, (rss0, rss1)
        assert c.response(c.headers("/"))[0] == 200
    finally:
        c.close()


def test_header_block_beyond_nghttp2_bound_is_a_connection_error(unlimited):
    # Larger than 8 CONTINUATION frames (nghttp2's CVE-2024-28182 bound):
    # the connection ends with GOAWAY; the proxy serves the next one.
    c = H2Conn(unlimited.port, tls=True)
    try:
        rss0, _ = rss_kib(unlimited.proxy.pid)
        try:
            c.headers("/", extra=[("x-filler-%d" % i, "v" * 4000) for i in range(500)])
            c.wait(lambda e: isinstance(e, h2.events.ConnectionTerminated), "GOAWAY")
        except (ConnectionError, OSError):
            pass  # closed while we were still sending: fine too
        rss1, _ = rss_kib(unlimited.proxy.pid)
        assert rss1 - rss0 < 8 * 1024, (rss0, rss1)
    finally:
        c.close()
    assert curl("--http2", unlimited.url + "/").stdout == b"Hello, World!\n"


def test_zero_initial_window_uploads_complete(certs, tmp_path):
    s = Stack(workers=1, tls=certs, appd_args=["-k", "gthread", "--threads", "4"],
              proxy_args=["--http2-initial-window-size", "0"])
    try:
        body = os.urandom(3 * 1024 * 1024 + 11)
        f = tmp_path / "body"
        f.write_bytes(body)
        r = curl("--http2", "--data-binary", "@%s" % f, s.url + "/sha", timeout=60)
        assert r.stdout.decode() == "%s %d" % (hashlib.sha256(body).hexdigest(), len(body))
        # A raw client sees window 0 and still gets its body through.
        c = H2Conn(s.port, tls=True)
        try:
            c.ping()
            assert c.remote_settings[h2.settings.SettingCodes.INITIAL_WINDOW_SIZE] == 0
            sid = c.headers("/sha", method="POST", end=False)
            assert c.conn.local_flow_control_window(sid) == 0
            payload = os.urandom(200000)
            sent = 0
            while sent < len(payload):
                room = c.conn.local_flow_control_window(sid)
                if room == 0:
                    c.pump()  # wait for the proxy to open the window
                    continue
                # Padded frames: padding spends window too.
                n = min(room - 65, 16384 - 65, len(payload) - sent)
                if n <= 0:
                    c.pump()
                    continue
                c.conn.send_data(sid, payload[sent:sent + n], end_stream=sent + n == len(payload),
                                 pad_length=64)
                c.flush()
                sent += n
            status, _, out, _, _ = c.response(sid)
            assert status == 200
            assert out.decode() == "%s %d" % (hashlib.sha256(payload).hexdigest(), len(payload))
        finally:
            c.close()
    finally:
        s.close()
