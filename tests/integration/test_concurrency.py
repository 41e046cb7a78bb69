"""test_concurrency.py: every proxy thread reaches every worker, once; 100
concurrent streams per h2 connection all succeed and are spread over every
worker."""
import collections
import json
import os
import re
import subprocess

from harness import BUILD, Stack, run, wait_for

CTL = os.path.join(BUILD, "ctl", "tandemctl")


def appd_connections(stack):
    """{worker index: proxy connections the master counts for it}."""
    r = subprocess.run([CTL, "-s", stack.sock + ".ctl", "--json", "show", "workers"],
                       capture_output=True, timeout=30, check=True)
    return {w["index"]: w["connections"] for w in json.loads(r.stdout)["workers"]
            if w["state"] in ("idle", "busy")}


def wait_one_connection_per_thread(stack, workers, threads):
    want = {k: threads for k in range(1, workers + 1)}
    last = {}

    def settled():
        last["seen"] = appd_connections(stack)
        return last["seen"] == want
    try:
        wait_for(settled, 20, "%d connections on each of %d workers" % (threads, workers),
                 interval=0.1)
    except Exception:
        raise AssertionError("appd counts %s, want %s\n%s" % (last.get("seen"), want,
                                                               stack.proxy.output()[-3000:]))


def test_every_proxy_thread_reaches_every_worker_once(tmp_path):
    """Each proxy thread's HELLO asks for the worker index it lacks: the pool
    settles on one connection per worker per thread, with no spare dials.
    Handed to the least-connected worker alone, two threads dialling in turn
    kept getting the same worker back."""
    s = Stack(workers=3, appd_args=["-k", "gthread", "--threads", "2"],
              proxy_args=["--threads", "3"])
    try:
        wait_one_connection_per_thread(s, 3, 3)
    finally:
        s.close()


def test_h2load_100_streams_all_workers(certs, tmp_path):
    pidlog = str(tmp_path / "pids")
    s = Stack(workers=2, appd_args=["-k", "gthread", "--threads", "4"], tls=certs,
              env={"PROBE_PIDLOG": pidlog}, proxy_args=["--threads", "2"])
    try:
        wait_one_connection_per_thread(s, 2, 2)
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
