"""Interpretable attributes: every built-in, regex markers, position, columns and shares."""

from __future__ import annotations

import numpy as np
import pytest

from causalpref.data import PreferenceData, read_preferences
from causalpref.errors import ConfigError, UnknownNameError
from causalpref.features.attributes import (
    BUILTIN_ATTRIBUTES,
    add_attributes,
    attribute_differences,
    available_attributes,
    describe_attributes,
    get_attribute,
    preferred_share,
    register_attribute,
)
from tests.shared_data import HH_HARMLESS, require


class FakeEncoder:
    """Counts tokens as characters / 4, like a crude tokenizer."""

    def count_tokens(self, texts):
        return np.array([len(t) // 4 for t in texts])


# name -> (texts, expected values): each has at least one positive and one negative example.
CASES = {
    "length_chars": (["", "abc", "é字"], [0, 3, 2]),
    "length_words": (["", "one two  three\nfour", "word"], [0, 4, 1]),
    "markdown_list_items": (
        ["- a\n* b\n+ c\n1. d\n  2) e", "-not a list\n**bold** line\n1.5 is a number", "no"],
        [5, 0, 0],
    ),
    "markdown_headers": (["# Title\ntext\n### Sub", "#hashtag\nC# rocks", "plain"], [2, 0, 0]),
    "markdown_bold": (["**one** and __two__ and **three**", "2 * 3 ** 4", "a__b"], [3, 0, 0]),
    "code_blocks": (
        ["```python\nx = 1\n```\ntext\n```\ny\n```", "```\nunclosed", "inline `code`"],
        [2, 0, 0],
    ),
    "exclamations": (["Wow! Great!!", "Calm."], [3, 0]),
    "emoji": (["Nice 😀👍 and ☀ ✨", "No emoji here: :) <3 ©"], [4, 0]),
    "hedging": (
        ["I think it might work, perhaps. I'm not sure.", "It works. Mightily so."],
        [4, 0],
    ),
    "refusal": (
        ["I’m sorry, but I can't help with that.", "As an AI, I won't.", "Sorry to hear! Here:"],
        [1, 1, 0],
    ),
    "sycophancy_opener": (
        ["Great question! Here is why.", "  You’re right, it is.", "The answer, certainly!"],
        [1, 1, 0],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_builtin_attribute(name):
    texts, expected = CASES[name]
    values = get_attribute(name)(texts)
    assert values.dtype == np.float64
    np.testing.assert_array_equal(values, expected)


def test_every_builtin_has_a_test_and_a_description():
    covered = set(CASES) | {"length_tokens", "position"}
    assert covered == set(BUILTIN_ATTRIBUTES)
    assert all(describe_attributes()[name] for name in BUILTIN_ATTRIBUTES)


def test_length_tokens_uses_the_encoder_and_names_the_need():
    attribute = get_attribute("length_tokens")
    np.testing.assert_array_equal(attribute(["abcdefgh", ""], encoder=FakeEncoder()), [2, 0])
    with pytest.raises(ConfigError, match=r"needs an encoder with count_tokens.*got none"):
        attribute(["x"])
    with pytest.raises(ConfigError, match="got 'object', which has none"):
        attribute(["x"], encoder=object())


def test_regex_attribute_counts_matches_and_reports_bad_patterns():
    attribute = get_attribute(r"regex:(?i)\bplease\b")
    np.testing.assert_array_equal(attribute(["Please, please!", "pleased", ""]), [2, 0, 0])
    with pytest.raises(ConfigError, match=r"invalid regular expression"):
        get_attribute("regex:(unclosed")
    with pytest.raises(ConfigError, match="pattern after 'regex:' is empty"):
        get_attribute("regex:")


def test_position_is_one_for_a_and_zero_for_b():
    attribute = get_attribute("position")
    np.testing.assert_array_equal(attribute(["x", "y"], side="a"), [1, 1])
    np.testing.assert_array_equal(attribute(["x", "y"], side="b"), [0, 0])
    with pytest.raises(ConfigError, match="needs side="):
        attribute(["x"])


def test_unknown_attribute_lists_the_available_ones():
    with pytest.raises(UnknownNameError, match=r"unknown attribute 'shouting'.*length_chars"):
        get_attribute("shouting")


def test_register_attribute_adds_a_custom_extractor():
    @register_attribute("test_question_marks")
    def question_marks(texts):
        """Number of question marks."""
        return [t.count("?") for t in texts]

    try:
        assert "test_question_marks" in available_attributes()
        np.testing.assert_array_equal(get_attribute("test_question_marks")(["??", "."]), [2, 0])
        with pytest.raises(ConfigError, match="already registered"):
            register_attribute("test_question_marks")(question_marks)
        with pytest.raises(ConfigError, match="not allowed"):
            register_attribute("regex:x")
    finally:
        from causalpref.features import attributes

        attributes.ATTRIBUTES.unregister("test_question_marks")


def test_wrong_output_shape_is_reported():
    @register_attribute("test_bad_shape")
    def bad(texts):
        return [1.0]

    try:
        with pytest.raises(ConfigError, match=r"returned shape \(1,\); expected \(2,\)"):
            get_attribute("test_bad_shape")(["a", "b"])
    finally:
        from causalpref.features import attributes

        attributes.ATTRIBUTES.unregister("test_bad_shape")


def toy() -> PreferenceData:
    return PreferenceData.from_columns(
        {
            "prompt": ["p"] * 5,
            "response_a": ["long answer here", "short", "same", "tie a", "x"],
            "response_b": ["short", "a much longer answer", "same", "tie b longer", "longer b"],
            "label": [1.0, 1.0, 0.0, 0.5, 0.2],
        }
    )


def test_add_attributes_adds_a_and_b_columns():
    data = add_attributes(toy(), ["length_words", "regex:a", "position"])
    for name in ("length_words", "regex:a", "position"):
        assert data.has(f"attr.{name}.a") and data.has(f"attr.{name}.b")
    np.testing.assert_array_equal(data.column("attr.length_words.a"), [3, 1, 1, 2, 1])
    np.testing.assert_array_equal(data.column("attr.position.b"), [0] * 5)
    np.testing.assert_array_equal(data.column("attr.regex:a.b"), [0, 2, 1, 0, 0])
    assert data.swap().has("attr.regex:a.a")


def test_add_attributes_default_is_all_builtins_without_encoder():
    data = add_attributes(toy())
    added = {c[len("attr.") : -2] for c in data.columns if c.startswith("attr.")}
    assert added == set(BUILTIN_ATTRIBUTES) - {"length_tokens"}
    with_tokens = add_attributes(toy(), "length_tokens", encoder=FakeEncoder())
    np.testing.assert_array_equal(with_tokens.column("attr.length_tokens.a"), [4, 1, 1, 1, 0])


def test_attributes_need_texts():
    vectors_only = PreferenceData.from_columns(
        {"vector.a": np.ones((2, 3)), "vector.b": np.zeros((2, 3)), "label": [1.0, 0.0]}
    )
    with pytest.raises(ConfigError, match="no column 'response_a'"):
        add_attributes(vectors_only, "length_chars")


def test_attribute_differences_and_preferred_share_on_a_toy_set():
    data = toy()
    np.testing.assert_array_equal(attribute_differences(data, "length_chars"), [11, -15, 0, -7, -7])
    share = preferred_share(data, "length_chars")
    # decided rows 0, 1, 2, 4: preferred is longer in 0 and 4, shorter in 1, equal in 2.
    assert share == {"higher": 0.5, "lower": 0.25, "equal": 0.25, "n": 4}
    stored = add_attributes(data, "length_chars")
    assert preferred_share(stored, "length_chars") == share
    assert preferred_share(data, "position") == {"higher": 0.5, "lower": 0.5, "equal": 0.0, "n": 4}


def test_preferred_share_without_decided_pairs_is_nan():
    data = toy().filter(np.array([False, False, False, True, False]))
    share = preferred_share(data, "length_chars")
    assert share["n"] == 0 and np.isnan(share["higher"])


def test_harmless_base_chosen_response_is_usually_the_shorter():
    data = read_preferences(require(HH_HARMLESS))
    share = preferred_share(data, "length_chars")
    print(
        f"\nharmless_base length_chars: chosen longer {share['higher']:.4f}, "
        f"shorter {share['lower']:.4f}, equal {share['equal']:.4f} (n={share['n']})"
    )
    assert share["n"] == 2312
    assert share["lower"] > 0.5 > share["higher"]
    assert share["higher"] + share["lower"] + share["equal"] == pytest.approx(1.0)
