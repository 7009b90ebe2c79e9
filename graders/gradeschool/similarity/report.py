"""The similarity report: a self-contained HTML page (per exercise the most similar pairs,
each with both codes side by side and the overlap highlighted; flagged copies of the
reference solution) and a short text summary for the terminal."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from copydetect.utils import highlight_overlap

from gradeschool.similarity.rank import REFERENCE_FLAG, ExerciseRanking, Pair

CSS = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1d2330; margin: 1.5rem auto; max-width: 1200px; padding: 0 1rem; }
h2 { margin-top: 2rem; font-size: 1.15rem; } .muted { color: #5b6475; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: .3rem .5rem; border-bottom: 1px solid #d9dee7; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } .flag { color: #b42318; font-weight: 600; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: .6rem; }
pre { background: #f6f8fb; padding: .6rem; overflow-x: auto; font-size: 12px; margin: .3rem 0; }
mark { background: #ffe08a; }
@media (max-width: 720px) { .side { grid-template-columns: 1fr; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _code(code: str, slices) -> str:
    if slices is None or getattr(slices, "shape", (0, 0))[-1] == 0:
        return _e(code)
    return highlight_overlap(code, slices, "<mark>", "</mark>", escape_html=True)[0]


def _pair_row(p: Pair, codes: dict[str, dict[str, str]], reference: str = "") -> str:
    b_code = reference if p.b == "reference solution" else codes[p.b][p.exercise]
    sa, sb = p.slices if len(p.slices) == 2 else (None, None)
    return (f'<tr><td>{_e(p.a)}</td><td>{_e(p.b)}</td><td class="n">{p.share_a:.0%}</td>'
            f'<td class="n">{p.share_b:.0%}</td><td><details><summary>code</summary><div class="side">'
            f'<pre>{_code(codes[p.a][p.exercise], sa)}</pre><pre>{_code(b_code, sb)}</pre></div></details></td></tr>')


def render_html(rankings: list[ExerciseRanking], codes: dict[str, dict[str, str]],
                solutions: dict[str, str], top: int = 10) -> str:
    sections = []
    for r in rankings:
        head = '<tr><th>submission</th><th>other</th><th>of its code</th><th>of the other\'s</th><th></th></tr>'
        flagged = "".join(_pair_row(p, codes, solutions.get(r.exercise, "")) for p in r.reference)
        pairs = "".join(_pair_row(p, codes) for p in r.pairs[:top])
        sections.append(
            f'<h2 id="{_e(r.exercise)}">{_e(r.exercise)}</h2><p class="muted">{len(r.ranked)} submissions ranked'
            + (f", {len(r.too_short)} too short to tell apart" if r.too_short else "") + "</p>"
            + (f'<p class="flag">copies of the reference solution (≥ {REFERENCE_FLAG:.0%} of their code):</p>'
               f"<table>{head}{flagged}</table>" if flagged else "")
            + (f"<table>{head}{pairs}</table>" if pairs else '<p class="muted">no pair to compare</p>'))
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>gradeschool similarity hints</title><style>{CSS}</style></head><body>
<h1>Similarity hints</h1>
<p class="muted">{len(codes)} submissions · {now} UTC · per exercise, pairs ranked by the share of their code
found in each other after names, strings and layout are normalised (copydetect's winnowing). Similar code is
a reason to look, not a finding: short exercises have few ways to be written.</p>
{"".join(sections)}
</body></html>
"""


def summary(rankings: list[ExerciseRanking], top: int = 3) -> str:
    lines = []
    for r in rankings:
        best = ", ".join(f"{p.a} ~ {p.b} {p.score:.0%}" for p in r.pairs[:top]) or "no pair"
        flags = "".join(f"; {p.a} copies the reference solution ({p.share_a:.0%})" for p in r.reference)
        lines.append(f"{r.exercise}: {best}{flags}" if r.ranked else f"{r.exercise}: too short to tell apart")
    return "\n".join(lines)
