"""The leaderboard as a terminal table. Every cell is printed escaped
(gradeschool.leaderboard.verify.shown): whatever a database holds, no terminal escape
code or newline reaches the terminal."""

from __future__ import annotations

from gradeschool.core.render import fmt_points
from gradeschool.leaderboard.ranking import RULE, Entry, band_range
from gradeschool.leaderboard.verify import shown

__all__ = ["fmt_band", "fmt_points", "fmt_speed", "render_text"]


def fmt_speed(x: float | None) -> str:
    return "—" if x is None else f"{x:.3g}×"


def fmt_band(band: int | None) -> str:
    if band is None:
        return "—"
    lo, hi = band_range(band)
    return f"{lo:.3g}–{hi:.3g}×"


def render_text(standings: list[Entry], topics: list[str] | None = None) -> str:
    """Rank, pseudonym, points, speed figure and band (× torch; lower is faster), points
    per topic, number of submissions and when the points were reached."""
    if not standings:
        return "the leaderboard is empty: `gradeschool leaderboard submit REPORT`"
    if topics is None:
        topics = list(dict.fromkeys(t for e in standings for t in e.topics))
    header = ["#", "pseudonym", "points", "speed", "band", *map(shown, topics), "subs", "reached (UTC)"]
    rows = []
    for e in standings:
        per_topic = [fmt_points(e.topics[t]["points"]) if t in e.topics else "—" for t in topics]
        rows.append([str(e.rank), shown(e.name), f"{fmt_points(e.points)}/{fmt_points(e.max_points)}",
                     fmt_speed(e.speed), fmt_band(e.band), *per_topic, str(e.submissions),
                     shown(e.graded_at[:16].replace("T", " "))])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    left = {1}
    lines = []
    for r in [header, *rows]:
        cells = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(RULE)
    return "\n".join(lines)
