"""The exercise catalogue: topics, exercises, points and hints, read from the `<topic>.toml`
files beside this module.

One file per topic. The catalogue is the single list that `gradeschool check`, `list`,
`hint`, the grader and the notebooks read, so adding an exercise means a solution, a
catalogue entry and a test tagged `@pytest.mark.exercise(name)`.

An exercise's `points` are shared by its tests by weight; when hidden tests of it take
part (the grader, the instructor's nbgrader run), they weigh 20% of the points
(`gradeschool.core.results.HIDDEN_SHARE`) and the public tests the rest. Hints go from
gentle to explicit, and the last one still stops short of the answer (the release test
checks that no hint spells out a solution)."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gradeschool.core.paths import catalogue_dir


@dataclass(frozen=True)
class Exercise:
    name: str
    topic: str
    points: float
    summary: str
    hints: tuple[str, ...]
    functions: tuple[str, ...]
    mistakes: tuple[tuple[str, str], ...] = ()
    oracle: str = ""  # what the tests compare with (docs/curriculum.md's "oracle" column)
    # its functions update their arguments in place (an optimizer's parameters, gradients
    # being clipped): the grader copies those arrays back from the isolated worker, no others
    updates_in_place: bool = False
    forbidden: tuple[str, ...] = ()  # calls the exercise rules out, e.g. numpy.tanh in tanh

    def mistake(self, key: str) -> str:
        """The hint written for one typical mistake (`[exercise.mistakes]` in the catalogue)."""
        found = dict(self.mistakes).get(key)
        if found is None:
            raise KeyError(f"{self.name} has no mistake {key!r} in the catalogue; it has: "
                           f"{', '.join(k for k, _ in self.mistakes) or 'none'}")
        return found


@dataclass(frozen=True)
class Topic:
    name: str
    order: int
    title: str
    module: str
    exercises: tuple[Exercise, ...] = field(default=())
    note: str = ""  # a sentence that holds for every exercise of the topic

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def stem(self) -> str:
        """The topic module's import name: `neuron` for neuron.py."""
        return self.module.removesuffix(".py")


class CatalogueError(ValueError):
    """The catalogue files are inconsistent (duplicate names, missing fields)."""


@dataclass(frozen=True)
class Catalogue:
    topics: tuple[Topic, ...]

    @functools.cached_property
    def _exercises(self) -> dict[str, Exercise]:
        return {e.name: e for t in self.topics for e in t.exercises}

    @functools.cached_property
    def _functions(self) -> dict[str, Exercise]:
        return {f: e for t in self.topics for e in t.exercises for f in e.functions}

    def topic(self, name: str) -> Topic:
        for t in self.topics:
            if t.name == name:
                return t
        raise KeyError(f"no topic {name!r}; topics: {', '.join(self.topic_names())}")

    def topic_names(self) -> list[str]:
        return [t.name for t in self.topics]

    def module_names(self) -> list[str]:
        """The topic modules' import names (`from neuron import relu` names `neuron`)."""
        return [t.stem for t in self.topics]

    def topic_of_module(self, stem: str) -> Topic:
        """The topic whose module imports as `stem`."""
        for t in self.topics:
            if t.stem == stem:
                return t
        raise KeyError(f"no topic module {stem!r}; modules: {', '.join(self.module_names())}")

    def exercise(self, name: str) -> Exercise:
        try:
            return self._exercises[name]
        except KeyError:
            raise KeyError(f"no exercise {name!r} in the catalogue") from None

    def exercises(self) -> list[Exercise]:
        return list(self._exercises.values())

    def owner_of(self, function: str) -> Exercise | None:
        """The exercise whose functions include `function` (a function or class name)."""
        return self._functions.get(function)

    def resolve(self, selectors: list[str]) -> list[Exercise]:
        """Exercises named by topic or exercise names; all of them for an empty list."""
        if not selectors:
            return self.exercises()
        chosen: list[Exercise] = []
        for sel in selectors:
            if sel in self.topic_names():
                chosen.extend(self.topic(sel).exercises)
            else:
                chosen.append(self.exercise(sel))
        return list(dict.fromkeys(chosen))


def _read_topic(path: Path) -> Topic:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        name = data["topic"]
        exercises = tuple(
            Exercise(
                name=e["name"],
                topic=name,
                points=float(e["points"]),
                summary=e.get("summary", ""),
                hints=tuple(e.get("hints", ())),
                functions=tuple(e.get("functions", (e["name"],))),
                mistakes=tuple((str(k), str(v)) for k, v in e.get("mistakes", {}).items()),
                oracle=e.get("oracle", ""),
                updates_in_place=bool(e.get("updates_in_place", False)),
                forbidden=tuple(e.get("forbidden", ())),
            )
            for e in data.get("exercise", [])
        )
        return Topic(
            name=name,
            order=int(data["order"]),
            title=data.get("title", name),
            module=data.get("module", f"{name}.py"),
            exercises=exercises,
            note=data.get("note", ""),
        )
    except KeyError as err:
        raise CatalogueError(f"{path.name}: missing field {err}") from None


def read_catalogue(folder: Path) -> Catalogue:
    topics = sorted((_read_topic(p) for p in folder.glob("*.toml")), key=lambda t: t.order)
    seen: dict[str, str] = {}
    for t in topics:
        for e in t.exercises:
            for key in {e.name, *e.functions}:
                if key in seen and seen[key] != e.name:
                    raise CatalogueError(f"{key!r} is claimed by {seen[key]!r} and {e.name!r}")
                seen[key] = e.name
    return Catalogue(tuple(topics))


@functools.cache
def load_catalogue() -> Catalogue:
    return read_catalogue(catalogue_dir())
