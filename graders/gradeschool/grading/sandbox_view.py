"""The host files a grading sandbox shows, read-only: this interpreter (the real one behind
a virtual environment) at a neutral path, its standard library with site-packages masked,
NumPy, the few util-linux tools the sandbox runs before Python, and every shared library
these load (found with `ldd`, bound one by one at the path the loader resolves, so that
nothing else of /lib or /usr is visible). Nothing is copied; bwrap bind-mounts each path."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

ROOT = "/sandbox"
PYTHON_HOME = f"{ROOT}/python"   # the runtime, whatever its host path
LIB = f"{ROOT}/lib"              # NumPy (the worker puts this on sys.path)
TOOLS = f"{ROOT}/bin"            # setpriv, unshare, prlimit
SEARCH = "/usr/bin:/bin:/usr/sbin:/sbin"


class MissingTool(LookupError):
    """A program the sandbox runs inside (util-linux's prlimit, setpriv, unshare) is missing."""


@dataclass(frozen=True)
class Runtime:
    """What of the host the sandbox shows, read-only: (host path, path inside) pairs."""
    python: str                            # the interpreter, inside
    binds: tuple[tuple[str, str], ...]
    masked: tuple[str, ...]                # folders inside shown empty (site-packages)
    library_path: tuple[str, ...]          # LD_LIBRARY_PATH inside
    tools: dict = field(default_factory=dict)  # name -> path inside


def _ldd(files: list[str]) -> list[str]:
    """The shared libraries (paths as the loader resolves them) that `files` load."""
    found: list[str] = []
    for i in range(0, len(files), 200):
        out = subprocess.run(["ldd", *files[i:i + 200]], capture_output=True, text=True,
                             env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"}).stdout
        for line in out.splitlines():
            line = line.strip()
            path = line.split("=>", 1)[1].strip() if "=>" in line else line
            path = path.split(" (0x", 1)[0].strip()
            if path.startswith("/") and not path.endswith(":") and os.path.exists(path):
                found.append(path)
    return found


def _shared_objects(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*.so*") if p.is_file())


@functools.cache
def runtime(mode: str) -> Runtime:
    """The runtime view for `mode`: this interpreter (the real one behind a virtual
    environment), its standard library without site-packages, NumPy, their libraries."""
    import numpy

    exe = Path(os.path.realpath(sys.executable))
    base = Path(sys.base_prefix).resolve()
    ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
    home_lib = f"{PYTHON_HOME}/{sys.platlibdir}"
    stdlib = Path(sysconfig.get_path("stdlib")).resolve()
    dynload = Path(sysconfig.get_config_var("DESTSHARED") or stdlib / "lib-dynload").resolve()
    numpy_dir = Path(numpy.__file__).resolve().parent
    numpy_libs = numpy_dir.parent / "numpy.libs"
    python = f"{PYTHON_HOME}/bin/{exe.name}"
    binds = [(str(exe), python), (str(stdlib), f"{home_lib}/{ver}"),
             (str(numpy_dir), f"{LIB}/numpy")]
    if not dynload.is_relative_to(stdlib):
        binds.append((str(dynload), f"{home_lib}/{ver}/lib-dynload"))
    if numpy_libs.is_dir():
        binds.append((str(numpy_libs), f"{LIB}/numpy.libs"))
    masked = tuple(f"{home_lib}/{ver}/{p.name}" for p in stdlib.iterdir()
                   if p.name in ("site-packages", "dist-packages") and p.is_dir())
    tools = {}
    for name in ("prlimit",) + (("setpriv", "unshare") if mode == "root" else ()):
        found = shutil.which(name, path=SEARCH)
        if found is None:
            raise MissingTool(f"util-linux's `{name}` is not installed; the sandbox needs it")
        tools[name] = f"{TOOLS}/{name}"
        binds.append((os.path.realpath(found), tools[name]))
    objects = [str(exe), *_shared_objects(dynload), *_shared_objects(numpy_dir),
               *(os.path.realpath(shutil.which(t, path=SEARCH))
                 for t in tools)]
    inside = (numpy_dir, numpy_libs)
    libdirs: list[str] = [f"{PYTHON_HOME}/{sys.platlibdir}"]
    for lib in dict.fromkeys(_ldd(objects)):
        real = Path(os.path.realpath(lib))
        if any(real.is_relative_to(d) for d in inside):
            continue
        # libpython of a shared build sits in the prefix (maybe under a 0700 /root)
        dest = f"{home_lib}/{real.name}" if real.parent == base / sys.platlibdir else lib
        binds.append((str(real), dest))
        if os.path.dirname(dest) not in libdirs:
            libdirs.append(os.path.dirname(dest))
    unique = tuple(dict((dest, (src, dest)) for src, dest in binds).values())
    return Runtime(python, unique, masked, tuple(libdirs), tools)
