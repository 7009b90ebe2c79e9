"""Problem 8 (and 3's watch part) of issue 14, with watch driven without a terminal:
saving reruns every exercise whose code changed, not only the current one; the list
goes to an exercise; a typed name goes to it; the first `h` after a failing check shows
a hint that was not on the screen yet."""

import pytest
from kitutils import CATALOGUE, copy_kit, solution_code, write_definition

pytestmark = pytest.mark.kit
FIRST, SECOND = CATALOGUE.exercises()[:2]


@pytest.fixture
def kit(tmp_path):
    return copy_kit(tmp_path / "kit")


def test_a_save_rechecks_every_exercise_whose_code_changed(kit, watch):
    w = watch(kit, FIRST.name)
    w.read_until(f"{FIRST.name}: not started")
    write_definition(kit, "relu", solution_code("relu"))
    write_definition(kit, "leaky_relu", "def leaky_relu(x, negative_slope=0.01):\n    return x.copy()\n")
    screen = w.read_until("Also checked", "relu: done", "leaky_relu: failing")
    assert f"Exercise: {FIRST.name}" in screen, "watch stays on its exercise"
    assert w.quit() == 0


def test_the_list_and_a_typed_name_go_to_an_exercise(kit, watch):
    w = watch(kit, FIRST.name)
    w.read_until(f"{FIRST.name}: not started")
    w.press("l")
    assert "▶" in w.read_until("enter go there")
    w.press("j")
    w.press("enter")
    w.read_until(f"Exercise: {SECOND.name}", f"{SECOND.name}: not started")
    w.press("softmax")
    w.read_until("Exercise: softmax", "softmax: not started")
    w.press("sofmax")
    assert "did you mean softmax" in w.read_until("did you mean")
    assert w.quit() == 0


def test_the_first_h_after_a_failing_check_shows_a_new_hint(kit, watch):
    softmax = CATALOGUE.exercise("softmax")
    write_definition(kit, "softmax", "def softmax(x, axis=-1):\n    return x / x.sum(axis=axis, keepdims=True)\n")
    w = watch(kit, "softmax")
    before = w.read_until("softmax: failing")
    on_screen = [h for h in softmax.hints if h in before]
    w.press("h")
    after = w.read_until(f"hint {len(on_screen) + 1} of {len(softmax.hints)}")
    new = [h for h in softmax.hints if h in after and h not in before]
    assert new == [softmax.hints[len(on_screen)]], after
    assert all(after.count(h) == 1 for h in softmax.hints if h in after), "a hint is shown twice:\n" + after
    assert w.quit() == 0
