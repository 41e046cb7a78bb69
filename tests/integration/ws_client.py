"""ws_client.py: a raw WebSocket client for the proxy's tests, on sockets
and struct only: it can break RFC 6455 on purpose (unmasked frames, bad
UTF-8, pings never answered), which python3-websockets will not do.  Over
HTTP/1.1 it does the Upgrade handshake itself; over HTTP/2 it is the
payload codec for an extended CONNECT stream of fake_appd.H2Conn."""
import base64
import os
import socket
import ssl
import struct

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xa


def frame(op, payload=b"", fin=True, mask=True, rsv=0):
    """One client frame (masked unless mask is False)."""
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | rsv | op])
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    k = (key * (n // 4 + 1))[:n]
    return head + key + (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


def parse(buf):
    """Server frames at the front of buf: ([(fin, op, payload)], rest)."""
    out = []
    while len(buf) >= 2:
        fin, op, n = buf[0] >> 7, buf[0] & 0x0f, buf[1] & 0x7f
        assert not buf[1] & 0x80, "a server frame must not be masked"
        pos = 2
        if n == 126:
            if len(buf) < 4:
                break
            n, pos = struct.unpack_from("!H", buf, 2)[0], 4
        elif n == 127:
            if len(buf) < 10:
                break
            n, pos = struct.unpack_from("!Q", buf, 2)[0], 10
        if len(buf) < pos + n:
            break
        out.append((fin, op, bytes(buf[pos:pos + n])))
        buf = buf[pos + n:]
    return out, buf


class Messages:
    """Reassembles server frames into messages: (op, data) for TEXT and
    BINARY, (op, payload) for control frames."""

    def __init__(self):
        self.buf = b""
        self.partial = None

    def feed(self, data):
        self.buf += data
        frames, self.buf = parse(self.buf)
        out = []
        for fin, op, p in frames:
            if op >= 0x8:
                out.append((op, p))
                continue
            if op != 0:
                assert self.partial is None, "new message inside a fragmented one"
                self.partial = [op, b""]
            self.partial[1] += p
            if fin:
                out.append(tuple(self.partial))
                self.partial = None
        return out


class H1:
    """A WebSocket over HTTP/1.1 on a raw socket."""

    def __init__(self, port, path="/ws", tls=False, headers=(), timeout=20, rcvbuf=None):
        raw = socket.socket()
        if rcvbuf:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        raw.settimeout(timeout)
        raw.connect(("127.0.0.1", port))
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["http/1.1"])
            raw = ctx.wrap_socket(raw, server_hostname="localhost")
        self.sock = raw
        self.key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               % (path, self.key))
        req += "".join("%s: %s\r\n" % h for h in headers) + "\r\n"
        self.sock.sendall(req.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            d = self.sock.recv(65536)
            if not d:
                break
            data += d
        self.head, _, rest = data.partition(b"\r\n\r\n")
        self.status = int(self.head.split(b" ")[1]) if self.head else 0
        self.msgs = Messages()
        self.rest = rest
        self.pending = []

    def header(self, name):
        for line in self.head.split(b"\r\n")[1:]:
            n, _, v = line.partition(b":")
            if n.strip().lower() == name.lower():
                return v.strip()
        return None

    def send(self, data):
        self.sock.sendall(data)

    def recv_event(self):
        """The next message or control frame; None at EOF."""
        while not self.pending:
            if self.rest:
                data, self.rest = self.rest, b""
            else:
                data = self.sock.recv(1 << 20)
                if not data:
                    return None
            self.pending += self.msgs.feed(data)
        return self.pending.pop(0)

    def until_eof(self):
        evs = []
        while True:
            try:
                ev = self.recv_event()
            except (ConnectionResetError, socket.timeout):
                return evs
            if ev is None:
                return evs
            evs.append(ev)

    def close(self):
        self.sock.close()
