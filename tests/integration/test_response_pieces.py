"""test_response_pieces.py: a response body whose chunks straddle the sizes
the proxy cuts it at (4 KiB, below which a worker's frame is copied; 16,375
bytes, a piece whose DATA frame fills one 16 KiB TLS record; the worker's
frame and read sizes) arrives byte-exact over h2 and HTTP/1.1, read fast or
slowly, with or without a Content-Length; and h2 sends a large body in DATA
frames that each fill one TLS record."""
import hashlib
import re

import pytest

from harness import curl, run

PIECE = 16384 - 9
SIZES = [1, 4095, 4096, 4097, PIECE - 1, PIECE, PIECE + 1, 16384, 16384 + 9, 2 * PIECE,
         2 * PIECE + 1, 64 * 1024, 64 * 1024 + 1, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1,
         3, PIECE * 3 + 7] * 6  # 6.8 MB: past the sockets' buffers, a slow reader holds it


def _pattern(n):
    period = bytes(range(251))  # as apps/probe.py's pattern()
    return (period * (n // 251 + 1))[:n]


def _url(stack, cl):
    return stack.url + "/chunks?sizes=%s%s" % (",".join(map(str, SIZES)), "&cl=1" if cl else "")


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
@pytest.mark.parametrize("rate", [None, "3M"])
@pytest.mark.parametrize("cl", [False, True])
def test_chunks_around_piece_sizes_arrive_intact(tls_stack, proto, rate, cl):
    n = sum(SIZES)
    args = ["--limit-rate", rate] if rate else []
    r = curl(proto, *args, _url(tls_stack, cl), timeout=60)
    assert len(r.stdout) == n
    assert hashlib.sha256(r.stdout).digest() == hashlib.sha256(_pattern(n)).digest()


def _data_frames(url, *args):
    r = run(["nghttp", "-nv", *args, url], timeout=60)
    lengths = [int(m) for m in re.findall(r"recv DATA frame <length=(\d+)", r.stdout.decode())]
    assert sum(lengths) == 1024 * 1024
    # /stream has no Content-Length: the worker learns the body ended only
    # after its last chunk went out, and when that chunk already left the
    # proxy, an empty DATA frame carries END_STREAM (never holding a chunk
    # back for it, which would delay every streamed response by one chunk).
    if lengths[-1] == 0:
        lengths.pop()
    assert 0 not in lengths, lengths
    return lengths


def _crossings(lengths):
    """Frames that span the edge of a piece of a 64 KiB chunk."""
    edges = {c * 65536 + k * PIECE for c in range(16) for k in range(5)}
    bad, at = [], 0
    for n in lengths:
        if any(e in edges for e in range(at + 1, at + n)):
            bad.append((at, n))
        at += n
    return bad


def test_h2_data_frames_fill_one_record(tls_stack):
    # Each 64 KiB chunk goes as whole pieces: 16,375 payload bytes, so that
    # with its 9-byte header a frame is exactly one 16 KiB TLS record (and
    # the chunk's last 36 bytes one more frame).
    url = tls_stack.url + "/stream?n=%d" % (1024 * 1024)
    lengths = _data_frames(url, "-w", "24", "-W", "24")
    assert lengths.count(PIECE) == 64 and lengths.count(36) == 16 and len(lengths) == 80
    # The client's 64 KiB windows cut pieces: the frame after a cut ends
    # with the piece, so no frame spans two pieces and later ones go whole.
    lengths = _data_frames(url)
    assert _crossings(lengths) == []
    assert lengths.count(PIECE) >= 16
