"""`gradeschool gradescope build OUT.zip`: a Gradescope autograder package.

The zip holds, at its top (Gradescope unpacks it into /autograder/source):

* `setup.sh` (run once, as root, when Gradescope builds the image): installs bubblewrap
  and, where the image's Python is older than 3.11, python3.11 (apt); makes the system
  user `gsgrader` (for grading without a sandbox, when allowed); makes a virtual
  environment in /autograder/venv with CPU torch from PyTorch's CPU index and the kit with
  every dependency pinned to the version it was built with (`pins.txt`); then checks
  whether a sandbox can be made in this image and says what the package will do;
* `run_autograder`: `gradeschool gradescope run` (gradeschool.gradescope.autograder), and
  a results.json of 0 points should that fail before writing one;
* `kit/`: the package source (graders/), pyproject.toml, README.md, conftest.py,
  datasets/, the public tests of the selected topics and their hidden tests
  (core.paths.hidden_test_file, when present); never solutions/ or mutants;
* `pins.txt` (`name==version` of everything the kit imports), `gradescope.json` (the
  selection, the sandbox policy, the kit version, when it was built)."""

from __future__ import annotations

import json
import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from importlib.resources import files
from pathlib import Path

from gradeschool.core.catalogue import load_catalogue
from gradeschool.core.paths import PACKAGE_DIR, hidden_test_file, kit_root, topic_test_file
from gradeschool.gradescope.autograder import CONFIG

SCRIPTS = ("setup.sh", "run_autograder")
KIT_FILES = ("pyproject.toml", "README.md", "conftest.py", "LICENSE")
EXTRA_DISTRIBUTIONS = ("nbformat",)  # notebook submissions are converted with it
SKIP = re.compile(r"(^|/)(__pycache__|\.[^/]*)(/|$)|\.pyc$")


class PackageError(Exception):
    pass


@dataclass
class Package:
    path: Path
    members: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)


def _requirement_names(dist: metadata.Distribution, extras: tuple[str, ...] = ()) -> list[str]:
    from packaging.requirements import Requirement

    names = []
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ("", *extras)):
            names.append(req.name)
    return names


def pins(roots: tuple[str, ...] = ("gradeschool", *EXTRA_DISTRIBUTIONS)) -> list[str]:
    """`name==version` for every distribution the kit needs, as installed here (local
    version labels such as torch's `+cpu` dropped: the CPU index provides the same)."""
    seen: dict[str, str] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise PackageError(f"{name} is not installed here: install the kit with its classroom extras "
                               "(pip install -e '.[classroom]') before building the package") from None
        seen[key] = dist.version.split("+")[0]
        todo.extend(_requirement_names(dist))
    seen.pop("gradeschool", None)
    return [f"{k}=={v}" for k, v in sorted(seen.items())]


def _add_tree(z: zipfile.ZipFile, folder: Path, arcname: str, members: list[str]) -> None:
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and not p.is_symlink() and not SKIP.search(rel):
            z.write(p, f"{arcname}/{rel}")
            members.append(f"{arcname}/{rel}")


def _add_text(z: zipfile.ZipFile, name: str, text: str, members: list[str], executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, text)
    members.append(name)


def build_package(out: Path, selectors: list[str] = (), allow_no_sandbox: bool = False) -> Package:
    """Write the autograder zip `out` grading `selectors` (topics or exercises; all when
    empty); see the module docstring for what it holds."""
    from gradeschool.core.version import kit_version

    catalogue = load_catalogue()
    try:
        exercises = catalogue.resolve(list(selectors))
    except KeyError as err:
        raise PackageError(err.args[0]) from None
    topics = list(dict.fromkeys(e.topic for e in exercises))
    root = kit_root()
    package = Package(Path(out), pins=pins())
    config = {"selection": sorted(selectors), "topics": topics,
              "sandbox": "preferred" if allow_no_sandbox else "required",
              "kit_version": kit_version(), "built": datetime.now(UTC).isoformat(timespec="seconds")}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        scripts = files("gradeschool.gradescope") / "scripts"
        for name in SCRIPTS:
            _add_text(z, name, scripts.joinpath(name).read_text(encoding="utf-8"), package.members, executable=True)
        _add_text(z, "pins.txt", "\n".join(package.pins) + "\n", package.members)
        _add_text(z, CONFIG, json.dumps(config, indent=1) + "\n", package.members)
        for name in KIT_FILES:
            if (root / name).is_file():
                z.write(root / name, f"kit/{name}")
                package.members.append(f"kit/{name}")
        _add_tree(z, PACKAGE_DIR, "kit/graders/gradeschool", package.members)
        if (root / "datasets").is_dir():
            _add_tree(z, root / "datasets", "kit/datasets", package.members)
        conftests = [p / "conftest.py" for p in {topic_test_file(t).parent for t in topics}
                     | {hidden_test_file(t).parent for t in topics}]
        for t in [*topics, None]:
            public, hidden = (topic_test_file(t), hidden_test_file(t)) if t else (None, None)
            if t and not public.is_file():
                raise PackageError(f"topic {t} has no tests ({public})")
            for path in (public, hidden) if t else sorted(conftests):
                if path.is_file() and f"kit/{path.relative_to(root).as_posix()}" not in package.members:
                    arc = f"kit/{path.relative_to(root).as_posix()}"
                    z.write(path, arc)
                    package.members.append(arc)
                    if path == hidden:
                        package.hidden.append(arc)
    return package
