"""The leaderboard as one self-contained static HTML page that reads at 200 participants:
inline CSS and JavaScript (assets/page.css, assets/page.js), the page's data inline as
JSON; nothing is fetched from anywhere. Only pseudonyms appear.

* a search box that filters the rows, and "my row": Enter on a pseudonym marks that row
  as the reader's (remembered in their browser, or `#me=NAME` in the address) and scrolls
  to it; `--highlight` marks one for everyone;
* a table in a scrolling box with a sticky heading, that fits 390 px and 1280 px windows
  without horizontal scrolling (points per topic as a strip of small bars; the
  submissions and time columns are hidden on narrow screens);
* a chart of progress (the running best per topic, so a report that covers fewer topics
  is no drop) of the top N participants and the reader's own line.
The ranking rule (gradeschool.leaderboard.ranking.RULE) is printed on the page."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from importlib.resources import files

from gradeschool.core.render import fmt_points
from gradeschool.leaderboard.ranking import RULE, Entry, Submission, progress
from gradeschool.leaderboard.render import fmt_band, fmt_speed

COLUMNS = [  # (heading, data-type, first sort direction); page.css styles them by position
    ("#", "number", "ascending"), ("pseudonym", "text", "ascending"), ("points", "number", "descending"),
    ("speed", "number", "ascending"), ("topics", None, None), ("subs", "number", "descending"),
    ("reached (UTC)", "text", "ascending")]


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _asset(name: str) -> str:
    return (files("gradeschool.leaderboard") / "assets" / name).read_text(encoding="utf-8")


def _seconds(iso: str) -> int:
    when = datetime.fromisoformat(iso)
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())


def chart_data(standings: list[Entry], history: list[Submission], top: int,
               highlight: str | None) -> dict:
    """Every participant's progress as [minutes since the first submission, points] steps,
    and which participants the chart draws: the `top` best (the page adds the reader's)."""
    if not history:
        return {"t0": 0, "span": 0, "max": 1, "top": [], "highlight": highlight, "series": {}}
    t0 = min(_seconds(s.graded_at) for s in history)
    span = max(_seconds(s.graded_at) for s in history) - t0
    mine: dict[str, list[Submission]] = {}
    for s in history:
        mine.setdefault(s.name, []).append(s)
    series = {name: [[(_seconds(st.graded_at) - t0) // 60, round(st.points, 2)] for st in progress(subs)]
              for name, subs in mine.items()}
    most = max([s.max_points for s in history] + [e.max_points for e in standings] + [1.0])
    return {"t0": t0, "span": span // 60, "max": most, "top": [e.name for e in standings[:top]],
            "highlight": highlight, "series": series}


def _json_for_script(data: dict) -> str:
    """JSON that cannot end the <script> element it sits in."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _topic_cell(e: Entry, topics: list[str]) -> str:
    """A strip of small bars, one per topic (filled: share of its points; hatched: not
    graded yet), the numbers in its tooltip."""
    bars, said = [], []
    for t in topics:
        got = e.topics.get(t)
        if got is None:
            bars.append('<i class="no"></i>')
            said.append(f"{t} —")
            continue
        share = 100 * got["points"] / got["max_points"] if got["max_points"] else 0
        bars.append(f'<i style="--p:{share:.0f}%"></i>')
        said.append(f'{t} {fmt_points(got["points"])}/{fmt_points(got["max_points"])}')
    return f'<td title="{_e(", ".join(said))}">{"".join(bars)}</td>'


def _row(e: Entry, topics: list[str], highlight: str | None) -> str:
    """One participant's row; cells are told apart by position (page.css), and sorting
    reads the numbers from the cells' text (page.js)."""
    me = ' class="me" aria-current="true"' if e.name == highlight else ""
    band = "" if e.band is None else f"<small>{_e(fmt_band(e.band))}</small>"
    return (f'<tr data-n="{_e(e.name)}"{me}><td>{e.rank}</td><td><span>{_e(e.name)}</span></td>'
            f'<td>{fmt_points(e.points)} / {fmt_points(e.max_points)}</td><td>{_e(fmt_speed(e.speed))}{band}</td>'
            f'{_topic_cell(e, topics)}<td>{e.submissions}</td><td>{_e(e.graded_at[:16].replace("T", " "))}</td></tr>')


def _heading(i: int, label: str, kind: str | None, first: str | None) -> str:
    if kind is None:
        return f'<th scope="col" class="nosort">{_e(label)}</th>'
    return (f'<th scope="col" data-type="{kind}" data-first="{first}" '
            f'aria-sort="{"ascending" if i == 0 else "none"}">{_e(label)}'
            f'<span class="arrow">{"▲" if i == 0 else ""}</span></th>')


def render_html(standings: list[Entry], history: list[Submission], topics: list[str],
                highlight: str | None = None, title: str = "gradeschool leaderboard",
                now: datetime | None = None, top: int = 10) -> str:
    now = now or datetime.now(UTC)
    heads = "".join(_heading(i, *c) for i, c in enumerate(COLUMNS))
    rows = "\n".join(_row(e, topics, highlight) for e in standings) or \
        f'<tr><td colspan="{len(COLUMNS)}" class="muted">no submissions yet</td></tr>'
    data = _json_for_script(chart_data(standings, history, top, highlight))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_asset("page.css")}</style>
</head>
<body>
<h1>{_e(title)}</h1>
<p class="meta">{len(standings)} participants, {len(history)} submissions · updated {now:%Y-%m-%d %H:%M} UTC</p>
<p class="rule">{_e(RULE)}.</p>
<div class="tools"><input id="search" type="search" placeholder="Find a pseudonym (Enter: this is me)"
 aria-label="find a pseudonym" autocomplete="off"><button id="mine" type="button">My row</button>
<span id="count" aria-live="polite"></span></div>
<div class="box"><table id="board">
<thead><tr>{heads}</tr></thead>
<tbody>
{rows}
</tbody>
</table></div>
<p class="note">Topic bars, in order: {_e(", ".join(topics) or "none yet")} (filled: share of the topic's
points; hatched: not graded yet). Speed: × torch's time, lower is faster; the band is what ranks.</p>
<h2>Progress over time</h2>
<p class="note">The top {top} and your own line (find your pseudonym above): the best points in each topic so far.</p>
<svg id="chart" viewBox="0 0 1000 320" role="img" aria-label="progress of the leading participants over time"
 xmlns="http://www.w3.org/2000/svg"></svg>
<div class="legend" id="legend"></div>
<noscript><p class="note">The search, sorting and the chart need JavaScript.</p></noscript>
<footer>Every submission is kept; each participant's row adds up their best in each topic. Click a
column heading to sort.</footer>
<script type="application/json" id="lb-data">{data}</script>
<script>{_asset("page.js")}</script>
</body>
</html>
"""
