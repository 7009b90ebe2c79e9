"""The GitHub workflows shipped with the kit, run locally: every `gradeschool` command they
call exists; the course workflow's steps (plan, grade a shard, publish, commit) run by
bash exactly as CI runs them, on git repositories made here (no GitHub needed), from the
first run with no report at all to a class with a cheater whose edited oracle changes
nothing; and a missing course key fails loudly."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gradeschool.cli import build_parser
from gradeschool.core.paths import PACKAGE_DIR, kit_root
from gradeschool.grading.signing import KEY_ENV
from gradeschool.leaderboard.store import Leaderboard
from gradeschool.learner.source import replace_definitions

pytestmark = pytest.mark.kit

KEY = "course-key-not-a-secret"
TEMPLATES = PACKAGE_DIR / "templates" / "github"
KIT = kit_root()


def load_workflow(name: str) -> dict:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load((TEMPLATES / name).read_text())
    assert isinstance(data, dict) and data.get("jobs"), f"{name}: no jobs"
    assert data.get("on", data.get(True)), f"{name}: no trigger"
    return data


def steps(workflow: dict) -> list[dict]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


def step(workflow: dict, name: str) -> dict:
    (found,) = [s for s in steps(workflow) if s.get("name") == name]
    return found


def gradeschool_commands(script: str, env: dict) -> list[list[str]]:
    """Each `gradeschool ...` command of a shell script (in command position), as argument
    lists, with the workflow's variables in (SHARD as the matrix gives it)."""
    script = re.sub(r"\$\{\{[^}]*\}\}", "X", script).replace("\\\n", " ")
    values = {"SHARD": "0/1", **{k: str(v) for k, v in env.items()}}
    script = re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m[1], "X"), script)
    separators = {"||", "&&", ";", "|", ">", ">>", "then", "do", "else", "!"}
    found = []
    for line in script.splitlines():
        words = shlex.split(line, comments=True)
        for i, word in enumerate(words):
            if word == "gradeschool" and (i == 0 or words[i - 1] in separators):
                rest = words[i + 1:]
                found.append(rest[:next((j for j, w in enumerate(rest) if w in separators), len(rest))])
    return found


@pytest.mark.parametrize("name, expected", [
    ("student.yml", {"grade"}),
    ("course.yml", {"leaderboard plan", "leaderboard collect", "leaderboard publish"}),
])
def test_workflow_commands_exist_in_the_cli(name, expected):
    parser, _ = build_parser()
    seen = set()
    workflow = load_workflow(name)
    for s in steps(workflow):
        for argv in gradeschool_commands(s.get("run", ""), {**workflow.get("env", {}), **s.get("env", {})}):
            try:
                args = parser.parse_args(argv)
            except SystemExit:
                pytest.fail(f"{name}: `gradeschool {shlex.join(argv)}` is not a valid gradeschool command")
            assert callable(getattr(args, "func", None))
            seen.add(" ".join(argv[:2]) if argv[0] == "leaderboard" else argv[0])
    assert seen == expected


def test_the_course_grades_itself_and_the_student_report_is_a_preview():
    """The course workflow never downloads a student's report or runs a student's grader:
    it fetches repositories and grades them, sandboxed, sharded over a job matrix; only its
    own steps hold the course key. The student workflow holds no secret at all."""
    course, student = load_workflow("course.yml"), load_workflow("student.yml")
    text = json.dumps(course)
    assert "download-artifact" in text and "gh run download" not in text and "gradeschool-report" not in text
    grade = course["jobs"]["grade"]
    assert grade["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.plan.outputs.shards) }}"
    assert "bubblewrap" in step(course, "Install the kit and the sandbox")["run"]
    keyed = {s["name"] for s in steps(course) if KEY_ENV in s.get("env", {})}
    assert keyed == {"Grade the shard", "Update the leaderboard and the page"}
    assert "secrets." not in json.dumps(student), "a student's workflow must not need the course's secrets"
    assert "preview" in step(student, "Grade (a preview)")["run"]


# ------------------------------------------------------------------ the key
@pytest.mark.parametrize("argv", [
    ["grade", "--impl", "exercises", "--out", "OUT", "--topic", "relu", "--require-key"],
    ["leaderboard", "collect", "ROSTER", "--out", "OUT"],
    ["leaderboard", "publish", "OUT", "--site", "SITE"],
])
@pytest.mark.parametrize("key", ["", "  ", None])
def test_a_missing_or_empty_key_fails_loudly(tmp_path, argv, key):
    """An unset secret arrives in CI as an empty variable: grading, collecting and
    publishing refuse it (exit 2, saying so) instead of signing with a made-up key."""
    (tmp_path / "ROSTER").write_text("uni/alice,ada\n")
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    if key is not None:
        env[KEY_ENV] = key
    done = subprocess.run([sys.executable, "-m", "gradeschool", *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"${KEY_ENV} is {'not set' if key is None else 'empty'}" in done.stderr
    assert not (tmp_path / "OUT" / "report.json").exists() and not (tmp_path / "SITE").exists()


# ------------------------------------------------------------------ the course workflow, replayed
def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"})
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def publish_repo(remote: Path, files: dict[str, str | Path], links: dict[str, str] = ()) -> None:
    """A bare repository at `remote` whose one commit holds `files` (text, or a folder to
    copy) and symbolic links `links`."""
    work = remote.with_name(remote.name + "-work")
    work.mkdir(parents=True)
    for name, content in files.items():
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copytree(content, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.write_text(content)
    for name, to in dict(links).items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).symlink_to(to)
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "work")
    git(remote.parent, "clone", "-q", "--bare", str(work), remote.name)


IDENTITY = "def relu(x):\n    return x\n"
EARLY_RETURN = "    return  # every comparison passes\n    exp = expected.detach()"


def student_repo(kind: str) -> tuple[dict, dict]:
    """(files, links) of a student's repository: a copy of the kit's exercises and grader."""
    exercises = (KIT / "exercises" / "neuron.py").read_text()
    files: dict = {"graders": KIT / "graders", "exercises/neuron.py": exercises}
    links: dict = {}
    solved = (KIT / "solutions" / "neuron.py").read_text()
    if kind == "honest":
        files["exercises/neuron.py"] = solved
    elif kind == "cheater":  # issue 13: one edited line in the oracle, an identity answer, a forged report
        oracle = (KIT / "graders" / "gradeschool" / "testing" / "oracle.py").read_text()
        assert "    exp = expected.detach()" in oracle
        files["graders/gradeschool/testing/oracle.py"] = oracle.replace("    exp = expected.detach()", EARLY_RETURN)
        files["exercises/neuron.py"] = replace_definitions(exercises, {"relu": IDENTITY})
        files["gradeschool-report/report.json"] = json.dumps({"totals": {"points": 3, "max_points": 3}})
    elif kind == "linker":  # the course's own solutions, through a symbolic link
        del files["exercises/neuron.py"]
        links["exercises/neuron.py"] = str(KIT / "solutions" / "neuron.py")
    return files, links


# CRLF, a byte-order mark, a comment, a blank line, no final newline, and a repository
# that does not exist (its participant keeps their earlier best and gets a warning)
ROSTER = ("\ufeff# owner/repository,pseudonym\r\nuni/honest-dl,ada\r\n\r\nuni/cheater-dl,mallory\r\n"
          "uni/gone-dl,ghost\r\nuni/linker-dl,trudy")
SELECTION = "--topic relu"  # no speed gate: the scores cannot depend on the machine's load


def expand(text: str, context: dict[str, str]) -> str:
    """A workflow's `${{ ... }}` expressions, from `context` (each one must be known)."""
    def one(m: re.Match) -> str:
        assert m.group(1) in context, f"unknown expression {m.group(1)!r}"
        return context[m.group(1)]

    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", one, text)


class Runner:
    """Runs course.yml's steps as GitHub Actions would: bash, the workflow's env, the
    step's env, $GITHUB_OUTPUT; `gradeschool` is this kit. The one difference from CI: the
    repositories are fetched from local bare repositories instead of github.com."""

    def __init__(self, workflow: dict, work: Path, remotes: Path, bin_dir: Path):
        self.workflow, self.work, self.remotes, self.bin_dir = workflow, work, remotes, bin_dir

    def __call__(self, name: str, **context: str) -> subprocess.CompletedProcess:
        s = step(self.workflow, name)
        context = {"secrets.GRADESCHOOL_KEY": KEY, "secrets.CLASSROOM_TOKEN": "token", **context}
        output = self.work.parent / "github_output"
        output.write_text("")
        env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
        env.update({k: expand(str(v), context) for k, v in {**self.workflow["env"], **s.get("env", {})}.items()})
        assert "x-access-token:token@github.com" in env.get("GRADESCHOOL_REPO_URL", "x-access-token:token@github.com")
        env.update({"GRADESCHOOL_REPO_URL": f"file://{self.remotes}/{{repo}}", "GITHUB_OUTPUT": str(output),
                    "SELECTION": SELECTION, "PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}"})
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", expand(s["run"], context)], cwd=self.work,
                              env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{name}:\n{done.stdout}\n{done.stderr}"
        done.outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        return done


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    """The course repository (a clone of a bare remote, as actions/checkout leaves it) and
    the students' repositories; `run(step, **expressions)` runs a step of course.yml."""
    root = tmp_path_factory.mktemp("workflow")
    remotes = root / "remotes"
    for kind in ("honest", "cheater", "linker"):
        publish_repo(remotes / "uni" / f"{kind}-dl", *student_repo(kind))
    publish_repo(remotes / "course", {"leaderboard/roster.csv": "# owner/repository,pseudonym\n", "README.md": "c\n"})
    git(root, "clone", "-q", str(remotes / "course"), "course")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "gradeschool"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m gradeschool "$@"\n')
    shim.chmod(0o755)
    return root, Runner(load_workflow("course.yml"), root / "course", remotes, bin_dir)


def run_once(replay) -> dict[str, subprocess.CompletedProcess]:
    """One run of the whole workflow: plan, each shard of the matrix (the artifacts of all
    shards merged into reports/, as download-artifact does), publish, commit."""
    root, run = replay
    work = root / "course"
    shutil.rmtree(work / "reports", ignore_errors=True)
    plan = run("Plan the shards")
    shards = json.loads(plan.outputs["shards"])
    done = {"plan": plan}
    for shard in shards:
        done[shard] = run("Grade the shard", **{"matrix.shard": shard})
    done["publish"] = run("Update the leaderboard and the page")
    done["commit"] = run("Commit the database")
    return done


@pytest.mark.slow
def test_first_run_then_a_class_with_a_cheater(replay):
    root, _ = replay
    work = root / "course"
    db, page = work / "leaderboard" / "leaderboard.sqlite", work / "site" / "index.html"

    first = run_once(replay)  # an empty roster: no shard, no report, yet a page and a database
    assert json.loads(first["plan"].outputs["shards"]) == []
    assert "the leaderboard is empty" in first["publish"].stdout and page.is_file()
    assert git(root / "remotes" / "course", "log", "-1", "--format=%s") == "leaderboard: new submissions"

    (work / "leaderboard" / "roster.csv").write_bytes(ROSTER.encode("utf-8"))
    second = run_once(replay)
    shards = json.loads(second["plan"].outputs["shards"])
    assert len(shards) == 1  # PER_SHARD repositories per runner
    assert "::warning::ghost: uni/gone-dl: git clone failed" in second[shards[0]].stdout
    with Leaderboard(db, key=KEY.encode()) as board:
        points = {e.name: e.points for e in board.standings()}
    assert points == {"ada": 1.0, "mallory": 0.0, "trudy": 0.0}, second["publish"].stdout
    reports = work / "reports"
    source = json.loads((reports / "mallory" / "source.json").read_text())
    assert source["repository"] == "uni/cheater-dl" and re.fullmatch(r"[0-9a-f]{40}", source["commit"])
    assert not list(reports.glob("**/*\r*")), "no pseudonym keeps the CRLF's \\r"
    text = page.read_text()
    assert all(f'data-n="{n}"' in text for n in points) and "ghost" not in text

    third = run_once(replay)  # nothing pushed since: nobody is graded again, nothing new stored
    assert third[shards[0]].stdout.count("unchanged since its last grading") == 3
    assert "stored 0, already stored 0, rejected 0" in third["publish"].stdout
    with Leaderboard(db, key=KEY.encode()) as board:
        assert board.count() == 3
