"""test_proxy_bad_worker.py: a worker that breaks tandem-protocol(7)'s order
of frames (body or trailers before the head, a second head, a body after a
204): the client gets an error status or a cut-short response, never a hang,
and the proxy serves the next request."""
import pytest

from harness import curl


@pytest.mark.parametrize("path,want", [("/data-first", 502), ("/trailers-first", 502)])
def test_body_before_head_is_502_not_a_hang(evil, path, want):
    """px_stream.c: DATA or TRAILERS with END_STREAM before any head ended the
    worker side while the client waited for a head for ever."""
    r = curl("--http1.1", "-o", "/dev/null", "-w", "%{http_code}", evil.url + path,
             check=False, timeout=20)
    assert r.returncode == 0 and r.stdout == b"%d" % want, r
    assert curl(evil.url + "/").stdout == b"ok\n"


def test_second_head_ends_the_stream(evil):
    """A second RESPONSE_HEAD (carrying END_STREAM) was ignored: the client
    waited for ever for a body end."""
    r = curl("--http1.1", "-o", "/dev/null", evil.url + "/two-heads", check=False, timeout=20)
    assert r.returncode == 18, r   # closed mid-body, not a timeout (28)
    assert curl(evil.url + "/").stdout == b"ok\n"


def test_204_body_is_not_sent_on_h2(evil_tls):
    """h2/h2_response.c: DATA after a 204 head went to the h2 client, which
    must treat it as a malformed response and reset the stream."""
    r = curl("--http2", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
             evil_tls.url + "/204-body", check=False, timeout=20)
    assert r.returncode == 0 and r.stdout == b"204 0", r
    r = curl("--http1.1", "-i", evil_tls.url + "/204-body", timeout=20)
    assert r.stdout.startswith(b"HTTP/1.1 204") and not r.stdout.endswith(b"junk"), r


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
def test_body_read_in_parts_arrives_whole(evil_tls, proto):
    """px_upstream_body.c: a large frame's body comes straight into its
    pieces over several reads, the next frame right behind it."""
    r = curl(proto, evil_tls.url + "/dribble", timeout=20)
    assert r.stdout == bytes(range(251)) * 262 + b"z" * 1000


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
def test_worker_gone_mid_body_cuts_the_response(evil_tls, proto):
    """A worker that closes inside a large frame's body: the client's
    response ends cut short, not a hang, and the next request is served."""
    r = curl(proto, "-o", "/dev/null", evil_tls.url + "/cut-body", check=False, timeout=20)
    assert r.returncode in (18, 56, 92), r   # cut short / reset, not a timeout (28)
    assert curl(proto, evil_tls.url + "/").stdout == b"ok\n"
