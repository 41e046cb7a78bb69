"""report.py: the run's results as Markdown: one table (rows: stacks, columns:
workloads, medians; tandem's cells carry their ratio to nginx+uWSGI and to
the nginx ceiling), then failures, every run's value, versions and the machine."""
import math
import statistics

LOWER_IS_BETTER = ("latency", "idle")


def cell_value(runs, sc):
    """The median that stands for a cell, or None."""
    vals = [r["p99"] if sc.kind == "latency" else r["value"] for r in runs]
    vals = [v for v in vals if not math.isnan(v)]
    return statistics.median(vals) if vals else None


def _median(runs, key):
    vals = [r[key] for r in runs if not math.isnan(r[key])]
    return statistics.median(vals) if vals else float("nan")


def fmt_number(v, sc):
    if sc.unit == "req/s":
        return "%.1fk" % (v / 1000.0) if v >= 1000 else "%.0f" % v
    if sc.unit == "MiB/s":
        return "%.0f MiB/s" % v
    if sc.unit == "KiB":
        return "%.1f KiB" % v
    return "%.2f ms" % v


def _ratio(v, ref):
    return "%.2fx" % (v / ref) if v and ref else "-"


def _references(results, stacks, sc):
    """The better nginx+uWSGI median and the ceiling's, for tandem's ratios."""
    pick = min if sc.kind in LOWER_IS_BETTER else max
    uwsgi = [cell_value(results[s.name][sc.name], sc) for s in stacks
             if s.kind == "uwsgi" and results.get(s.name, {}).get(sc.name)]
    uwsgi = [v for v in uwsgi if v]
    ceiling = [cell_value(results[s.name][sc.name], sc) for s in stacks
               if s.kind == "ceiling" and results.get(s.name, {}).get(sc.name)]
    return (pick(uwsgi) if uwsgi else None), (ceiling[0] if ceiling else None)


def cell_text(stack, sc, runs, refs):
    v = cell_value(runs, sc)
    if v is None:
        return "no answer"
    if sc.kind == "latency":
        text = "%.2f / %.2f ms" % (_median(runs, "p50"), v)
        served = _median(runs, "served")
        if served < 0.95:
            text += " (served %.0f%% of the rate)" % (100 * served)
    elif sc.kind == "idle":
        held = min(r["held"] for r in runs)
        text = fmt_number(v, sc)
        if held < sc.count:
            text = "holds %s: %s" % (format(held, ","), text)
    else:
        text = fmt_number(v, sc)
    if stack.kind in ("tandem", "scaling"):
        text += " (%s / %s)" % (_ratio(v, refs[0]), _ratio(v, refs[1]))
    if any(r.get("status_unseen") for r in runs):
        text += " (status unseen)"
    failed = sum(r["failed"] for r in runs)
    if failed and sc.kind != "idle":
        text += " **%s failed**" % format(failed, ",")
    return text


def _column_head(sc, latency_rate):
    if sc.kind == "latency" and latency_rate:
        return "p50 / p99 at %s req/s (half tandem's peak; hello h2, 16 conns)" % format(
            int(latency_rate), ",")
    return sc.column


def main_table(results, errors, stacks, scenarios, latency_rate):
    cols = [sc for sc in scenarios if any(results.get(s.name, {}).get(sc.name) for s in stacks)]
    lines = ["| stack | " + " | ".join(_column_head(sc, latency_rate) for sc in cols) + " |",
             "|---|" + "---|" * len(cols)]
    for st in stacks:
        if st.name not in results and st.name not in errors:
            continue
        cells = []
        for sc in cols:
            runs = results.get(st.name, {}).get(sc.name)
            if runs:
                cells.append(cell_text(st, sc, runs, _references(results, stacks, sc)))
            elif (st.name, sc.name) in errors or (st.name, None) in errors:
                cells.append("error")
            else:
                cells.append("-")
        lines.append("| %s | %s |" % (st.label, " | ".join(cells)))
    return "\n".join(lines), cols


def failures_table(results, stacks, cols):
    rows = []
    for st in stacks:
        counts = [sum(r["failed"] for r in results.get(st.name, {}).get(sc.name, []))
                  for sc in cols if sc.kind != "idle"]
        if any(counts):
            rows.append("| %s | %s |" % (st.label, " | ".join(str(c) for c in counts)))
    if not rows:
        return "Failed requests: 0 in every scenario and run."
    head = [sc.column for sc in cols if sc.kind != "idle"]
    return "\n".join(["Failed requests (non-2xx/3xx answers, errors and timeouts, summed over "
                      "runs):", "", "| stack | " + " | ".join(head) + " |",
                      "|---|" + "---|" * len(head)] + rows)


def _run_value(r, sc):
    if sc.kind == "latency":
        return "%.2f/%.2f" % (r["p50"], r["p99"])
    if sc.kind == "idle":
        held = "" if r["held"] == sc.count else " (%d held)" % r["held"]
        return "%.1f%s" % (r["value"], held)
    return fmt_number(r["value"], sc)


def runs_table(results, stacks, cols):
    lines = ["| stack | " + " | ".join(sc.name for sc in cols) + " |", "|---|" + "---|" * len(cols)]
    for st in stacks:
        if st.name not in results:
            continue
        cells = [", ".join(_run_value(r, sc) for r in results[st.name].get(sc.name, [])) or "-"
                 for sc in cols]
        lines.append("| %s | %s |" % (st.label, " | ".join(cells)))
    return "\n".join(lines)


LEGEND = """Each cell is the median of the runs.  Throughput counts only 2xx/3xx
answers.  In tandem's rows, `(A / B)`: A is the ratio to the better of the two
nginx+uWSGI rows in that column, B the ratio to the nginx ceiling (higher is
better for throughput; for latency and memory the ratio is tandem's value over
theirs, so lower is better).  `-`: the stack does not serve that workload (no
Python behind nginx `return 200` for POST; Debian's Gunicorn has no h2; h2o
only serves the static 1 MiB file and holds idle connections).  Idle memory is
the growth of the RSS of the stack's whole process tree divided by the
connections still open 2 s after the last one was made; `holds N` when the
server kept fewer than asked.  `(status unseen)`: h2load could not read the
status because the status line has no reason phrase (Hypercorn's HTTP/1.1);
complete answers without errors were counted."""


def _error_key(item):
    (stack, scenario), _ = item
    return stack, scenario or ""


def markdown(results, errors, stacks, scenarios, meta):
    table, cols = main_table(results, errors, stacks, scenarios, meta.get("latency_rate"))
    out = ["# tandem beside its peers", "",
           "%s, %s.  %d run%s per cell, medians; throughput runs %d s after a %d s warm-up; "
           "h2load with one thread; TLS on loopback with a dev certificate." % (
               meta["date"], meta["mode"], meta["runs"], "s" if meta["runs"] > 1 else "",
               meta["seconds"], meta["warmup"]),
           "", table, "", LEGEND, "", failures_table(results, stacks, cols), ""]
    if errors:
        out += ["Errors:", ""] + ["- %s%s: %s" % (s, " / " + sc if sc else "", msg.splitlines()[0])
                                  for (s, sc), msg in sorted(errors.items(), key=_error_key)]
        out.append("")
    out += ["## Every run", "", runs_table(results, stacks, cols), "",
            "## Machine and versions", ""]
    out += ["- %s" % m for m in meta["machine"]]
    out += ["- %s %s" % (p, v) for p, v in meta["versions"]]
    out += ["- whole run: %s (`%s`)" % (meta["elapsed"], meta["command"]), ""]
    return "\n".join(out)


def scaling_section(results, stacks, scaling, sc):
    """tandem gthread on 1 and 2 workers x 1 and 2 proxy threads, hello h2."""
    rows = [(st, results[st.name][sc.name]) for st in scaling
            if results.get(st.name, {}).get(sc.name)]
    if not rows:
        return ""
    refs = _references(results, stacks, sc)
    return "\n".join([
        "", "## Scaling: tandem on 1 and 2 workers, 1 and 2 proxy threads", "",
        "%s; gthread workers with 4 threads each, ratios as above.  `--proxy-threads` "
        "defaults to the number of cores (2 here), so \"2 workers, 2 proxy threads\" is the "
        "main table's gthread configuration measured in runs of its own: the gap between the "
        "two shows the noise." % sc.column, "",
        "| configuration | %s |" % sc.column, "|---|---|"] +
        ["| %s | %s |" % (st.label, cell_text(st, sc, runs, refs)) for st, runs in rows]) + "\n"
