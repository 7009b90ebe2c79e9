"""Late penalties (nbgrader's `late_submission_penalty`, as points taken off the raw score).

* `none`: late work scores as if on time (the lateness is still reported);
* `zero`: late work scores 0;
* `per-day` / `per-hour`: `penalty` x the topic's points off per started day (hour) past
  the due date, never below 0; later than `max_units` days (hours): 0.
`grace_minutes` of lateness count as on time. A topic without a due date is never late."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from gradeschool.course.config import LatePolicy


@dataclass(frozen=True)
class Lateness:
    late_by: timedelta          # zero when on time (or within the grace)
    penalty: float              # points taken off

    @property
    def hours(self) -> float:
        return round(self.late_by.total_seconds() / 3600, 2)


def lateness(policy: LatePolicy, raw: float, max_points: float, submitted: datetime | None,
             due: datetime | None) -> Lateness:
    if submitted is None or due is None or submitted <= due + timedelta(minutes=policy.grace_minutes):
        return Lateness(timedelta(0), 0.0)
    late_by = submitted - due
    if policy.policy == "none":
        return Lateness(late_by, 0.0)
    units = math.ceil(late_by / policy.unit)
    if policy.policy == "zero" or (policy.max_units is not None and units > policy.max_units):
        return Lateness(late_by, raw)
    return Lateness(late_by, round(min(raw, units * policy.penalty * max_points), 4))
