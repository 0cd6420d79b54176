#!/usr/bin/env python3
"""Draws DIR/chart.svg from the JSON that bench.py wrote in DIR (echo.json, det.json, files.json).

  chart.py DIR

Horizontal bar panels, one row per server: echo throughput per scenario (median, with the
min-max of the repetitions as a whisker), server CPU per message, user-space instructions per
message and system calls per message, and file-read IOPS. Plain SVG, no dependencies.
"""
import json
import os
import sys
from xml.sax.saxutils import escape

COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2"]
WIDTH = 980
LABEL_W = 170
BAR_W = 640
ROW_H = 13


def load(d, name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def fmt_num(v):
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e4:
        return f"{v / 1e3:.0f}k"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def panel(y, title, rows, series, unit, highlight=("corio",)):
    """rows: [(label, [value or None per series], [(lo, hi) or None per series])]."""
    out = []
    vmax = max((v for _, vals, _ in rows for v in vals if v), default=1) or 1
    for _, _, whisk in rows:
        for w in whisk:
            if w:
                vmax = max(vmax, w[1])
    out.append(f'<text x="10" y="{y + 16}" class="title">{escape(title)}</text>')
    # legend
    lx = LABEL_W + 10
    if len(series) > 1:
        for i, s in enumerate(series):
            out.append(f'<rect x="{lx}" y="{y + 24}" width="10" height="10" fill="{COLORS[i % len(COLORS)]}"/>')
            out.append(f'<text x="{lx + 14}" y="{y + 33}" class="small">{escape(s)}</text>')
            lx += 14 + 7 * len(s) + 18
    y += 42
    group_h = ROW_H * len(series) + 8
    for label, vals, whisk in rows:
        cls = "label bold" if any(label.startswith(h) for h in highlight) else "label"
        out.append(f'<text x="{LABEL_W - 8}" y="{y + group_h / 2 + 2}" text-anchor="end" class="{cls}">'
                   f'{escape(label)}</text>')
        for i, v in enumerate(vals):
            by = y + i * ROW_H
            if v is None:
                out.append(f'<text x="{LABEL_W + 4}" y="{by + ROW_H - 3}" class="small">n/a</text>')
                continue
            w = BAR_W * v / vmax
            out.append(f'<rect x="{LABEL_W}" y="{by}" width="{w:.1f}" height="{ROW_H - 2}" '
                       f'fill="{COLORS[i % len(COLORS)]}"/>')
            wk = whisk[i] if i < len(whisk) else None
            if wk:
                x0, x1 = LABEL_W + BAR_W * wk[0] / vmax, LABEL_W + BAR_W * wk[1] / vmax
                cy = by + (ROW_H - 2) / 2
                out.append(f'<line x1="{x0:.1f}" y1="{cy}" x2="{x1:.1f}" y2="{cy}" class="whisker"/>')
                out.append(f'<line x1="{x1:.1f}" y1="{cy - 3}" x2="{x1:.1f}" y2="{cy + 3}" class="whisker"/>')
                w = max(w, x1 - LABEL_W)
            out.append(f'<text x="{LABEL_W + w + 4:.1f}" y="{by + ROW_H - 3}" class="small">'
                       f'{fmt_num(v)}{escape(unit)}</text>')
        y += group_h
        out.append(f'<line x1="{LABEL_W}" y1="{y - 4}" x2="{LABEL_W + BAR_W}" y2="{y - 4}" class="sep"/>')
    return out, y + 10


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "bench/results"
    echo, det, files = load(d, "echo.json"), load(d, "det.json"), load(d, "files.json")
    body = []
    y = 10
    subtitle = ""
    if echo:
        m = echo.get("meta", {})
        subtitle = (f"{m.get('when', '')}, kernel {m.get('kernel', '')}, {m.get('cpus', '?')} CPUs; server on CPU 0, "
                    f"load generator on CPU 1; median of {m.get('reps', '?')} interleaved runs of {m.get('duration_s', '?')} s")
        scen = list(echo["summary"].keys())
        servers = list(next(iter(echo["summary"].values())).keys())

        def rows_for(key, whisk=False, scen=scen):
            rows = []
            for s in servers:
                vals, wk = [], []
                for sc in scen:
                    r = echo["summary"][sc].get(s, {})
                    vals.append(r.get(key))
                    wk.append((r["msgs_per_s_min"], r["msgs_per_s_max"]) if whisk and "msgs_per_s_min" in r else None)
                rows.append((s, vals, wk))
            return rows

        free = [sc for sc in scen if " at " not in sc]  # paced scenarios deliver the same rate everywhere
        p, y = panel(y, "Echo throughput, messages/s (higher is better)", rows_for("msgs_per_s", True, free), free, "")
        body += p
        p, y = panel(y, "Server CPU time per message, µs (lower is better)", rows_for("server_cpu_us_per_msg"), scen, " µs")
        body += p
    if det:
        wls = det["workloads"]
        names = list(wls[0]["servers"].keys()) if wls else []
        series = [f"{w['conns']} x {w['size']} B" for w in wls]
        rows = [(n, [w["servers"].get(n, {}).get("instructions_per_msg") for w in wls], [None] * len(wls))
                for n in names]
        p, y = panel(y, f"User-space instructions per echo (callgrind, {det['messages']:,} echoes; lower is better)",
                     rows, series, "")
        body += p
        rows = [(n, [w["servers"].get(n, {}).get("syscalls_per_msg") for w in wls], [None] * len(wls))
                for n in names]
        p, y = panel(y, f"System calls per echo ({det['syscall_messages']:,} echoes; lower is better)", rows, series, "")
        body += p
    if files:
        labels = []
        for r in files["runs"]:
            if r["label"] not in labels:
                labels.append(r["label"])
        qds = sorted({r["qd"] for r in files["runs"]})
        rows = []
        for lb in labels:
            vals = []
            for qd in qds:
                r = next((r for r in files["runs"] if r["label"] == lb and r["qd"] == qd and "iops" in r), None)
                vals.append(r["iops"] if r else None)
            rows.append((lb, vals, [None] * len(qds)))
        p, y = panel(y, f"4 KiB random reads, {files['file_mib']} MiB page-cached file, IOPS (higher is better)",
                     rows, [f"QD{q}" for q in qds], "")
        body += p
    height = y + 20
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">',
           "<style>.title{font-size:14px;font-weight:bold}.label{font-size:11px}.bold{font-weight:bold}"
           ".small{font-size:10px;fill:#333}.whisker{stroke:#222;stroke-width:1}.sep{stroke:#ddd}</style>",
           f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
           f'<text x="10" y="{height - 8}" class="small">corio bench/results — {escape(subtitle)}</text>']
    svg += body
    svg.append("</svg>")
    with open(os.path.join(d, "chart.svg"), "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
