"""How participants are ranked, stated once (the page and `show` print it from here).

* **Points: per-topic progress.** A report may cover only some topics (graded with
  `--topic`, or as topics are released). A participant's points in a topic are the most
  any of their reports earned in it, and their points are the sum over topics; a later
  report that covers fewer topics never shows as a drop.
* **Then a speed band.** The speed figure (geometric mean of time / torch's time over the
  correct exercises; lower is faster) is that of the participant's latest report among
  those with the most points (their current code, not the luckiest of many runs). Figures
  measured on different machines differ by tens of percent, so ties are broken by the
  band the figure falls in, not the figure: bands are a factor of √2 wide on a fixed grid
  (…, [0.71, 1), [1, 1.41), [1.41, 2), [2, 2.83), …); no figure ranks after every band.
  Figures are comparable only when measured on one class of machine: the course workflow
  grades every repository itself, on one runner class.
* **Then the time the points were reached** (earlier first), then the pseudonym."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

BAND_STEPS_PER_OCTAVE = 2  # a band is a factor 2 ** (1 / 2) = √2 wide
RULE = ("ranked by points (the best in each topic over all submissions), then speed band (figure of the "
        "latest best submission, bands a factor √2 wide: 1–1.41×, 1.41–2×, …; lower is faster), then the "
        "earlier time those points were reached")


def speed_band(figure: float | None) -> int | None:
    """The band index: figures in [2 ** (b / 2), 2 ** ((b + 1) / 2)) share band b."""
    if figure is None:
        return None
    return math.floor(BAND_STEPS_PER_OCTAVE * math.log2(figure) + 1e-9)


def band_range(band: int) -> tuple[float, float]:
    return 2 ** (band / BAND_STEPS_PER_OCTAVE), 2 ** ((band + 1) / BAND_STEPS_PER_OCTAVE)


@dataclass
class Submission:
    """One stored report."""
    id: int
    name: str
    points: float
    max_points: float
    speed: float | None
    graded_at: str  # ISO 8601, UTC
    kit_version: str
    topics: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class Step:
    """A participant's progress after one more report: the best per topic so far."""
    graded_at: str
    points: float
    max_points: float
    topics: dict[str, dict[str, float]]


@dataclass
class Entry:
    """A participant's row in the standings."""
    name: str
    points: float
    max_points: float
    speed: float | None
    graded_at: str            # when these points were first reached
    topics: dict[str, dict[str, float]]
    submissions: int
    rank: int = 0

    @property
    def band(self) -> int | None:
        return speed_band(self.speed)

    def sort_key(self) -> tuple:
        band = self.band
        return (-round(self.points, 4), math.inf if band is None else band, self.graded_at, self.name)


def progress(subs: list[Submission]) -> list[Step]:
    """The running per-topic best of one participant's submissions, oldest first."""
    best: dict[str, dict[str, float]] = {}
    steps = []
    for s in sorted(subs, key=lambda s: (s.graded_at, s.id)):
        for t, got in s.topics.items():
            if t not in best or got["points"] > best[t]["points"]:
                best[t] = dict(got)
        steps.append(Step(s.graded_at, round(sum(v["points"] for v in best.values()), 4),
                          round(sum(v["max_points"] for v in best.values()), 4),
                          {t: dict(v) for t, v in best.items()}))
    return steps


def participant(subs: list[Submission]) -> Entry:
    steps = progress(subs)
    last = steps[-1]
    reached = next(s for s in steps if s.points >= last.points)
    top = max(s.points for s in subs)
    latest_best = max((s for s in subs if s.points == top), key=lambda s: (s.graded_at, s.id))
    return Entry(subs[0].name, last.points, last.max_points, latest_best.speed, reached.graded_at,
                 last.topics, len(subs))


def rank(subs: list[Submission]) -> list[Entry]:
    by_name: dict[str, list[Submission]] = {}
    for s in subs:
        by_name.setdefault(s.name, []).append(s)
    ranked = sorted((participant(v) for v in by_name.values()), key=Entry.sort_key)
    for i, e in enumerate(ranked, 1):
        e.rank = i
    return ranked
