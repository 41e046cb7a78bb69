"""evil_worker.py: a scripted worker that speaks tandem-protocol(7) and
breaks its rules on purpose (each route but the last two breaks one), for
the tests of tandem-proxy against a misbehaving worker: the proxy must keep
its memory bounded and never leave a client waiting for ever.  EvilStack
runs it with a real tandem-proxy; conftest.py's `evil` and `evil_tls`
fixtures hand one to a test.

Routes:  /overrun         32 times the proxy's window, without waiting for CREDIT
         /data-first      RESPONSE_DATA (END_STREAM) before any head
         /trailers-first  TRAILERS before any head
         /two-heads       a second RESPONSE_HEAD, with END_STREAM
         /204-body        a 204 head, then a body
         /fits            200 KiB inside the window, all at once (legal)
         /cl-long         Content-Length: 3, then 10 bytes
         /cl-short        Content-Length: 10, then 3 bytes
         /stall           reads nothing more for 2 s, then closes its connection
         /dribble         a 64 KiB frame written in uneven parts, 50 ms apart,
                          its last part together with the next frame (legal)
         /cut-body        a 64 KiB frame of which 20 KiB come, then it closes
                          (a worker that died with requests unread)
         anything else    200 "ok\\n" (legal)
"""
import os
import socket
import struct
import tempfile
import threading
import time

from appd_client import (VERSION, ACK, END_STREAM, PING, RESET, TRAILERS, HEADER as HDR,
                         HELLO as HELLO_S, HELLO_T as HELLO, REQUEST_HEAD as REQ_HEAD,
                         RESPONSE_DATA as RESP_DATA, RESPONSE_HEAD as RESP_HEAD,
                         _headers as hlist, frame)
from fake_appd import MAX_FRAME, parse_head
from harness import PROXY, Daemon, free_port

FLOW_CONTROL_ERROR, CANCEL = 3, 8   # RESET reasons


def _head(status, headers=()):
    return struct.pack("!H", status) + hlist([(b"content-type", b"text/plain")] + list(headers))


class EvilWorker:
    """One simulated worker on a Unix socket; each route breaks a rule."""

    def __init__(self, path):
        self.path = path
        self.resets = []          # (path, reason) of every RESET the proxy sent
        self.lock = threading.Lock()
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(16)
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    @staticmethod
    def _read(c, n):
        buf = b""
        while len(buf) < n:
            d = c.recv(n - len(buf))
            if not d:
                raise ConnectionError
            buf += d
        return buf

    def _serve(self, c):
        c.sendall(frame(HELLO, 0, 0, HELLO_S.pack(VERSION, 2, 1, os.getpid() & 0x7FFFFFFF, 16,
                                                  1, 1, 1 << 20, MAX_FRAME, 1, 0)))
        paths = {}
        try:
            while True:
                length, ftype, flags, _r, sid = HDR.unpack(self._read(c, 12))
                p = self._read(c, length) if length else b""
                if ftype == REQ_HEAD:
                    h = parse_head(p)
                    paths[sid] = h["path"].decode()
                    self._route(c, sid, paths[sid])
                elif ftype == RESET:
                    reason = struct.unpack("!I", p)[0]
                    with self.lock:
                        self.resets.append((paths.get(sid), reason))
                    if reason == CANCEL:
                        c.sendall(frame(RESET, 0, sid, struct.pack("!I", CANCEL)))
                elif ftype == PING and not flags & ACK:
                    c.sendall(frame(PING, ACK, 0, p))
        except (ConnectionError, OSError):
            pass
        finally:
            c.close()

    def _route(self, c, sid, path):
        if path == "/overrun":
            # 32 times the proxy's window (1 MiB), without waiting for a
            # single CREDIT: more than the proxy's buffers and the kernel's
            # socket buffers toward a client that reads nothing can take
            # (tcp_wmem's 4 MiB), so the proxy must see the window broken
            # however fast it forwards and credits.
            c.sendall(frame(RESP_HEAD, 0, sid, _head(200)))
            for i in range(512):
                c.sendall(frame(RESP_DATA, END_STREAM if i == 511 else 0, sid, b"x" * (64 * 1024)))
        elif path == "/data-first":
            c.sendall(frame(RESP_DATA, END_STREAM, sid, b"x"))
        elif path == "/trailers-first":
            c.sendall(frame(TRAILERS, 0, sid, hlist([(b"x-a", b"1")])))
        elif path == "/two-heads":
            c.sendall(frame(RESP_HEAD, 0, sid, _head(200)) +
                      frame(RESP_HEAD, END_STREAM, sid, _head(200)))
        elif path == "/204-body":
            c.sendall(frame(RESP_HEAD, 0, sid, _head(204)) +
                      frame(RESP_DATA, END_STREAM, sid, b"junk"))
        elif path == "/fits":
            # A whole response inside the window: the worker is done at once.
            n = 200 * 1024
            c.sendall(frame(RESP_HEAD, 0, sid, _head(200, [(b"content-length", b"%d" % n)])))
            c.sendall(frame(RESP_DATA, END_STREAM, sid, b"y" * n))
        elif path == "/dribble":
            body = bytes(range(251)) * 262 + b"z" * 1000
            f = frame(RESP_DATA, 0, sid, body[:65536]) + frame(RESP_DATA, END_STREAM, sid,
                                                               body[65536:])
            c.sendall(frame(RESP_HEAD, 0, sid, _head(200)))
            for a, b in ((0, 5), (5, 12), (12, 20000), (20000, 40001), (40001, len(f))):
                time.sleep(0.05)
                c.sendall(f[a:b])
        elif path == "/cut-body":
            c.sendall(frame(RESP_HEAD, 0, sid, _head(200)) +
                      frame(RESP_DATA, 0, sid, b"c" * 65536)[:12 + 20 * 1024])
            time.sleep(0.2)
            raise ConnectionError("gone mid-body")
        elif path == "/stall":
            time.sleep(2)
            raise ConnectionError("stalled, then gone")
        elif path in ("/cl-long", "/cl-short"):
            declared, body = (b"3", b"0123456789") if path == "/cl-long" else (b"10", b"abc")
            c.sendall(frame(RESP_HEAD, 0, sid, _head(200, [(b"content-length", declared)])) +
                      frame(RESP_DATA, END_STREAM, sid, body))
        else:
            c.sendall(frame(RESP_HEAD, 0, sid, _head(200, [(b"content-length", b"3")])) +
                      frame(RESP_DATA, END_STREAM, sid, b"ok\n"))

    def close(self):
        self.stop = True
        self.srv.close()


class EvilStack:
    """EvilWorker plus a real tandem-proxy on a free loopback port."""

    def __init__(self, proxy_args=(), tls=None, wrap=()):
        self.tmp = tempfile.mkdtemp(prefix="tandem-evil-")
        self.sock = os.path.join(self.tmp, "app.sock")
        self.worker = EvilWorker(self.sock)
        self.port = free_port()
        argv = list(wrap) + [PROXY, "--bind", "127.0.0.1:%d" % self.port, "--upstream",
                             "unix:" + self.sock, "--threads", "1"]
        if tls:
            argv += ["--certfile", tls[0], "--keyfile", tls[1]]
        self.proxy = Daemon(argv + list(proxy_args))
        if not self.proxy.wait_ready(30):
            out = self.proxy.output()
            self.close()
            raise AssertionError("proxy not ready:\n" + out)
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)

    def close(self):
        self.proxy.stop()
        self.worker.close()
        try:
            os.unlink(self.sock)
        except OSError:
            pass
        os.rmdir(self.tmp)
