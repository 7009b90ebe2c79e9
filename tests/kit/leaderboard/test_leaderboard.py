"""The CI leaderboard: signed reports into SQLite (every submission kept, participants
ranked by their best), rejection of bad input without a trace, the terminal table, the
static page in headless Chromium. (The course workflow that feeds it is tested in
tests/kit/classroom/test_workflows.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from signed_reports import KEY, make_report, resign

from gradeschool.cli import main
from gradeschool.core.paths import PACKAGE_DIR
from gradeschool.grading.outputs import sign_report
from gradeschool.grading.signing import KEY_ENV
from gradeschool.leaderboard.page import render_html
from gradeschool.leaderboard.store import DuplicateSubmission, Leaderboard, SubmissionError

pytestmark = pytest.mark.kit

TEMPLATES = PACKAGE_DIR / "templates" / "github"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def report(solved: list[str], ratio: float | None, created: str, pseudonym: str | None = None) -> dict:
    """A signed report (see signed_reports.make_report), bound to `pseudonym`."""
    return make_report(solved, ratio, created, pseudonym=pseudonym)


# (pseudonym, solved exercises, speed ratio, graded at): ada's best is her second report.
SUBMISSIONS = [
    ("ada", ["relu"], 3.0, "2026-11-01T09:00:00+00:00"),
    ("ada", ["relu", "softmax"], 2.0, "2026-11-02T09:00:00+00:00"),
    ("ada", ["relu"], 1.0, "2026-11-03T09:00:00+00:00"),
    ("grace", ["relu", "softmax"], 1.5, "2026-11-02T12:00:00+00:00"),
    ("linus", ["relu", "softmax"], 1.5, "2026-11-02T10:00:00+00:00"),
    ("alan", ["relu", "softmax", "log_softmax"], 4.0, "2026-11-04T09:00:00+00:00"),
    ("edsger", [], None, "2026-11-01T08:00:00+00:00"),
]
ORDER = ["alan", "linus", "grace", "ada", "edsger"]  # points, then speed, then the earlier time


@pytest.fixture()
def board(tmp_path):
    with Leaderboard(tmp_path / "lb.sqlite", key=KEY) as b:
        for name, solved, ratio, when in SUBMISSIONS:
            b.submit(report(solved, ratio, when, name))
        yield b


def dump(b: Leaderboard) -> list[str]:
    return list(b.db.iterdump())


def test_ranking_points_then_speed_then_earliest(board):
    standings = board.standings()
    assert [e.name for e in standings] == ORDER
    assert [e.rank for e in standings] == [1, 2, 3, 4, 5]
    ada = next(e for e in standings if e.name == "ada")
    assert (ada.points, ada.speed, ada.submissions) == (4.0, 2.0, 3)
    assert standings[0].points == 7.0 and standings[-1].speed is None
    assert len(board.history()) == len(SUBMISSIONS), "every submission is kept"


def test_speed_figure_counts_only_correct_exercises(board):
    alan = board.standings()[0]
    assert alan.speed == pytest.approx(4.0)
    edsger = board.standings()[-1]
    assert edsger.speed is None, "no correct exercise: no speed figure"


def forged_points(r: dict) -> dict:
    r = json.loads(json.dumps(r))
    r["totals"]["points"] = r["totals"]["max_points"]
    return r


def resigned_inconsistent(r: dict) -> dict:
    return resign(forged_points(r))


def other_version(r: dict) -> dict:
    return resign(dict(r, kit_version="0.0.1-unknown"))


BAD = {
    "forged points": (forged_points, "signature does not match"),
    "another key": (lambda r: sign_report({k: v for k, v in r.items() if k != "signature"}, b"other"),
                    "signature does not match"),
    "unsigned": (lambda r: {k: v for k, v in r.items() if k != "signature"}, "signature does not match"),
    "totals do not add up": (resigned_inconsistent, "do not add up"),
    "unknown kit version": (other_version, "kit version '0.0.1-unknown' is not accepted"),
    "another schema": (lambda r: dict(r, schema="something/9"), "unknown report schema"),
    "not an object": (lambda r: [r], "a report is a JSON object"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_reports_are_rejected_and_change_nothing(board, case):
    make, message = BAD[case]
    before = dump(board)
    bad = make(report(["relu"], 1.0, "2026-11-05T09:00:00+00:00", "mallory"))
    with pytest.raises(SubmissionError, match=message):
        board.submit(bad, "mallory")
    assert dump(board) == before


def test_duplicate_and_bad_names_are_rejected(board):
    before = dump(board)
    again = report(*SUBMISSIONS[0][1:], SUBMISSIONS[0][0])
    with pytest.raises(DuplicateSubmission, match="already submission 1 .of ada"):
        board.submit(again)
    for name in ["", "a@b.org", "../etc/passwd", "x" * 40]:
        with pytest.raises(SubmissionError, match="not a pseudonym"):
            board.submit(report(["relu"], 9.0, "2026-11-09T09:00:00+00:00"), name, accept_unbound=True)
    assert dump(board) == before


def test_malformed_json_is_rejected(board, tmp_path):
    before = dump(board)
    for text in ["{", "", "\xff"]:
        path = tmp_path / "report.json"
        path.write_bytes(text.encode("latin-1"))
        with pytest.raises(SubmissionError, match="not valid JSON|not UTF-8"):
            board.submit_file(path, "mallory")
    assert dump(board) == before


def test_accepting_another_kit_version_on_request(board):
    r = other_version(report(["relu"], 1.0, "2026-11-06T09:00:00+00:00", "ada"))
    board.submit(r, "ada", accept_versions=["0.0.1-unknown"])
    assert board.count() == len(SUBMISSIONS) + 1


# ------------------------------------------------------------------ the command line
@pytest.fixture()
def reports_dir(tmp_path):
    folder = tmp_path / "reports"
    for i, (name, solved, ratio, when) in enumerate(SUBMISSIONS):
        path = folder / f"{i}-{name}" / "report.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(report(solved, ratio, when, name)))
    return folder


def test_cli_submit_show_html(reports_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    db = str(tmp_path / "cli.sqlite")
    for i, (name, *_rest) in enumerate(SUBMISSIONS):
        assert main(["leaderboard", "submit", str(reports_dir / f"{i}-{name}" / "report.json"),
                     "--name", name, "--db", db]) == 0
    first = str(reports_dir / f"0-{SUBMISSIONS[0][0]}" / "report.json")
    assert main(["leaderboard", "submit", first, "--name", "ada", "--db", db]) == 1
    assert "rejected: duplicate" in capsys.readouterr().err
    assert main(["leaderboard", "submit", first, "--name", "ada", "--db", db, "--skip-duplicates"]) == 0
    capsys.readouterr()
    assert main(["leaderboard", "show", "--db", db]) == 0
    table = capsys.readouterr().out.splitlines()
    names = [line.split()[1] for line in table[2:2 + len(ORDER)]]
    assert names == ORDER
    out = tmp_path / "site" / "index.html"
    assert main(["leaderboard", "html", str(out), "--db", db, "--highlight", "ada"]) == 0
    page = out.read_text()
    assert "/home/someone" not in page and "real-name" not in page, "only pseudonyms on the page"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the page must not fetch anything"


def test_a_fresh_database_is_an_empty_leaderboard(tmp_path, capsys):
    """The course's first run has no database yet: `show` and `html` print an empty
    leaderboard (exit 0) and create nothing."""
    db = tmp_path / "none.sqlite"
    assert main(["leaderboard", "show", "--db", str(db)]) == 0
    assert "the leaderboard is empty" in capsys.readouterr().out
    assert main(["leaderboard", "html", str(tmp_path / "site" / "index.html"), "--db", str(db)]) == 0
    assert "<table" in (tmp_path / "site" / "index.html").read_text()
    assert not db.exists()


# ------------------------------------------------------------------ the page in Chromium
def chromium():
    """Playwright's sync API, or skip when Debian's chromium or playwright is missing."""
    if not CHROMIUM.exists():
        pytest.skip("the page test needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
    return pytest.importorskip("playwright.sync_api", reason="the page test needs the playwright package")


def test_page_in_headless_chromium(board, tmp_path):
    sync_api = chromium()
    page_file = tmp_path / "index.html"
    page_file.write_text(render_html(board.standings(), board.history(), board.topics(), highlight="grace", top=2))
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())

            def names():
                return page.eval_on_selector_all("#board tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.n)")

            assert names() == ORDER
            assert page.eval_on_selector_all("#board tbody tr.me", "rs => rs.map(r => r.dataset.n)") == ["grace"]
            page.click("#board thead th:has-text('speed')")  # fastest first, none last
            assert names() == ["linus", "grace", "ada", "alan", "edsger"]
            page.click("#board thead th:has-text('speed')")  # slowest first, none still last
            assert names() == ["alan", "ada", "linus", "grace", "edsger"]
            page.click("#board thead th:has-text('pseudonym')")
            assert names() == sorted(ORDER)
            assert page.get_attribute("#board thead th:has-text('pseudonym')", "aria-sort") == "ascending"
            page.click("#board thead th:has-text('#')")
            assert names() == ORDER

            def lines():
                return dict(page.eval_on_selector_all("#chart g", "gs => gs.map(g => [g.dataset.name, "
                                                      "g.querySelectorAll('circle').length])"))

            assert lines() == {"alan": 1, "linus": 1, "grace": 1}, "the top 2 and the highlighted participant"
            page.fill("#search", "ad")
            assert names() == ["ada"]
            page.press("#search", "Enter")  # "this is me": ada's row and line
            assert names() == ORDER
            assert page.eval_on_selector_all("#board tbody tr.me", "rs => rs.map(r => r.dataset.n)") == ["ada"]
            assert lines() == {"alan": 1, "linus": 1, "ada": 3}
            assert all(u.startswith("file://") for u in requests), requests
        finally:
            browser.close()
