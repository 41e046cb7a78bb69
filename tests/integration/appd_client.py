"""appd_client.py: a minimal tandem-protocol(7) client speaking to
tandem-appd's socket the way tandem-proxy does (HELLO, REQUEST_HEAD/DATA
under the worker's flow-control window, CREDIT for response bytes), built on
struct only so the tests need nothing but Debian's /usr/bin/python3.

    from appd_client import Conn, connect_all
    with Conn("/run/tandem/app.sock") as c:
        r = c.request("POST", "/echo", body=b"hi")
        assert r.status == 200 and r.body == b"hi"
"""
import hashlib
import os
import select
import socket
import struct
import time

VERSION = 4                                  # tandem-protocol(7) HELLO version
HEADER = struct.Struct("!IBBHI")            # length, type, flags, reserved, stream
HELLO = struct.Struct("!HBBIIIIIIII")       # 36 bytes, tp_hello in wire order
REQ_FIXED = struct.Struct("!BBHQHIBBBHHIIH")  # 35 bytes, tp_request_head fixed part

HELLO_T, REQUEST_HEAD, REQUEST_DATA, RESPONSE_INFO, RESPONSE_HEAD, RESPONSE_DATA, \
    TRAILERS, RESET, CREDIT, PING, DRAIN, WS_CLOSE = range(1, 13)
END_STREAM, ACK, TEXT, MESSAGE_END = 0x01, 0x02, 0x04, 0x08
ROLE_PROXY, ROLE_WORKER = 1, 2
REQ_TLS, REQ_EARLY_HINTS, REQ_WEBSOCKET = 0x01, 0x10, 0x20
LENGTH_UNKNOWN = (1 << 64) - 1
RESET_NAMES = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR",
               7: "REFUSED_STREAM", 8: "CANCEL", 0x100: "TIMEOUT"}


def _s(v):
    return v if isinstance(v, bytes) else str(v).encode("latin-1")


def _str(v):
    v = _s(v)
    return struct.pack("!I", len(v)) + v


def _headers(hs):
    return struct.pack("!I", len(hs)) + b"".join(_str(n) + _str(v) for n, v in hs)


def frames(data):
    """Splits bytes into (type, flags, stream, payload) frames; returns
    (frames, leftover bytes)."""
    out = []
    while len(data) >= HEADER.size:
        length, ftype, flags, _, stream = HEADER.unpack_from(data)
        if len(data) < HEADER.size + length:
            break
        out.append((ftype, flags, stream, data[HEADER.size:HEADER.size + length]))
        data = data[HEADER.size + length:]
    return out, data


def frame(ftype, flags, stream, payload=b""):
    return HEADER.pack(len(payload), ftype, flags, 0, stream) + payload


def request_head(method, path, query=b"", headers=(), version=(1, 1), scheme="http",
                 authority="localhost", content_length=LENGTH_UNKNOWN, flags=0,
                 peer=("127.0.0.1", 40000), local=("127.0.0.1", 8000), h2_stream_id=0,
                 extra=None):
    """extra: the version-3 strings by name (REQUEST_STRINGS), e.g. client_verify."""
    extra = dict(extra or {})
    proxy_port = extra.pop("proxy_port", 0)
    fixed = REQ_FIXED.pack(version[0], version[1], flags, content_length, 16, 0, 0, 3, 0,
                           peer[1], local[1], 1, h2_stream_id, proxy_port)
    given = dict(method=method, scheme=scheme, authority=authority, path=path, query=query,
                 peer_addr=peer[0], local_addr=local[0], **extra)
    strs = [given.get(k, b"") for k in REQUEST_STRINGS]
    return fixed + b"".join(_str(s) for s in strs) + _headers(list(headers))


# REQUEST_HEAD's strings in wire order (version 3).
REQUEST_STRINGS = ["method", "scheme", "authority", "path", "query", "peer_addr", "local_addr",
                   "tls_version", "tls_cipher", "alpn", "sni", "proxy_protocol", "proxy_addr",
                   "client_verify", "client_cert", "client_s_dn", "client_i_dn", "client_serial",
                   "client_v_start", "client_v_end"]


def parse_str(payload, pos):
    """A u32-length-prefixed string at pos: (bytes, position after it)."""
    (n,) = struct.unpack_from("!I", payload, pos)
    pos += 4
    if n > len(payload) - pos:
        raise ValueError("string of %d bytes past the end of the frame" % n)
    return payload[pos:pos + n], pos + n


def parse_headers(payload, pos):
    """A header list at pos: ([(name, value) bytes pairs], position after it)."""
    (count,) = struct.unpack_from("!I", payload, pos)
    pos += 4
    hs = []
    for _ in range(count):
        name, pos = parse_str(payload, pos)
        value, pos = parse_str(payload, pos)
        hs.append((name, value))
    return hs, pos


def parse_head(payload, has_status=True):
    pos, status = 0, 0
    if has_status:
        status = struct.unpack_from("!H", payload)[0]
        pos = 2
    hs, pos = parse_headers(payload, pos)
    assert pos == len(payload), "trailing bytes in a head frame"
    return status, [(n.decode("latin-1"), v.decode("latin-1")) for n, v in hs]


class Response:
    def __init__(self, stream):
        self.stream = stream
        self.status = None
        self.headers = []
        self.infos = []            # 1xx heads: (status, headers)
        self.chunks = []
        self.length = 0
        self.sha = hashlib.sha256()
        self.ended = False          # END_STREAM seen
        self.reset = None           # reason of a RESET from the worker
        self.send_window = 0
        self.data_frames = 0

    @property
    def body(self):
        return b"".join(self.chunks)

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None

    @property
    def done(self):
        return self.ended or self.reset is not None

    def __repr__(self):
        return "<Response %s %s len=%d reset=%s>" % (self.stream, self.status, self.length,
                                                     RESET_NAMES.get(self.reset, self.reset))


class Conn:
    """One proxy-side connection to tandem-appd."""

    def __init__(self, path, window=1 << 20, max_frame=256 * 1024, timeout=30, ask=0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.timeout = timeout
        self.window = window
        self.max_frame = max_frame
        self.buf = bytearray()
        self.streams = {}
        self.next_id = 1
        self.drained = None
        self.answer_drain = True
        self.pings = []
        # ask: the worker index our HELLO asks the master for (0: any)
        self.sock.sendall(frame(HELLO_T, 0, 0, HELLO.pack(VERSION, ROLE_PROXY, 0, os.getpid(),
                                                          0, ask, 0, window, max_frame, 0, 0)))
        ftype, flags, stream, payload = self.read_frame()
        assert ftype == HELLO_T and stream == 0, "expected HELLO, got type %d" % ftype
        (version, role, wclass, pid, capacity, index, count, init_window, peer_max_frame,
         generation, reserved) = HELLO.unpack(payload)
        assert version == VERSION and role == ROLE_WORKER, (version, role)
        self.hello = dict(version=version, worker_class=wclass, pid=pid, capacity=capacity,
                          worker_index=index, worker_count=count, initial_window=init_window,
                          max_frame=peer_max_frame, generation=generation)
        self.pid = pid

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def read_frame(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            if len(self.buf) >= HEADER.size:
                length, ftype, flags, _, stream = HEADER.unpack_from(self.buf)
                end = HEADER.size + length
                if len(self.buf) >= end:
                    payload = bytes(self.buf[HEADER.size:end])
                    del self.buf[:end]
                    return ftype, flags, stream, payload
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame from appd within %.1fs" % (timeout or self.timeout))
            p = select.poll()
            p.register(self.sock, select.POLLIN)
            if not p.poll(left * 1000):
                continue
            data = self.sock.recv(1 << 20)
            if not data:
                raise ConnectionError("appd closed the connection")
            self.buf += data

    def open_stream(self, method, path, body=None, headers=(), query="", end=None, **kw):
        """Sends REQUEST_HEAD; returns the Response that will collect the answer."""
        sid = self.next_id
        self.next_id += 2
        r = Response(sid)
        r.send_window = self.hello["initial_window"]
        if "content_length" not in kw and body is not None:
            kw["content_length"] = len(body)
        if end is None:
            end = not body
        self.streams[sid] = r
        self.send(frame(REQUEST_HEAD, END_STREAM if end else 0, sid,
                        request_head(_s(method), _s(path), _s(query), headers, **kw)))
        return r

    def pump(self, timeout=None, credit=True):
        """Reads and handles one frame."""
        ftype, flags, sid, payload = self.read_frame(timeout)
        r = self.streams.get(sid)
        if ftype == RESPONSE_HEAD:
            r.status, r.headers = parse_head(payload)
            if flags & END_STREAM:
                r.ended = True
        elif ftype == RESPONSE_INFO:
            r.infos.append(parse_head(payload))
        elif ftype == RESPONSE_DATA:
            assert r.status is not None, "DATA before RESPONSE_HEAD"
            assert len(payload) <= self.max_frame, "frame above our max_frame"
            r.data_frames += 1
            r.length += len(payload)
            if r.keep:
                r.chunks.append(payload)
            else:
                r.sha.update(payload)
            if flags & END_STREAM:
                r.ended = True
            if credit and payload and not r.ended:
                r.unacked += len(payload)
                if r.unacked >= self.window // 4:
                    self.send(frame(CREDIT, 0, sid, struct.pack("!I", r.unacked)))
                    r.unacked = 0
        elif ftype == RESET:
            (r.reset,) = struct.unpack("!I", payload)
        elif ftype == CREDIT:
            (n,) = struct.unpack("!I", payload)
            if r is not None:
                r.send_window += n
        elif ftype == PING:
            if not flags & ACK:
                self.send(frame(PING, ACK, 0, payload))
            else:
                self.pings.append(payload)
        elif ftype == DRAIN:
            (self.drained,) = struct.unpack("!I", payload)
            if self.answer_drain:
                # As tandem-proxy does: our DRAIN says no head of ours is still
                # unread, so the worker may close (tandem-protocol(7), DRAIN).
                try:
                    self.send(frame(DRAIN, 0, 0, struct.pack("!I", max(self.next_id - 2, 0))))
                except OSError:
                    pass  # the worker may already have gone; its frames are still read
        elif ftype == TRAILERS:
            r.trailers = parse_head(payload, has_status=False)[1]
            r.ended = True
        else:
            raise AssertionError("unexpected frame type %d" % ftype)
        return ftype, flags, sid, payload

    def run(self, r, body=b"", timeout=None, credit=True):
        """Sends body under the worker's window and reads until r is done."""
        off = 0
        deadline = time.monotonic() + (timeout or self.timeout)
        while not r.done:
            while body and off < len(body) and r.send_window > 0 and r.reset is None:
                n = min(len(body) - off, r.send_window, self.hello["max_frame"])
                last = off + n == len(body)
                self.send(frame(REQUEST_DATA, END_STREAM if last else 0, r.stream,
                                body[off:off + n]))
                off += n
                r.send_window -= n
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("stream %d not done: %r" % (r.stream, r))
            self.pump(left, credit)
        if body and off < len(body) and r.reset is None:
            # The worker answered before taking the whole body: end our
            # direction the way tandem-proxy does (tandem-protocol(7), STREAMS).
            self.send(frame(RESET, 0, r.stream, struct.pack("!I", 0)))
        return r

    def request(self, method, path, body=b"", headers=(), query="", keep=True, timeout=None,
                credit=True, **kw):
        r = self.open_stream(method, path, body if body else None, headers, query, **kw)
        r.keep = keep
        r.unacked = 0
        return self.run(r, body or b"", timeout, credit)


def connect_all(path, count, timeout=15, **kw):
    """Dials like tandem-proxy: until it holds connections to count distinct
    worker pids (tandem-protocol(7), reachability).  Returns {pid: Conn}."""
    conns, extra = {}, []
    deadline = time.monotonic() + timeout
    while len(conns) < count:
        if time.monotonic() > deadline:
            for c in list(conns.values()) + extra:
                c.close()
            raise TimeoutError("reached %d of %d workers" % (len(conns), count))
        c = Conn(path, **kw)
        if c.pid in conns:
            # A worker is still booting (the master hands connections only to
            # ready ones): keep this one, so the master's count steers the
            # next dial elsewhere, and retry shortly.
            extra.append(c)
            time.sleep(0.02)
        else:
            conns[c.pid] = c
    for c in extra:
        c.close()
    return conns


def get(path, url, **kw):
    """One request on a fresh connection: get(sock, "/") -> Response."""
    with Conn(path) as c:
        return c.request("GET", url, **kw)
