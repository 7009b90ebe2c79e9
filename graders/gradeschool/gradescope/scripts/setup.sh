#!/usr/bin/env bash
# gradeschool's Gradescope autograder: set-up. Gradescope runs it once, as root, in
# /autograder/source when it builds the image. AUTOGRADER_ROOT (default /autograder) lets
# it run elsewhere; GRADESCHOOL_VENV names an existing virtual environment to use instead
# of installing one; GRADESCHOOL_NO_SYSTEM=1 leaves the system alone (no apt-get, no user);
# GRADESCHOOL_TORCH_INDEX is the index CPU torch comes from ("" for pip's default).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"
VENV="${GRADESCHOOL_VENV:-$ROOT/venv}"
TORCH_INDEX="${GRADESCHOOL_TORCH_INDEX-https://download.pytorch.org/whl/cpu}"
system=1
{ [ -n "${GRADESCHOOL_NO_SYSTEM:-}" ] || [ "$(id -u)" -ne 0 ]; } && system=0

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
pick_python() {
  for p in python3.13 python3.12 python3.11 python3; do
    if command -v "$p" >/dev/null && python_ok "$p"; then command -v "$p"; return; fi
  done
}

if [ "$system" = 1 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # bubblewrap: the grading sandbox; util-linux: setpriv, unshare, prlimit
  apt-get install -y -qq --no-install-recommends bubblewrap util-linux ca-certificates >/dev/null
  [ -n "$(pick_python)" ] || apt-get install -y -qq --no-install-recommends python3.11 >/dev/null
  ver=$("$(pick_python)" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  apt-get install -y -qq --no-install-recommends "python$ver-venv" >/dev/null 2>&1 \
    || apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi
if [ "$system" = 1 ] && ! id gsgrader >/dev/null 2>&1 && command -v useradd >/dev/null; then
  # the unprivileged user that grades when no sandbox can be made (only if the package allows it)
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin gsgrader
fi

if [ ! -x "$VENV/bin/python" ]; then
  PY="$(pick_python)"
  [ -n "$PY" ] || { echo "setup.sh: no Python 3.11 or newer here" >&2; exit 1; }
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  torch_pin="$(grep -i '^torch==' "$SRC/pins.txt")"
  if [ -n "$TORCH_INDEX" ]; then
    "$VENV/bin/python" -m pip install -q --index-url "$TORCH_INDEX" "$torch_pin"
  else
    "$VENV/bin/python" -m pip install -q "$torch_pin"
  fi
  "$VENV/bin/python" -m pip install -q -c "$SRC/pins.txt" "$SRC/kit" nbformat
fi
[ "$system" = 1 ] && chmod -R a+rX "$SRC" "$VENV"
GRADESCHOOL_ROOT="$SRC/kit" "$VENV/bin/python" -m gradeschool gradescope check --root "$ROOT"
