"""scenarios.py: the workloads of the bench (issue 15's table) and how each is
measured against a started server: throughput over a timed h2load run, latency
at a fixed rate, and the memory an idle TLS connection costs the server."""
import select
import subprocess
import sys
import time

import load



class Scenario:
    def __init__(self, name, column, unit, kind, args=(), path="/", count=0):
        self.name = name        # for --scenario
        self.column = column    # the table's column
        self.unit = unit
        self.kind = kind        # throughput, latency, idle
        self.args = list(args)
        self.path = path
        self.count = count      # idle connections to hold


SCENARIOS = [
    Scenario("hello-h2", "hello h2, 32 conns x 16 streams", "req/s", "throughput",
             ["-c", "32", "-m", "16"]),
    Scenario("hello-h1", "hello HTTP/1.1, 64 conns", "req/s", "throughput", ["--h1", "-c", "64"]),
    Scenario("stream-h2", "1 MiB over h2, 16 conns x 4 streams", "MiB/s", "throughput",
             ["-c", "16", "-m", "4"], "/stream"),
    Scenario("post-h2", "64 KiB POST over h2, 32 conns x 8 streams", "req/s", "throughput",
             ["-c", "32", "-m", "8"], "/post"),
    Scenario("latency", "p50 / p99 at half tandem's peak (hello h2, 16 conns)", "ms", "latency",
             ["-m", "16"]),
    Scenario("idle-1k", "RSS per idle TLS connection, 1,000 held", "KiB", "idle", count=1000),
    Scenario("idle-10k", "RSS per idle TLS connection, 10,000 held", "KiB", "idle", count=10000),
]
LATENCY_CLIENTS = 16
IDLE_SETTLE_SECONDS = 2.0


def by_name(name):
    for s in SCENARIOS:
        if s.name == name:
            return s
    raise KeyError(name)


def _url(server, path):
    return "https://127.0.0.1:%d%s" % (server.port, path)


def throughput(server, sc, ws, seconds, warmup):
    """Requests (or MiB: every /stream answer is 1 MiB) per second."""
    args = list(sc.args)
    if sc.name == "post-h2":
        args += ["-d", ws.post_body]
    r = load.run(_url(server, sc.path), args, seconds, warmup)
    return {"value": r["rps"], "failed": r["failed"], "tls": r["tls"],
            "status_unseen": r["status_unseen"]}


def latency(server, sc, rate, seconds, warmup):
    """p50/p99 (ms) at a fixed total rate, and the share of it served."""
    r = load.run_at_rate(_url(server, sc.path), sc.args, LATENCY_CLIENTS, rate, seconds, warmup)
    return {"p50": r["p50"], "p99": r["p99"], "failed": r["failed"],
            "served": r["measured"] / float(seconds) / r["target_rate"], "rate": r["target_rate"]}


def _readline(proc, timeout):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise RuntimeError("holder said nothing within %.0f s" % timeout)
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError("holder exited early (status %s)" % proc.wait(5))
    return line.split()


def _warm(server, h1):
    """Requests first, so what the first requests allocate once (caches,
    pools, lazy imports) is not charged to the idle connections."""
    args = ["--h1"] if h1 else ["-m", "4"]
    subprocess.run(["h2load", "-t", "1", "-n", "2000", "-c", "8"] + args + [_url(server, "/")],
                   capture_output=True, timeout=120)


def _ask(holder, line, timeout):
    holder.stdin.write(line + "\n")
    holder.stdin.flush()
    return _readline(holder, timeout)


def idle(server, scs, h1, holder_path):
    """Holds idle TLS connections with bench/idle_holder.c (h2, or HTTP/1.1
    for a server without h2), one count after the other on one server start
    (1,000, then 9,000 more), and charges the growth of the server's RSS to
    the connections still open after a pause.  Returns one result per sc."""
    scs = sorted(scs, key=lambda sc: sc.count)
    _warm(server, h1)
    time.sleep(0.5)
    base = server.rss_kib()
    # Each step is bounded: what is not up by its deadline is not held.
    deadline = 20 + (scs[-1].count - (scs[-2].count if len(scs) > 1 else 0)) // 300
    argv = [holder_path, str(server.port), ",".join(str(sc.count) for sc in scs),
            "--timeout", "10", "--deadline", str(deadline)] + (["--h1"] if h1 else [])
    holder = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    results = []
    try:
        for i, sc in enumerate(scs):
            opened = int((_ask(holder, "next", deadline + 30) if i else
                          _readline(holder, deadline + 30))[1])
            time.sleep(IDLE_SETTLE_SECONDS)
            alive = int(_ask(holder, "alive", 30)[1])
            grown = server.rss_kib() - base
            results.append({"value": grown / float(alive) if alive else float("nan"),
                            "held": alive, "opened": opened, "wanted": sc.count,
                            "failed": sc.count - alive})
    finally:
        holder.stdin.close()
        try:
            holder.wait(60)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.wait(5)
    return results


def stderr(msg):
    print(msg, file=sys.stderr, flush=True)
