"""The supervisor's copy of a submission: only regular files of the expected names, never
followed through a link, read once, hashed as copied (graders/grading/intake.py).

The link attacks are the folders tests/submissions/symlink_*; FIFO, device, huge and
hard-link submissions cannot be stored in git, so the tests make them (their folders hold
a README saying what they try)."""

import hashlib
import os
import shutil
import stat
import threading
from pathlib import Path

import pytest

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import kit_root, solutions_dir
from gradeschool.grading import intake, signing

pytestmark = pytest.mark.kit

SUBMISSIONS = kit_root() / "tests" / "submissions"
MODULES = [t.module for t in load_catalogue().topics]
INTAKE_ATTACKS = ["symlink_solution", "symlink_classmate", "symlink_key", "fifo_module", "device_module",
                  "huge_module", "hardlink_module"]


def take(path: Path, **kw) -> intake.Intake:
    """intake.take, failing the test instead of hanging if it blocks (a FIFO)."""
    box: list = []
    worker = threading.Thread(target=lambda: box.append(intake.take(path, MODULES, **kw)), daemon=True)
    worker.start()
    worker.join(10)
    assert box, "taking the submission blocked"
    return box[0]


def test_the_expected_regular_files_are_copied_privately_and_hashed_as_copied(tmp_path):
    sub = tmp_path / "alice"
    sub.mkdir()
    (sub / "neuron.py").write_bytes(b"def relu(x):\n    return x\n")
    (sub / "losses.py").write_bytes(b"X = 1\n")
    (sub / "notes.txt").write_text("not a topic module")
    got = take(sub, workdir=tmp_path)
    assert list(got.files) == [m for m in MODULES if m in ("neuron.py", "losses.py")]
    assert got.refused == {} and not got.notebooks
    assert stat.S_IMODE(os.stat(got.folder).st_mode) == 0o700 and got.folder.parent == tmp_path
    assert sorted(p.name for p in got.folder.iterdir()) == ["losses.py", "neuron.py"]
    assert (got.folder / "neuron.py").read_bytes() == (sub / "neuron.py").read_bytes()
    h = hashlib.sha256()
    for name, data in got.files.items():
        h.update(name.encode() + b"\0" + data + b"\0")
    assert got.digest == h.hexdigest()


def test_notebooks_are_taken_when_there_is_no_module(tmp_path):
    sub = tmp_path / "bob"
    sub.mkdir()
    (sub / "b.ipynb").write_text("{}")
    (sub / "a.ipynb").write_text("{}")
    got = take(sub)
    assert got.notebooks and list(got.files) == ["a.ipynb", "b.ipynb"]
    lone = take(sub / "a.ipynb")
    assert lone.notebooks and list(lone.files) == ["a.ipynb"]


def _refused(got: intake.Intake, *words: str, name: str = "neuron.py") -> str:
    assert name not in got.files and list(got.refused) == [name], got
    assert not (got.folder / name).exists()
    message = got.refused[name]
    assert message.startswith(f"{name} ") and all(w in message for w in words), message
    return message


def test_a_link_to_the_kits_solution_is_refused_unread():
    _refused(take(SUBMISSIONS / "symlink_solution"), "symbolic link")


def test_a_link_to_a_classmates_file_is_refused_unread(tmp_path):
    shutil.copytree(SUBMISSIONS / "symlink_classmate", tmp_path / "mallory", symlinks=True)
    (tmp_path / "alice").mkdir()
    shutil.copy(solutions_dir() / "neuron.py", tmp_path / "alice" / "neuron.py")
    _refused(take(tmp_path / "mallory"), "symbolic link")


def test_a_link_to_the_signing_key_is_refused_and_the_key_is_never_read():
    key = signing.load_key()
    if os.environ.get(signing.KEY_ENV):
        pytest.skip("the key comes from the environment here: there is no key file to point at")
    got = take(SUBMISSIONS / "symlink_key")
    _refused(got, "symbolic link", name="losses.py")
    assert list(got.files) == ["neuron.py"] and all(key not in data for data in got.files.values())


def test_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "neuron.py")
    _refused(take(tmp_path), "FIFO")


def test_a_device_is_refused_without_opening_it(tmp_path):
    try:
        os.mknod(tmp_path / "neuron.py", 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # like /dev/zero
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")
    _refused(take(tmp_path), "character device")


def test_a_file_over_the_size_cap_is_refused(tmp_path):
    (tmp_path / "neuron.py").write_text("X = '" + "a" * (intake.MAX_MODULE + 10) + "'\n")
    _refused(take(tmp_path), "bytes, more than the limit")


def test_a_hard_link_to_a_file_elsewhere_is_refused(tmp_path):
    outside = tmp_path / "kit-solution.py"
    shutil.copy(solutions_dir() / "neuron.py", outside)
    (tmp_path / "sub").mkdir()
    os.link(outside, tmp_path / "sub" / "neuron.py")
    _refused(take(tmp_path / "sub"), "hard link")


def test_a_submission_that_is_itself_a_link_is_refused(tmp_path):
    (tmp_path / "link").symlink_to(solutions_dir())
    with pytest.raises(intake.SubmissionRefused, match="symbolic link"):
        intake.take(tmp_path / "link", MODULES)
    (tmp_path / "nb.ipynb").symlink_to(tmp_path / "elsewhere.ipynb")
    with pytest.raises(intake.SubmissionRefused, match="symbolic link"):
        intake.take(tmp_path / "nb.ipynb", MODULES)


def test_every_intake_attack_folder_is_tested():
    for name in INTAKE_ATTACKS:
        assert (SUBMISSIONS / name).is_dir()
        assert (SUBMISSIONS / name / "README.md").is_file()
