"""test_gevent.py: the gevent worker class (-k gevent): WSGI apps written for
gevent, each stream a greenlet, capped by --worker-connections, through the
real proxy over HTTP/2 and HTTP/1.1."""
import hashlib
import os
import time

import pytest

from harness import Stack, curl, run, wait_for

PROTOS = ["--http2", "--http1.1"]
MIB = 1024 * 1024
# greenlet switches stacks by copying raw stack slices with memcpy, ASan's
# redzones included: under the sanitizers, memcpy is left unchecked for the
# gevent worker only (every other check stays on).
ENV = ({"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":replace_intrin=0"}
       if os.environ.get("TANDEM_SANITIZED") else {})


@pytest.fixture(scope="module")
def green(certs):
    s = Stack(app="gevent_app:app", workers=1, appd_args=["-k", "gevent"], tls=certs, env=ENV)
    yield s
    s.close()


@pytest.mark.parametrize("proto", PROTOS)
def test_hello_and_patched(green, proto):
    assert curl(proto, green.url + "/").stdout == b"hello from gevent"
    assert curl(proto, green.url + "/patched").stdout == b"True True"


@pytest.mark.parametrize("proto", PROTOS)
def test_body_in_and_out_10mib(green, proto, tmp_path):
    data = os.urandom(10 * MIB)
    src = tmp_path / "in"
    src.write_bytes(data)
    r = curl(proto, "--data-binary", "@%s" % src, green.url + "/sha", timeout=120)
    assert r.stdout == b"%s %d" % (hashlib.sha256(data).hexdigest().encode(), len(data))
    out = tmp_path / "out"
    curl(proto, "-o", str(out), green.url + "/stream?n=%d" % (10 * MIB + 3), timeout=120)
    assert out.read_bytes() == b"y" * (10 * MIB + 3)


@pytest.mark.parametrize("path", ["/sleep", "/gsleep"])
def test_sleepers_share_one_worker(green, path):
    t0 = time.monotonic()
    r = run(["h2load", "-n", "200", "-c", "2", "-m", "100", green.url + path + "?s=1"],
            timeout=60)
    took = time.monotonic() - t0
    out = r.stdout.decode()
    assert "200 succeeded" in out and "200 2xx" in out, out
    assert took < 8, took


def test_worker_connections_caps_the_greenlets(certs):
    s = Stack(app="gevent_app:app", workers=1, tls=certs, env=ENV,
              appd_args=["-k", "gevent", "--worker-connections", "5"])
    try:
        wait_for(lambda: "capacity 5" in s.proxy.output(), 10, "the worker's HELLO")
        t0 = time.monotonic()
        r = run(["h2load", "-n", "10", "-c", "1", "-m", "10", s.url + "/sleep?s=1"], timeout=60)
        took = time.monotonic() - t0
        assert "10 succeeded" in r.stdout.decode(), r.stdout
        assert took >= 1.9, took  # two rounds of five
    finally:
        s.close()
