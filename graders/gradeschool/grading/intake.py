"""The supervisor's safe copy of a submission, made before anything else looks at it.

The supervisor runs unsandboxed, with the signing key at hand, so it must never follow
what a learner put in their folder: a `neuron.py` that is a symbolic link to the kit's
solution, to a classmate's file or to `.gradeschool/key`, a FIFO that blocks the reader,
a device, a hard link to a file elsewhere, or a file of gigabytes. `take()`:

* opens the submission folder once, without following a symbolic link, and every file
  relative to that open folder (`openat` with O_NOFOLLOW): no path is resolved twice, so
  nothing can be swapped between a check and a read;
* looks only at the expected names: the catalogue's topic modules (`<topic>.py`), or
  else the folder's notebooks (`*.ipynb`); everything else in the folder is ignored;
* accepts a file only when it is a regular file (checked with lstat before opening, so a
  device or a FIFO is never even opened, and again with fstat on what was opened), has no
  other hard link, and is at most `max_bytes` long; it is read once;
* writes the bytes it read into a fresh folder of its own (mode 0700, made by mkdtemp)
  that no other grading can write, and computes the SHA-256 digest over exactly those
  bytes.

A refused file is never read, never copied and never credited: `Intake.refused` holds a
message for people naming the file and the reason, for the report.

The submission itself being a symbolic link (the folder, or a lone notebook) is refused
too: its path comes from the person grading or from the class folder's listing, and a
class folder holding a link (to another student's folder, to the kit) is a mistake or an
attack either way; the message says which path to pass instead.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_MODULE = 2 * 2**20      # bytes: a topic module (the worker's MAX_SOURCE)
MAX_NOTEBOOK = 16 * 2**20   # bytes: a notebook may hold pictures in its outputs

KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
         (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
         (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


class SubmissionRefused(Exception):
    """The submission as a whole cannot be taken (a link, not a folder, not readable)."""


@dataclass
class Intake:
    """What was taken: the private copy, the bytes by file name, the refusals, the digest."""
    folder: Path                                     # the private copy (mode 0700)
    files: dict[str, bytes] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # file name -> message
    notebooks: bool = False
    digest: str = ""


def _kind(mode: int) -> str:
    for test, name in KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _read_one(dfd: int, name: str, max_bytes: int) -> bytes | str:
    """The content of `name` in the folder `dfd`, or why it is refused."""
    try:
        before = os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except OSError as err:
        return f"{name} cannot be read ({err.strerror})"
    if not stat.S_ISREG(before.st_mode):
        return f"{name} is {_kind(before.st_mode)}, not a regular file: it was not read"
    if before.st_nlink > 1:
        return (f"{name} has {before.st_nlink - 1} other hard link(s): a hard link can reach a "
                "file outside the submission, so it was not read (copy the file instead)")
    if before.st_size > max_bytes:
        return f"{name} is {before.st_size} bytes, more than the limit of {max_bytes}: it was not read"
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(name, flags, dir_fd=dfd)
    except OSError as err:
        return f"{name} cannot be opened ({err.strerror})"
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISREG(now.st_mode) \
                or now.st_nlink > 1:
            return f"{name} changed while it was being read: it was not read"
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as err:
        return f"{name} cannot be read ({err.strerror})"
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        return f"{name} grew beyond the limit of {max_bytes} bytes while it was read: it was not read"
    return data


def read_file(path: Path, max_bytes: int = MAX_NOTEBOOK) -> bytes | str:
    """One file's bytes, read as `take` reads a submission's (no link followed, regular
    files only, no other hard link, under `max_bytes`), or why it is refused."""
    path = Path(os.path.abspath(path))
    try:
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        return f"{path.parent} cannot be opened ({err.strerror})"
    try:
        return _read_one(dfd, path.name, max_bytes)
    finally:
        os.close(dfd)


def _present(dfd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dfd, follow_symlinks=False)
        return True
    except OSError:
        return False


def digest_of(files: dict[str, bytes]) -> str:
    """SHA-256 over each file's name and bytes, in the given order."""
    h = hashlib.sha256()
    for name, data in files.items():
        h.update(name.encode() + b"\0" + data + b"\0")
    return h.hexdigest()


def take(path: Path, modules: list[str], workdir: Path | None = None,
         max_module: int = MAX_MODULE, max_notebook: int = MAX_NOTEBOOK) -> Intake:
    """Copy the submission at `path` (a folder, or one notebook) into a fresh private folder
    (under `workdir` when given). `modules` are the catalogue's topic module names."""
    path = Path(os.path.abspath(path))
    try:
        st = os.lstat(path)
    except OSError as err:
        raise SubmissionRefused(f"{path} cannot be read ({err.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        raise SubmissionRefused(
            f"{path} is a symbolic link; submissions are never followed through links: grade "
            f"the folder it points to ({os.path.realpath(path)}) by that path if it is right")
    if stat.S_ISREG(st.st_mode) and path.suffix == ".ipynb":
        folder, names, notebooks = path.parent, [path.name], True
    elif stat.S_ISDIR(st.st_mode):
        folder, names, notebooks = path, None, False
    else:
        raise SubmissionRefused(f"{path} is {_kind(st.st_mode)}: a submission is a folder or a notebook")
    try:
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC |
                      (os.O_NOFOLLOW if not notebooks else 0))
    except OSError as err:
        raise SubmissionRefused(f"{folder} cannot be opened ({err.strerror})") from None
    try:
        if names is None:
            names = [m for m in modules if _present(dfd, m)]
            if not names:
                found = sorted(n for n in os.listdir(dfd) if n.endswith(".ipynb"))
                names, notebooks = found, bool(found)
        copy = Path(tempfile.mkdtemp(prefix="gradeschool-copy-", dir=workdir))
        intake = Intake(copy, notebooks=notebooks)
        for name in names:
            got = _read_one(dfd, name, max_notebook if notebooks else max_module)
            if isinstance(got, str):
                intake.refused[name] = got
                continue
            intake.files[name] = got
            out = os.open(copy / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(out, "wb") as f:
                f.write(got)
    finally:
        os.close(dfd)
    intake.digest = digest_of(intake.files)
    return intake
