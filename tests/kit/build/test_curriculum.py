"""docs/curriculum.md is generated from the catalogue and never drifts from it; the kit's
documents link only inside the repository."""

import re
import subprocess

import pytest

from gradeschool.build.curriculum import curriculum_path, render_curriculum
from gradeschool.build.sync import plan
from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import kit_root

pytestmark = pytest.mark.kit


def test_curriculum_is_the_catalogue():
    assert curriculum_path().read_text(encoding="utf-8") == render_curriculum(), (
        "docs/curriculum.md has drifted from the catalogue: run `gradeschool sync`")


def test_curriculum_lists_every_exercise_with_its_points():
    text = render_curriculum()
    for topic in load_catalogue().topics:
        assert f"## {topic.order}. {topic.name} — {topic.title}" in text
        for e in topic.exercises:
            row = next(line for line in text.splitlines() if line.startswith(f"| `{e.name}` |"))
            assert row.rstrip().endswith(f"| {e.points:.4g} |"), row


def test_sync_check_reports_a_drifted_curriculum(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "curriculum.md").write_text(render_curriculum().replace("| 8 |", "| 9 |"))
    (tmp_path / "exercises").mkdir()
    _, drift = plan(exercises=tmp_path / "exercises")
    assert [d.path.name for d in drift if d.path.suffix == ".md"] == ["curriculum.md"]


LINK = re.compile(r"\]\(([^)#\s]+)")


def test_documents_link_only_inside_the_repository():
    root = kit_root()
    tracked = subprocess.run(["git", "ls-files", "*.md"], cwd=root, capture_output=True, text=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    outside = []
    for name in tracked:
        for target in LINK.findall((root / name).read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            resolved = ((root / name).parent / target).resolve()
            if not resolved.is_relative_to(root) or not resolved.exists():
                outside.append(f"{name} -> {target}")
    assert not outside, f"links that leave the repository or lead nowhere: {outside}"
