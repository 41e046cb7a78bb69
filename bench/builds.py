#!/usr/bin/python3
"""bench/builds.py: the same tandem workloads against two or more builds in one
session, alternating runs, medians and ratios -- the check that a change did
not slow tandem down (issue 11's reshape, issue 12's WSGI path).

usage: bench/builds.py [--runs 3] [--seconds 10] NAME=BUILD_DIR [NAME=BUILD_DIR ...]

Each build serves contrib/examples/hello.py with `tandem` (TLS, dev cert),
2 gthread workers x 4 threads and 2 sync workers, on a loopback port; h2load
drives "hello h2" (32 conns x 16 streams) and "hello HTTP/1.1" (64 conns).
Measures, does not assert: the numbers are for a person to read."""
import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP_DIR = os.path.join(ROOT, "contrib", "examples")

SCENARIOS = [
    ("hello h2 32x16", ["-c", "32", "-m", "16"]),
    ("hello h1.1 64", ["-c", "64", "--h1"]),
]
WORKERS = [
    ("gthread 2x4", ["-w", "2", "-k", "gthread", "--threads", "4"]),
    ("sync 2", ["-w", "2", "-k", "sync"]),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("tandem exited: %s" % proc.stdout.read().decode(errors="replace"))
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("tandem did not listen on %d within %d s" % (port, timeout))


def start(build, workers, certs):
    port = free_port()
    cmd = [os.path.join(build, "front", "tandem"), "-b", "127.0.0.1:%d" % port,
           "--certfile", certs[0], "--keyfile", certs[1], "--log-level", "warning",
           "--chdir", APP_DIR] + workers + ["hello:app"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_port(port, proc)
    return proc, port


def h2load(port, args, seconds):
    cmd = ["h2load", "-t", "1", "-D", str(seconds), "--warm-up-time=1"] + args + \
          ["https://127.0.0.1:%d/" % port]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    m = re.search(r"finished in .*?, ([\d.]+) req/s", out)
    ok = re.search(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed", out)
    if not m or not ok:
        raise RuntimeError("h2load output not understood:\n" + out)
    return float(m.group(1)), int(ok.group(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("builds", nargs="+", help="NAME=BUILD_DIR")
    a = ap.parse_args()
    builds = [b.split("=", 1) for b in a.builds]
    certs_dir = tempfile.mkdtemp(prefix="tandem-bench-")
    subprocess.run([os.path.join(ROOT, "contrib", "dev", "devcert"), certs_dir], check=True,
                   capture_output=True)
    certs = (os.path.join(certs_dir, "cert.pem"), os.path.join(certs_dir, "key.pem"))
    results = {}
    for wname, wargs in WORKERS:
        for sname, sargs in SCENARIOS:
            for run in range(a.runs):
                for bname, bdir in builds:      # alternate builds run by run
                    proc, port = start(bdir, wargs, certs)
                    try:
                        rps, failed = h2load(port, sargs, a.seconds)
                    finally:
                        proc.send_signal(signal.SIGTERM)
                        proc.wait(30)
                    results.setdefault((wname, sname, bname), []).append(rps)
                    print("%-12s %-16s %-10s run %d: %9.0f req/s%s" % (
                        wname, sname, bname, run + 1, rps,
                        "  (%d failed)" % failed if failed else ""), flush=True)
    print()
    base = builds[0][0]
    print("%-12s %-16s " % ("workers", "scenario") +
          " ".join("%14s" % b for b, _ in builds) + "   ratio to %s" % base)
    for wname, _ in WORKERS:
        for sname, _ in SCENARIOS:
            meds = [statistics.median(results[(wname, sname, b)]) for b, _ in builds]
            print("%-12s %-16s " % (wname, sname) + " ".join("%14.0f" % m for m in meds) +
                  "   " + " ".join("%.3f" % (m / meds[0]) for m in meds[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
