"""test_network_config.py: the network settings of issue 13 in a Gunicorn
config file: secure_scheme_headers (a dict), forwarded_allow_ips,
proxy_protocol, proxy_allow_ips, limit_request_body and the TLS keys, read
as literals by tandem-proxy and evaluated by tandem-appd for tandem (so
ssl.CERT_REQUIRED works), as --print-config shows them."""
import ast
import os
import subprocess

from harness import FRONT, PROXY

CLEAN = {k: v for k, v in os.environ.items()
         if k not in ("GUNICORN_CMD_ARGS", "TANDEM_CMD_ARGS", "PORT", "FORWARDED_ALLOW_IPS")}

CONF = '''\
import ssl

bind = "127.0.0.1:18443"
certfile = "{cert}"
keyfile = "{key}"
ca_certs = "{cert}"
cert_reqs = ssl.CERT_REQUIRED
ciphers = "ECDHE+AESGCM"
forwarded_allow_ips = "10.0.0.0/8"
secure_scheme_headers = {{"X-FORWARDED-PROTO": "https", "X-SCHEME": "https"}}
proxy_protocol = "v2"
proxy_allow_ips = ["10.1.0.0/16", "::1"]
limit_request_body = 1048576
'''


def settings(text):
    out, section = {}, ""
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif " = " in line:
            key, value = line.split(" = ", 1)
            out.setdefault(section, {})[key.strip()] = ast.literal_eval(value)
    return out


def run(argv, cwd):
    r = subprocess.run(argv, capture_output=True, timeout=60, cwd=cwd, env=CLEAN)
    assert r.returncode == 0, r.stderr.decode()
    return settings(r.stdout.decode())


def expect(proxy):
    assert proxy["cert_reqs"] == 2 and proxy["ciphers"] == "ECDHE+AESGCM"
    assert proxy["forwarded_allow_ips"] == ["10.0.0.0/8"]
    assert proxy["secure_scheme_headers"] == {"X-FORWARDED-PROTO": "https", "X-SCHEME": "https"}
    assert proxy["proxy_protocol"] == "v2"
    assert proxy["proxy_allow_ips"] == ["10.1.0.0/16", "::1"]
    assert proxy["limit_request_body"] == 1048576
    assert proxy["tls_min_version"] == "1.2" and proxy["suppress_ragged_eofs"] is True


def test_gunicorn_file_through_tandem(tmp_path, certs):
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text(CONF.format(cert=certs[0], key=certs[1]))
    out = run([FRONT, "-c", str(conf), "--print-config", "probe:app"], str(tmp_path))
    expect(out["tandem-proxy"])


def test_literals_read_by_the_proxy(tmp_path, certs):
    conf = tmp_path / "proxy.conf.py"
    # the proxy reads literals only: Python's constant written as its value
    conf.write_text(CONF.format(cert=certs[0], key=certs[1]).replace(
        "import ssl\n", "").replace("ssl.CERT_REQUIRED", "2"))
    expect(run([PROXY, "-c", str(conf), "--print-config"], str(tmp_path))[""])
    # and what it says with the computed one
    conf.write_text(CONF.format(cert=certs[0], key=certs[1]))
    r = subprocess.run([PROXY, "-c", str(conf), "--print-config"], capture_output=True,
                       timeout=30, cwd=str(tmp_path), env=CLEAN)
    assert r.returncode == 2
    assert "proxy.conf.py:7: cert_reqs: the value is computed" in r.stderr.decode()
