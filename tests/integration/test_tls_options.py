"""test_tls_options.py: Gunicorn's TLS settings on tandem-proxy: cert_reqs
(0 not asked, 1 optional, 2 required) with ca_certs, the client certificate
reaching the app under mod_ssl's SSL_CLIENT_* names over HTTP/1.1 and
HTTP/2; ciphers (TLS 1.2), tls_ciphersuites (TLS 1.3) and tls_min_version,
tandem's own; suppress_ragged_eofs and do_handshake_on_connect; and every
error a user can make with them, naming the setting."""
import json
import os
import socket
import ssl
import subprocess

import pytest

from harness import PROXY, Stack, curl, free_port, wait_for


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA and a client it signed (alice), and a client of another CA (mallory)."""
    d = str(tmp_path_factory.mktemp("pki"))
    for ca, cn in (("ca", "Tandem Test CA"), ("rogue", "Rogue CA")):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "30", "-subj", "/CN=" + cn, "-keyout", ca + ".key", "-out",
                ca + ".pem", cwd=d)
    for who, ca in (("alice", "ca"), ("mallory", "rogue")):
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-subj", "/O=Tandem Test/CN=" + who, "-keyout", who + ".key", "-out",
                who + ".csr", cwd=d)
        openssl("x509", "-req", "-in", who + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                "-set_serial", "0x1f2e3d", "-days", "30", "-out", who + ".pem", cwd=d)
    return d


def stack_with(certs, *args):
    return Stack(workers=1, tls=certs, proxy_args=list(args))


def environ(stack, *args, http="--http1.1"):
    r = curl(http, *args, stack.url + "/environ", check=False)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def refused(stack, *args):
    return curl("--http1.1", *args, stack.url + "/environ", check=False).returncode != 0


def as_client(pki, who):
    return ["--cert", os.path.join(pki, who + ".pem"), "--key", os.path.join(pki, who + ".key")]


@pytest.fixture(scope="module")
def required(certs, pki):
    s = stack_with(certs, "--cert-reqs", "2", "--ca-certs", os.path.join(pki, "ca.pem"))
    yield s
    s.close()


@pytest.mark.parametrize("http", ["--http1.1", "--http2"])
def test_required_client_certificate_reaches_the_app(required, pki, http):
    env = environ(required, *as_client(pki, "alice"), http=http)
    assert env["SERVER_PROTOCOL"] == ("HTTP/2.0" if http == "--http2" else "HTTP/1.1")
    assert env["SSL_CLIENT_VERIFY"] == "SUCCESS"
    assert env["SSL_CLIENT_S_DN"] == "CN=alice,O=Tandem Test"
    assert env["SSL_CLIENT_I_DN"] == "CN=Tandem Test CA"
    assert env["SSL_CLIENT_M_SERIAL"] == "1F2E3D"
    with open(os.path.join(pki, "alice.pem")) as f:
        assert env["SSL_CLIENT_CERT"] == f.read()
    # The validity as OpenSSL (and mod_ssl) prints it.
    for key in ("SSL_CLIENT_V_START", "SSL_CLIENT_V_END"):
        assert env[key].endswith(" GMT") and len(env[key].split()) == 5, env[key]


def test_required_refuses_no_certificate_and_another_ca(required, pki):
    assert refused(required)
    assert refused(required, *as_client(pki, "mallory"))


def test_optional_client_certificate(certs, pki):
    s = stack_with(certs, "--cert-reqs", "1", "--ca-certs", os.path.join(pki, "ca.pem"))
    try:
        env = environ(s)
        assert env["SSL_CLIENT_VERIFY"] == "NONE" and "SSL_CLIENT_CERT" not in env
        env = environ(s, *as_client(pki, "alice"), http="--http2")
        assert env["SSL_CLIENT_VERIFY"] == "SUCCESS" and env["SSL_CLIENT_S_DN"].startswith("CN=alice")
        assert refused(s, *as_client(pki, "mallory"))  # sent, so it must verify
    finally:
        s.close()


def test_not_asked_by_default(certs, pki):
    s = stack_with(certs)
    try:
        env = environ(s, *as_client(pki, "alice"))
        assert not [k for k in env if k.startswith("SSL_CLIENT_")]
    finally:
        s.close()


def tls_client(port, maximum=None, minimum=None, ciphers=None):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if maximum:
        ctx.maximum_version = maximum
    if minimum:
        ctx.minimum_version = minimum
    if ciphers:
        ctx.set_ciphers(ciphers)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s = ctx.wrap_socket(raw, server_hostname="localhost")
    except (ssl.SSLError, OSError):
        raw.close()
        return None
    out = (s.version(), s.cipher()[0])
    s.close()
    return out


def test_ciphers_and_suites(certs):
    s = stack_with(certs, "--ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305",
                   "--tls-ciphersuites", "TLS_AES_256_GCM_SHA384")
    try:
        assert tls_client(s.port, maximum=ssl.TLSVersion.TLSv1_2) == (
            "TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305")
        assert tls_client(s.port, maximum=ssl.TLSVersion.TLSv1_2,
                          ciphers="ECDHE-ECDSA-AES128-GCM-SHA256") is None
        assert tls_client(s.port) == ("TLSv1.3", "TLS_AES_256_GCM_SHA384")
    finally:
        s.close()


def test_default_suites_prefer_aes_128_gcm(certs):
    # The server chooses: a client that would rather have AES-256-GCM
    # (OpenSSL's own order, Python's default) gets AES-128-GCM.
    s = stack_with(certs)
    try:
        assert tls_client(s.port) == ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
    finally:
        s.close()


def test_least_tls_version(certs):
    s = stack_with(certs)
    try:   # 1.2 by default
        assert tls_client(s.port, maximum=ssl.TLSVersion.TLSv1_2)[0] == "TLSv1.2"
    finally:
        s.close()
    s = stack_with(certs, "--tls-min-version", "1.3")
    try:
        assert tls_client(s.port, maximum=ssl.TLSVersion.TLSv1_2) is None
        assert tls_client(s.port)[0] == "TLSv1.3"
    finally:
        s.close()


@pytest.mark.parametrize("suppress", [True, False])
def test_ragged_eofs(certs, suppress):
    # One loop: the ragged close is handled before the request that follows it.
    s = stack_with(certs, "--log-level", "debug", "--suppress-ragged-eofs=%s" % suppress,
                   "--do-handshake-on-connect", "--threads", "1")
    try:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        t = ctx.wrap_socket(raw, server_hostname="localhost")
        t.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # half a head, then gone without close_notify
        # FIN, not close(): a close with the server's session tickets still
        # unread would send a TCP reset, which is not a ragged EOF.
        gone = socket.socket(fileno=t.detach())
        gone.shutdown(socket.SHUT_WR)
        marker = "TLS error:"
        try:
            if suppress:
                curl(s.url + "/")   # the proxy is past that connection
                assert marker not in s.proxy.output()
            else:
                wait_for(lambda: marker in s.proxy.output(), 5, "the ragged EOF logged")
                assert "unexpected eof" in s.proxy.output().lower()
        finally:
            gone.close()
    finally:
        s.close()


def run_proxy(*args, certs=None, check_config=False):
    argv = [PROXY, "--bind", "127.0.0.1:%d" % free_port()]
    if certs:
        argv += ["--certfile", certs[0], "--keyfile", certs[1]]
    if check_config:
        argv.append("--check-config")
    return subprocess.run(argv + list(args), capture_output=True, timeout=30)


@pytest.mark.parametrize("args,status,message", [
    (["--cert-reqs", "3"], 2, "cert_reqs (--cert-reqs): 3 is out of range (allowed: 0..2)"),
    (["--cert-reqs", "2"], 2, "cert_reqs (--cert-reqs) 2 needs ca_certs (--ca-certs): the CA "
                              "certificates that client certificates must chain to"),
    (["--tls-min-version", "1.1"], 2,
     "tls_min_version (--tls-min-version): '1.1' is not one of 1.2, 1.3"),
    (["--ssl-version", "TLSv1_2"], 2,
     "option '--ssl-version' (ssl_version) is deprecated by Gunicorn (ignored since 21.0) and "
     "not taken by tandem: set the least TLS version with tls_min_version (--tls-min-version 1.2 "
     "or 1.3)"),
    (["--ciphers", "NOPE-CIPHER"], 1, "ciphers (--ciphers): 'NOPE-CIPHER' names no cipher "
                                      "OpenSSL knows (an OpenSSL cipher list, such as "
                                      "ECDHE+AESGCM:ECDHE+CHACHA20)"),
    (["--tls-ciphersuites", "TLS_NOPE"], 1,
     "tls_ciphersuites (--tls-ciphersuites): 'TLS_NOPE' is not a list of TLS 1.3 suites (such "
     "as TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256)"),
    (["--cert-reqs", "1", "--ca-certs", "/nonexistent/ca.pem"], 1,
     "--ca-certs /nonexistent/ca.pem: No such file or directory"),
])
def test_errors_with_tls(certs, args, status, message):
    for check_config in (False, True):
        r = run_proxy(*args, certs=certs, check_config=check_config)
        assert r.returncode == status, r.stderr
        assert r.stderr.decode().strip() == "error: " + message


def test_ca_certs_that_hold_no_ca(certs, tmp_path):
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    r = run_proxy("--cert-reqs", "2", "--ca-certs", str(bogus), certs=certs)
    assert r.returncode == 1 and "--ca-certs %s: " % bogus in r.stderr.decode()


@pytest.mark.parametrize("args", [["--ca-certs", "/etc/ssl/certs/ca-certificates.crt"],
                                  ["--cert-reqs", "1"], ["--ciphers", "HIGH"],
                                  ["--tls-ciphersuites", "TLS_AES_128_GCM_SHA256"],
                                  ["--tls-min-version", "1.3"]])
def test_tls_options_need_tls(args):
    r = run_proxy(*args)
    assert r.returncode == 2
    key = args[0][2:].replace("-", "_")
    assert r.stderr.decode().strip() == "error: %s (%s) needs TLS (--certfile and --keyfile)" % (
        key, args[0]), r.stderr
