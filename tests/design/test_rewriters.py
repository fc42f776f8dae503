"""Rewriters change one attribute and nothing else; the registry and the LLM protocol."""

import numpy as np
import pytest

from causalpref import simulate
from causalpref.design import (
    InstructionRewriter,
    ListFormatRewriter,
    MarkerRewriter,
    PaddingRewriter,
    Rewriter,
    available_rewriters,
    get_rewriter,
    register_rewriter,
)
from causalpref.errors import ConfigError, UnknownNameError
from causalpref.simulate.text_bank import MARKER, PADDING, TOPICS, VAGUE

POINTS = [p for t in TOPICS.values() for p in t["points"]]


@pytest.fixture(scope="module")
def responses():
    data = simulate.make(
        "spurious_text", seed=0, n_train=200, n_validation=5, n_test=5, encoder=None
    )
    return list(data.train.column("response_a"))


def count(texts, bank):
    return np.array([sum(s in t for s in bank) for t in texts])


def rewrite(name, texts, seed=0):
    return get_rewriter(name).rewrite([None] * len(texts), texts, seed=seed)


def test_padding_changes_the_padding_and_keeps_every_content_sentence(responses):
    out = rewrite("padding", responses)
    done = [(a, b) for a, b in zip(responses, out, strict=True) if b is not None]
    assert len(done) == len(responses)
    before, after = zip(*done, strict=True)
    np.testing.assert_array_equal(count(before, POINTS), count(after, POINTS))
    np.testing.assert_array_equal(count(before, VAGUE), count(after, VAGUE))
    pad_before, pad_after = count(before, PADDING), count(after, PADDING)
    assert np.all((pad_after == 0) == (pad_before > 0))  # removed where present, else added


def test_marker_toggles_and_two_toggles_give_the_original(responses):
    once = rewrite("marker", responses)
    assert all(t.startswith(MARKER) for t in once)
    assert rewrite("marker", once) == responses
    custom = get_rewriter("marker:Certainly!").rewrite([None], ["Plain answer."], seed=0)
    assert custom == ["Certainly! Plain answer."]


def test_list_formatting_round_trips_to_the_same_prose(responses):
    listed = rewrite("formatting", responses)
    assert all("\n- " in t for t in listed)
    assert rewrite("formatting", listed) == responses
    assert ListFormatRewriter().rewrite([None], ["One sentence only."], seed=0) == [None]


def test_degrading_replaces_exactly_one_helpful_point_with_a_vague_sentence(responses):
    out = rewrite("degrade_points", responses)
    has_points = count(responses, POINTS) > 0
    assert all((o is None) == (not h) for o, h in zip(out, has_points, strict=True))
    kept = [(a, b) for a, b in zip(responses, out, strict=True) if b is not None]
    before, after = zip(*kept, strict=True)
    np.testing.assert_array_equal(count(after, POINTS), count(before, POINTS) - 1)
    np.testing.assert_array_equal(count(after, VAGUE), count(before, VAGUE) + 1)
    assert get_rewriter("degrade_points").effect == -1


def test_rewrites_are_seeded(responses):
    assert rewrite("padding", responses, seed=3) == rewrite("padding", responses, seed=3)
    assert rewrite("padding", responses, seed=3) != rewrite("padding", responses, seed=4)


def test_instruction_rewriter_sends_the_instruction_and_returns_the_completion():
    seen = []

    def complete(prompt: str) -> str:
        seen.append(prompt)
        return "  shorter answer  " if "answer" in prompt else ""

    rewriter = InstructionRewriter(complete, "Make it shorter.", effect=0, name="shorter")
    assert isinstance(rewriter, Rewriter)
    out = rewriter.rewrite(["What?", None], ["long answer", "x"], seed=0)
    assert out == ["shorter answer", None]  # an empty completion is no rewrite
    assert "Make it shorter." in seen[0] and "What?" in seen[0] and "long answer" in seen[0]


def test_registry_lists_and_registers_rewriters_and_rejects_bad_ones():
    assert {"padding", "marker", "formatting", "degrade_points"} <= set(available_rewriters())
    with pytest.raises(UnknownNameError, match="available: .*padding"):
        get_rewriter("nope")
    register_rewriter("test_pad", lambda: PaddingRewriter(["Filler."], max_add=1), replace=True)
    assert get_rewriter("test_pad").rewrite([None], ["Hi."], seed=0) == ["Hi. Filler."]
    with pytest.raises(ConfigError, match="already registered"):
        register_rewriter("test_pad", PaddingRewriter)
    with pytest.raises(ConfigError, match="effect=2"):
        InstructionRewriter(str, "x", effect=2, name="bad")
    with pytest.raises(ConfigError, match="phrase is empty"):
        MarkerRewriter("  ")
