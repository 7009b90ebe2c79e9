"""Measure the speed gates: the ratio to torch of every implementation style, gate by gate.

    python tests/kit/testing/calibrate_gates.py                      # every topic, 10 runs
    python tests/kit/testing/calibrate_gates.py --topic neuron --runs 20 --exercise softmax
    python tests/kit/testing/calibrate_gates.py --json gates.json    # also save every ratio

For each gate of tests/topics/test_<topic>.py (its SPEED_GATES list; speed tests outside that
list, such as lstm's sequence gates test_lstm_speed and test_rnn_speed, are not measured here)
and each dtype, it
times, exactly as assert_speed does (speed.measure_ratio: one thread each, alternating with
torch, more rounds for a ratio just over the limit):
- `solution`: solutions/<topic>.py;
- `alt:<name>`: the exercise's correct alternatives (tests/kit/testing/alternatives/,
  other styles a learner may write: allocating temporaries, float64 intermediates, ...);
- `loop:<name>`: the exercise's loop mutants (tests/mutants/, names containing "loop").
Each is measured `--runs` times; the table gives min / median / max of the ratio, the
gate's max_ratio and the margins: `correct` = max_ratio / the slowest correct run (must
stay well above 1), `loop` = the fastest loop run / max_ratio (must stay well above 1).

Measure on a quiet machine and write down its load (`uptime`) beside the figures; on a
shared one, run it twice, or under a deliberate second busy process (`--busy`) to see the
worst case. `MALLOC_MMAP_THRESHOLD_=131072 python ...` measures with glibc's dynamic mmap
threshold switched off (every large temporary then costs page faults)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
ALTERNATIVES = Path(__file__).resolve().parent / "alternatives"
TOPICS = ("neuron", "losses", "backprop", "optimizers", "regularization", "cnn", "lstm", "attention")


def topic_gates(topic: str) -> list:
    """SPEED_GATES of tests/topics/test_<topic>.py."""
    path = ROOT / "tests" / "topics" / f"test_{topic}.py"
    spec = importlib.util.spec_from_file_location(f"_calibrate_{topic}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, "SPEED_GATES", []))


def styles(exercise: str):
    """(label, Implementation) for the solution, the alternatives and the loop mutants."""
    from gradeschool.core.local import LocalImplementation
    from gradeschool.core.paths import solutions_dir
    from gradeschool.harness.mutants import implementation_for, load_mutants

    found = [("solution", LocalImplementation(solutions_dir(), label="solutions"))]
    found += [(f"alt:{m.name}", implementation_for(m)) for m in load_mutants(ALTERNATIVES) if m.exercise == exercise]
    found += [(f"loop:{m.name}", implementation_for(m)) for m in load_mutants()
              if m.exercise == exercise and "loop" in m.name]
    return found


def ratios(gate, dtype, impl, runs: int) -> list[float]:
    """`runs` ratios measured as assert_speed measures one; a loop 30x over the limit on its
    first call is timed once."""
    from gradeschool.testing.speed import CLEARLY_OVER, ROUNDS, _tensors, measure_ratio, single_thread

    args, kwargs = gate.arguments(dtype)
    fn, torch_fn = gate.fn(impl), gate.torch_fn
    tkw = gate.torch_kwargs if gate.torch_kwargs is not None else {k: _tensors(v) for k, v in kwargs.items()}
    targs = [_tensors(a) for a in args]
    candidate = impl.timer(fn, tuple(args), dict(kwargs))

    def reference():
        import torch

        with torch.no_grad():
            return torch_fn(*targs, **tkw)

    found = []
    with single_thread():
        reference()
        ref_time = min(_timed(reference) for _ in range(3))
        candidate()  # a warm-up, as the gate's (caches, lazy imports, first allocations)
        first = _timed(candidate)
        if first > 30 * gate.max_ratio * ref_time:  # a loop far over the limit: one call tells
            return [first / ref_time]
        for _ in range(runs):
            found.append(measure_ratio(candidate, reference, ROUNDS, CLEARLY_OVER * gate.max_ratio,
                                       limit=gate.max_ratio)[0])
    return found


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _busy(stop):
    while not stop.is_set():
        sum(i * i for i in range(10000))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topic", action="append", choices=TOPICS)
    parser.add_argument("--exercise", action="append")
    parser.add_argument("--gate", action="append", help="only gates whose label contains this")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", help="write every ratio to this file")
    parser.add_argument("--busy", action="store_true", help="measure beside a second busy process")
    opts = parser.parse_args(argv)
    stop = multiprocessing.Event()
    busy = multiprocessing.Process(target=_busy, args=(stop,), daemon=True) if opts.busy else None
    if busy:
        busy.start()
    table = []
    try:
        for topic in opts.topic or TOPICS:
            for gate in topic_gates(topic):
                if opts.exercise and gate.exercise not in opts.exercise:
                    continue
                if opts.gate and not any(g in gate.label for g in opts.gate):
                    continue
                for label, impl in styles(gate.exercise):
                    for dtype in (np.float32, np.float64):
                        found = ratios(gate, dtype, impl, opts.runs)
                        row = dict(exercise=gate.exercise, gate=gate.label, dtype=np.dtype(dtype).name, style=label,
                                   max_ratio=gate.max_ratio, min=min(found), median=statistics.median(found),
                                   max=max(found), ratios=found)
                        table.append(row)
                        print(f"{row['gate']:42} {row['dtype']:8} {label:28} limit {gate.max_ratio:5g}  "
                              f"min {row['min']:8.2f}  median {row['median']:8.2f}  max {row['max']:8.2f}",
                              flush=True)
    finally:
        if busy:
            stop.set()
            busy.join()
    print(summary(table))
    if opts.json:
        Path(opts.json).write_text(json.dumps(table, indent=1))
    return 0


def summary(table: list[dict]) -> str:
    """Per exercise and dtype: the smallest margin of the correct styles (a gate's limit over
    its slowest correct run) and, for each loop, its largest margin (its fastest run at the
    gate where that loop's axis is long, over the gate's limit). Both must stay well above 1."""
    lines = ["", f"{'exercise':34} {'dtype':8} {'correct: worst run / limit (margin)':38} "
                 "loops: best gate, run / limit (margin)"]
    exercises = dict.fromkeys((r["exercise"], r["dtype"]) for r in table)
    for exercise, dtype in exercises:
        rows = [r for r in table if (r["exercise"], r["dtype"]) == (exercise, dtype)]
        correct = [r for r in rows if not r["style"].startswith("loop:")]
        worst = max(correct, key=lambda r: r["max"] / r["max_ratio"])
        margin = worst["max_ratio"] / worst["max"]
        text = f"{worst['max']:.2f} / {worst['max_ratio']:g} at {worst['gate']} ({margin:.1f}x)"
        loops = []
        for style in dict.fromkeys(r["style"] for r in rows if r["style"].startswith("loop:")):
            best = max((r for r in rows if r["style"] == style), key=lambda r: r["min"] / r["max_ratio"])
            loops.append(f"{style[5:]}: {best['min']:.1f} / {best['max_ratio']:g} at {best['gate']} "
                         f"({best['min'] / best['max_ratio']:.1f}x)")
        slowest_loop = min((max(r["min"] for r in rows if r["style"] == s) for s in
                            dict.fromkeys(r["style"] for r in rows if r["style"].startswith("loop:"))), default=None)
        between = f"  (limit with equal margins: {(worst['max'] * slowest_loop) ** 0.5:.0f})" if slowest_loop else ""
        lines.append(f"{exercise:34} {dtype:8} {text:38} {'; '.join(loops) or '-'}{between}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "tests" / "kit"))
    sys.exit(main())
