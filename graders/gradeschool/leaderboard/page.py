"""The leaderboard as one self-contained static HTML page: inline CSS, inline JavaScript
for sorting, an inline SVG chart of points over time; nothing is fetched from anywhere.
Only pseudonyms appear (never a submission's path or a real name)."""

from __future__ import annotations

import html
import math
from datetime import UTC, datetime

from gradeschool.leaderboard.render import fmt_points, fmt_speed
from gradeschool.leaderboard.store import Entry

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22"]

CSS = """
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --hl: #fff4c2; --head: #f3f5f9; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { margin: 0 0 .2rem; font-size: 1.6rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
.meta { color: var(--muted); margin: 0 0 1.2rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: .45rem .6rem; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th.text, td.text { text-align: left; }
thead th { background: var(--head); cursor: pointer; user-select: none; position: sticky; top: 0; }
thead th:hover { background: #e6eaf2; }
thead th .arrow { color: var(--muted); font-size: .8em; margin-left: .25rem; }
tbody tr:hover { background: #f8f9fc; }
tr.highlight, tr.highlight:hover { background: var(--hl); font-weight: 600; }
tr.highlight td:first-child { box-shadow: inset 4px 0 0 #e0a800; }
.muted { color: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: .4rem 1rem; margin: .4rem 0 0; color: var(--muted); }
.legend span::before { content: ""; display: inline-block; width: .8em; height: .8em; margin-right: .3em;
                       border-radius: 50%; background: var(--c); vertical-align: -.05em; }
svg text { font: 12px system-ui, sans-serif; fill: var(--muted); }
footer { color: var(--muted); margin-top: 2rem; font-size: .85rem; }
"""

JS = """
(function () {
  var table = document.getElementById("board");
  var heads = table.tHead.rows[0].cells;
  function value(row, i, numeric) {
    var v = row.cells[i].getAttribute("data-value");
    if (!numeric) return v.toLowerCase();
    return v === "" ? null : parseFloat(v);
  }
  function sortBy(i, dir) {
    var numeric = heads[i].getAttribute("data-type") === "number";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, i, numeric), y = value(b, i, numeric);
      if (x === y) return value(a, 0, true) - value(b, 0, true);
      if (x === null) return 1;            /* no value: always last */
      if (y === null) return -1;
      return (x < y ? -1 : 1) * (dir === "ascending" ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var j = 0; j < heads.length; j++) {
      heads[j].setAttribute("aria-sort", j === i ? dir : "none");
      heads[j].querySelector(".arrow").textContent = j === i ? (dir === "ascending" ? "▲" : "▼") : "";
    }
  }
  Array.prototype.forEach.call(heads, function (th, i) {
    th.addEventListener("click", function () {
      var now = th.getAttribute("aria-sort");
      var first = th.getAttribute("data-first") || "ascending";
      sortBy(i, now === first ? (first === "ascending" ? "descending" : "ascending") : first);
    });
  });
})();
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _when(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def nice_step(top: float, most: int = 6) -> float:
    """1, 2 or 5 times a power of ten: at most `most` intervals up to `top`."""
    base = 10 ** math.floor(math.log10(top / most)) if top > 0 else 1
    return next(m * base for m in (1, 2, 5, 10) if top / (m * base) <= most)


def colours(names: list[str]) -> dict[str, str]:
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def render_chart(history: list[Entry], names: list[str], highlight: str | None = None,
                 width: int = 1000, height: int = 320) -> str:
    """Points of every submission over time, one line per participant (inline SVG)."""
    if not history:
        return '<p class="muted">No submissions yet.</p>'
    pad_l, pad_r, pad_t, pad_b = 48, 16, 12, 36
    times = [_when(e.graded_at).timestamp() for e in history]
    t0, t1 = min(times), max(times)
    span = (t1 - t0) or 1.0
    top = max(max(e.max_points for e in history), max(e.points for e in history), 1.0)

    def x(t: float) -> float:
        return pad_l + (t - t0) / span * (width - pad_l - pad_r) if t1 > t0 else (width + pad_l - pad_r) / 2

    def y(p: float) -> float:
        return height - pad_b - p / top * (height - pad_t - pad_b)

    parts = [f'<svg id="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="points of every submission over time" xmlns="http://www.w3.org/2000/svg">']
    step = nice_step(top)
    top = step * math.ceil(top / step - 1e-9)
    for k in range(round(top / step) + 1):
        p = step * k
        parts.append(f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(p):.1f}" y2="{y(p):.1f}" '
                     f'stroke="#e3e7ee"/><text x="{pad_l - 6}" y="{y(p) + 4:.1f}" '
                     f'text-anchor="end">{fmt_points(p)}</text>')
    for t, anchor in ((t0, "start"), (t1, "end")) if t1 > t0 else ((t0, "middle"),):
        label = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")
        parts.append(f'<text x="{x(t):.1f}" y="{height - 10}" text-anchor="{anchor}">{label} UTC</text>')
    colour = colours(names)
    for name in names:
        mine = [(x(_when(e.graded_at).timestamp()), y(e.points), e) for e in history if e.name == name]
        if not mine:
            continue
        wide = 3.5 if name == highlight else 1.8
        cls = ' class="highlight"' if name == highlight else ""
        points = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in mine)
        parts.append(f'<g data-name="{_e(name)}"{cls}><polyline points="{points}" fill="none" '
                     f'stroke="{colour[name]}" stroke-width="{wide}"/>')
        for px, py, e in mine:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{wide + 1.5}" fill="{colour[name]}">'
                         f'<title>{_e(name)}: {fmt_points(e.points)}/{fmt_points(e.max_points)} points, '
                         f'{_e(e.graded_at)}</title></circle>')
        parts.append("</g>")
    parts.append("</svg>")
    legend = "".join(f'<span style="--c:{colour[n]}">{_e(n)}</span>' for n in names)
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def render_html(standings: list[Entry], history: list[Entry], topics: list[str],
                highlight: str | None = None, title: str = "gradeschool leaderboard",
                now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    heads = [("#", "number", "ascending", ""), ("pseudonym", "text", "ascending", "text"),
             ("points", "number", "descending", ""), ("speed ×torch", "number", "ascending", ""),
             *((t, "number", "descending", "") for t in topics),
             ("submissions", "number", "descending", ""), ("graded (UTC)", "text", "ascending", "text")]
    th = "".join(
        f'<th scope="col" data-type="{kind}" data-first="{first}" class="{cls}" '
        f'aria-sort="{"ascending" if i == 0 else "none"}">{_e(label)}'
        f'<span class="arrow">{"▲" if i == 0 else ""}</span></th>'
        for i, (label, kind, first, cls) in enumerate(heads))
    rows = []
    for e in standings:
        cls = ' class="highlight" aria-current="true"' if e.name == highlight else ""
        cells = [(e.rank, str(e.rank), ""), (e.name, e.name, "text"),
                 (e.points, f"{fmt_points(e.points)} / {fmt_points(e.max_points)}", ""),
                 ("" if e.speed is None else e.speed, fmt_speed(e.speed), "")]
        for t in topics:
            got = e.topics.get(t)
            cells.append(("", "—", "") if got is None else
                         (got["points"], f'{fmt_points(got["points"])} / {fmt_points(got["max_points"])}', ""))
        cells += [(e.submissions, str(e.submissions), ""), (e.graded_at, e.graded_at[:16].replace("T", " "), "text")]
        tds = "".join(f'<td data-value="{_e(v)}" class="{c}">{_e(shown)}</td>' for v, shown, c in cells)
        rows.append(f'<tr data-name="{_e(e.name)}"{cls}>{tds}</tr>')
    names = [e.name for e in standings]
    empty = f'<tr><td colspan="{len(heads)}" class="text muted">no submissions yet</td></tr>'
    body = "\n".join(rows) if rows else empty
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{CSS}</style>
</head>
<body>
<h1>{_e(title)}</h1>
<p class="meta">{len(standings)} participants, {len(history)} submissions · ranked by points, then speed
(geometric mean of time / torch's time over correct exercises; lower is faster), then the earliest time ·
updated {now.strftime("%Y-%m-%d %H:%M")} UTC</p>
<table id="board">
<thead><tr>{th}</tr></thead>
<tbody>
{body}
</tbody>
</table>
<h2>Points over time</h2>
{render_chart(history, names, highlight)}
<footer>Each participant's best submission is ranked; every submission stays in the history.
Click a column heading to sort.</footer>
<script>{JS}</script>
</body>
</html>
"""
