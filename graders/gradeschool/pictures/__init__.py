"""The teaching pictures, drawn from the learner's own code: `gradeschool pictures [TOPIC]`.

- backprop: the loss curve of your MLP trained by your train_mlp on XOR, two spirals and
  the digits (the capstone's settings), and its decision boundaries on the 2-D ones;
- cnn: your sobel_edges on a digit, and the first-layer filters your CNN learns;
- optimizers: the paths of your SGD (with and without momentum), RMSprop and Adam on a
  narrow valley;
- lstm: the gradient reaching each time step of your RNN (vanishing at recurrent scale
  0.5, exploding at 1.5) and of your LSTM (kept alive), and your clip_grad_norm capping it;
- attention: the attention maps of your TinyTransformer trained to reverse digit
  sequences (the capstone's settings): an anti-diagonal.

Each topic's pictures go to `pictures/<topic>/` in the learner's copy of the kit (or a
folder given with --out). A topic whose exercises are not written yet says which to write
first; an error in the learner's code is reported with its line, not a traceback.
`gradeschool check` and `watch` say where a capstone's pictures are once it passes.

This module stays cheap to import (matplotlib and the drawing code load on use)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gradeschool.core.paths import kit_root


@dataclass(frozen=True)
class TopicPictures:
    topic: str
    needs: tuple[str, ...]  # exercises the pictures call
    capstone: str           # the exercise whose passing check points at the pictures
    what: str


PICTURES = {p.topic: p for p in (
    TopicPictures("backprop", ("MLP", "train_mlp"), "train_mlp",
                  "the loss curves and decision boundaries of your MLP"),
    TopicPictures("cnn", ("sobel_edges", "CNN"), "CNN", "your Sobel edges and the filters your CNN learns"),
    TopicPictures("optimizers", ("SGD", "RMSprop", "Adam"), "Adam", "the paths of your optimizers"),
    TopicPictures("lstm", ("rnn_sequence", "lstm_sequence", "clip_grad_norm"), "lstm_sequence",
                  "the gradient norms over time of your RNN and LSTM"),
    TopicPictures("attention", ("TinyTransformer",), "TinyTransformer",
                  "the attention maps of your TinyTransformer"),
)}


class NotWritten(Exception):
    """An exercise the pictures need is not written (or cannot be used) yet."""


def folder(topic: str) -> Path:
    """Where `gradeschool pictures TOPIC` draws by default."""
    return kit_root() / "pictures" / topic


def shown_path(path: Path) -> str:
    root = kit_root()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def note_for(passed: list[str]) -> str:
    """For the exercises among `passed` that are capstones with pictures: where the
    pictures are, or the command that draws them."""
    lines = []
    for p in PICTURES.values():
        if p.capstone not in passed:
            continue
        where = folder(p.topic)
        drawn = sorted(where.glob("*.png")) if where.is_dir() else []
        if drawn:
            lines.append(f"Pictures: {p.what} are in {shown_path(where)}/ ({len(drawn)} PNG files); "
                         f"`gradeschool pictures {p.topic}` draws them again from your code.")
        else:
            lines.append(f"Pictures: `gradeschool pictures {p.topic}` draws {p.what} into {shown_path(where)}/.")
    return "\n".join(lines)


def draw(topic: str, impl, out: Path) -> list[Path]:
    """Draw a topic's pictures with `impl` (an Implementation) into `out`; NotWritten when
    an exercise they need is not ready; KeyError for a topic without pictures."""
    from gradeschool.core.catalogue import load_catalogue
    from gradeschool.pictures import drawing

    wanted = PICTURES[topic]
    catalogue = load_catalogue()
    for name in wanted.needs:
        state = impl.state(catalogue.exercise(name))
        if state.status != "ready":
            detail = f" ({state.message})" if state.message else ""
            raise NotWritten(f"write {name} first: it is {state.status}{detail}")
    out.mkdir(parents=True, exist_ok=True)
    return getattr(drawing, topic)(impl, out)
