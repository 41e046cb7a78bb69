"""test_contrib_nginx.py: Debian's nginx with contrib/nginx/tandem.conf (its
ports and paths moved to a loopback port and a private directory) in front
of the real daemons: pages and POST bodies over h2 through nginx, forwarded
headers reaching the application, upstream connections kept alive."""
import hashlib
import json
import os
import shutil
import subprocess

import pytest

from contrib_install import Installed
from harness import Daemon, Stack, can_connect, curl, free_port, wait_for

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(not os.path.exists(NGINX),
                                reason="nginx (Debian's nginx package) not installed")


def replace_once(text, old, new):
    assert text.count(old) == 1, old
    return text.replace(old, new)


def nginx_conf(inst, port, upstream_port, cert, key):
    site = inst.text("nginx/tandem.conf")
    site = replace_once(site, "listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % port)
    site = replace_once(site, "    listen [::]:443 ssl http2;\n", "")
    site = replace_once(site, "server 127.0.0.1:8000;", "server 127.0.0.1:%d;" % upstream_port)
    site = replace_once(site, "/etc/tandem/cert.pem", cert)
    site = replace_once(site, "/etc/tandem/key.pem", key)
    inst.write("tandem.conf", site)
    temp = inst.path("temp")
    os.makedirs(temp)
    os.chmod(temp, 0o777)     # nginx's workers run as nobody under root
    paths = "".join("    %s_temp_path %s/%s;\n" % (kind, temp, kind)
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return inst.write("nginx.conf", (
        "worker_processes 1;\n"
        "pid %s;\n"
        "error_log %s warn;\n"
        "events { worker_connections 128; }\n"
        "http {\n"
        "    access_log %s;\n%s"
        "    include %s;\n"
        "}\n") % (inst.path("nginx.pid"), inst.path("error.log"), inst.path("access.log"), paths,
                  inst.path("tandem.conf")))


@pytest.fixture(scope="module")
def front(certs):
    """(nginx URL, stack): nginx on a free loopback port in front of a
    cleartext tandem-proxy kept alive longer than nginx keeps idle
    connections, as the configuration's comments say to run it."""
    inst = Installed()
    stack = Stack(workers=2, appd_args=["-k", "gthread", "--threads", "4"],
                  proxy_args=["--keepalive", "75"])
    nginx = None
    try:
        port = free_port()
        cert = inst.copy_readable(certs[0], "cert.pem")
        key = inst.copy_readable(certs[1], "key.pem")
        conf = nginx_conf(inst, port, stack.port, cert, key)
        argv = [NGINX, "-e", inst.path("error.log"), "-p", inst.root, "-c", conf]
        r = subprocess.run(argv + ["-t"], capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr.decode()
        nginx = Daemon(argv + ["-g", "daemon off;"], notify=False)
        wait_for(lambda: not nginx.alive() or can_connect(("127.0.0.1", port)), 15, "nginx")
        assert nginx.alive(), nginx.output()
        yield "https://127.0.0.1:%d" % port, stack
    finally:
        if nginx is not None:
            nginx.stop()
        stack.close()
        inst.remove()


def test_pages_over_h2_through_nginx(front):
    url, _ = front
    r = curl("--http2", "-w", "\n%{http_version}", url + "/")
    assert r.stdout == b"hello\n2", r.stdout
    r = curl("--http2", url + "/stream?n=300000")
    assert r.stdout == b"y" * 300000


def test_post_bodies_through_nginx(front):
    url, _ = front
    r = curl("--http2", "-X", "POST", "--data-binary", "a posted body", url + "/echo")
    assert r.stdout == b"a posted body"
    body = os.urandom(1 << 20)
    r = curl("--http2", "-X", "POST", "--data-binary", "@-", url + "/sha", input=body)
    assert r.stdout.decode() == "%s %d" % (hashlib.sha256(body).hexdigest(), len(body))


def test_forwarded_headers_reach_the_app(front):
    url, _ = front
    env = json.loads(curl("--http2", url + "/environ").stdout)
    assert env["HTTP_X_FORWARDED_PROTO"] == "https"
    assert env["HTTP_X_FORWARDED_FOR"] == "127.0.0.1"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"        # nginx to tandem
    # nginx on loopback is trusted (forwarded_allow_ips' default), as the
    # configuration's comments say: the client's scheme and address, the
    # port unknown (the address came from X-Forwarded-For).
    assert env["wsgi.url_scheme"] == "https"
    assert env["REMOTE_ADDR"] == "127.0.0.1" and env["REMOTE_PORT"] == "0"


def test_upstream_connections_are_kept_alive(front):
    url, stack = front
    assert curl("--http2", url + "/").stdout == b"hello"
    first = tandem_peers(stack)
    assert first, "no connection from nginx to tandem-proxy"
    for _ in range(3):
        r = curl("--http2", url + "/", url + "/", url + "/")
        assert r.stdout == b"hello" * 3
    # Nine more requests, one after another, on the connection nginx kept.
    assert tandem_peers(stack) == first


def tandem_peers(stack):
    """Peer ports of the established TCP connections to tandem-proxy."""
    peers = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            local, remote, state = line.split()[1:4]
            if state == "01" and int(local.split(":")[1], 16) == stack.port:
                peers.add(int(remote.split(":")[1], 16))
    return peers
