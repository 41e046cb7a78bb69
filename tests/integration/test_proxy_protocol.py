"""test_proxy_protocol.py: PROXY protocol v1 and v2 in front of tandem-proxy,
Gunicorn's proxy_protocol and proxy_allow_ips: the header, read before TLS
or HTTP (HTTP/1.1 and HTTP/2), makes its source REMOTE_ADDR and adds
PROXY_PROTOCOL, PROXY_ADDR and PROXY_PORT; UNKNOWN and LOCAL keep the real
peer; a connection without a header is served as it is; a header from a
peer not allowed, a malformed one, or half of one that stalls closes the
connection (with a log line); each mode reads its version only."""
import json
import socket
import ssl
import struct
import subprocess
import time

import pytest

from harness import PROXY, Stack, curl, free_port, wait_for

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(cmd, fam, body):
    return V2_SIG + bytes([0x20 | cmd, fam]) + struct.pack("!H", len(body)) + body


def v2_inet(src, sport, dst, dport, tlvs=b""):
    return v2(1, 0x11, socket.inet_aton(src) + socket.inet_aton(dst)
              + struct.pack("!HH", sport, dport) + tlvs)


def v2_inet6(src, sport, dst, dport):
    return v2(1, 0x21, socket.inet_pton(socket.AF_INET6, src)
              + socket.inet_pton(socket.AF_INET6, dst) + struct.pack("!HH", sport, dport))


@pytest.fixture(scope="module")
def clear():
    """Cleartext, --proxy-protocol alone (auto), 127.0.0.1 allowed by default."""
    s = Stack(workers=1, proxy_args=["--proxy-protocol", "--timeout", "2"])
    yield s
    s.close()


@pytest.fixture(scope="module")
def tls(certs):
    s = Stack(workers=1, tls=certs, proxy_args=["--proxy-protocol", "v2"])
    yield s
    s.close()


def http_get(sock, path="/environ"):
    sock.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode())
    out = b""
    while True:
        data = sock.recv(65536)
        if not data:
            break
        out += data
    return out


def environ_after(stack, header):
    with socket.create_connection(("127.0.0.1", stack.port), timeout=10) as s:
        s.sendall(header)
        reply = http_get(s)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), reply
    return json.loads(body)


def closed_without_reply(sock):
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


def test_v1_tcp4_and_tcp6(clear):
    env = environ_after(clear, b"PROXY TCP4 203.0.113.7 198.51.100.1 51000 443\r\n")
    assert env["REMOTE_ADDR"] == "203.0.113.7" and env["REMOTE_PORT"] == "51000"
    assert env["PROXY_PROTOCOL"] == "TCP4"
    assert env["PROXY_ADDR"] == "198.51.100.1" and env["PROXY_PORT"] == "443"
    env = environ_after(clear, b"PROXY TCP6 2001:db8::7 2001:db8::1 40000 8443\r\n")
    assert env["REMOTE_ADDR"] == "2001:db8::7" and env["REMOTE_PORT"] == "40000"
    assert env["PROXY_PROTOCOL"] == "TCP6" and env["PROXY_ADDR"] == "2001:db8::1"


def test_v1_from_curl(clear):
    env = json.loads(curl("--haproxy-protocol", clear.url + "/environ").stdout)
    assert env["PROXY_PROTOCOL"] == "TCP4" and env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["PROXY_PORT"] == str(clear.port)


def test_unknown_and_local_keep_the_peer(clear):
    for header, proto in ((b"PROXY UNKNOWN\r\n", "UNKNOWN"), (v2(0, 0x00, b""), "LOCAL"),
                          (v2(1, 0x00, b"\x04\x00\x00"), "UNSPEC")):
        env = environ_after(clear, header)
        assert env["PROXY_PROTOCOL"] == proto
        assert env["REMOTE_ADDR"] == "127.0.0.1" and env["REMOTE_PORT"] != "0"
        assert "PROXY_ADDR" not in env


def test_v2_with_tlvs(clear):
    tlvs = b"\x01\x00\x02h2" + b"\xea\x00\x05\x01vpce"
    env = environ_after(clear, v2_inet("192.0.2.44", 1234, "192.0.2.1", 80, tlvs))
    assert env["REMOTE_ADDR"] == "192.0.2.44" and env["REMOTE_PORT"] == "1234"
    assert env["PROXY_PROTOCOL"] == "TCP4" and env["PROXY_PORT"] == "80"


def test_header_in_pieces(clear):
    """Sent a few bytes at a time, as a slow front might: read whole."""
    header = b"PROXY TCP4 203.0.113.8 198.51.100.1 51001 443\r\n"
    with socket.create_connection(("127.0.0.1", clear.port), timeout=10) as s:
        for i in range(0, len(header), 7):
            s.sendall(header[i:i + 7])
            time.sleep(0.02)
        reply = http_get(s)
    assert json.loads(reply.partition(b"\r\n\r\n")[2])["REMOTE_ADDR"] == "203.0.113.8"


def test_no_header_is_served(clear):
    env = json.loads(curl(clear.url + "/environ").stdout)
    assert env["REMOTE_ADDR"] == "127.0.0.1" and "PROXY_PROTOCOL" not in env


def test_trust_stays_with_the_connecting_peer(clear):
    """forwarded_allow_ips judges the address that connected (127.0.0.1,
    trusted), not the one the header names."""
    with socket.create_connection(("127.0.0.1", clear.port), timeout=10) as s:
        s.sendall(b"PROXY TCP4 203.0.113.9 198.51.100.1 1 2\r\n"
                  b"GET /environ HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\n"
                  b"Connection: close\r\n\r\n")
        reply = b""
        while True:
            data = s.recv(65536)
            if not data:
                break
            reply += data
    env = json.loads(reply.partition(b"\r\n\r\n")[2])
    assert env["wsgi.url_scheme"] == "https" and env["REMOTE_ADDR"] == "203.0.113.9"


def test_bad_header_closes(clear):
    for header in (b"PROXY TCP4 203.0.113.7 198.51.100.1 99999 443\r\n",
                   b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
                   v2(1, 0x12, bytes(12)),            # UDP
                   V2_SIG + b"\x11\x11\x00\x0c" + bytes(12)):  # version 1 in a v2 header
        with socket.create_connection(("127.0.0.1", clear.port), timeout=10) as s:
            s.sendall(header + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert closed_without_reply(s)
    wait_for(lambda: "bad PROXY header from 127.0.0.1: not a port (0..65535): connection "
             "closed" in clear.proxy.output(), 5, "the log line")


def test_half_a_header_is_closed_after_the_timeout(clear):
    with socket.create_connection(("127.0.0.1", clear.port), timeout=10) as s:
        s.sendall(b"PROXY TCP4 203.0.113.7 ")
        start = time.monotonic()
        assert closed_without_reply(s)
        assert 1.0 < time.monotonic() - start < 8   # --timeout 2


def test_tls_after_a_v2_header(tls):
    import h2.config
    import h2.connection
    import h2.events
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for alpn in ("http/1.1", "h2"):
        raw = socket.create_connection(("127.0.0.1", tls.port), timeout=10)
        raw.sendall(v2_inet6("2001:db8::9", 6000, "2001:db8::1", 443))
        ctx.set_alpn_protocols([alpn])
        s = ctx.wrap_socket(raw, server_hostname="localhost")
        assert s.selected_alpn_protocol() == alpn
        if alpn == "http/1.1":
            body = http_get(s).partition(b"\r\n\r\n")[2]
        else:
            c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
            c.initiate_connection()
            c.send_headers(1, [(":method", "GET"), (":scheme", "https"),
                               (":authority", "localhost"), (":path", "/environ")],
                           end_stream=True)
            s.sendall(c.data_to_send())
            body, done = b"", False
            while not done:
                for ev in c.receive_data(s.recv(65536)):
                    if isinstance(ev, h2.events.DataReceived):
                        body += ev.data
                        c.acknowledge_received_data(ev.flow_controlled_length, 1)
                    done = done or isinstance(ev, h2.events.StreamEnded)
                s.sendall(c.data_to_send())
        s.close()
        env = json.loads(body)
        assert env["REMOTE_ADDR"] == "2001:db8::9" and env["REMOTE_PORT"] == "6000"
        assert env["PROXY_PROTOCOL"] == "TCP6" and env["wsgi.url_scheme"] == "https"
        assert env["SERVER_PROTOCOL"] == ("HTTP/2.0" if alpn == "h2" else "HTTP/1.1")


def test_each_mode_reads_its_version(tls):
    """v2 only: a v1 line is no header, so the TLS handshake fails on it."""
    raw = socket.create_connection(("127.0.0.1", tls.port), timeout=10)
    raw.sendall(b"PROXY TCP4 203.0.113.7 198.51.100.1 51000 443\r\n")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        ctx.wrap_socket(raw, server_hostname="localhost")
    raw.close()
    s = Stack(workers=1, proxy_args=["--proxy-protocol", "v1"])
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
            c.sendall(v2_inet("192.0.2.44", 1234, "192.0.2.1", 80))
            reply = http_get(c)   # not a header to a v1 listener: a bad request
        assert reply.startswith(b"HTTP/1.1 400 "), reply
    finally:
        s.close()


def test_peer_not_allowed():
    s = Stack(workers=1, proxy_args=["--proxy-protocol", "auto", "--proxy-allow-from",
                                     "192.0.2.1,10.0.0.0/8"])
    try:
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
            c.sendall(b"PROXY TCP4 203.0.113.7 198.51.100.1 51000 443\r\n"
                      b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert closed_without_reply(c)
        wait_for(lambda: "PROXY header (not in proxy_allow_ips) from 127.0.0.1: connection "
                 "closed" in s.proxy.output(), 5, "the log line")
        # Without a header it is an ordinary client (Gunicorn's way).
        env = json.loads(curl(s.url + "/environ").stdout)
        assert env["REMOTE_ADDR"] == "127.0.0.1" and "PROXY_PROTOCOL" not in env
    finally:
        s.close()


@pytest.mark.parametrize("args,message", [
    (["--proxy-protocol", "v3"],
     "proxy_protocol (--proxy-protocol): 'v3' is not one of off, v1, v2, auto"),
    (["--proxy-protocol", "--proxy-allow-from", "10.0.0.0/33"],
     "proxy_allow_ips: '10.0.0.0/33' is not an IP address, a CIDR network or '*'"),
])
def test_bad_settings(args, message):
    r = subprocess.run([PROXY, "--bind", "127.0.0.1:%d" % free_port()] + args,
                       capture_output=True, timeout=30)
    assert r.returncode == 2
    assert r.stderr.decode().strip() == "error: " + message
