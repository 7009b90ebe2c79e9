"""Exercise and topic names as a learner types them: an exercise, one of its functions or
a topic, with a "did you mean" for a misspelling (`check softmx`, `hint sofmax`)."""

from __future__ import annotations

import difflib

from gradeschool.core.catalogue import Exercise, load_catalogue


def suggestion(name: str, topics: bool = False) -> str:
    """'; did you mean softmax?' for a name close to one in the catalogue, else a pointer
    to `gradeschool list`."""
    catalogue = load_catalogue()
    known = [e.name for e in catalogue.exercises()]
    known += [f for e in catalogue.exercises() for f in e.functions if f not in known]
    if topics:
        known += catalogue.topic_names()
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    if close:
        return "; did you mean " + " or ".join(lowered[c] for c in close) + "?"
    return "; `gradeschool list` lists every exercise"


def find_exercise(name: str) -> Exercise:
    """The exercise called `name`, or owning the function or class `name`; KeyError with a
    suggestion otherwise."""
    catalogue = load_catalogue()
    try:
        return catalogue.exercise(name)
    except KeyError:
        owner = catalogue.owner_of(name)
        if owner is None:
            raise KeyError(f"no exercise {name!r} in the catalogue{suggestion(name)}") from None
        return owner


def resolve(selectors: list[str]) -> list[Exercise]:
    """The exercises named by topics, exercises or their functions (all for an empty list);
    KeyError with a suggestion for a name that is none of these."""
    catalogue = load_catalogue()
    chosen: list[Exercise] = []
    for sel in selectors:
        if sel in catalogue.topic_names():
            chosen.extend(catalogue.topic(sel).exercises)
            continue
        try:
            chosen.append(find_exercise(sel))
        except KeyError:
            raise KeyError(f"no topic or exercise {sel!r}{suggestion(sel, topics=True)}") from None
    return list(dict.fromkeys(chosen)) if selectors else catalogue.exercises()
