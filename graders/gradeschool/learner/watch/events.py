"""What `watch` reacts to: keys pressed and files saved.

Keys come from a terminal in cbreak mode (each key at once; arrow keys arrive as escape
sequences) or, without a terminal, one line per key from a pipe (a longer line is a word:
an exercise name to go to). Saved files are seen by polling (mtime, size) of every file
under exercises/, which needs no extra package and works on every platform."""

from __future__ import annotations

import os
import select
import sys
import time
from pathlib import Path

SEQUENCES = {"\x1b[A": "up", "\x1b[B": "down", "\x1bOA": "up", "\x1bOB": "down", "\r": "enter", "\n": "enter"}


def tokens(chunk: str) -> list[str]:
    """The keys in a chunk read from a terminal: escape sequences and Enter as names."""
    out, i = [], 0
    while i < len(chunk):
        for seq, name in SEQUENCES.items():
            if chunk.startswith(seq, i):
                out.append(name)
                i += len(seq)
                break
        else:
            out.append(chunk[i])
            i += 1
    return out


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file under `root` (caches left out)."""
    found = {}
    for p in root.rglob("*"):
        if "__pycache__" in p.parts or not p.is_file():
            continue
        try:
            st = p.stat()
        except OSError:
            continue
        found[str(p)] = (st.st_mtime_ns, st.st_size)
    return found


class Keys:
    """Single key presses from a terminal (cbreak mode), or lines from a pipe."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdin
        self.saved = None
        self.open = True
        self.pending = ""
        try:
            self.fd = self.stream.fileno()
            self.tty = os.isatty(self.fd)
        except (AttributeError, OSError, ValueError):
            self.fd, self.tty, self.open = None, False, False

    def __enter__(self):
        if self.tty:
            try:
                import termios
                import tty

                self.saved = termios.tcgetattr(self.fd)
                tty.setcbreak(self.fd)
            except (ImportError, OSError):
                self.saved = None
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)

    def read(self, timeout: float) -> list[str]:
        """Keys pressed within `timeout` seconds ([] if none); from a pipe, one line is
        one key, or one word, or Enter when empty."""
        if not self.open:
            time.sleep(timeout)
            return []
        try:
            ready, _, _ = select.select([self.fd], [], [], timeout)
        except (OSError, ValueError):  # e.g. Windows: no select on a console
            self.open = False
            return []
        if not ready:
            return []
        chunk = os.read(self.fd, 4096).decode(errors="ignore")
        if self.tty:
            return tokens(chunk)
        if not chunk:
            self.open = False
            return []
        # whole lines only (several may come at once, a line may come in two reads)
        self.pending += chunk
        *lines, self.pending = self.pending.split("\n")
        return [line.strip() or "enter" for line in lines]
