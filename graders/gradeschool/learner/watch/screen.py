"""What `watch` draws: a progress bar over the curriculum, then either the exercise it is
on (its last check, the hints reached, the other exercises just rechecked) or the list of
every exercise with a cursor to go to one."""

from __future__ import annotations

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import exercises_dir, kit_root
from gradeschool.core.render import fmt_points, points_phrase
from gradeschool.learner.overview import DONE, LEGEND, MARKS, NOT_STARTED, render_overview, render_topics, standings
from gradeschool.learner.report import render_check
from gradeschool.learner.watch.state import WatchState

CLEAR = "\x1b[H\x1b[2J\x1b[3J"
TITLE = "gradeschool watch — saving a file in exercises/ reruns the checks of what changed"
KEYS = "h hint · n next exercise · l list · r rerun · q quit"
LIST_KEYS = "j/k or ↓/↑ move · enter go there · any other key: back"


def headline(state: WatchState) -> str:
    ex, last = state.exercise, state.last
    if last is None:
        return ""
    line = f"{MARKS[last.status]} {ex.name}: {last.status}  ({fmt_points(last.earned)}/{fmt_points(ex.points)} points)"
    return line + (f" — {last.detail}" if last.detail and last.detail != last.status else "")


def exercise_body(state: WatchState, busy: str = "") -> str:
    """The current exercise: its last check, with the hints the learner has reached."""
    ex, last = state.exercise, state.last
    if busy or last is None:
        return busy
    seen = state.store.read().hints_seen(ex)
    parts = [headline(state)]
    shown = 0
    if last.results is not None:
        text, shown = render_check(last.results, ex, seen)
        parts.append(text)
    elif last.status == NOT_STARTED:
        module = load_catalogue().topic(ex.topic).module
        parts.append(f"Open exercises/{module}, write {', '.join(f'`{f}`' for f in ex.functions)} "
                     "(the docstring explains it) and save: the checks run again.")
    if seen > shown:  # hints asked for (h) that the check's text does not show
        parts.append("\n".join(f"hint {i} of {len(ex.hints)}: {h}" for i, h in enumerate(ex.hints[:seen], 1)))
    if seen and seen >= len(ex.hints):
        parts.append("(that was the last hint)")
    if last.status == DONE:
        following = state.next_unfinished()
        parts.append(f"Well done! Press n for the next exercise: {following.name}."
                     if following.name != ex.name else "Well done: that was the last exercise left!")
    if state.others:
        parts.append("Also checked, as their code changed:\n" + "\n".join(state.others))
    return "\n\n".join(p for p in parts if p)


def screen(state: WatchState, busy: str = "") -> str:
    rows = standings(state.store.read(), state.root)
    ex = state.exercise
    topic = load_catalogue().topic(ex.topic)
    where = exercises_dir() / topic.module
    shown = where.relative_to(kit_root()) if where.is_relative_to(kit_root()) else where
    head = [TITLE, render_overview(rows), ""]
    if state.view == "list":
        body = (render_topics(rows, current=state.selected.name)
                + f"\n\n{LEGEND}   (`gradeschool list` lists all)")
        keys = LIST_KEYS
    else:
        body = "\n".join([
            f"Exercise: {ex.name} — {topic.name}: {topic.title} · {points_phrase(ex.points)} · {shown}",
            f"  {ex.summary}",
            "",
            exercise_body(state, busy),
        ])
        keys = KEYS
    foot = ["", state.note, f"{keys}    {state.checked_at}".rstrip()]
    return "\n".join(head) + "\n" + body + "\n" + "\n".join(x for x in foot if x is not None)
