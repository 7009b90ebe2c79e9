"""gradeschool.testing.public: a hidden test runs a public test's own property body, and
the public module is loaded once, under a name pytest does not collect again."""

import pytest

from gradeschool.core.catalogue import load_catalogue
from gradeschool.testing.public import public_property, public_tests

pytestmark = pytest.mark.kit


def test_a_public_property_is_the_body_of_the_public_hypothesis_test():
    module = public_tests("lstm")
    body = public_property("lstm", "test_lstm_matches_torch")
    assert body is module.test_lstm_matches_torch.hypothesis.inner_test
    assert body.__code__.co_filename.endswith("tests/topics/test_lstm.py")
    assert public_tests("lstm") is module and module.__name__ == "_public_test_lstm"


@pytest.mark.parametrize("topic", load_catalogue().topic_names())
def test_every_topic_has_public_tests_to_reuse(topic):
    assert any(name.startswith("test_") for name in vars(public_tests(topic)))
