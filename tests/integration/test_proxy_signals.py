"""test_proxy_signals.py: tandem-proxy's signals.  HUP reloads the
certificate and the settings that need no new socket without dropping a
connection: a new connection sees the new certificate, limits, trusted
peers and PROXY protocol mode, an open HTTP/2 connection keeps working on
the old ones, connection caps apply from the next accept, and under load no
request fails; the TLS options and the body cap reload too; what cannot
change is named.  USR1 reopens the log; TERM sends GOAWAY and lets in-flight streams
finish within graceful_timeout; appd's signals (TTIN, TTOU, USR2) neither
stop nor end the proxy."""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess

import h2.settings
import pytest

from fake_stack import H2Conn
from harness import ROOT, Stack, curl, wait_for

STREAMS = h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS


@pytest.fixture(scope="module")
def two_certs(tmp_path_factory):
    """Two different self-signed certificates: (cert, key) each."""
    pairs = []
    for name in ("first", "second"):
        d = tmp_path_factory.mktemp(name)
        subprocess.run([os.path.join(ROOT, "contrib", "dev", "devcert"), str(d)], check=True,
                       capture_output=True)
        pairs.append((str(d / "cert.pem"), str(d / "key.pem")))
    return pairs


def install(pair, live):
    """Copies a certificate and its key where the proxy reads them."""
    shutil.copy(pair[0], live[0])
    shutil.copy(pair[1], live[1])


def der(pair):
    with open(pair[0]) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def reloaded(proxy, n):
    return proxy.output().count("Reloaded:") >= n


@pytest.fixture
def live_stack(tmp_path, two_certs):
    """appd and a TLS proxy reading its certificate from files the test swaps,
    and its settings from a config file the test rewrites."""
    live = (str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))
    install(two_certs[0], live)
    conf = tmp_path / "proxy.conf.py"
    # keepalive: the open connection a test holds idle must outlive a slow machine's steps.
    conf.write_text("http2_max_concurrent_streams = 7\ntimeout = 30\nkeepalive = 60\n")
    s = Stack(workers=1, tls=live, proxy_args=["-c", str(conf)])
    s.live, s.conf = live, conf
    yield s
    s.close()


def test_hup_swaps_the_certificate_for_new_connections_only(live_stack, two_certs):
    s = live_stack
    old = H2Conn(s.port, tls=True)
    try:
        first = old.sock.getpeercert(True)
        assert old.response(old.headers("/"))[:3] == (200, old.response(1)[1], b"hello")
        install(two_certs[1], s.live)
        s.proxy.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: reloaded(s.proxy, 1), 10, "the proxy to reload")
        new = H2Conn(s.port, tls=True)
        try:
            assert new.sock.getpeercert(True) != first        # the new certificate
            assert new.response(new.headers("/"))[2] == b"hello"
        finally:
            new.close()
        # The connection opened before keeps its session and serves on.
        sid = old.headers("/pid")
        assert old.response(sid)[0] == 200
        assert old.sock.getpeercert(True) == first
        r = curl("--http1.1", s.url + "/")
        assert r.stdout == b"hello"
    finally:
        old.close()


def test_certificate_reload_under_load_fails_no_request(live_stack, two_certs):
    # h2load keeps its connections across two reloads while a thread opens
    # new ones, one request each: none fails, and the new ones see each
    # certificate in turn.
    import threading
    s = live_stack
    n = 3000
    load = subprocess.Popen(["h2load", "-n", str(n), "-c", "4", "-m", "4",
                             s.url + "/sleep?s=0.004"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen, failures, stop = [], [], threading.Event()

    def new_connections():
        while not stop.is_set():
            try:
                c = H2Conn(s.port, tls=True)
                try:
                    assert c.response(c.headers("/"))[2] == b"hello"
                    seen.append(c.sock.getpeercert(True))
                finally:
                    c.close()
            except Exception as e:                # noqa: BLE001 - every failure counts
                failures.append(repr(e))
    opener = threading.Thread(target=new_connections)
    opener.start()
    try:
        wait_for(lambda: seen, 20, "a new connection served")
        assert seen[0] == der(two_certs[0])
        for i, pair in enumerate([two_certs[1], two_certs[0]], 1):
            install(pair, s.live)
            s.proxy.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: reloaded(s.proxy, i), 20, "reload %d" % i)
            # (one accepted just before the reload may still show the old one)
            wait_for(lambda: seen[-1] == der(pair), 20, "the certificate of reload %d" % i)
        assert load.poll() is None, "h2load ended before the second reload: make n larger"
        out = load.communicate(timeout=300)[0].decode()
    finally:
        stop.set()
        opener.join(30)
        if load.poll() is None:
            load.kill()
            load.wait()
    assert not failures, failures
    assert "requests: %d total, %d started, %d done, %d succeeded, 0 failed, 0 errored" % (
        n, n, n, n) in out, out


def test_hup_applies_limits_to_new_connections_and_names_what_cannot_change(live_stack):
    s = live_stack
    old = H2Conn(s.port, tls=True)
    try:
        old.ping()
        assert old.remote_settings[STREAMS] == 7
        s.conf.write_text("http2_max_concurrent_streams = 9\ntimeout = 30\nbacklog = 77\n")
        s.proxy.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: reloaded(s.proxy, 1), 10, "the proxy to reload")
        out = s.proxy.output()
        assert "Reload: backlog cannot change while tandem-proxy runs" in out, out
        new = H2Conn(s.port, tls=True)
        try:
            new.ping()
            assert new.remote_settings[STREAMS] == 9
        finally:
            new.close()
        # The open connection still lives by the SETTINGS it was given.
        old.ping()
        assert old.remote_settings[STREAMS] == 7
        assert old.response(old.headers("/"))[0] == 200
    finally:
        old.close()


def test_hup_with_a_bad_certificate_or_file_keeps_everything(live_stack, tmp_path):
    s = live_stack
    before = H2Conn(s.port, tls=True)
    cert = before.sock.getpeercert(True)
    before.close()
    with open(s.live[0], "w") as f:
        f.write("not a certificate\n")
    s.proxy.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "Reload failed" in s.proxy.output(), 10, "the reload to fail")
    assert "--certfile %s" % s.live[0] in s.proxy.output()
    s.conf.write_text("http2_max_concurrent_streams = 0\n")       # out of range
    s.proxy.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: s.proxy.output().count("Reload failed") == 2, 10, "the second failure")
    assert "http2_max_concurrent_streams" in s.proxy.output().splitlines()[-1]
    c = H2Conn(s.port, tls=True)
    try:
        assert c.sock.getpeercert(True) == cert
        c.ping()
        assert c.remote_settings[STREAMS] == 7
        assert c.response(c.headers("/"))[2] == b"hello"
    finally:
        c.close()


def client_pki(d):
    """A CA and a client certificate it signed: (ca.pem, curl's client arguments)."""
    def openssl(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True, capture_output=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-days", "30", "-subj", "/CN=Reload CA", "-keyout", "ca.key",
            "-out", "ca.pem")
    openssl("req", "-new", *ec, "-subj", "/CN=carol", "-keyout", "carol.key", "-out",
            "carol.csr")
    openssl("x509", "-req", "-in", "carol.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", "7", "-days", "30", "-out", "carol.pem")
    return (os.path.join(d, "ca.pem"),
            ["--cert", os.path.join(d, "carol.pem"), "--key", os.path.join(d, "carol.key")])


def test_hup_applies_the_tls_options_and_the_body_cap_to_new_connections(live_stack, tmp_path):
    s = live_stack
    ca, carol = client_pki(str(tmp_path))
    old = H2Conn(s.port, tls=True)                 # no client certificate, no body cap
    try:
        old.ping()
        assert curl("--http1.1", "--tls-max", "1.2", s.url + "/").stdout == b"hello"
        s.conf.write_text("http2_max_concurrent_streams = 7\ntimeout = 30\nkeepalive = 60\n"
                          "tls_min_version = '1.3'\nciphers = 'ECDHE+AESGCM'\n"
                          "tls_ciphersuites = 'TLS_AES_128_GCM_SHA256'\n"
                          "cert_reqs = 2\nca_certs = %r\nlimit_request_body = 4\n" % ca)
        s.proxy.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: reloaded(s.proxy, 1), 10, "the proxy to reload")
        assert "cannot change" not in s.proxy.output(), s.proxy.output()
        # A new connection: TLS 1.3 only, with the one suite, and a client certificate.
        r = curl("--http1.1", "--tls-max", "1.2", *carol, s.url + "/", check=False)
        assert r.returncode != 0, r
        assert curl("--http1.1", s.url + "/", check=False).returncode != 0
        r = curl("--http1.1", "--tls13-ciphers", "TLS_AES_256_GCM_SHA384", *carol, s.url + "/",
                 check=False)
        assert r.returncode != 0, r
        env = json.loads(curl("--http1.1", *carol, s.url + "/environ").stdout)
        assert env["SSL_CLIENT_VERIFY"] == "SUCCESS" and env["SSL_CLIENT_S_DN"] == "CN=carol"
        r = curl("--http1.1", *carol, "-o", "/dev/null", "-w", "%{http_code}", "-d", "12345",
                 s.url + "/echo")
        assert r.stdout == b"413"
        # The connection opened before keeps its session and its limits.
        sid = old.headers("/echo", method="POST", end=False)
        old.conn.send_data(sid, b"12345", end_stream=True)
        old.flush()
        assert old.response(sid)[0:3:2] == (200, b"12345")
        assert old.response(old.headers("/environ"))[0] == 200
    finally:
        old.close()


def environ_over(sock, port, extra=b""):
    """GET /environ over HTTP/1.1 on a TLS socket; the environ as a dict."""
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    with tls.wrap_socket(sock) as t:
        t.sendall(b"GET /environ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n" + extra +
                  b"\r\n")
        out = b""
        while True:
            data = t.recv(65536)
            if not data:
                break
            out += data
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), out[:300]
    return json.loads(body)


def tcp(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def test_hup_applies_trust_proxy_protocol_and_connection_caps_to_new_connections(live_stack):
    s = live_stack
    xff = b"X-Forwarded-For: 203.0.113.7\r\n"
    # Before: loopback is trusted (Gunicorn's default), so its X-Forwarded-For counts.
    assert environ_over(tcp(s.port), s.port, xff)["REMOTE_ADDR"] == "203.0.113.7"
    old = H2Conn(s.port, tls=True)
    try:
        old.ping()
        s.conf.write_text("http2_max_concurrent_streams = 7\ntimeout = 30\nkeepalive = 60\n"
                          "forwarded_allow_ips = ['10.0.0.0/8']\n"
                          "proxy_protocol = 'v1'\nproxy_allow_ips = ['127.0.0.1']\n")
        s.proxy.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: reloaded(s.proxy, 1), 10, "the proxy to reload")
        assert "cannot change" not in s.proxy.output(), s.proxy.output()
        # A new connection must start with a PROXY header, which names the
        # client; loopback is no longer trusted with X-Forwarded-For.
        sock = tcp(s.port)
        sock.sendall(b"PROXY TCP4 198.51.100.9 127.0.0.1 5555 443\r\n")
        assert environ_over(sock, s.port, xff)["REMOTE_ADDR"] == "198.51.100.9"
        # The open connection keeps the trust it was accepted with.
        sid = old.headers("/environ", extra=[("x-forwarded-for", "203.0.113.8")])
        status, _, body = old.response(sid)[:3]
        assert status == 200 and json.loads(body)["REMOTE_ADDR"] == "203.0.113.8"

        s.conf.write_text("http2_max_concurrent_streams = 7\ntimeout = 30\nkeepalive = 60\n"
                          "max_connections_per_ip = 2\n")
        s.proxy.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: reloaded(s.proxy, 2), 10, "the second reload")
        # Two new connections from loopback are served (the open one was
        # accepted while the cap was off and is not counted); a third is not.
        mine = [tcp(s.port) for _ in range(2)]
        tls = ssl.create_default_context()
        tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
        held = [tls.wrap_socket(m) for m in mine]
        try:
            for t in held:
                t.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                assert t.recv(65536).startswith(b"HTTP/1.1 200 ")
            with pytest.raises((ConnectionError, ssl.SSLError, OSError)):
                environ_over(tcp(s.port), s.port)
            wait_for(lambda: "max_connections_per_ip (2) reached" in s.proxy.output(), 10,
                     "the cap's log line")
        finally:
            for t in held:
                t.close()
        assert old.response(old.headers("/"))[0] == 200
    finally:
        old.close()


def test_usr1_reopens_the_log(tmp_path):
    log = str(tmp_path / "proxy.log")
    s = Stack(workers=1, proxy_args=["--error-logfile", log])
    try:
        os.rename(log, log + ".1")
        s.proxy.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: os.path.exists(log) and "log reopened" in open(log).read(), 10,
                 "the new log")
        assert "log reopened" not in open(log + ".1").read()
    finally:
        s.close()


def raw_frames(sock):
    """Every frame the server sends until it closes: (type, flags, stream,
    payload).  python-h2 refuses frames after GOAWAY, which is what this
    test is about, so they are read here."""
    buf = b""
    while True:
        data = sock.recv(65536)
        if not data:
            break
        buf += data
    frames = []
    while len(buf) >= 9:
        n = int.from_bytes(buf[:3], "big")
        frames.append((buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF,
                       buf[9:9 + n]))
        buf = buf[9 + n:]
    return frames


def test_term_sends_goaway_and_finishes_in_flight_streams(certs):
    import hpack
    s = Stack(workers=1, appd_args=["-k", "gthread", "--threads", "4"], tls=certs,
              proxy_args=["--graceful-timeout", "20"])
    try:
        c = H2Conn(s.port, tls=True)
        sid = c.headers("/sleep?s=1.5")
        c.ping()                                   # the request reached the proxy
        s.proxy.proc.send_signal(signal.SIGTERM)
        frames = raw_frames(c.sock)
        kinds = [f[0] for f in frames]
        assert 7 in kinds, frames                  # GOAWAY...
        goaway = frames[kinds.index(7)]
        assert int.from_bytes(goaway[3][:4], "big") >= sid   # ...keeping our stream
        heads = [f for f in frames if f[0] == 1 and f[2] == sid]
        assert heads and kinds.index(1) > kinds.index(7)     # the answer came after it
        status = dict(hpack.Decoder().decode(heads[0][3]))[":status"]
        body = b"".join(f[3] for f in frames if f[0] == 0 and f[2] == sid)
        assert (status, body) == ("200", b"slept")
        assert s.proxy.proc.wait(20) == 0
        c.close()
    finally:
        s.close()


def test_term_gives_up_on_streams_at_graceful_timeout(certs):
    s = Stack(workers=1, tls=certs, proxy_args=["--graceful-timeout", "1"])
    try:
        c = H2Conn(s.port, tls=True)
        c.headers("/sleep?s=60")
        c.ping()
        s.proxy.proc.send_signal(signal.SIGTERM)
        assert s.proxy.proc.wait(30) == 0          # well before the request's 60 s
        assert "graceful timeout (1 s) reached" in s.proxy.output()
        c.close()
    finally:
        s.close()


@pytest.mark.parametrize("sig", [signal.SIGTTIN, signal.SIGTTOU, signal.SIGUSR2,
                                 signal.SIGWINCH])
def test_appd_signals_neither_stop_nor_end_the_proxy(sig):
    s = Stack(workers=1)
    try:
        s.proxy.proc.send_signal(sig)
        s.proxy.proc.send_signal(signal.SIGUSR1)   # handled in order: a marker after it
        wait_for(lambda: "log reopened" in s.proxy.output(), 10, "the proxy to go on")
        assert s.proxy.alive()
        with open("/proc/%d/stat" % s.proxy.pid) as f:
            assert f.read().split()[2] != "T"       # not stopped
        assert curl(s.url + "/").stdout == b"hello"
    finally:
        s.close()
