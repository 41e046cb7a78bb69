#!/usr/bin/python3
"""client.py: checks the HTTP/2 features of wsgi_app.py over real h2 frames.

    client.py [--insecure] [--timeout S] https://127.0.0.1:8443

Speaks raw HTTP/2 over TLS with python3-h2 (Debian's package), one stream
per route, and prints one line per check, PASS or FAIL; exits 1 if any
check fails, 2 if it cannot connect.  What it checks:
  - ALPN selected h2
  - /health and / answer 200
  - /early-hints: a 103 HEADERS frame arrives before the 200 and carries
    the Link the app sent
  - /priority: HEADERS sent with a PRIORITY block (weight 200, depends on
    stream 3) and "priority: u=1, i" come back as the app saw them
  - /trailers: the trailers arrive in a HEADERS frame with END_STREAM after
    the last DATA frame, and x-checksum is the sha-256 of the body
  - /combined: all three in one response
"""
import argparse
import hashlib
import json
import socket
import ssl
import sys
import urllib.parse

import h2.config
import h2.connection
import h2.events

LINK = "</style.css>; rel=preload; as=style"
WEIGHT, DEPENDS_ON = 200, 3


class Exchange:
    """Everything one stream received, in arrival order."""

    def __init__(self):
        self.events = []
        self.ended = False
        self.reset = None

    def kinds(self):
        return [type(e).__name__ for e in self.events]

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def status(self):
        heads = self.of(h2.events.ResponseReceived)
        return int(dict(heads[0].headers)[":status"]) if heads else None

    @property
    def body(self):
        return b"".join(e.data for e in self.of(h2.events.DataReceived))

    @property
    def trailers(self):
        t = self.of(h2.events.TrailersReceived)
        return dict(t[0].headers) if t else {}


class Client:
    def __init__(self, url, insecure, timeout):
        u = urllib.parse.urlsplit(url)
        if u.scheme != "https":
            raise SystemExit("client.py: only https:// URLs (h2 needs TLS and ALPN)")
        self.host, self.port = u.hostname, u.port or 443
        self.base = u.path.rstrip("/")
        self.authority = u.netloc
        ctx = ssl.create_default_context()
        if insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        raw = socket.create_connection((self.host, self.port), timeout=timeout)
        self.sock = ctx.wrap_socket(raw, server_hostname=self.host)
        self.alpn = self.sock.selected_alpn_protocol()
        self.conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())

    def get(self, path, headers=(), **priority):
        """One GET on a new stream; returns its Exchange once the stream ends."""
        sid = self.conn.get_next_available_stream_id()
        if priority.get("priority_depends_on") == sid:
            # A stream may not depend on itself: skip to the next id.
            sid += 2
        req = [(":method", "GET"), (":scheme", "https"), (":authority", self.authority),
               (":path", self.base + path)] + list(headers)
        self.conn.send_headers(sid, req, end_stream=True, **priority)
        self.sock.sendall(self.conn.data_to_send())
        ex = Exchange()
        while not ex.ended:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            for ev in self.conn.receive_data(data):
                if isinstance(ev, h2.events.ConnectionTerminated):
                    raise ConnectionError("GOAWAY: %s" % ev.error_code)
                if getattr(ev, "stream_id", None) != sid:
                    continue
                ex.events.append(ev)
                if isinstance(ev, h2.events.DataReceived):
                    self.conn.acknowledge_received_data(ev.flow_controlled_length, sid)
                elif isinstance(ev, h2.events.StreamEnded):
                    ex.ended = True
                elif isinstance(ev, h2.events.StreamReset):
                    ex.reset, ex.ended = ev.error_code, True
            self.sock.sendall(self.conn.data_to_send())
        return ex

    def close(self):
        try:
            self.conn.close_connection()
            self.sock.sendall(self.conn.data_to_send())
        except OSError:
            pass
        self.sock.close()


class Report:
    def __init__(self):
        self.failed = 0

    def check(self, name, ok, detail):
        print("%s  %-18s %s" % ("PASS" if ok else "FAIL", name, detail))
        if not ok:
            self.failed += 1
        return ok


def hints_before_final(ex):
    """(ok, detail): a 103 arrived before the final head and carries LINK."""
    kinds = ex.kinds()
    if "InformationalResponseReceived" not in kinds or "ResponseReceived" not in kinds:
        return False, "events: %s" % kinds
    info = ex.of(h2.events.InformationalResponseReceived)[0]
    fields = info.headers
    status = dict(fields).get(":status")
    links = [v for n, v in fields if n == "link"]
    ok = (kinds.index("InformationalResponseReceived") < kinds.index("ResponseReceived")
          and status == "103" and LINK in links and ex.status == 200)
    return ok, "%s %s before %s; link: %s" % (status, "arrived", ex.status, links)


def trailers_after_data(ex):
    """(ok, detail): trailers in a HEADERS frame with END_STREAM after the
    last DATA frame, x-checksum matching the body."""
    kinds = ex.kinds()
    if "TrailersReceived" not in kinds:
        return False, "no trailers; events: %s" % kinds
    t = kinds.index("TrailersReceived")
    last_data = max((i for i, k in enumerate(kinds) if k == "DataReceived"), default=-1)
    tr = ex.of(h2.events.TrailersReceived)[0]
    want = "sha256=" + hashlib.sha256(ex.body).hexdigest()
    ok = (last_data >= 0 and last_data < t and tr.stream_ended is not None
          and ex.trailers.get("x-checksum") == want and "server-timing" in ex.trailers)
    return ok, "after DATA #%d, END_STREAM=%s, x-checksum %s, server-timing %r" % (
        last_data, tr.stream_ended is not None,
        "matches" if ex.trailers.get("x-checksum") == want else "is %r" % ex.trailers.get("x-checksum"),
        ex.trailers.get("server-timing"))


def priority_echo(ex):
    try:
        seen = json.loads(ex.body)
    except ValueError:
        return False, "not JSON: %r" % ex.body[:200], {}
    ok = ex.status == 200 and seen.get("weight") == WEIGHT and seen.get("depends_on") == DEPENDS_ON
    return ok, "sent weight=%d depends_on=%d, app saw weight=%s depends_on=%s" % (
        WEIGHT, DEPENDS_ON, seen.get("weight"), seen.get("depends_on")), seen


def run(url, insecure, timeout):
    rep = Report()
    try:
        c = Client(url, insecure, timeout)
    except (OSError, ssl.SSLError) as e:
        print("FAIL  %-18s %s" % ("connect", e))
        return 2
    try:
        if not rep.check("alpn", c.alpn == "h2", "negotiated %r" % c.alpn):
            return 1
        ex = c.get("/health")
        rep.check("health", ex.status == 200 and ex.body.strip() == b"ok",
                  "%s %r" % (ex.status, ex.body[:40]))
        ex = c.get("/")
        routes = ex.body.decode(errors="replace").split()
        rep.check("index", ex.status == 200 and "/combined" in routes, "routes %s" % routes)

        ex = c.get("/early-hints")
        rep.check("early-hints", *hints_before_final(ex))

        ex = c.get("/priority", [("priority", "u=1, i")], priority_weight=WEIGHT,
                   priority_depends_on=DEPENDS_ON)
        ok, detail, seen = priority_echo(ex)
        rep.check("priority", ok, detail)
        rep.check("priority-rfc9218", seen.get("urgency") == 1 and seen.get("incremental") is True,
                  "sent u=1, i; app saw urgency=%s incremental=%s" % (
                      seen.get("urgency"), seen.get("incremental")))

        ex = c.get("/trailers")
        ok, detail = trailers_after_data(ex)
        rep.check("trailers", ok and ex.status == 200, detail)

        ex = c.get("/combined", priority_weight=WEIGHT, priority_depends_on=DEPENDS_ON)
        h_ok, _ = hints_before_final(ex)
        t_ok, _ = trailers_after_data(ex)
        p_ok, _, _ = priority_echo(ex)
        rep.check("combined", h_ok and t_ok and p_ok,
                  "103 first: %s, priority echoed: %s, trailers after DATA: %s" % (h_ok, p_ok, t_ok))
    except (OSError, ConnectionError, ssl.SSLError) as e:
        rep.check("connection", False, str(e))
    finally:
        c.close()
    print("%d check(s) failed" % rep.failed if rep.failed else "all checks passed")
    return 1 if rep.failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url", help="https://HOST:PORT where wsgi_app.py is served")
    ap.add_argument("-k", "--insecure", action="store_true",
                    help="do not verify the server's certificate (development certificates)")
    ap.add_argument("--timeout", type=float, default=10.0, help="socket timeout, seconds [10]")
    args = ap.parse_args()
    sys.exit(run(args.url, args.insecure, args.timeout))


if __name__ == "__main__":
    main()
