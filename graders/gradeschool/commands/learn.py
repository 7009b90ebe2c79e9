"""The learner loop: `gradeschool watch` (also plain `gradeschool`), `list`, `hint`,
`reset` and `solution`. Progress is kept in the working copy under `.gradeschool/`."""

from __future__ import annotations

import re
import subprocess
import sys

ORDER = 5


def register(sub) -> None:
    p = sub.add_parser("watch", help="(default) rerun the current exercise's checks each time you save")
    p.add_argument("exercise", nargs="?", help="start at this exercise (default: the next unfinished one)")
    p.add_argument("--interval", type=float, default=0.3, help="seconds between looks at exercises/")
    p.set_defaults(func=run_watch)

    p = sub.add_parser("list", help="every exercise with its status and points")
    p.add_argument("--check", action="store_true", help="rerun every exercise's checks first")
    p.set_defaults(func=run_list)

    p = sub.add_parser("hint", help="the next hint of an exercise, each more explicit than the last")
    p.add_argument("exercise", nargs="?", help="default: the exercise you are on")
    p.add_argument("--all", action="store_true", help="show every hint")
    p.set_defaults(func=run_hint)

    p = sub.add_parser("reset", help="restore an exercise's stub (your version is kept: reset --undo)")
    p.add_argument("exercise")
    p.add_argument("--undo", action="store_true", help="bring back your version from before the last reset")
    p.set_defaults(func=run_reset)

    p = sub.add_parser("solution", help="the reference solution, once your exercise passes")
    p.add_argument("exercise")
    p.set_defaults(func=run_solution)


def _exercise(name: str):
    """The catalogue exercise called `name` (or owning the function `name`); KeyError with
    a "did you mean" otherwise."""
    from gradeschool.learner.names import find_exercise

    return find_exercise(name)


def _current(store):
    """The exercise `watch` is on, else the first one not done."""
    from gradeschool.core.paths import exercises_dir
    from gradeschool.learner.watch.state import start_exercise

    return start_exercise(store, exercises_dir())


# ---------------------------------------------------------------- watch
def run_watch(args) -> int:
    from gradeschool.learner.watch import Watcher

    start = None
    if args.exercise:
        try:
            start = _exercise(args.exercise)
        except KeyError as err:
            print(f"gradeschool watch: {err.args[0]}")
            return 2
    return Watcher(start=start, interval=args.interval).run()


# ---------------------------------------------------------------- list
def run_list(args) -> int:
    from gradeschool.core.catalogue import load_catalogue
    from gradeschool.learner.overview import render_list, render_overview, standings
    from gradeschool.learner.store import ProgressStore

    store = ProgressStore()
    if args.check:
        from gradeschool.learner.runs import check_and_record

        print("checking every exercise ...", flush=True)
        check_and_record(load_catalogue().exercises())
    progress = store.read()
    rows = standings(progress)
    print(render_overview(rows))
    print()
    print(render_list(rows, current=progress.current))
    if any(r.status == "not checked" for r in rows):
        print("\n? not checked: changed since the last check (`gradeschool list --check` checks everything)")
    return 0


# ---------------------------------------------------------------- hint
def run_hint(args) -> int:
    from gradeschool.learner.store import ProgressStore

    store = ProgressStore()
    try:
        ex = _exercise(args.exercise) if args.exercise else _current(store)
    except KeyError as err:
        print(f"gradeschool hint: {err.args[0]}")
        return 2
    if not ex.hints:
        print(f"{ex.name} has no hints; its docstring explains it.")
        return 0
    shown = len(ex.hints) if args.all else store.next_hint(ex)
    print(f"{ex.name} — {ex.summary}")
    for i, hint in enumerate(ex.hints[:shown], 1):
        print(f"  hint {i} of {len(ex.hints)}: {hint}")
    if shown < len(ex.hints):
        print(f"(`gradeschool hint {ex.name}` again for a more explicit one)")
    else:
        print(f"(that was the last hint; `gradeschool solution {ex.name}` shows the reference once yours passes)")
    return 0


# ---------------------------------------------------------------- reset
def _stub_source(module: str) -> str | None:
    """The generated stub file of a topic: from solutions/, else from the first version
    of exercises/<module> in the working copy's git history (a student release)."""
    from gradeschool.build.sync import make_exercise
    from gradeschool.core.paths import kit_root, solutions_dir

    solution = solutions_dir() / module
    if solution.is_file():
        return make_exercise(solution.read_text(encoding="utf-8"), f"solutions/{module}")
    try:
        git = ["git", "-C", str(kit_root())]
        first = subprocess.run([*git, "log", "--diff-filter=A", "--format=%H", "--", f"exercises/{module}"],
                               capture_output=True, text=True, timeout=20).stdout.split()
        if first:
            shown = subprocess.run([*git, "show", f"{first[-1]}:exercises/{module}"],
                                   capture_output=True, text=True, timeout=20)
            if shown.returncode == 0:
                return shown.stdout
    except (OSError, subprocess.SubprocessError):
        pass
    return None


def run_reset(args) -> int:
    from gradeschool.core.catalogue import load_catalogue
    from gradeschool.core.paths import exercises_dir, kit_root
    from gradeschool.learner.source import definitions, list_backups, mark_restored, replace_definitions, save_backup
    from gradeschool.learner.store import ProgressStore

    try:
        ex = _exercise(args.exercise)
    except KeyError as err:
        print(f"gradeschool reset: {err.args[0]}")
        return 2
    module = load_catalogue().topic(ex.topic).module
    path = exercises_dir() / module
    shown = path.relative_to(kit_root()) if path.is_relative_to(kit_root()) else path
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    mine = definitions(current, ex.functions)

    if args.undo:
        pending = [(p, d) for p, d in list_backups(ex) if d.get("kind") == "reset" and not d.get("restored")]
        if not pending:
            print(f"gradeschool reset --undo: no backup of {ex.name} to bring back "
                  f"(backups live in .gradeschool/backups/{ex.topic}/)")
            return 1
        backup_path, backup = pending[-1]
        kept = save_backup(ex, "undo", mine, current)
        path.write_text(replace_definitions(current, backup["definitions"]), encoding="utf-8")
        mark_restored(backup_path)
        ProgressStore().forget(ex)
        print(f"brought back your {ex.name} in {shown} (saved {_age(backup)});")
        print(f"the code it replaced is kept too: {kept.relative_to(kit_root())}")
        return 0

    stub_file = _stub_source(module)
    if stub_file is None:
        print(f"gradeschool reset: this copy of the kit has neither solutions/{module} nor a git history "
              f"of exercises/{module} to rebuild the stub from")
        return 1
    stub = definitions(stub_file, ex.functions)
    if not current:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(stub_file, encoding="utf-8")
        print(f"wrote {shown} (it was missing)")
        return 0
    if all(mine.get(f) == stub.get(f) for f in ex.functions):
        print(f"{ex.name} in {shown} is already the stub: nothing to reset")
        return 0
    kept = save_backup(ex, "reset", mine, current)
    path.write_text(replace_definitions(current, stub), encoding="utf-8")
    ProgressStore().forget(ex)
    print(f"reset {ex.name} in {shown} to its stub ({', '.join(ex.functions)}).")
    print(f"Your version is kept in {kept.relative_to(kit_root())}: "
          f"`gradeschool reset --undo {ex.name}` brings it back.")
    return 0


def _age(backup: dict) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(backup.get("created", 0)))


# ---------------------------------------------------------------- solution
MARKER = re.compile(r"^\s*#+ (BEGIN|END) SOLUTION\s*$")


def run_solution(args) -> int:
    from gradeschool.core.catalogue import load_catalogue
    from gradeschool.core.paths import solutions_dir
    from gradeschool.core.render import fmt_points
    from gradeschool.core.results import PASSED
    from gradeschool.learner.report import render_check
    from gradeschool.learner.runs import check_and_record
    from gradeschool.learner.source import definitions
    from gradeschool.learner.store import ProgressStore

    try:
        ex = _exercise(args.exercise)
    except KeyError as err:
        print(f"gradeschool solution: {err.args[0]}")
        return 2
    module = load_catalogue().topic(ex.topic).module
    solution = solutions_dir() / module
    if not solution.is_file():
        print(f"gradeschool solution: this copy of the kit has no solutions/{module} (a student release "
              "ships without solutions): your instructor has them.")
        return 1
    from gradeschool.core.local import LocalImplementation
    from gradeschool.core.paths import exercises_dir

    state = LocalImplementation(exercises_dir(), label="exercises").state(ex)
    if state.status != "ready":  # cannot pass: no need to run the tests
        print(f"{ex.name}: {state.status} — {state.message}\n\nThe reference solution of {ex.name} shows "
              f"once your exercise passes. `gradeschool hint {ex.name}` helps.")
        return 1
    print(f"checking {ex.name} first ...", flush=True)
    results, (group,) = check_and_record([ex])
    if group.status != PASSED:
        print(render_check(results, ex, ProgressStore().read().hints_seen(ex))[0])
        print(f"\nThe reference solution of {ex.name} shows once your exercise passes "
              f"(now: {group.status}). `gradeschool hint {ex.name}` helps.")
        return 1
    found = definitions(solution.read_text(encoding="utf-8"), ex.functions)
    print(f"{ex.name} passes ({fmt_points(group.earned)}/{fmt_points(ex.points)} points). "
          f"The reference solution, from solutions/{module}:\n")
    for name in ex.functions:
        code = "".join(line for line in found.get(name, "").splitlines(keepends=True) if not MARKER.match(line))
        sys.stdout.write(code.rstrip("\n") + "\n\n")
    return 0
