"""chart.py: the table as an SVG written by hand (no plotting library): one
panel of horizontal bars per workload, tandem's bars in red, the nginx
ceiling in grey, so the README can show where tandem stands at a glance."""
from xml.sax.saxutils import escape

from report import LOWER_IS_BETTER, cell_value, fmt_number

COLORS = {"ceiling": "#9e9e9e", "uwsgi": "#4c78a8", "peer": "#72b7b2", "tandem": "#e45756",
          "scaling": "#f58518"}
PANEL_W, LABEL_W, BAR_H, GAP, HEAD_H, COLS = 470, 190, 16, 5, 40, 2


def _panel(x, y, sc, bars):
    """bars: [(short label, kind, value, note)]; returns (svg parts, height)."""
    top = max(v for _, _, v, _ in bars) or 1.0
    better = "lower is better" if sc.kind in LOWER_IS_BETTER else "higher is better"
    title = "p99 latency at half tandem's peak (hello h2, 16 conns)" \
        if sc.kind == "latency" else sc.column
    parts = ['<text x="%d" y="%d" class="t">%s</text>' % (x, y + 16, escape(title)),
             '<text x="%d" y="%d" class="s">%s, %s</text>' % (x, y + 31, escape(sc.unit), better)]
    span = PANEL_W - LABEL_W - 90
    for i, (label, kind, v, note) in enumerate(bars):
        by = y + HEAD_H + i * (BAR_H + GAP)
        w = max(1, int(span * v / top))
        parts.append('<text x="%d" y="%d" class="l">%s</text>' % (
            x + LABEL_W - 6, by + BAR_H - 4, escape(label)))
        parts.append('<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>' % (
            x + LABEL_W, by, w, BAR_H, COLORS.get(kind, "#888")))
        parts.append('<text x="%d" y="%d" class="v">%s</text>' % (
            x + LABEL_W + w + 4, by + BAR_H - 4, escape(fmt_number(v, sc) + note)))
    return parts, HEAD_H + len(bars) * (BAR_H + GAP) + 20


def svg(results, stacks, scenarios, subtitle):
    panels = []
    for sc in scenarios:
        bars = []
        for st in stacks:
            runs = results.get(st.name, {}).get(sc.name)
            v = cell_value(runs, sc) if runs else None
            if v is not None:
                held = min(r["held"] for r in runs) if sc.kind == "idle" else sc.count
                note = ", holds %s" % format(held, ",") if held < sc.count else ""
                bars.append((st.short, st.kind, v, note))
        if bars:
            panels.append((sc, bars))
    body, heights = [], []
    y0 = 50
    for row_start in range(0, len(panels), COLS):
        row = panels[row_start:row_start + COLS]
        h = 0
        for k, (sc, bars) in enumerate(row):
            parts, ph = _panel(10 + k * PANEL_W, y0, sc, bars)
            body += parts
            h = max(h, ph)
        y0 += h
        heights.append(h)
    width, height = 20 + COLS * PANEL_W, y0 + 10
    head = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
            'viewBox="0 0 %d %d" font-family="sans-serif">' % (width, height, width, height),
            '<style>.t{font-size:13px;font-weight:bold}.s{font-size:11px;fill:#555}'
            '.l{font-size:11px;text-anchor:end}.v{font-size:11px}</style>',
            '<rect width="100%" height="100%" fill="white"/>',
            '<text x="10" y="22" class="t">tandem beside its peers</text>',
            '<text x="10" y="38" class="s">%s</text>' % escape(subtitle)]
    return "\n".join(head + body + ["</svg>", ""])
