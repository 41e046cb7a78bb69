"""test_idle_memory.py: what an idle h2 TLS connection costs the proxy
(issue 15): TLS record buffers and nghttp2's frame buffer go back while
the connection is idle.  500 connections held by bench/idle-holder (one
GET each, then idle), the proxy's RSS growth per connection under a bound
(51 KiB before the release of those buffers, about 27 KiB after)."""
import os
import shutil
import subprocess
import time

import pytest

from fake_stack import FakeStack
from harness import BUILD, rss_kib

HOLDER = os.path.join(BUILD, "bench", "idle-holder")

pytestmark = [
    pytest.mark.skipif(os.environ.get("TANDEM_SANITIZED") is not None,
                       reason="ASan's quarantine and shadow memory make RSS say nothing"),
    pytest.mark.skipif(shutil.which("h2load") is None or not os.path.exists(HOLDER),
                       reason="needs h2load and bench/idle-holder"),
]

COUNT = 500


def test_idle_h2_tls_connection_is_cheap(certs):
    s = FakeStack(tls=certs, proxy_args=["--threads", "1", "--http2-idle-timeout", "600"])
    holder = None
    try:
        # Warm up: the allocator's arenas and OpenSSL's tables exist before we measure.
        subprocess.run(["h2load", "-n", "2000", "-c", "8", "-m", "4", s.url + "/"],
                       capture_output=True, timeout=120, check=True)
        before = rss_kib(s.proxy.pid)[0]
        holder = subprocess.Popen([HOLDER, str(s.port), str(COUNT)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        opened = holder.stdout.readline().split()
        assert opened[:2] == ["opened", str(COUNT)] and opened[3] == "0", opened
        holder.stdin.write("alive\n")
        holder.stdin.flush()
        alive = int(holder.stdout.readline().split()[1])
        assert alive == COUNT
        # A connection gives its buffers back after a second idle: wait for it, bounded.
        deadline = time.monotonic() + 15
        while True:
            per_conn = (rss_kib(s.proxy.pid)[0] - before) / alive
            if per_conn < 36 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert per_conn < 36, "%.1f KiB per idle h2 TLS connection" % per_conn
    finally:
        if holder:
            holder.stdin.close()
            holder.wait(30)
        s.close()
