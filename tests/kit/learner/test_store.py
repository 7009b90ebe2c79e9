"""Problem 1 of issue 14: progress is never lost. One store (.gradeschool/progress.json)
is updated by every command under a file lock with atomic replace: a running watch does
not overwrite what `gradeschool hint` and `gradeschool check` record in another shell,
and `check` records what it ran (list and watch's bar then count it)."""

import json
import subprocess
import sys
import textwrap

import pytest
from kitutils import CATALOGUE, copy_kit, gradeschool_cli, solution_code, write_definition

pytestmark = pytest.mark.kit


@pytest.fixture
def kit(tmp_path):
    return copy_kit(tmp_path / "kit")


def saved(kit) -> dict:
    return json.loads((kit / ".gradeschool" / "progress.json").read_text())


def test_check_records_what_it_ran(kit):
    write_definition(kit, "relu", solution_code("relu"))
    out = gradeschool_cli(kit, "check", "relu", timeout=300)
    assert out.returncode == 0 and "✔ relu" in out.stdout, out.stdout + out.stderr
    assert saved(kit)["exercises"]["relu"]["status"] == "passed"
    listed = gradeschool_cli(kit, "list").stdout
    line = next(x for x in listed.splitlines() if " relu " in x)
    assert "✔ relu" in line and "1/1" in line and "done" in line, listed
    assert f"1/{len(CATALOGUE.exercises())} exercises done" in listed


def test_two_commands_at_once_keep_each_others_updates(kit, watch):
    """watch runs in one shell; in another the learner asks two hints and checks relu.
    Then watch moves on (n), which saves the exercise it is on: nothing of the other
    shell's updates may be lost, and watch's bar counts relu as done."""
    write_definition(kit, "relu", solution_code("relu"))
    first = CATALOGUE.exercises()[0]
    w = watch(kit, first.name)
    w.read_until(f"{first.name}: not started")
    for _ in range(2):
        assert gradeschool_cli(kit, "hint", "relu").returncode == 0
    checked = gradeschool_cli(kit, "check", "relu", timeout=300)
    assert "relu" in checked.stdout, checked.stdout + checked.stderr
    w.press("n")
    second = CATALOGUE.exercises()[1]
    screen = w.read_until(f"{second.name}: not started")
    assert w.quit() == 0
    progress = saved(kit)
    assert progress["hints"].get("relu") == 2, progress
    assert progress["current"] == second.name, progress
    assert progress["exercises"]["relu"]["status"] == "passed", progress
    assert f"1/{len(CATALOGUE.exercises())} exercises done" in screen, screen


STRESS = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from gradeschool.core.catalogue import load_catalogue
    from gradeschool.learner.store import ProgressStore
    names, go = sys.argv[1].split(","), Path(sys.argv[2])
    while not go.exists():
        time.sleep(0.01)
    store = ProgressStore()
    catalogue = load_catalogue()
    for name in names:
        store.next_hint(catalogue.exercise(name))
        store.set_current(name)
''')


def test_concurrent_updates_are_never_lost(kit, tmp_path):
    """Two processes update the store 30 times each, at the same moment: every update stays."""
    import os

    names = [e.name for e in CATALOGUE.exercises() if e.hints][:60]
    go = tmp_path / "go"
    env = {**os.environ, "GRADESCHOOL_ROOT": str(kit)}
    procs = [subprocess.Popen([sys.executable, "-c", STRESS, ",".join(half), str(go)], env=env)
             for half in (names[0::2], names[1::2])]
    go.touch()
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    assert saved(kit)["hints"] == {n: 1 for n in names}
