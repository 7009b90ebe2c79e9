"""The supervisor's reading of what a judge wrote: never trusted as it is.

The judge runs the tests beside hostile data and writes its findings unsigned
(gradeschool.grading.judge). `read()` accepts them only when they fit: a file under a
size cap, JSON of the expected shape, every test of an exercise that was selected, with a
known outcome, a sane weight, duration and speed ratio, and text within caps; the topic
of each test is taken from the catalogue, not from the file. Points and totals are then
computed by the supervisor from the catalogue's points and the tests' outcomes
(gradeschool.grading.outputs.build_report): nothing the judge says about points exists."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from gradeschool.core import results as R
from gradeschool.core.catalogue import Exercise
from gradeschool.grading.outputs import MAX_MESSAGE, clip_text

MAX_BYTES = 32 * 2**20
MAX_TESTS = 20_000
OUTCOMES = {R.PASSED, R.FAILED, R.NOT_STARTED, R.ERROR, R.TIMEOUT, R.FORBIDDEN, R.FORBIDDEN_CALL,
            R.SKIPPED, R.NOT_CHECKED}
STATES = {"ready", R.NO_TESTS, R.NOT_STARTED, R.ERROR, R.TIMEOUT, R.FORBIDDEN, R.FORBIDDEN_CALL}
MAX_TEXT = 200


class FindingsRefused(ValueError):
    """The judge's findings do not fit; the message says what is wrong."""


@dataclass
class Findings:
    results: list[R.TestResult]
    untested: dict[str, str]
    environment: dict
    worker_starts: int = 0
    disturbed: list[str] = field(default_factory=list)


def _text(value: object, what: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise FindingsRefused(f"{what} is not a string")
    return clip_text(value, limit)


def _number(value: object, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not low <= value <= high:
        raise FindingsRefused(f"{what} is not a number in [{low:g}, {high:g}]")
    return float(value)


def _result(raw: object, chosen: dict[str, Exercise]) -> R.TestResult:
    if not isinstance(raw, dict):
        raise FindingsRefused("a test result is not an object")
    exercise = chosen.get(raw.get("exercise"))
    if exercise is None:
        raise FindingsRefused(f"a test of an exercise that was not graded ({_text(str(raw.get('exercise')), 'x', 80)})")
    outcome = raw.get("outcome")
    if outcome not in OUTCOMES:
        raise FindingsRefused(f"unknown outcome {_text(str(outcome), 'x', 80)!r}")
    ratio = raw.get("speed_ratio")
    return R.TestResult(
        nodeid=_text(raw.get("nodeid"), "a test's name", 400), exercise=exercise.name, topic=exercise.topic,
        weight=_number(raw.get("weight"), "a test's weight", 1e-6, 1e3), outcome=outcome,
        message=_text(raw.get("message", ""), "a test's message", MAX_MESSAGE),
        duration=_number(raw.get("duration", 0.0), "a test's duration", 0.0, 1e6),
        hidden=raw.get("hidden") is True, speed=raw.get("speed") is True,
        speed_ratio=None if ratio is None else _number(ratio, "a speed ratio", 1e-9, 1e9))


def _environment(raw: object) -> dict:
    if not isinstance(raw, dict):
        raise FindingsRefused("the environment is not an object")
    env = {k: _text(raw.get(k), f"environment.{k}") for k in ("python", "numpy", "torch", "device",
                                                              "hypothesis_profile")}
    env["seed"] = int(_number(raw.get("seed"), "environment.seed", 0, 2**63))
    return env


def parse(data: dict, exercises: list[Exercise]) -> Findings:
    """Findings from the judge's JSON for a grading of `exercises`."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise FindingsRefused("the findings are not an object with a list of results")
    if len(data["results"]) > MAX_TESTS:
        raise FindingsRefused("too many test results")
    chosen = {e.name: e for e in exercises}
    results = [_result(r, chosen) for r in data["results"]]
    if len({r.nodeid for r in results}) != len(results):
        raise FindingsRefused("a test is reported twice")
    untested_raw = data.get("untested", {})
    if not isinstance(untested_raw, dict) or any(k not in chosen or v not in STATES
                                                 for k, v in untested_raw.items()):
        raise FindingsRefused("the states of untested exercises do not fit")
    grading = data.get("grading") if isinstance(data.get("grading"), dict) else {}
    disturbed = grading.get("disturbed", [])
    if not isinstance(disturbed, list):
        raise FindingsRefused("grading.disturbed is not a list")
    return Findings(results, dict(untested_raw), _environment(data.get("environment")),
                    int(_number(grading.get("worker_starts", 0), "grading.worker_starts", 0, 1e6)),
                    [_text(d, "grading.disturbed", 500) for d in disturbed[:20]])


def read(path: Path, exercises: list[Exercise]) -> Findings:
    """The judge's findings in `path`, checked (FindingsRefused says why not)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as err:
        raise FindingsRefused(f"the judge wrote no findings ({err.strerror})") from None
    if len(data) > MAX_BYTES:
        raise FindingsRefused(f"the judge's findings are over {MAX_BYTES} bytes")
    try:
        loaded = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as err:
        raise FindingsRefused(f"the judge's findings are not JSON ({clip_text(str(err), 200)})") from None
    return parse(loaded, exercises)
