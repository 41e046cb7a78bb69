"""test_frameworks.py: Flask and Django from Debian serve pages unmodified."""
import json

import pytest

from harness import Stack, curl


@pytest.fixture(scope="module")
def flask_stack(certs):
    s = Stack(app="flask_app:app", workers=1, tls=certs)
    yield s
    s.close()


@pytest.fixture(scope="module")
def django_stack(certs):
    s = Stack(app="djsite.wsgi:application", workers=1, tls=certs)
    yield s
    s.close()


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
def test_flask(flask_stack, proto):
    assert curl(proto, flask_stack.url + "/").stdout == b"flask says hi"
    r = curl(proto, "-H", "Content-Type: application/json", "--data", '{"a": [1, 2]}',
             flask_stack.url + "/json")
    assert json.loads(r.stdout) == {"got": {"a": [1, 2]}, "method": "POST", "scheme": "https"}
    r = curl(proto, flask_stack.url + "/item/42?q=x%20y")
    assert json.loads(r.stdout) == {"n": 42, "q": "x y"}
    r = curl(proto, "-o", "/dev/null", "-w", "%{http_code}", flask_stack.url + "/missing")
    assert r.stdout == b"404"


@pytest.mark.parametrize("proto", ["--http2", "--http1.1"])
def test_django(django_stack, proto):
    assert curl(proto, django_stack.url + "/").stdout == b"django says hi"
    r = curl(proto, django_stack.url + "/info/?q=1")
    assert json.loads(r.stdout) == {"path": "/info/", "secure": True, "q": "1",
                                    "host": "127.0.0.1:%d" % django_stack.port}
