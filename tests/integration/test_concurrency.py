"""test_concurrency.py: 100 concurrent streams per h2 connection all succeed
and are spread over every worker."""
import collections
import os
import re

from harness import Stack, run


def test_h2load_100_streams_all_workers(certs, tmp_path):
    pidlog = str(tmp_path / "pids")
    s = Stack(workers=2, appd_args=["-k", "gthread", "--threads", "4"], tls=certs,
              env={"PROBE_PIDLOG": pidlog})
    try:
        r = run(["h2load", "-n", "10000", "-c", "4", "-m", "100", s.url + "/"], timeout=120)
        out = r.stdout.decode()
        m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                      r"(\d+) failed, (\d+) errored", out)
        assert m, out
        assert m.group(4) == "10000" and m.group(5) == "0" and m.group(6) == "0", out
        assert "status codes: 10000 2xx" in out, out
        seen = collections.Counter(open(pidlog).read().split())
        assert sum(seen.values()) == 10000
        workers = set(str(p) for p in s.worker_pids())
        assert set(seen) == workers, (seen, workers)
        # each worker took a real share, not a token request
        assert min(seen.values()) > 1000, seen
    finally:
        s.close()
        if os.path.exists(pidlog):
            os.unlink(pidlog)
