"""fake_stack.py: fake_appd.py (a stand-in for tandem-appd) next to a real
tandem-proxy on ephemeral loopback ports (FakeStack), and H2Conn, a raw
HTTP/2 client on python-h2 that can also send frames h2 does not know (like
PRIORITY_UPDATE), for the suites that test the proxy against a scripted
worker."""
import os
import struct

FAKE_APPD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_appd.py")

REQ_FLAGS = {"TLS": 0x01, "HAS_PRIORITY": 0x02, "EXPECT_CONTINUE": 0x04, "TE_TRAILERS": 0x08,
             "EARLY_HINTS": 0x10, "WEBSOCKET": 0x20}


class FakeStack:
    """This fake appd and a real tandem-proxy on a free loopback port."""

    def __init__(self, proxy_args=(), tls=None, workers=1, capacity=4, order_log=None,
                 window=None):
        import tempfile
        from harness import Daemon, PROXY, PYTHON, can_connect, free_port, wait_for
        self.tmp = tempfile.mkdtemp(prefix="tandem-fake-")
        self.sock = os.path.join(self.tmp, "app.sock")
        self.port = free_port()
        self.tls = tls
        self.proxy = None
        argv = [PYTHON, FAKE_APPD, self.sock, "--workers", str(workers),
                "--capacity", str(capacity)]
        if order_log:
            argv += ["--order-log", order_log]
        if window is not None:
            argv += ["--window", str(window)]
        self.appd = Daemon(argv)
        try:
            wait_for(lambda: can_connect(self.sock) or not self.appd.alive(), 15, "fake appd socket")
            assert self.appd.alive(), "fake appd exited:\n" + self.appd.output()
            pargv = [PROXY, "--bind", "127.0.0.1:%d" % self.port, "--upstream", "unix:" + self.sock]
            if tls:
                pargv += ["--certfile", tls[0], "--keyfile", tls[1]]
            self.proxy = Daemon(pargv + list(proxy_args))
            wait_for(lambda: can_connect(("127.0.0.1", self.port)) or not self.proxy.alive(), 15,
                     "proxy port")
            assert self.proxy.alive(), "proxy exited:\n" + self.proxy.output()
        except BaseException:
            self.close()
            raise

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def close(self):
        import shutil
        for d in (self.proxy, self.appd):
            if d is not None:
                d.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


class H2Conn:
    """A blocking HTTP/2 client on python-h2 over TLS (ALPN h2) or cleartext
    (prior knowledge).  Every wait is bounded by the socket timeout."""

    def __init__(self, port, tls=False, settings=None, timeout=20, validate=True):
        import socket
        import ssl
        import h2.config
        import h2.connection
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            raw = ctx.wrap_socket(raw, server_hostname="localhost")
            assert raw.selected_alpn_protocol() == "h2"
        self.sock = raw
        # validate=False sends heads python-h2 would refuse (the attacker's).
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding=None, validate_outbound_headers=validate,
            normalize_outbound_headers=validate))
        if settings:
            # In the first SETTINGS frame: some (RFC 9218's) may not change later.
            import h2.settings
            values = dict(self.conn.local_settings.items())
            values.update(settings)
            self.conn.local_settings = h2.settings.Settings(client=True, initial_values=values)
        self.conn.initiate_connection()
        self.events = []
        self.remote_settings = {}
        self.flush()

    def flush(self, extra=b""):
        self.sock.sendall(self.conn.data_to_send() + extra)

    def raw_frame(self, ftype, flags, stream, payload):
        """Bytes of a frame python-h2 would not build (PRIORITY_UPDATE...)."""
        return struct.pack("!I", len(payload))[1:] + struct.pack("!BBI", ftype, flags,
                                                                 stream) + payload

    def headers(self, path, extra=(), end=True, method="GET", authority="localhost", **kw):
        sid = self.conn.get_next_available_stream_id()
        hdrs = [(":method", method), (":scheme", "https"), (":authority", authority),
                (":path", path)] + list(extra)
        self.conn.send_headers(sid, hdrs, end_stream=end, **kw)
        self.flush()
        return sid

    def pump(self):
        import h2.events
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the connection")
        for ev in self.conn.receive_data(data):
            if isinstance(ev, h2.events.RemoteSettingsChanged):
                for k, v in ev.changed_settings.items():
                    self.remote_settings[int(k)] = v.new_value
            elif isinstance(ev, h2.events.DataReceived):
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            self.events.append(ev)
        self.flush()

    def wait(self, pred, what):
        import time
        deadline = time.monotonic() + self.sock.gettimeout()
        while True:
            for ev in self.events:
                if pred(ev):
                    return ev
            if time.monotonic() > deadline:
                raise AssertionError("no %s; events: %r" % (what, self.events))
            self.pump()

    def ping(self):
        """Returns once the server has read everything sent before."""
        import h2.events
        payload = os.urandom(8)
        self.conn.ping(payload)
        self.flush()
        self.wait(lambda e: isinstance(e, h2.events.PingAckReceived) and e.ping_data == payload,
                  "PING ACK")

    def response(self, sid):
        """(status, headers dict, body, trailers dict, [1xx statuses]) of stream sid."""
        import h2.events
        self.wait(lambda e: isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset))
                  and e.stream_id == sid, "end of stream %d" % sid)
        status, hdrs, body, trailers, info = None, {}, b"", {}, []
        for ev in self.events:
            if getattr(ev, "stream_id", None) != sid:
                continue
            if isinstance(ev, h2.events.StreamReset):
                raise AssertionError("stream %d reset: %r" % (sid, ev.error_code))
            if isinstance(ev, h2.events.InformationalResponseReceived):
                info.append(int(dict(ev.headers)[b":status"]))
            elif isinstance(ev, h2.events.ResponseReceived):
                hdrs = dict(ev.headers)
                status = int(hdrs[b":status"])
            elif isinstance(ev, h2.events.DataReceived):
                body += ev.data
            elif isinstance(ev, h2.events.TrailersReceived):
                trailers = dict(ev.headers)
        return status, hdrs, body, trailers, info

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
