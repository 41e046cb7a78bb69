"""test_forwarded.py: a front proxy's word, Gunicorn's way: from a peer in
forwarded_allow_ips, secure_scheme_headers set wsgi.url_scheme (https on a
match, http otherwise, even over TLS; contradictory ones are a 400) and
X-Forwarded-For sets REMOTE_ADDR; from any other peer they are plain
headers.  HTTP/1.1 and HTTP/2 (TLS, and h2c from a trusted peer), a config
file's own dict, and the errors a user can make with it."""
import json
import os
import subprocess

import pytest

from harness import PROXY, Stack, curl, free_port


@pytest.fixture(scope="module")
def trusted(certs):
    """127.0.0.1 is trusted (Gunicorn's default), TLS with h2 and http/1.1."""
    s = Stack(workers=1, tls=certs)
    yield s
    s.close()


@pytest.fixture(scope="module")
def untrusted():
    """Cleartext; only 192.0.2.1 is trusted, so the tests' 127.0.0.1 is not."""
    s = Stack(workers=1, proxy_args=["--forwarded-allow-ips", "192.0.2.1"])
    yield s
    s.close()


def environ(stack, *headers, http="--http1.1", path="/environ"):
    args = [http, "-w", "\n%{http_code} %{http_version}", stack.url + path]
    for h in headers:
        args += ["-H", h]
    out = curl(*args).stdout.decode()
    body, _, tail = out.rpartition("\n")
    code, version = tail.split()
    return int(code), version, body


def env_of(stack, *headers, http="--http1.1"):
    code, version, body = environ(stack, *headers, http=http)
    assert code == 200, body
    return json.loads(body), version


@pytest.mark.parametrize("http", ["--http1.1", "--http2"])
def test_trusted_front_sets_scheme_and_client(trusted, http):
    env, version = env_of(trusted, http=http)
    assert version == ("2" if http == "--http2" else "1.1")
    assert env["wsgi.url_scheme"] == "https" and env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["REMOTE_PORT"] != "0"
    # A secure field whose value is not the dict's: http, though the client used TLS.
    env, _ = env_of(trusted, "X-Forwarded-Proto: http", http=http)
    assert env["wsgi.url_scheme"] == "http"
    env, _ = env_of(trusted, "X-Forwarded-Ssl: on", "X-Forwarded-For: 203.0.113.9, 127.0.0.1",
                    http=http)
    assert env["wsgi.url_scheme"] == "https"
    # 127.0.0.1 is a trusted hop: the client is the one before it, port unknown.
    assert env["REMOTE_ADDR"] == "203.0.113.9" and env["REMOTE_PORT"] == "0"
    assert env["HTTP_X_FORWARDED_FOR"] == "203.0.113.9, 127.0.0.1"  # still the app's to read
    # Not an address: the connecting peer stays.
    env, _ = env_of(trusted, "X-Forwarded-For: unknown", http=http)
    assert env["REMOTE_ADDR"] == "127.0.0.1"


@pytest.mark.parametrize("http", ["--http1.1", "--http2"])
def test_contradictory_scheme_headers(trusted, http):
    code, _, body = environ(trusted, "X-Forwarded-Ssl: on", "X-Forwarded-Proto: http", http=http)
    assert code == 400 and "Contradictory scheme headers" in body
    # The connection goes on serving (HTTP/1.1 keep-alive, h2 other streams).
    env, _ = env_of(trusted, http=http)
    assert env["wsgi.url_scheme"] == "https"


def test_untrusted_peer_headers_are_plain(untrusted):
    env, _ = env_of(untrusted, "X-Forwarded-Proto: https", "X-Forwarded-For: 203.0.113.9",
                    "X-Forwarded-Ssl: off", "X-Forwarded-Protocol: ssl")
    assert env["wsgi.url_scheme"] == "http" and env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["HTTP_X_FORWARDED_PROTO"] == "https"
    assert env["HTTP_X_FORWARDED_FOR"] == "203.0.113.9"
    # Even contradictory ones: nobody asked them.
    code, _, _ = environ(untrusted, "X-Forwarded-Ssl: on", "X-Forwarded-Proto: http")
    assert code == 200


def test_h2c_from_trusted_front():
    s = Stack(workers=1, proxy_args=["--http2-cleartext", "prior-knowledge"])
    try:
        env, version = env_of(s, "X-Forwarded-Proto: https", "X-Forwarded-For: 2001:db8::7",
                              http="--http2-prior-knowledge")
        assert version == "2"
        assert env["wsgi.url_scheme"] == "https" and env["REMOTE_ADDR"] == "2001:db8::7"
    finally:
        s.close()


def test_config_file_dict(tmp_path):
    conf = tmp_path / "tandem.conf.py"
    conf.write_text("secure_scheme_headers = {'X-SCHEME': 'https'}\n")
    s = Stack(workers=1, proxy_args=["-c", str(conf)])
    try:
        env, _ = env_of(s, "X-Scheme: https")
        assert env["wsgi.url_scheme"] == "https"
        env, _ = env_of(s, "X-Forwarded-Proto: https")  # not in the file's dict
        assert env["wsgi.url_scheme"] == "http"
    finally:
        s.close()


@pytest.mark.parametrize("line,message", [
    ("secure_scheme_headers = 'X-Forwarded-Proto: https'",
     "conf.py:1: secure_scheme_headers: 'X-Forwarded-Proto: https' is a str, not a dict of str "
     "to str"),
    ("secure_scheme_headers = {'X-Proto': 1}",
     "conf.py:1: secure_scheme_headers: 1 is an int, not a dict of str to str"),
    ("secure_scheme_headers = {'X Proto': 'https'}",
     "conf.py:1: secure_scheme_headers: 'X Proto' is not a header field name"),
    ("forwarded_allow_ips = '10.0.0.0/8, proxy.example'",
     "conf.py:1: forwarded_allow_ips: 'proxy.example' is not an IP address, a CIDR network "
     "or '*'"),
])
def test_config_errors(tmp_path, line, message):
    conf = tmp_path / "conf.py"
    conf.write_text(line + "\n")
    r = subprocess.run([PROXY, "-c", str(conf), "--bind", "127.0.0.1:%d" % free_port(),
                        "--check-config"], capture_output=True, timeout=30, cwd=str(tmp_path),
                       env={k: v for k, v in os.environ.items() if k != "FORWARDED_ALLOW_IPS"})
    assert r.returncode == 2
    assert r.stderr.decode().strip() == "error: %s/%s" % (tmp_path, message), r.stderr


@pytest.mark.parametrize("http", ["--http1.1", "--http2"])
def test_asgi_scope_follows_the_trusted_front(certs, http):
    """The asgi worker read https from the connection's TLS flag, so a
    trusted front's X-Forwarded-Proto: http did not reach the scope."""
    s = Stack(workers=1, tls=certs, app="asgi_probe:app", appd_args=["-k", "asgi"])
    try:
        def scope(*headers):
            args = [http, s.url + "/scope"]
            for h in headers:
                args += ["-H", h]
            return json.loads(curl(*args).stdout)
        assert scope()["scheme"] == "https"
        sc = scope("X-Forwarded-Proto: http", "X-Forwarded-For: 203.0.113.9")
        assert sc["scheme"] == "http"
        assert sc["client"][0] == "203.0.113.9"
    finally:
        s.close()
