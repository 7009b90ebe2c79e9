"""Pairs of submissions ranked by code overlap, per exercise, with copydetect (winnowing
over the token stream with names, strings and comments normalised away, so renaming
variables or reformatting changes nothing).

Per exercise: each submission's code is fingerprinted with the handed-out stub as
boilerplate (its signature and docstring are in every submission); code too short to tell
apart (under `MIN_TOKENS` characters of normalised code beyond the stub: a one-line
`np.maximum(x, 0)` is what everyone writes) is not ranked. A pair's `share_a`/`share_b`
are the fractions of each one's code found in the other; pairs rank by the larger.
Copies of the reference solution (`share` of the submission found in it at or above
`REFERENCE_FLAG`) are flagged."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field

from copydetect import CodeFingerprint, compare_files

NOISE = 25          # copydetect's noise threshold: matches shorter than this are ignored
GUARANTEE = 30      # matches this long are always found (window = GUARANTEE - NOISE + 1)
MIN_TOKENS = 60     # normalised characters a submission's code needs, beyond the stub, to be ranked
REFERENCE_FLAG = 0.8


@dataclass
class Pair:
    exercise: str
    a: str
    b: str
    share_a: float
    share_b: float
    slices: tuple = ()

    @property
    def score(self) -> float:
        return max(self.share_a, self.share_b)


@dataclass
class ExerciseRanking:
    exercise: str
    ranked: list[str] = field(default_factory=list)    # submissions with enough code
    too_short: list[str] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)      # most similar first
    reference: list[Pair] = field(default_factory=list)  # flagged copies of the reference solution


def fingerprint(label: str, code: str, boilerplate=None) -> CodeFingerprint:
    return CodeFingerprint(f"{label}.py", NOISE, GUARANTEE - NOISE + 1, boilerplate, fp=io.StringIO(code),
                           language="python")


def _compare(exercise: str, a: str, fa: CodeFingerprint, b: str, fb: CodeFingerprint) -> Pair:
    _, (share_a, share_b), slices = compare_files(fa, fb)
    return Pair(exercise, a, b, float(share_a), float(share_b), slices)


def rank_exercise(exercise: str, codes: dict[str, str], stub: str = "", solution: str = "") -> ExerciseRanking:
    """Every pair of `codes` ({submission: code}) ranked; copies of `solution` flagged."""
    out = ExerciseRanking(exercise)
    boilerplate = list(fingerprint("stub", stub).hashes) if stub else []
    prints = {}
    for label, code in sorted(codes.items()):
        fp = fingerprint(label, code, boilerplate)
        if fp.token_coverage < MIN_TOKENS:
            out.too_short.append(label)
        else:
            prints[label] = fp
    out.ranked = list(prints)
    out.pairs = sorted((_compare(exercise, a, prints[a], b, prints[b])
                        for a, b in itertools.combinations(prints, 2)), key=lambda p: (-p.score, p.a, p.b))
    if solution:
        ref = fingerprint("reference solution", solution, boilerplate)
        for label, fp in prints.items():
            pair = _compare(exercise, label, fp, "reference solution", ref)
            if pair.share_a >= REFERENCE_FLAG:
                out.reference.append(pair)
        out.reference.sort(key=lambda p: -p.share_a)
    return out


def rank_class(submissions: dict[str, dict[str, str]], stubs: dict[str, str],
               solutions: dict[str, str]) -> list[ExerciseRanking]:
    """{submission: {exercise: code}} -> one ranking per exercise that anyone wrote code for
    (code identical to the stub does not count)."""
    exercises = sorted({e for codes in submissions.values() for e in codes})
    rankings = []
    for e in exercises:
        codes = {s: c[e] for s, c in submissions.items() if e in c and c[e].strip() != stubs.get(e, "").strip()}
        if len(codes) >= 1:
            rankings.append(rank_exercise(e, codes, stubs.get(e, ""), solutions.get(e, "")))
    return rankings
