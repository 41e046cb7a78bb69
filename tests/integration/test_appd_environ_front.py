"""test_appd_environ_front.py: what tandem-proxy decided about a request, as
a WSGI app sees it (wire version 3): wsgi.url_scheme is the head's scheme,
TLS or not; a PROXY header's facts under Gunicorn's PROXY_* keys; a client
certificate's under mod_ssl's SSL_CLIENT_* names; none of them otherwise."""
import pytest

import appd_client as ac
from test_appd_wire import Appd, _environ


@pytest.fixture(scope="module")
def appd():
    a = Appd(workers=1)
    yield a
    a.close()


@pytest.fixture
def conn(appd):
    c = ac.Conn(appd.sock, timeout=20)
    yield c
    c.close()


def test_environ_url_scheme_is_the_proxys_decision(conn):
    # Version 3: the head's scheme decides, TLS or not (a trusted front's
    # X-Forwarded-Proto: http over TLS is http, as Gunicorn has it).
    assert _environ(conn, flags=ac.REQ_TLS, scheme="http")["wsgi.url_scheme"] == "http"
    env = _environ(conn, scheme="https", authority="example.com")
    assert env["wsgi.url_scheme"] == "https" and env["SERVER_PORT"] == "443"


def test_environ_proxy_protocol_and_client_certificate(conn):
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    env = _environ(conn, flags=ac.REQ_TLS, scheme="https", peer=("203.0.113.7", 51000),
                   extra=dict(proxy_protocol="TCP4", proxy_addr="198.51.100.1", proxy_port=443,
                              client_verify="SUCCESS", client_cert=pem,
                              client_s_dn="CN=alice,O=Example", client_i_dn="CN=Example CA",
                              client_serial="1F", client_v_start="Jan  1 00:00:00 2025 GMT",
                              client_v_end="Jan  1 00:00:00 2035 GMT"))
    # Gunicorn's keys for a PROXY header: the source is REMOTE_ADDR
    assert env["REMOTE_ADDR"] == "203.0.113.7" and env["REMOTE_PORT"] == "51000"
    assert env["PROXY_PROTOCOL"] == "TCP4"
    assert env["PROXY_ADDR"] == "198.51.100.1" and env["PROXY_PORT"] == "443"
    # mod_ssl's names for the client certificate
    assert env["SSL_CLIENT_VERIFY"] == "SUCCESS" and env["SSL_CLIENT_CERT"] == pem
    assert env["SSL_CLIENT_S_DN"] == "CN=alice,O=Example"
    assert env["SSL_CLIENT_I_DN"] == "CN=Example CA" and env["SSL_CLIENT_M_SERIAL"] == "1F"
    assert env["SSL_CLIENT_V_START"] == "Jan  1 00:00:00 2025 GMT"
    assert env["SSL_CLIENT_V_END"] == "Jan  1 00:00:00 2035 GMT"
    # none of them without a PROXY header or a certificate asked for
    plain = _environ(conn)
    assert not [k for k in plain if k.startswith(("PROXY_", "SSL_CLIENT_"))]
    # a LOCAL or UNKNOWN header carries no addresses; no certificate sent: NONE
    env = _environ(conn, extra=dict(proxy_protocol="UNKNOWN", client_verify="NONE"))
    assert env["PROXY_PROTOCOL"] == "UNKNOWN" and "PROXY_ADDR" not in env
    assert env["SSL_CLIENT_VERIFY"] == "NONE" and "SSL_CLIENT_CERT" not in env
