"""The leaderboard at course scale: 200 participants x 3 submissions, some of whose reports
cover only some topics, stored, ranked and shown in headless Chromium at 1280 px and 390
px. Measures bytes per stored submission, the page's size and its render time (printed,
and written to leaderboard-figures.json beside the screenshots); the screenshots go to
$GRADESCHOOL_SCREENSHOT_DIR when set (else the test's temporary folder)."""

from __future__ import annotations

import json
import os
import random
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from signed_reports import CATALOGUE, make_report
from test_leaderboard import CHROMIUM, CHROMIUM_ARGS, chromium

from gradeschool.leaderboard.page import render_html
from gradeschool.leaderboard.store import Leaderboard

pytestmark = [pytest.mark.kit, pytest.mark.slow]

PARTICIPANTS, PER_PARTICIPANT, TOP = 200, 3, 10
GITHUB_FILE_LIMIT = 100 * 2**20
WORDS = ["amber", "brisk", "cobalt", "dune", "ember", "fjord", "gale", "heron", "iris", "juniper", "kelp",
         "lumen", "moss", "nimbus", "onyx", "pike", "quill", "rune", "sable", "tarn"]
TOPICS = CATALOGUE.topic_names()


def pseudonyms() -> list[str]:
    rng = random.Random(3)
    names = [f"{a}-{b}" for a in WORDS for b in WORDS if a != b]
    rng.shuffle(names)
    return names[:PARTICIPANTS - 1] + ["a-rather-long-pseudonym-of-32-ch"]


def class_reports() -> list[dict]:
    """Three reports per participant, points rising; every fifth participant grades topic
    by topic (a later report covers other topics than an earlier one: no drop allowed); a
    group of leaders ties at full marks with different speed figures."""
    rng = random.Random(11)
    start = datetime(2026, 11, 2, 8, tzinfo=UTC)
    reports = []
    for i, name in enumerate(pseudonyms()):
        level = 1.0 if i < 16 else rng.random()
        for k in range(PER_PARTICIPANT):
            share = level * (k + 1) / PER_PARTICIPANT if i >= 16 else (0.6, 0.9, 1.0)[k]
            topics = TOPICS if i % 5 else TOPICS[k::PER_PARTICIPANT]  # the three reports cover every topic
            exercises = [e for t in topics for e in CATALOGUE.topic(t).exercises]
            solved = [e.name for e in exercises if rng.random() < share]
            when = start + timedelta(hours=rng.uniform(0, 24 * 20) * (k + 1) / PER_PARTICIPANT)
            reports.append(make_report(solved, round(rng.uniform(0.6, 4.0), 3), when.isoformat(),
                                       pseudonym=name, exercises=exercises))
    return reports


@pytest.fixture(scope="module")
def board_at_scale(tmp_path_factory):
    path = tmp_path_factory.mktemp("scale") / "leaderboard.sqlite"
    from signed_reports import KEY

    with Leaderboard(path, key=KEY) as b:
        for r in class_reports():
            b.submit(r)
        b.db.execute("VACUUM")
        yield b


def out_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("GRADESCHOOL_SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_storage_stays_far_below_githubs_file_limit(board_at_scale):
    board = board_at_scale
    assert board.count() == PARTICIPANTS * PER_PARTICIPANT
    per_submission = board.path.stat().st_size / board.count()
    print(f"\nstorage: {board.path.stat().st_size} bytes for {board.count()} submissions = "
          f"{per_submission:.0f} bytes per submission; 100 MB holds {GITHUB_FILE_LIMIT / per_submission:,.0f}")
    assert per_submission < 1024, "200 students x 100 submissions each must fit in a fraction of 100 MB"


def test_ranking_ties_and_partial_reports(board_at_scale):
    standings = board_at_scale.standings()
    assert len(standings) == PARTICIPANTS
    full = [e for e in standings if e.points == e.max_points == sum(t.points for t in CATALOGUE.topics)]
    assert len(full) >= 10, "leaders tie at full marks"
    keys = [(e.band if e.band is not None else 99, e.graded_at) for e in full]
    assert keys == sorted(keys), "full marks: the speed band, then the time reached"
    topic_by_topic = [e for e in standings if pseudonyms().index(e.name) % 5 == 0]
    assert all(len(e.topics) == len(TOPICS) for e in topic_by_topic), "every topic graded in some report counts"


def test_page_reads_at_200_participants(board_at_scale, tmp_path):
    sync_api = chromium()
    board = board_at_scale
    standings = board.standings()
    names = pseudonyms()
    me = next(e.name for e in standings[120:] if names.index(e.name) % 5 == 0)  # graded topic by topic
    folder = out_dir(tmp_path)
    page_file = tmp_path / "index.html"
    started = time.perf_counter()
    page_file.write_text(render_html(standings, board.history(), board.topics(), top=TOP), encoding="utf-8")
    build_ms = (time.perf_counter() - started) * 1000
    figures = {"participants": PARTICIPANTS, "submissions": board.count(), "page_bytes": page_file.stat().st_size,
               "build_ms": round(build_ms), "bytes_per_submission": round(board.path.stat().st_size / board.count())}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for width in (1280, 390):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(page_file.as_uri())
                page.wait_for_selector("html[data-ready]")
                timing = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
                    const p = performance.getEntriesByName('first-contentful-paint')[0];
                    return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd, paint: p ? p.startTime : null}; }""")
                figures[f"render_ms_{width}"] = {k: None if v is None else round(v) for k, v in timing.items()}
                overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{width} px: the page scrolls sideways by {overflow} px"
                height = page.evaluate("() => document.documentElement.scrollHeight")
                figures[f"page_height_{width}"] = height
                assert height < 3000, "200 rows scroll inside their box, the chart stays near"

                drawn = page.eval_on_selector_all("#chart g", "gs => gs.map(g => g.dataset.name)")
                assert drawn == [e.name for e in standings[:TOP]], "the chart draws the top N only"
                page.screenshot(path=str(folder / f"leaderboard-{width}-top.png"))
                page.fill("#search", me)
                page.press("#search", "Enter")
                assert page.eval_on_selector_all("#board tbody tr.me", "rs => rs.map(r => r.dataset.n)") == [me]
                assert page.evaluate("""() => {
                    const r = document.querySelector('#board tr.me').getBoundingClientRect();
                    const b = document.querySelector('.box').getBoundingClientRect();
                    return r.top >= b.top && r.bottom <= b.bottom; }"""), "my row is scrolled into view"
                drawn = page.eval_on_selector_all("#chart g", "gs => gs.map(g => g.dataset.name)")
                assert drawn == [*(e.name for e in standings[:TOP]), me], "the top N and my line"
                for d in page.eval_on_selector_all("#chart path", "ps => ps.map(p => p.getAttribute('d'))"):
                    ys = [float(v) for v in re.findall(r"[MV][\d.]+,?([\d.]+)?", d.replace("V", "V0,")) if v]
                    assert ys == sorted(ys, reverse=True), f"progress never drops: {d}"
                page.fill("#search", "moss")
                shown = page.eval_on_selector_all("#board tbody tr:not([hidden])", "rs => rs.map(r => r.dataset.n)")
                assert shown and all("moss" in n for n in shown)
                page.fill("#search", "")
                page.click("#mine")  # back to my row after the search
                page.evaluate("() => window.scrollTo(0, 0)")
                page.screenshot(path=str(folder / f"leaderboard-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    (folder / "leaderboard-figures.json").write_text(json.dumps(figures, indent=1))
    print(f"\npage at {PARTICIPANTS} x {PER_PARTICIPANT}: {json.dumps(figures)}")
    assert figures["page_bytes"] < 242_000, "smaller than the old page at 200 participants"
