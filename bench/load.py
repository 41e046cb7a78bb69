"""load.py: the load generator side: h2load (one thread, timed runs with a
warm-up) and what its output means -- throughput from the requests that got
a 2xx/3xx, failures of every kind, and latency percentiles from its per-request
log at a fixed rate."""
import math
import os
import re
import subprocess
import tempfile

_STATUS = re.compile(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")
_TLS = re.compile(r"TLS Protocol: (\S+)\nCipher: (\S+)")
_REQUESTS = re.compile(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                       r"(\d+) failed, (\d+) errored, (\d+) timeout")


class LoadError(RuntimeError):
    pass


def parse(out, seconds):
    """h2load's summary of a run measured over seconds: {'succeeded', 'failed',
    'rps', 'tls'}.  rps counts only 2xx/3xx answers (h2load's own req/s also
    counts 4xx/5xx, and a server answering 503 fast must not look fast) over
    the measured time ("finished in" also counts the warm-up).  failed counts
    non-2xx/3xx answers, errors and timeouts."""
    req = _REQUESTS.search(out)
    if not req:
        raise LoadError("h2load output not understood:\n" + out[-3000:])
    done, succeeded = int(req.group(3)), int(req.group(4))
    failed, errored, timeout = int(req.group(5)), int(req.group(6)), int(req.group(7))
    status = _STATUS.search(out)
    unseen = bool(status) and done > 0 and sum(int(g) for g in status.groups()) == 0
    if unseen:
        # h2load records a status only from a non-empty reason phrase, and
        # "HTTP/1.1 200 " (Hypercorn's h11) has none: complete answers without
        # errors are then counted as answered, and the result says so.
        succeeded, failed = done - errored, errored
    tls = _TLS.search(out)
    return {"succeeded": succeeded, "failed": failed + timeout, "rps": succeeded / float(seconds),
            "status_unseen": unseen, "tls": "%s %s" % tls.groups() if tls else None}


def run(url, args, seconds, warmup=1, log_file=None):
    """One timed h2load run against url; returns parse() plus 'raw'."""
    cmd = ["h2load", "-t", "1", "-D", str(seconds), "--warm-up-time=%d" % warmup] + list(args)
    if log_file:
        cmd.append("--log-file=" + log_file)
    cmd.append(url)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=seconds + warmup + 60)
    except subprocess.TimeoutExpired as e:
        raise LoadError("h2load did not finish within %d s: %s" % (
            seconds + warmup + 60, " ".join(cmd))) from e
    result = parse(proc.stdout, seconds)
    result["raw"] = proc.stdout
    return result


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(math.ceil(p / 100.0 * len(sorted_values))) - 1))
    return sorted_values[k]


def latency_from_log(path):
    """p50/p99 in ms of the 2xx/3xx requests in an h2load --log-file (which
    holds the measured period only, not the warm-up), and how many there were."""
    ok = []
    with open(path) as f:
        for line in f:
            parts = line.split("\t")
            if len(parts) >= 3 and 200 <= int(parts[1]) < 400:
                ok.append(int(parts[2]) / 1000.0)
    ok.sort()
    return {"p50": percentile(ok, 50), "p99": percentile(ok, 99), "measured": len(ok)}


def run_at_rate(url, args, clients, rate, seconds, warmup=1):
    """A fixed-rate run: rate requests/s in total, spread over clients (h2load's
    --rps is per client).  Returns run() plus p50/p99 (ms) and the rate
    actually served."""
    per_client = max(1, int(math.ceil(rate / float(clients))))
    fd, log = tempfile.mkstemp(prefix="bench-h2load-", suffix=".tsv")
    os.close(fd)
    try:
        result = run(url, ["-c", str(clients), "--rps", str(per_client)] + list(args),
                     seconds, warmup, log_file=log)
        result.update(latency_from_log(log))
    finally:
        os.unlink(log)
    result["target_rate"] = per_client * clients
    return result
