"""`gradeschool` (the watch loop) in a real terminal: tmux runs it on a copy of the kit, the
test saves a correct solution into the first exercise and reads the screen until that
exercise turns to done, then presses q. Run with -s to see the captured screens."""

import shlex
import shutil
import subprocess
import sys
import time

import pytest
from kitutils import copy_kit, solution_code, write_definition

from gradeschool.core.catalogue import load_catalogue

pytestmark = [
    pytest.mark.kit,
    pytest.mark.skipif(shutil.which("tmux") is None,
                       reason="tmux is not installed (Debian's tmux; .ci/run installs it)"),
]


class Tmux:
    """A detached tmux session on a private server, read with capture-pane."""

    def __init__(self, socket: str, command: str):
        self.base = ["tmux", "-L", socket, "-f", "/dev/null"]
        subprocess.run([*self.base, "new-session", "-d", "-s", "watch", "-x", "120", "-y", "50", command],
                       check=True, timeout=30)

    def screen(self) -> str:
        out = subprocess.run([*self.base, "capture-pane", "-p", "-t", "watch"],
                             capture_output=True, text=True, timeout=30)
        return out.stdout

    def wait_for(self, *wanted: str, timeout: float = 90) -> str:
        end = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < end:
            screen = self.screen()
            if all(w in screen for w in wanted):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"the screen never showed {wanted} in {timeout} s; it shows:\n{screen}")

    def press(self, key: str) -> None:
        subprocess.run([*self.base, "send-keys", "-t", "watch", key], check=True, timeout=30)

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=30)


def test_watch_turns_a_saved_solution_to_done(tmp_path):
    first = load_catalogue().exercises()[0]
    kit = copy_kit(tmp_path / "kit", topics=(first.topic,))
    command = (f"cd {shlex.quote(str(kit))} && GRADESCHOOL_ROOT={shlex.quote(str(kit))} "
               f"{shlex.quote(sys.executable)} -m gradeschool; echo watch-exited-$?; sleep 60")
    tmux = Tmux(f"gradeschool-test-{tmp_path.name}", command)
    try:
        start = tmux.wait_for("Progress [", f"{first.name}: not started")
        screens = [("first screen", start)]
        for label, code_of, wanted in [
            ("a wrong version", wrong_code, f"{first.name}: failing"),
            ("the solution", solution_code, f"{first.name}: done"),
        ]:
            for name in first.functions:
                write_definition(kit, name, code_of(name, first.topic), first.topic)
            saved_at = time.monotonic()
            screen = tmux.wait_for(wanted)
            screens.append((f"{time.monotonic() - saved_at:.1f} s after saving {label}", screen))
        done = screens[-1][1]
        assert "Progress [" in done and "1/" in done.split("Progress [")[1].split("\n")[0]
        tmux.press("q")
        tmux.wait_for("watch-exited-0", timeout=30)
    finally:
        tmux.close()
    for label, screen in screens:
        print(f"\n--- {label} ---\n{screen.rstrip()}")


def wrong_code(name: str, topic: str) -> str:
    """The solution with its last `return` made to return a list: wrong for any exercise."""
    code = solution_code(name, topic)
    head, _, tail = code.rpartition("return ")
    return f"{head}return [{tail.rstrip()}]\n" if head else code + "    return [None]\n"
