"""test_statsd.py: --statsd-host through the real daemons, received on a UDP
socket the test listens on: Gunicorn's metric names, types and values from
the proxy (requests, durations, statuses, its own answers included), the
prefix and dogstatsd tags, and tandem-appd's gunicorn.workers gauge and
gunicorn.log.* counters."""
import collections
import contextlib
import os
import re
import signal
import socket

from harness import Stack, curl, wait_for


@contextlib.contextmanager
def listening():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


class Metrics:
    """Every metric line received, parsed."""

    def __init__(self, sock):
        self.sock = sock
        self.lines = []

    def receive(self):
        while True:
            try:
                datagram = self.sock.recv(65536).decode()
            except BlockingIOError:
                return self
            assert len(datagram) <= 1432
            self.lines += datagram.split("\n")

    def parsed(self, prefix="", tags=""):
        out = []
        suffix = "|#" + tags if tags else ""
        for line in self.lines:
            assert line.endswith(suffix), line
            body = line[:len(line) - len(suffix)]
            name, rest = body.split(":", 1)
            assert name.startswith(prefix), line
            value, kind = rest.split("|", 1)
            out.append((name[len(prefix):], value, kind))
        return out

    def counts(self, prefix="", tags=""):
        c = collections.Counter()
        for name, value, kind in self.parsed(prefix, tags):
            if kind == "c|@1.0":
                c[name] += int(value)
        return c


def test_proxy_request_metrics():
    with listening() as sock:
        port = sock.getsockname()[1]
        s = Stack(workers=1, proxy_args=["--statsd-host", "127.0.0.1:%d" % port,
                                         "--statsd-prefix", "shop", "--dogstatsd-tags",
                                         "env:test,team:web", "--limit-request-line", "64"])
        try:
            for _ in range(3):
                curl(s.url + "/")
            curl(s.url + "/status?code=404")
            curl(s.url + "/" + "x" * 100, check=False)  # 414 from the proxy
            m = Metrics(sock)
            wait_for(lambda: m.receive().counts("shop.", "env:test,team:web")
                     ["gunicorn.requests"] >= 5, 10, "five requests counted")
        finally:
            s.close()
    parsed = m.parsed("shop.", "env:test,team:web")
    counts = m.counts("shop.", "env:test,team:web")
    assert counts["gunicorn.requests"] == 5
    assert counts["gunicorn.request.status.200"] == 3
    assert counts["gunicorn.request.status.404"] == 1
    assert counts["gunicorn.request.status.414"] == 1
    durations = [v for name, v, kind in parsed if name == "gunicorn.request.duration"]
    assert len(durations) == 5
    assert all(kind == "ms" for name, v, kind in parsed if name == "gunicorn.request.duration")
    assert all(re.fullmatch(r"\d+\.\d{1,3}", v) and float(v) < 5000 for v in durations)
    assert {kind for name, v, kind in parsed} <= {"ms", "c|@1.0"}


def test_appd_workers_gauge_and_log_counters():
    with listening() as sock:
        port = sock.getsockname()[1]
        s = Stack(workers=2, appd_args=["--statsd-host", "127.0.0.1:%d" % port])
        try:
            m = Metrics(sock)
            wait_for(lambda: ("gunicorn.workers", "2", "g") in m.receive().parsed(), 20,
                     "gunicorn.workers:2|g")
            victim = s.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)  # "Worker (pid:N) was sent SIGKILL!" is an error
            wait_for(lambda: m.receive().counts()["gunicorn.log.error"] >= 1, 20,
                     "gunicorn.log.error counted")
            # Gunicorn sends the gauge when the count changes: TTOU makes it 1.
            os.kill(s.appd.pid, signal.SIGTTOU)
            wait_for(lambda: ("gunicorn.workers", "1", "g") in m.receive().parsed(), 20,
                     "gunicorn.workers:1|g")
        finally:
            s.close()
    gauges = [v for name, v, kind in m.parsed() if name == "gunicorn.workers"]
    assert gauges == ["2", "1"], gauges
