"""Sign grading reports so that a report cannot be edited or forged without the key.

A report is signed with HMAC-SHA256 over its canonical JSON (every key but "signature",
sorted keys, compact separators, UTF-8). The key is the environment variable
`GRADESCHOOL_KEY` (a CI secret) or, failing that, a random key created on first use in
`<kit root>/.gradeschool/key` (git-ignored; readable by its owner only)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path

from gradeschool.core.paths import kit_root

KEY_ENV = "GRADESCHOOL_KEY"
SIGNATURE = "signature"


def key_path() -> Path:
    return kit_root() / ".gradeschool" / "key"


def canonical(report: dict) -> bytes:
    """The bytes that are signed: the report without its signature, as sorted compact JSON."""
    body = {k: v for k, v in report.items() if k != SIGNATURE}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sign(report: dict, key: bytes) -> str:
    """Hex HMAC-SHA256 of the canonical report."""
    return hmac.new(key, canonical(report), hashlib.sha256).hexdigest()


def verify(report: dict, key: bytes) -> bool:
    """True when the report carries a signature that matches its content under `key`."""
    given = report.get(SIGNATURE)
    if not isinstance(given, str):
        return False
    try:
        expected = sign(report, key)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(given, expected)


def load_key() -> bytes:
    """The signing key: $GRADESCHOOL_KEY, else the kit's key file (created on first use)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = key_path()
    if path.is_file():
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key.encode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # a temporary file of its own (threads of one process race here too: the nbgrader
    # regrade grades in a thread pool), linked into place atomically
    fd, name = tempfile.mkstemp(prefix="key.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key)
    try:
        os.link(tmp, path)  # atomic; the first of two racing processes wins
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink()
    return key.encode("ascii")
