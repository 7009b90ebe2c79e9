"""The leaderboard as a terminal table."""

from __future__ import annotations

from gradeschool.leaderboard.store import Entry


def fmt_points(x: float) -> str:
    return f"{x:.4g}"


def fmt_speed(x: float | None) -> str:
    return "—" if x is None else f"{x:.3g}×"


def render_text(standings: list[Entry], topics: list[str] | None = None) -> str:
    """Rank, pseudonym, points, speed figure (× torch; lower is faster), points per topic,
    number of submissions and when the best one was graded."""
    if not standings:
        return "the leaderboard is empty: `gradeschool leaderboard submit REPORT --name PSEUDONYM`"
    if topics is None:
        topics = list(dict.fromkeys(t for e in standings for t in e.topics))
    header = ["#", "pseudonym", "points", "speed", *topics, "subs", "graded (UTC)"]
    rows = []
    for e in standings:
        per_topic = [fmt_points(e.topics[t]["points"]) if t in e.topics else "—" for t in topics]
        rows.append([str(e.rank), e.name, f"{fmt_points(e.points)}/{fmt_points(e.max_points)}",
                     fmt_speed(e.speed), *per_topic, str(e.submissions), e.graded_at[:16].replace("T", " ")])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    left = {1}
    lines = []
    for r in [header, *rows]:
        cells = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("speed: geometric mean of time / torch's time over correct exercises (lower is faster)")
    return "\n".join(lines)
