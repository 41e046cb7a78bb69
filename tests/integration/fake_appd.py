#!/usr/bin/python3
"""fake_appd.py: a stand-in for tandem-appd speaking tandem-protocol(7), for
testing tandem-proxy without CPython workers.  One process simulates N
workers (distinct pids in HELLO); each accepted connection goes to the
simulated worker with the fewest connections, as appd's master does.  A
worker over its capacity answers RESET REFUSED_STREAM, so a proxy that breaks
the capacity rule shows up in the 'refused' counter (SIGUSR1 prints stats).

Routes:  /            "Hello, World!\\n"
         /echo?cb=N   the request body back (streamed under flow control);
                      the body is credited once N bytes are owed (default 1)
         /big?n=N     N bytes of 'x' (streamed in 64 KiB frames)
         /hints       103 Early Hints, then 200
         /trailers    a body then TRAILERS x-checksum
         /trailers-cl a body with Content-Length, then TRAILERS x-checksum and
                      fields a trailer section must not carry (content-length,
                      host, :status, connection, trailer)
         /sleep?s=F   sleeps F seconds then answers
         /stall?s=F   stops reading its connection for F seconds once the head
                      arrived (the proxy's writes fill the socket), then
                      answers like /echo
         /head        method, path, query, authority, flags, headers as text
         /prio        the request head's priority fields, flags and version as
                      response headers (x-prio-weight, x-prio-depends-on,
                      x-prio-exclusive, x-prio-urgency, x-prio-incremental,
                      x-req-flags, x-http, x-h2-stream)
         /status?c=N  an empty response with status N
         /reset       RESET INTERNAL_ERROR after the head
         /fields?h=N:V&t=N:V&i=N:V  status 200, body "fields\\n", exactly the
                      response fields (h), trailers (t) and 103 hint fields
                      (i) asked for, N and V percent-decoded to bytes (spell a
                      ':' in a name %3A): what a buggy worker could send
         /ws?proto=P  a WebSocket echo (tandem-protocol(7) WEBSOCKETS): accepts
                      with 101, choosing P or the first subprotocol offered, and
                      echoes text and binary messages; the text message
                      "close:CODE:REASON" makes it close with that code; a
                      close from the proxy is answered with the same code
         /ws-flood?n=N&size=S  accepts, then sends N binary messages of S
                      bytes as fast as its window allows
         /ws-deny     denies a WebSocket: 403 with a body
         /bad101      answers 101 whatever the request
         /ws-events   what the WebSocket routes saw (closes, resets, flood
                      progress), one line each
With --order-log FILE every REQUEST_HEAD's path?query is appended to FILE as
it arrives (the order the proxy dispatched streams in).
Usage: fake_appd.py SOCKET_PATH [--workers N] [--capacity C] [--window W]
                    [--order-log FILE]

fake_stack.py runs it next to a real tandem-proxy for the tests.
"""
import argparse
import asyncio
import os
import signal
import struct
import sys
import zlib
from urllib.parse import unquote_to_bytes

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# One Python codec for tandem-protocol(7) in the tests: appd_client's.
from appd_client import (VERSION, ACK, CREDIT, END_STREAM, MESSAGE_END, PING, RESET,  # noqa: E402
                         TEXT, TRAILERS, WS_CLOSE,
                         HEADER as HDR, HELLO as HELLO_S, HELLO_T as HELLO,
                         REQ_FIXED, REQUEST_DATA as REQ_DATA, REQUEST_HEAD as REQ_HEAD,
                         REQUEST_STRINGS,
                         RESPONSE_DATA as RESP_DATA, RESPONSE_HEAD as RESP_HEAD,
                         RESPONSE_INFO as RESP_INFO, _headers as hlist, frame, parse_headers,
                         parse_str)

MAX_FRAME = 256 * 1024

stats = {"streams": 0, "refused": 0, "max_outstanding": {}}
ws_events = []                      # "close CODE REASON", "reset", ... for /ws-events
flood = {"sent": 0, "waits": 0}
order_log = None


def parse_head(p):
    (major, minor, flags, clen, weight, dep, excl, urg, inc, pport, lport, conn_id,
     h2id, proxy_port) = REQ_FIXED.unpack_from(p, 0)
    off = REQ_FIXED.size
    strs = []
    for _ in REQUEST_STRINGS:
        v, off = parse_str(p, off)
        strs.append(v)
    hdrs, off = parse_headers(p, off)
    if off != len(p):
        raise ValueError("trailing bytes in REQUEST_HEAD")
    d = dict(zip(REQUEST_STRINGS, strs))
    d.update(http=(major, minor), flags=flags, content_length=clen, headers=hdrs,
             weight=weight, depends_on=dep, exclusive=excl, urgency=urg, incremental=inc,
             h2_stream_id=h2id, conn_id=conn_id, peer_port=pport, local_port=lport,
             proxy_port=proxy_port)
    return d


class Worker:
    def __init__(self, index, count, capacity):
        self.index = index
        self.pid = (os.getpid() * 100 + index) & 0x7FFFFFFF
        self.count = count
        self.capacity = capacity
        self.conns = 0
        self.outstanding = 0


class Stream:
    def __init__(self, conn, sid, head, window):
        self.conn = conn
        self.sid = sid
        self.head = head
        self.body = bytearray()
        self.body_event = asyncio.Event()
        self.ended = False
        self.send_window = conn.peer_window
        self.credit_event = asyncio.Event()
        self.recv_window = window
        self.reset = False
        self.task = None
        self.ws = False             # accepted with 101: DATA frames are messages
        self.frames = []            # (flags, payload) received after the 101
        self.ws_close = None        # (code, reason) of the proxy's WS_CLOSE


class Conn:
    def __init__(self, reader, writer, worker, window):
        self.r, self.w, self.worker, self.window = reader, writer, worker, window
        self.streams = {}
        self.peer_window = 0
        self.peer_max = 16384
        self.stall = 0.0            # /stall: seconds to stop reading after this frame

    def send(self, data):
        self.w.write(data)

    async def run(self):
        w = self.worker
        self.send(frame(HELLO, 0, 0, HELLO_S.pack(VERSION, 2, 1, w.pid, w.capacity, w.index,
                                                  w.count, self.window, MAX_FRAME, 1, 0)))
        try:
            hello = False
            while True:
                hdr = await self.r.readexactly(12)
                length, ftype, flags, _res, sid = HDR.unpack(hdr)
                payload = await self.r.readexactly(length) if length else b""
                if not hello:
                    if ftype != HELLO:
                        raise ValueError("first frame not HELLO")
                    v = HELLO_S.unpack(payload)
                    self.peer_window, self.peer_max = v[7], v[8]
                    hello = True
                    continue
                self.on_frame(ftype, flags, sid, payload)
                if self.stall:
                    await asyncio.sleep(self.stall)
                    self.stall = 0.0
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for s in list(self.streams.values()):
                if s.task:
                    s.task.cancel()
                self.finish(s)
            w.conns -= 1
            self.w.close()

    def finish(self, s):
        if self.streams.pop(s.sid, None) is not None:
            self.worker.outstanding -= 1

    def on_frame(self, ftype, flags, sid, p):
        s = self.streams.get(sid)
        if ftype == REQ_HEAD:
            if s is not None:
                raise ValueError("REQUEST_HEAD for an open stream")
            w = self.worker
            if w.outstanding >= w.capacity:
                stats["refused"] += 1
                self.send(frame(RESET, 0, sid, struct.pack("!I", 7)))
                return
            w.outstanding += 1
            m = stats["max_outstanding"]
            m[w.index] = max(m.get(w.index, 0), w.outstanding)
            stats["streams"] += 1
            s = Stream(self, sid, parse_head(p), self.window)
            if order_log:
                with open(order_log, "a") as f:
                    f.write("%s?%s\n" % (s.head["path"].decode(), s.head["query"].decode()))
            s.ended = bool(flags & END_STREAM)
            self.streams[sid] = s
            if s.head["path"] == b"/stall":
                q = dict(kv.split("=", 1) for kv in s.head["query"].decode().split("&") if "=" in kv)
                self.stall = float(q.get("s", "1"))
            s.task = asyncio.ensure_future(self.app(s))
        elif ftype == REQ_DATA and s is not None and s.ws:
            s.frames.append((flags, p))
            s.body_event.set()
        elif ftype == WS_CLOSE and s is not None:
            s.ws_close = (struct.unpack("!H", p[:2])[0], p[2:])
            s.body_event.set()
        elif ftype == REQ_DATA:
            if s is None:
                return
            s.body += p
            if flags & END_STREAM:
                s.ended = True
            s.body_event.set()
        elif ftype == CREDIT and s is not None:
            s.send_window += struct.unpack("!I", p)[0]
            s.credit_event.set()
        elif ftype == RESET and s is not None:
            if s.ws:
                ws_events.append("reset %d" % struct.unpack("!I", p)[0])
            s.reset = True
            if s.task:
                s.task.cancel()
            self.send(frame(RESET, 0, sid, struct.pack("!I", 8)))
            self.finish(s)
        elif ftype == PING and not flags & ACK:
            self.send(frame(PING, ACK, 0, p))

    async def read_body(self, s, batch=1):
        """Reads the whole body, crediting as it is consumed (like wsgi.input),
        once at least batch bytes are owed (appd credits in batches too)."""
        out = bytearray()
        owed = 0
        while True:
            if s.body:
                chunk = bytes(s.body)
                s.body.clear()
                out += chunk
                owed += len(chunk)
                if owed >= batch:
                    self.send(frame(CREDIT, 0, s.sid, struct.pack("!I", owed)))
                    owed = 0
            if s.ended and not s.body:
                return bytes(out)
            s.body_event.clear()
            if not s.body and not s.ended:
                await s.body_event.wait()

    async def send_data(self, s, data, end):
        mv = memoryview(data)
        while True:
            n = min(len(mv), self.peer_max, 64 * 1024)
            while n > s.send_window:
                if s.send_window > 0 and s.send_window >= min(n, 16384):
                    n = s.send_window
                    break
                s.credit_event.clear()
                await s.credit_event.wait()
            last = end and n == len(mv)
            self.send(frame(RESP_DATA, END_STREAM if last else 0, s.sid, bytes(mv[:n])))
            s.send_window -= n
            mv = mv[n:]
            await self.w.drain()
            if not len(mv):
                return

    async def respond(self, s, status, headers, body=b"", trailers=None):
        hb = [(b"content-type", b"text/plain")] + headers
        if trailers is None:
            hb.append((b"content-length", str(len(body)).encode()))
        head = struct.pack("!H", status) + hlist(hb)
        if not body and trailers is None:
            self.send(frame(RESP_HEAD, END_STREAM, s.sid, head))
        else:
            self.send(frame(RESP_HEAD, 0, s.sid, head))
            await self.send_data(s, body, trailers is None)
            if trailers is not None:
                self.send(frame(TRAILERS, 0, s.sid, hlist(trailers)))
        self.finish(s)

    # ---- WebSockets (after a 101) ----

    async def ws_receive(self, s):
        """The next whole message, as ("text"|"bytes", data), or ("close",
        code, reason); credits what it consumed, as an ASGI worker would."""
        data, text = bytearray(), False
        while True:
            while s.frames:
                flags, p = s.frames.pop(0)
                data += p
                text = bool(flags & TEXT)
                if p:
                    self.send(frame(CREDIT, 0, s.sid, struct.pack("!I", len(p))))
                if flags & MESSAGE_END:
                    return ("text" if text else "bytes", bytes(data))
            if s.ws_close is not None:
                return ("close",) + s.ws_close
            s.body_event.clear()
            await s.body_event.wait()

    async def ws_send(self, s, data, text):
        """One message, in frames of at most the proxy's max_frame, under
        the window."""
        mv = memoryview(data)
        flag = TEXT if text else 0
        while True:
            n = min(len(mv), self.peer_max)
            while n > s.send_window:
                if s.send_window > 0:
                    n = s.send_window
                    break
                flood["waits"] += 1
                s.credit_event.clear()
                await s.credit_event.wait()
            last = n == len(mv)
            self.send(frame(RESP_DATA, flag | (MESSAGE_END if last else 0), s.sid, bytes(mv[:n])))
            s.send_window -= n
            mv = mv[n:]
            await self.w.drain()
            if last:
                return

    def ws_accept(self, s):
        offered = [p.strip() for n, v in s.head["headers"] if n.lower() == b"sec-websocket-protocol"
                   for p in v.split(b",")]
        hdrs = [(b"x-req-flags", str(s.head["flags"]).encode()),
                (b"x-ws-fields", b",".join(n.lower() for n, _ in s.head["headers"]))]
        forced = [kv[6:].encode() for kv in s.head["query"].decode().split("&")
                  if kv.startswith("proto=")]
        if forced or offered:
            hdrs.append((b"sec-websocket-protocol", (forced or offered)[0]))
        self.send(frame(RESP_HEAD, 0, s.sid, struct.pack("!H", 101) + hlist(hdrs)))
        s.ws = True

    def ws_close_frame(self, s, code, reason=b""):
        self.send(frame(WS_CLOSE, 0, s.sid, struct.pack("!H", code) + reason))

    async def ws_echo(self, s):
        self.ws_accept(s)
        while True:
            m = await self.ws_receive(s)
            if m[0] == "close":
                ws_events.append("close %d %s" % (m[1], m[2].decode()))
                self.ws_close_frame(s, m[1])
                break
            if m[0] == "text" and m[1].startswith(b"close:"):
                _, code, reason = m[1].split(b":", 2)
                self.ws_close_frame(s, int(code), reason)
                m = await self.ws_receive(s)
                while m[0] != "close":
                    m = await self.ws_receive(s)
                ws_events.append("answer %d %s" % (m[1], m[2].decode()))
                break
            await self.ws_send(s, m[1], m[0] == "text")
        self.finish(s)

    async def ws_flood(self, s, n, size):
        self.ws_accept(s)
        block = b"f" * size
        for _ in range(n):
            await self.ws_send(s, block, False)
            flood["sent"] += size
        m = await self.ws_receive(s)
        while m[0] != "close":
            m = await self.ws_receive(s)
        self.ws_close_frame(s, m[1])
        self.finish(s)

    async def ws_route(self, s, path, args):
        """The routes that run before (or instead of) reading a body."""
        if path == "/ws":
            await self.ws_echo(s)
        elif path == "/ws-flood":
            await self.ws_flood(s, int(args.get("n", "16")), int(args.get("size", "65536")))
        elif path == "/ws-deny":
            await self.respond(s, 403, [], b"go away\n")
        elif path == "/bad101":
            self.send(frame(RESP_HEAD, 0, s.sid, struct.pack("!H", 101) + hlist([])))
            await asyncio.sleep(5)
            self.finish(s)
        elif path == "/ws-events":
            lines = ws_events + ["flood sent=%d waits=%d" % (flood["sent"], flood["waits"])]
            await self.respond(s, 200, [], ("\n".join(lines) + "\n").encode())
        else:
            return False
        return True

    async def fields(self, s, query):
        """/fields: the head, hints and trailers the query spells, unchecked."""
        asked = {"h": [], "t": [], "i": []}
        for item in query.split("&"):
            kind, _, spec = item.partition("=")
            if kind in asked and ":" in spec:
                n, v = spec.split(":", 1)
                asked[kind].append((unquote_to_bytes(n), unquote_to_bytes(v)))
        if asked["i"]:
            self.send(frame(RESP_INFO, 0, s.sid, struct.pack("!H", 103) + hlist(asked["i"])))
        self.send(frame(RESP_HEAD, 0, s.sid, struct.pack("!H", 200) + hlist(asked["h"])))
        await self.send_data(s, b"fields\n", not asked["t"])
        if asked["t"]:
            self.send(frame(TRAILERS, 0, s.sid, hlist(asked["t"])))
        self.finish(s)

    async def app(self, s):
        try:
            h = s.head
            path, q = h["path"].decode(), h["query"].decode()
            args = dict(kv.split("=", 1) for kv in q.split("&") if "=" in kv)
            if await self.ws_route(s, path, args):
                return
            body = await self.read_body(s, int(args.get("cb", "1")))
            if path in ("/echo", "/stall"):
                await self.respond(s, 200, [(b"x-body-crc", b"%08x" % zlib.crc32(body))], body)
            elif path == "/big":
                n = int(args.get("n", "1048576"))
                head = struct.pack("!H", 200) + hlist([(b"content-type", b"application/octet-stream"),
                                                        (b"content-length", str(n).encode())])
                self.send(frame(RESP_HEAD, 0 if n else END_STREAM, s.sid, head))
                block = b"x" * (64 * 1024)
                while n > 0:
                    k = min(n, len(block))
                    n -= k
                    await self.send_data(s, block[:k], n == 0)
                self.finish(s)
            elif path == "/hints":
                self.send(frame(RESP_INFO, 0, s.sid, struct.pack("!H", 103) +
                                hlist([(b"link", b"</style.css>; rel=preload; as=style")])))
                await self.respond(s, 200, [], b"hinted\n")
            elif path == "/trailers":
                await self.respond(s, 200, [(b"trailer", b"x-checksum")], b"body with trailers\n",
                                   trailers=[(b"x-checksum", b"abc123")])
            elif path == "/trailers-cl":
                body = b"body with trailers\n"
                await self.respond(s, 200, [(b"content-length", str(len(body)).encode()),
                                            (b"trailer", b"x-checksum")], body,
                                   trailers=[(b"x-checksum", b"abc123"), (b"content-length", b"5"),
                                             (b"host", b"evil.example"), (b":status", b"500"),
                                             (b"Connection", b"close"), (b"trailer", b"x"),
                                             (b"x-after", b"kept")])
            elif path == "/prio":
                hv = [(b"x-prio-weight", h["weight"]), (b"x-prio-depends-on", h["depends_on"]),
                      (b"x-prio-exclusive", h["exclusive"]), (b"x-prio-urgency", h["urgency"]),
                      (b"x-prio-incremental", h["incremental"]), (b"x-req-flags", h["flags"]),
                      (b"x-h2-stream", h["h2_stream_id"])]
                hv = [(n, str(v).encode()) for n, v in hv]
                hv.append((b"x-http", b"%d.%d" % h["http"]))
                await self.respond(s, 200, hv, b"prio\n")
            elif path == "/sleep":
                await asyncio.sleep(float(args.get("s", "1")))
                await self.respond(s, 200, [], b"slept\n")
            elif path == "/head":
                lines = ["%s=%r" % (k, h[k]) for k in ("method", "scheme", "authority", "path", "query",
                                                      "alpn", "tls_version", "http", "flags",
                                                      "content_length", "peer_addr", "urgency")]
                lines += ["%s: %s" % (n.decode(), v.decode()) for n, v in h["headers"]]
                lines.append("worker=%d pid=%d" % (self.worker.index, self.worker.pid))
                await self.respond(s, 200, [], ("\n".join(lines) + "\n").encode())
            elif path == "/status":
                await self.respond(s, int(args.get("c", "204")), [])
            elif path == "/fields":
                await self.fields(s, q)
            elif path == "/reset":
                self.send(frame(RESP_HEAD, 0, s.sid, struct.pack("!H", 200) + hlist([])))
                self.send(frame(RESP_DATA, 0, s.sid, b"partial"))
                self.send(frame(RESET, 0, s.sid, struct.pack("!I", 2)))
                self.finish(s)
            else:
                await self.respond(s, 200, [], b"Hello, World!\n")
        except asyncio.CancelledError:
            pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--capacity", type=int, default=4)
    ap.add_argument("--window", type=int, default=64 * 1024)
    ap.add_argument("--order-log")
    a = ap.parse_args()
    global order_log
    order_log = a.order_log
    workers = [Worker(i + 1, a.workers, a.capacity) for i in range(a.workers)]

    async def on_conn(reader, writer):
        w = min(workers, key=lambda x: (x.conns, x.index))
        w.conns += 1
        await Conn(reader, writer, w, a.window).run()

    if os.path.exists(a.socket):
        os.unlink(a.socket)
    server = await asyncio.start_unix_server(on_conn, a.socket)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: print("stats", stats, flush=True))
    print("fake_appd listening on %s, %d workers x capacity %d" % (a.socket, a.workers, a.capacity),
          flush=True)
    async with server:
        await stop.wait()
    print("stats", stats, flush=True)
    os.unlink(a.socket)


if __name__ == "__main__":
    asyncio.run(main())
