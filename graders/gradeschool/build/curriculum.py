"""docs/curriculum.md, generated from the catalogue: the public contract of the kit (topic
and exercise names, what each is checked against, points). `gradeschool sync` writes it
and `gradeschool sync --check` fails when it has drifted from the catalogue, so the
document can never disagree with what the kit grades."""

from __future__ import annotations

from pathlib import Path

from gradeschool.core.catalogue import Catalogue, Exercise, load_catalogue
from gradeschool.core.paths import kit_root
from gradeschool.core.render import fmt_points

HEADER = """\
# gradeschool curriculum: what the learner builds

<!-- Generated from the catalogue (graders/gradeschool/core/catalogue/*.toml) by
`gradeschool sync`; `gradeschool sync --check` fails when it drifts. Edit the catalogue. -->

The exercises, topic by topic, in the order a learner meets them. Every exercise is
checked against a PyTorch oracle (the column "checked against"), on the CPU always and on
a GPU where one is present. Names here are the public contract of the kit: once a name
has landed it is kept (new ones may be added). Signatures, shapes and hints are in each
stub's docstring, so that a learner with only the stub open can do the exercise.

## Conventions (all topics)
- Arrays are NumPy `ndarray`s. Every function works for float32 and float64 and returns
  the input's dtype. Inputs are never modified in place (optimizers update parameters in
  place, like `torch.optim`).
- Layouts follow PyTorch: dense `x (N, D)`, images `(N, C, H, W)`, sequences batch-first
  `(N, T, D)`, attention `(N, T, E)`.
- Dense weights are stored `(in_features, out_features)` as in the notes (`x @ W + b`).
- A layer with a backward pass is a pair: `*_forward(...) -> (out, cache)` and
  `*_backward(dout, cache) -> gradients`. Losses return `(loss, dpred)`.
- Learner code may import NumPy (and the standard library) only. No torch, no SciPy, no
  autograd library inside an exercise.
- Speed gates (learner time / torch time, one thread each, side by side) reject Python
  loops where the topic's body can be vectorised.
"""


def _cell(text: str) -> str:
    """Table-safe text: a `|` (as in |x|) would end the cell."""
    return text.replace("|", "\\|")


def _functions(exercise: Exercise) -> str:
    return ", ".join(f"`{f}`" for f in exercise.functions)


def render_curriculum(catalogue: Catalogue | None = None) -> str:
    """The whole document, as text."""
    catalogue = catalogue or load_catalogue()
    parts = [HEADER]
    for topic in catalogue.topics:
        parts.append(f"\n## {topic.order}. {topic.name} — {topic.title}\n"
                     f"Module `exercises/{topic.module}` · {fmt_points(topic.points)} points\n\n"
                     "| exercise | functions | what it is | checked against | points |\n"
                     "| --- | --- | --- | --- | --- |\n")
        for e in topic.exercises:
            parts.append(f"| `{e.name}` | {_functions(e)} | {_cell(e.summary)} | {_cell(e.oracle)} "
                         f"| {fmt_points(e.points)} |\n")
        if topic.note:
            parts.append(f"\n{topic.note}\n")
    total = sum(t.points for t in catalogue.topics)
    count = sum(len(t.exercises) for t in catalogue.topics)
    parts.append(f"\n{count} exercises, {fmt_points(total)} points in all.\n")
    return "".join(parts)


def curriculum_path(root: Path | None = None) -> Path:
    return (root or kit_root()) / "docs" / "curriculum.md"
