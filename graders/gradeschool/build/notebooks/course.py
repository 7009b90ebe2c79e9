"""An nbgrader course folder: `nbgrader_config.py` and `source/<topic>/<topic>.ipynb` for
each topic (`gradeschool nbgrader build`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gradeschool.build.notebooks.source import build_notebook
from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import solutions_dir
from gradeschool.harness.presets import CELL_TIMEOUT_S, TEST_TIMEOUT_S

NBGRADER_CONFIG = '''\
"""nbgrader configuration written by `gradeschool nbgrader build` (edit freely)."""

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = {course_id!r}
# Grade cells write nothing here (their temporary files live outside the course), and
# nothing stray is released or fed back either.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".hypothesis", ".pytest_cache",
    ".benchmarks", "gradeschool-*", "*.results.json",
]
# The property tests of one exercise run in one cell; each test has its own limit (the
# grade cell's `timeout`), and after one test times out the rest of that exercise fails
# at once, so a hanging answer costs one test's limit, far below this one.
c.Execute.timeout = {cell_timeout}
c.Execute.interrupt_on_timeout = True
c.Execute.kernel_name = "python3"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
# Grade cells keep torch's warnings off stderr; should a warning still reach stderr, it
# must not zero a correct answer (nbgrader counts any stderr output as a failure).
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?i)warn"
# Feedback must not show the hidden tests that autograde put back.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
'''


def build_course(course_dir: str | Path, topics: Sequence[str] = (), exercises: Sequence[str] = (),
                 seed: int | None = None, course_id: str = "gradeschool", provide: str = "compiled",
                 test_timeout: float = TEST_TIMEOUT_S) -> list[Path]:
    """Write nbgrader_config.py and source/<topic>/<topic>.ipynb for each topic; returns the
    notebooks written. `exercises` (names) limits the topics to those exercises."""
    import nbformat

    catalogue = load_catalogue()
    course = Path(course_dir)
    chosen_ex = [catalogue.exercise(n) for n in exercises]
    topics = list(topics) or sorted({e.topic for e in chosen_ex}, key=catalogue.topic_names().index) \
        or [t.name for t in catalogue.topics if (solutions_dir() / t.module).is_file()]
    for t in topics:
        catalogue.topic(t)
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(
        NBGRADER_CONFIG.format(course_id=course_id, cell_timeout=CELL_TIMEOUT_S), encoding="utf-8")
    written = []
    for t in topics:
        mine = [e.name for e in chosen_ex if e.topic == t]
        nb = build_notebook(t, mine or None, seed=seed, catalogue=catalogue, provide=provide,
                            test_timeout=test_timeout)
        out = course / "source" / t / f"{t}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(out))
        written.append(out)
    return written
