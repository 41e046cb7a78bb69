"""test_bench_harness.py: bench/run itself works -- not a benchmark, so no
timed assertion: a quick run of one tandem stack prints its table with the
row and a positive number, writes the table, chart and raw runs, and the C
idle-connection holder gets its connections held and measured."""
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from harness import BUILD, ROOT

RUN = os.path.join(ROOT, "bench", "run")
ROW = "| tandem, 2 gthread workers x 4 threads |"

pytestmark = pytest.mark.skipif(shutil.which("h2load") is None,
                                reason="h2load (Debian's nghttp2-client) is not installed")


def bench(tmp_path, *args):
    r = subprocess.run([sys.executable, RUN, "--quick", "--no-install", "--tandem-build", BUILD,
                        "--out-dir", str(tmp_path), "--only", "tandem-gthread"] + list(args),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [line for line in r.stdout.splitlines() if line.startswith(ROW)]
    assert len(rows) == 2, r.stdout  # the medians, then every run
    return r.stdout, rows[0].split("|")[2].strip()


def test_quick_hello_h2_prints_the_row_with_a_positive_rate(tmp_path):
    out, cell = bench(tmp_path, "--scenario", "hello-h2", "--seconds", "2")
    m = re.match(r"([\d.]+)(k?) ", cell + " ")
    assert m and float(m.group(1)) > 0, cell
    assert "hello h2, 32 conns x 16 streams" in out
    assert (tmp_path / "partial.md").read_text().strip() == out.strip()
    assert ET.parse(str(tmp_path / "partial.svg")).getroot().tag.endswith("svg")
    raw = json.loads((tmp_path / "partial.json").read_text())
    assert raw["results"]["tandem-gthread"]["hello-h2"][0]["value"] > 0


@pytest.mark.skipif(resource.getrlimit(resource.RLIMIT_NOFILE)[1] < 4096,
                    reason="1,000 held connections need RLIMIT_NOFILE >= 4096")
def test_quick_idle_run_holds_the_connections_and_charges_them(tmp_path):
    out, cell = bench(tmp_path, "--scenario", "idle-1k")
    m = re.match(r"([\d.]+) KiB", cell)
    assert m and float(m.group(1)) > 0, cell
    runs = json.loads((tmp_path / "partial.json").read_text())["results"]["tandem-gthread"]
    assert runs["idle-1k"][0]["held"] == 1000
