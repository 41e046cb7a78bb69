"""test_slow_clients.py: time is bounded per client (issue 14, Time): a
request head that trickles in or never ends, HTTP/2 frames that carry no
progress, a wrong h2c preface, resets that must cancel the work.  Raw
sockets and hand-made frames; each test checks that the server still serves
another client afterwards."""
import os
import socket
import struct
import time

import hpack
import pytest

from fake_stack import FakeStack
from harness import APPS, Stack, curl, wait_for

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
GOAWAY, DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, WINDOW_UPDATE = 7, 0, 1, 2, 3, 4, 8
END_STREAM, END_HEADERS = 0x1, 0x4
PROTOCOL_ERROR, CANCEL, ENHANCE_YOUR_CALM = 0x1, 0x8, 0xb


def frame(ftype, flags, sid, payload=b""):
    return struct.pack("!I", len(payload))[1:] + struct.pack("!BBI", ftype, flags, sid) + payload


def request_block(path, method="GET", length=None):
    fields = [(":method", method), (":scheme", "http"), (":authority", "localhost"),
              (":path", path)]
    if length is not None:
        fields.append(("content-length", str(length)))
    return hpack.Encoder().encode(fields)


def read_until_close(sock, bound):
    """Everything the server sends until it closes (None: still open after bound s)."""
    out = b""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return out
        if not chunk:
            return out
        out += chunk
    return None


def frames(data):
    """(type, flags, stream, payload) of each whole frame in data."""
    out, i = [], 0
    while i + 9 <= len(data):
        n = int.from_bytes(data[i:i + 3], "big")
        ftype, flags, sid = struct.unpack("!BBI", data[i + 3:i + 9])
        out.append((ftype, flags, sid & 0x7fffffff, data[i + 9:i + 9 + n]))
        i += 9 + n
    return out


def goaway_code(data):
    codes = [struct.unpack("!II", p[:8])[1] for t, _, _, p in frames(data) if t == GOAWAY]
    return codes[-1] if codes else None


def send_all(sock, data):
    """The server may close mid-way (that is what we want): not an error."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


def serves(stack, h2=False):
    """Another client is served (h2: by prior knowledge, on an h2c listener)."""
    args = ["--http2-prior-knowledge"] if h2 else []
    r = curl("-s", "-o", "/dev/null", "-w", "%{http_code}", *args, stack.url + "/", check=False)
    return r.stdout == b"200"


@pytest.fixture(scope="module")
def h1():
    # --timeout stays long: only --header-timeout may end these heads.
    s = FakeStack(proxy_args=["--header-timeout", "2", "--timeout", "60", "--keepalive", "30"])
    yield s
    s.close()


@pytest.fixture(scope="module")
def h2c():
    s = FakeStack(proxy_args=["--http2-cleartext", "prior-knowledge", "--header-timeout", "2",
                              "--timeout", "60", "--keepalive", "60"])
    yield s
    s.close()


# ---- HTTP/1 heads: one deadline from the first byte ----

def test_h1_silent_connection_is_closed(h1):
    with socket.create_connection(("127.0.0.1", h1.port)) as s:
        assert read_until_close(s, 15) is not None, "a silent connection stayed open"
    assert serves(h1)


def _trickle(sock, data, bound=15):
    """Sends data a byte every 0.2 s; True once the server has closed."""
    deadline = time.monotonic() + bound
    for b in data:
        if time.monotonic() > deadline:
            return False
        try:
            sock.sendall(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            return True
        sock.settimeout(0.2)
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            pass
        except ConnectionResetError:
            return True
    return False


def test_h1_head_trickled_in_is_cut(h1):
    # Slowloris: each byte comes before any per-read timer would fire.
    head = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", h1.port)) as s:
        assert _trickle(s, head), "a head sent a byte at a time was still read after 15 s"
    assert serves(h1)


def test_h1_second_head_trickled_in_is_cut(h1):
    head = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", h1.port)) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while b"Hello, World!\n" not in got:
            chunk = s.recv(65536)
            assert chunk, got
            got += chunk
        assert got.startswith(b"HTTP/1.1 200 "), got
        # Idle under --keep-alive (30 s) until the next head's first byte.
        assert _trickle(s, head), "the second head was still read after 15 s"
    assert serves(h1)


# ---- HTTP/2: a header block must end ----

def test_h2_headers_without_end_headers_get_goaway(h2c):
    block = request_block("/")
    with socket.create_connection(("127.0.0.1", h2c.port)) as s:
        # Half a header block, no END_HEADERS, then silence: nothing else
        # may be sent on the connection until its CONTINUATION.
        s.sendall(PREFACE + frame(SETTINGS, 0, 0) +
                  frame(HEADERS, END_STREAM, 1, block[:len(block) // 2]))
        out = read_until_close(s, 15)
        assert out is not None, "an unfinished header block kept the connection open"
        assert goaway_code(out) == ENHANCE_YOUR_CALM, frames(out)
    assert serves(h2c, h2=True)


def test_h2_header_block_in_time_is_served(h2c):
    block = request_block("/")
    with socket.create_connection(("127.0.0.1", h2c.port)) as s:
        s.sendall(PREFACE + frame(SETTINGS, 0, 0) + frame(HEADERS, END_STREAM, 1, block[:5]))
        time.sleep(0.5)
        s.sendall(frame(9, END_HEADERS, 1, block[5:]))  # CONTINUATION
        got, deadline = b"", time.monotonic() + 15
        s.settimeout(1)
        while time.monotonic() < deadline and not any(
                t == DATA and f & END_STREAM and sid == 1 for t, f, sid, _ in frames(got)):
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            assert chunk, frames(got)
            got += chunk
        body = b"".join(p for t, _, sid, p in frames(got) if t == DATA and sid == 1)
        assert body == b"Hello, World!\n", frames(got)


# ---- h2c prior knowledge: a wrong preface (h2spec 3.5/2) ----

@pytest.mark.parametrize("preface", [b"PRI * HTTP/2.0\r\n\r\nXY\r\n\r\n",
                                     b"INVALID CONNECTION PREFACE\r\n\r\n"],
                         ids=["almost", "garbage"])
def test_h2c_wrong_preface_gets_goaway(h2c, preface):
    with socket.create_connection(("127.0.0.1", h2c.port)) as s:
        s.sendall(preface)
        out = read_until_close(s, 15)
    assert out is not None, "still open"
    assert not out.startswith(b"HTTP/"), out
    assert goaway_code(out) == PROTOCOL_ERROR, out
    assert serves(h2c, h2=True)


# ---- HTTP/2 frames that carry no progress ----

FLOODS = {
    "empty-data": lambda: frame(DATA, 0, 1),
    "priority": lambda: frame(PRIORITY, 0, 3, struct.pack("!IB", 0, 15)),
    "window-update": lambda: frame(WINDOW_UPDATE, 0, 0, struct.pack("!I", 1)),
}


@pytest.mark.parametrize("kind", sorted(FLOODS))
def test_h2_no_progress_flood_gets_enhance_your_calm(h2c, kind):
    with socket.create_connection(("127.0.0.1", h2c.port)) as s:
        # A request whose body never comes, then thousands of frames that
        # each cost the server a little and move nothing forward.
        opening = PREFACE + frame(SETTINGS, 0, 0) + frame(
            HEADERS, END_HEADERS, 1, request_block("/echo", "POST"))
        send_all(s, opening + FLOODS[kind]() * 5000)
        out = read_until_close(s, 15)
        assert out is not None, "the flood went on unanswered"
        assert goaway_code(out) == ENHANCE_YOUR_CALM, frames(out)[-3:]
    assert serves(h2c, h2=True)


def test_h2_ordinary_control_frames_pass(h2c):
    # A client's usual handful of PRIORITY, PING and WINDOW_UPDATE frames,
    # many requests long: progress keeps refilling the budget.
    with socket.create_connection(("127.0.0.1", h2c.port)) as s:
        s.sendall(PREFACE + frame(SETTINGS, 0, 0))
        got = b""
        for i in range(300):
            sid = 2 * i + 1
            s.sendall(frame(PRIORITY, 0, sid + 200, struct.pack("!IB", 0, 15)) * 3 +
                      frame(WINDOW_UPDATE, 0, 0, struct.pack("!I", 1)) +
                      frame(HEADERS, END_STREAM | END_HEADERS, sid, request_block("/")))
            s.settimeout(15)
            while not any(t == DATA and f & END_STREAM and i2 == sid
                          for t, f, i2, _ in frames(got)):
                chunk = s.recv(65536)
                assert chunk, frames(got)[-3:]
                got += chunk
        assert goaway_code(got) is None


# ---- rapid reset cancels the work sent to appd ----

def test_rapid_reset_leaves_no_work_running(tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    stack = Stack(app="count_app:app", workers=2, appd_args=["--timeout", "120"],
                  proxy_args=["--http2-cleartext", "prior-knowledge", "--max-queue", "1000"],
                  env={"COUNT_DIR": str(marks)}, pythonpath=APPS)
    try:
        def count(prefix):
            return sum(1 for n in os.listdir(marks) if n.startswith(prefix))

        with socket.create_connection(("127.0.0.1", stack.port)) as s:
            s.sendall(PREFACE + frame(SETTINGS, 0, 0))
            # Reset at once (mostly before dispatch), many times over...
            burst = b""
            for i in range(200):
                sid = 2 * i + 1
                burst += frame(HEADERS, END_STREAM | END_HEADERS, sid, request_block("/work")) + \
                    frame(RST_STREAM, 0, sid, struct.pack("!I", CANCEL))
            s.sendall(burst)
            # ...and reset streams the app is already running.
            for sid in range(401, 409, 2):
                started = count("started-")
                s.sendall(frame(HEADERS, END_STREAM | END_HEADERS, sid, request_block("/work")))
                wait_for(lambda: count("started-") > started, 20, "the app to start stream %d" % sid)
                s.sendall(frame(RST_STREAM, 0, sid, struct.pack("!I", CANCEL)))
            # Each request runs 60 s unless cancelled: all stop well before.
            wait_for(lambda: count("finished-") == count("started-"), 20,
                     "every started request to stop (started %d, finished %d)"
                     % (count("started-"), count("finished-")))
        assert count("started-") >= 4
        assert serves(stack, h2=True)
    finally:
        stack.close()


# ---- slow request bodies: a buffer, not a worker ----

@pytest.fixture(scope="module")
def one_worker():
    # One worker slot: a request that holds it blocks every other.
    s = FakeStack(proxy_args=["--body-timeout", "3", "--timeout", "60", "--http2-cleartext",
                              "both"], workers=1, capacity=1)
    yield s
    s.close()


class _Get:
    """A GET / from another client, in a thread: done once answered."""

    def __init__(self, stack, h2=False):
        import threading
        self.status = None
        args = ["--http2-prior-knowledge"] if h2 else []
        self.thread = threading.Thread(target=self._run, args=(stack, args), daemon=True)
        self.thread.start()

    def _run(self, stack, args):
        r = curl("-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "30", *args,
                 stack.url + "/", check=False)
        self.status = r.stdout

    def done(self):
        return self.status is not None


def _upload_slowly(send, pieces, other):
    """Sends all but the last piece 0.3 s apart, stopping early once other
    is done; then waits (bounded) for other while the upload is unfinished,
    and sends the rest."""
    i = 0
    while i < len(pieces) - 1 and not other.done():
        send(pieces[i])
        i += 1
        time.sleep(0.3)
    wait_for(other.done, 5, "the other client to be served while the upload is unfinished")
    for piece in pieces[i:]:
        send(piece)


def test_h1_slow_small_body_holds_no_worker(one_worker):
    with socket.create_connection(("127.0.0.1", one_worker.port)) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\na")
        get = _Get(one_worker)
        # Without collecting, the slow upload holds the one worker and the
        # GET waits for it to end.
        _upload_slowly(s.sendall, [b"b", b"c", b"d", b"e", b"f"], get)
        assert get.status == b"200"
        s.settimeout(15)
        got = b""
        while not got.endswith(b"abcdef"):
            chunk = s.recv(65536)
            assert chunk, got
            got += chunk
        assert got.startswith(b"HTTP/1.1 200 "), got


def _whole_frames(data):
    """frames(data) without a last frame whose payload is still on its way."""
    out, i = [], 0
    for f in frames(data):
        i += 9 + int.from_bytes(data[i:i + 3], "big")
        if i > len(data):
            break
        out.append(f)
    return out


def _read_frames_until(c, got, pred, bound):
    """Reads from c onto got until pred(whole frames) holds (or bound s pass): the bytes read."""
    deadline = time.monotonic() + bound
    c.settimeout(1)
    while time.monotonic() < deadline and not pred(_whole_frames(got)):
        try:
            chunk = c.recv(65536)
        except socket.timeout:
            continue
        assert chunk, frames(got)
        got += chunk
    return got


@pytest.fixture
def one_worker_rfc_window():
    # one_worker with the RFC's initial window, one byte short of 64 KiB.
    s = FakeStack(proxy_args=["--body-timeout", "3", "--timeout", "60", "--http2-cleartext",
                              "both", "--http2-initial-window-size", "65535"],
                  workers=1, capacity=1)
    yield s
    s.close()


def test_h2_body_past_the_initial_window_holds_no_worker(one_worker_rfc_window):
    # 64 KiB is one byte past the client's initial window (65535 here) and
    # within --request-buffer-size (65536): the proxy opens the stream's
    # window at once and collects the body before a worker is taken.
    one_worker = one_worker_rfc_window
    body = bytes(range(256)) * 256
    with socket.create_connection(("127.0.0.1", one_worker.port)) as c:
        c.sendall(PREFACE + frame(SETTINGS, 0, 0, struct.pack("!HI", 4, 1 << 20)) +
                  frame(WINDOW_UPDATE, 0, 0, struct.pack("!I", 1 << 20)) +
                  frame(HEADERS, END_HEADERS, 1,
                        request_block("/echo", "POST", length=len(body))) +
                  frame(DATA, 0, 1, body[:1]))
        got = _read_frames_until(c, b"", lambda fs: any(
            t == WINDOW_UPDATE and sid == 1 for t, _, sid, _ in fs), 10)
        opened = sum(struct.unpack("!I", p)[0] for t, _, sid, p in frames(got)
                     if t == WINDOW_UPDATE and sid == 1)
        assert 65535 + opened >= len(body), frames(got)
        get = _Get(one_worker, h2=True)
        pieces = [body[1 + i:1 + i + 16384] for i in range(0, len(body) - 1, 16384)]
        _upload_slowly(c.sendall, [frame(DATA, 0, 1, p) for p in pieces[:-1]] +
                       [frame(DATA, END_STREAM, 1, pieces[-1])], get)
        assert get.status == b"200"
        got = _read_frames_until(c, got, lambda fs: any(
            t == DATA and f & END_STREAM and sid == 1 for t, f, sid, _ in fs), 15)
        echoed = b"".join(p for t, _, sid, p in _whole_frames(got) if t == DATA and sid == 1)
        assert echoed == body, (len(echoed), [(t, f, sid, len(p)) for t, f, sid, p in frames(got)])


def test_h1_slow_chunked_body_holds_no_worker(one_worker):
    # A chunked body has no length to tell a small one: it is collected up
    # to --request-buffer-size all the same, and goes whole, with its length.
    with socket.create_connection(("127.0.0.1", one_worker.port)) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"1\r\na\r\n")
        get = _Get(one_worker)
        _upload_slowly(s.sendall, [b"1\r\nb\r\n", b"2\r\ncd\r\n", b"1\r\ne\r\n",
                                   b"1\r\nf\r\n0\r\n\r\n"], get)
        assert get.status == b"200"
        s.settimeout(15)
        got = b""
        while not got.endswith(b"abcdef"):
            chunk = s.recv(65536)
            assert chunk, got
            got += chunk
        assert got.startswith(b"HTTP/1.1 200 "), got


@pytest.mark.parametrize("length", [6, None], ids=["small", "unknown-length"])
def test_h2_slow_body_holds_no_worker(one_worker, length):
    # A small declared length, or none (collected up to --request-buffer-size
    # all the same): the body is collected before the one worker is taken.
    with socket.create_connection(("127.0.0.1", one_worker.port)) as c:
        c.sendall(PREFACE + frame(SETTINGS, 0, 0) +
                  frame(HEADERS, END_HEADERS, 1, request_block("/echo", "POST", length=length)) +
                  frame(DATA, 0, 1, b"a"))
        get = _Get(one_worker, h2=True)
        _upload_slowly(c.sendall, [frame(DATA, 0, 1, bytes([b])) for b in b"bcde"] +
                       [frame(DATA, END_STREAM, 1, b"f")], get)
        assert get.status == b"200"
        got = _read_frames_until(c, b"", lambda fs: any(
            t == DATA and f & END_STREAM and sid == 1 for t, f, sid, _ in fs), 15)
        body = b"".join(p for t, _, sid, p in _whole_frames(got) if t == DATA and sid == 1)
        assert body == b"abcdef", frames(got)


def test_h1_body_that_never_completes_gets_408(one_worker):
    with socket.create_connection(("127.0.0.1", one_worker.port)) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab")
        out = read_until_close(s, 15)
    assert out is not None and out.startswith(b"HTTP/1.1 408 "), out
    assert serves(one_worker)


def test_h2_body_that_never_completes_gets_408(one_worker):
    with socket.create_connection(("127.0.0.1", one_worker.port)) as c:
        c.sendall(PREFACE + frame(SETTINGS, 0, 0) +
                  frame(HEADERS, END_HEADERS, 1, request_block("/echo", "POST", length=6)) +
                  frame(DATA, 0, 1, b"ab"))
        got, deadline = b"", time.monotonic() + 15
        c.settimeout(1)
        while time.monotonic() < deadline and not any(
                t == HEADERS and sid == 1 for t, _, sid, _ in frames(got)):
            try:
                chunk = c.recv(65536)
            except socket.timeout:
                continue
            assert chunk, frames(got)
            got += chunk
        heads = [p for t, _, sid, p in frames(got) if t == HEADERS and sid == 1]
        assert heads and dict(hpack.Decoder().decode(heads[0]))[":status"] == "408", frames(got)
    assert serves(one_worker, h2=True)


def test_h1_large_body_must_keep_pace(one_worker):
    # Larger than --request-buffer-size: streamed to the worker, so it must
    # bring that many bytes per --body-timeout; a byte now and then does not.
    with socket.create_connection(("127.0.0.1", one_worker.port)) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
        deadline, out = time.monotonic() + 15, b""
        while time.monotonic() < deadline and b"\r\n" not in out:
            try:
                s.sendall(b"x")
            except (BrokenPipeError, ConnectionResetError):
                break
            s.settimeout(0.3)
            try:
                out += s.recv(65536)
            except socket.timeout:
                pass
            except ConnectionResetError:
                break
        assert out.startswith(b"HTTP/1.1 408 "), out
    assert serves(one_worker)


# ---- slow readers: the response is held, the worker is free ----

def test_slow_reader_does_not_hold_the_worker():
    s = FakeStack(proxy_args=["--response-buffer-size", "4194304", "--timeout", "60"],
                  workers=1, capacity=1)
    try:
        size = 3000000
        with socket.socket() as reader:
            reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            reader.connect(("127.0.0.1", s.port))
            reader.sendall(b"GET /big?n=%d HTTP/1.1\r\nHost: x\r\n\r\n" % size)
            reader.settimeout(15)
            got = reader.recv(4096)  # the head has come: the worker runs it
            # It reads nothing more: the worker finishes into the proxy's
            # buffer all the same, and the one slot serves another client.
            get = _Get(s)
            wait_for(get.done, 10, "another client served while the reader does not read")
            assert get.status == b"200"
            while True:
                chunk = reader.recv(1 << 20)
                assert chunk, len(got)
                got += chunk
                head, _, body = got.partition(b"\r\n\r\n")
                if len(body) >= size:
                    break
            assert body == b"x" * size
    finally:
        s.close()
