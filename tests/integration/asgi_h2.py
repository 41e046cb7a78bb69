"""asgi_h2.py: a raw HTTP/2 client over TLS (python3-h2) for the tests that
need frames curl does not send: a request body cut by RST_STREAM."""
import socket
import ssl

import h2.config
import h2.connection
import h2.events


class H2:
    def __init__(self, port, timeout=10):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        assert self.sock.selected_alpn_protocol() == "h2"
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.flush()
        self.authority = "127.0.0.1:%d" % port

    def flush(self):
        self.sock.sendall(self.conn.data_to_send())

    def open(self, method, path, end=False, headers=()):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", method), (":scheme", "https"),
                                     (":authority", self.authority), (":path", path)]
                               + list(headers), end_stream=end)
        self.flush()
        return sid

    def data(self, sid, data, end=False):
        self.conn.send_data(sid, data, end_stream=end)
        self.flush()

    def reset(self, sid):
        self.conn.reset_stream(sid, error_code=8)
        self.flush()

    def events(self, sid, until=(h2.events.StreamEnded, h2.events.StreamReset)):
        """Reads until an event of a type in until arrives on sid; its events."""
        got = []
        while True:
            data = self.sock.recv(65536)
            if not data:
                return got
            for ev in self.conn.receive_data(data):
                if getattr(ev, "stream_id", None) != sid:
                    continue
                got.append(ev)
                if isinstance(ev, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, sid)
                if isinstance(ev, until):
                    self.flush()
                    return got
            self.flush()

    def close(self):
        try:
            self.conn.close_connection()
            self.flush()
        except OSError:
            pass
        self.sock.close()
