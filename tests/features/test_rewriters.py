"""Rewriters change one attribute and nothing else; the registry, its contract and the LLM protocol.

The responses come from the `spurious_text` scenario, whose text bank says which sentences are
helpful points: that ground truth checks that a rewrite changes quality by exactly its `effect`.
"""

import numpy as np
import pytest

from causalpref import simulate
from causalpref.errors import ConfigError, UnknownNameError
from causalpref.features import neutral_text
from causalpref.features.rewriters import (
    EFFECTS,
    REWRITERS,
    InstructionRewriter,
    ListFormatRewriter,
    MarkerRewriter,
    PaddingRewriter,
    Rewriter,
    available_rewriters,
    degrade_points,
    get_rewriter,
    register_rewriter,
)
from causalpref.simulate.text_bank import MARKER, PADDING, TOPICS, VAGUE

BUILT_IN = ("padding", "marker", "formatting", "degrade_points")

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
    scenario_padding = PaddingRewriter(PADDING)  # the scenario's own filler, to remove it too
    out = scenario_padding.rewrite([None] * len(responses), responses, seed=0)
    done = [(a, b) for a, b in zip(responses, out, strict=True) if b is not None]
    assert len(done) == len(responses)
    before, after = zip(*done, strict=True)
    np.testing.assert_array_equal(count(before, POINTS), count(after, POINTS))
    np.testing.assert_array_equal(count(before, VAGUE), count(after, VAGUE))
    pad_before, pad_after = count(before, PADDING), count(after, PADDING)
    assert np.all((pad_after == 0) == (pad_before > 0))  # removed where present, else added


def test_default_padding_is_the_rewriters_own_not_the_simulators(responses):
    out = rewrite("padding", responses)
    added = [b[len(a) :] for a, b in zip(responses, out, strict=True)]
    assert all(b.startswith(a) for a, b in zip(responses, out, strict=True))
    assert all(any(p in x for p in neutral_text.PADDING) for x in added)
    assert not any(p in x for p in PADDING for x in added)
    assert rewrite("padding", out) == responses  # and it removes what it added


def test_marker_toggles_and_two_toggles_give_the_original(responses):
    once = rewrite("marker", responses)
    assert all(t.startswith(neutral_text.MARKER) for t in once)
    assert neutral_text.MARKER != MARKER  # the rewriter's own phrase, not the simulator's
    assert rewrite("marker", once) == responses
    custom = get_rewriter("marker:Certainly!").rewrite([None], ["Plain answer."], seed=0)
    assert custom == ["Certainly! Plain answer."]


def test_list_formatting_round_trips_to_the_same_prose(responses):
    listed = rewrite("formatting", responses)
    assert all(t.startswith(neutral_text.LIST_HEADER + "\n- ") for t in listed)
    assert rewrite("formatting", listed) == responses
    assert ListFormatRewriter().rewrite([None], ["One sentence only."], seed=0) == [None]


def test_list_formatting_drops_any_short_lead_in_line_of_a_list():
    text = "Here is a summary:\n- Water weekly.\n- Use drainage holes."
    assert rewrite("formatting", [text]) == ["Water weekly. Use drainage holes."]
    long_lead = "Before you start, read every one of these steps with some care:\n- A.\n- B."
    assert rewrite("formatting", [long_lead]) == [long_lead.replace("\n- ", " ")]


def test_degrading_replaces_exactly_one_helpful_point_with_a_vague_sentence(responses):
    out = rewrite("spurious_text.degrade_points", responses)
    has_points = count(responses, POINTS) > 0
    assert all((o is None) == (not h) for o, h in zip(out, has_points, strict=True))
    kept = [(a, b) for a, b in zip(responses, out, strict=True) if b is not None]
    before, after = zip(*kept, strict=True)
    np.testing.assert_array_equal(count(after, POINTS), count(before, POINTS) - 1)
    np.testing.assert_array_equal(count(after, VAGUE), count(before, VAGUE) + 1)
    assert get_rewriter("spurious_text.degrade_points").effect == -1


def test_library_degrade_points_knows_no_points_and_makes_no_pairs(responses):
    """The library's degrade_points knows no helpful points: it leaves every text alone."""
    assert get_rewriter("degrade_points").targets == set()
    assert rewrite("degrade_points", responses) == [None] * len(responses)
    assert degrade_points().effect == -1


def test_scenario_rewriters_reproduce_the_scenarios_own_text(responses):
    """spurious_text.* rewriters use the scenario's bank; the library's never do."""
    assert get_rewriter("spurious_text.marker").phrase == MARKER
    assert set(get_rewriter("spurious_text.padding").padding) == set(PADDING)
    assert not set(get_rewriter("padding").padding) & set(PADDING)
    assert get_rewriter("marker").phrase == neutral_text.MARKER


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
    with pytest.raises(UnknownNameError, match="available: .*padding.*marker:<phrase>"):
        get_rewriter("nope")
    register_rewriter("test_pad", lambda: PaddingRewriter(["Filler."], max_add=1), replace=True)
    assert get_rewriter("test_pad").rewrite([None], ["Hi."], seed=0) == ["Hi. Filler."]
    with pytest.raises(ConfigError, match="already registered"):
        register_rewriter("test_pad", PaddingRewriter)
    with pytest.raises(ConfigError, match="effect=2"):
        InstructionRewriter(str, "x", effect=2, name="bad")
    with pytest.raises(ConfigError, match="phrase is empty"):
        MarkerRewriter("  ")
    REWRITERS.unregister("test_pad")


def test_features_does_not_import_the_simulator():
    import ast
    from pathlib import Path

    import causalpref.features as features

    for path in Path(features.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        ] + [a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
        assert not any(n.startswith("causalpref.simulate") for n in names), path.name


# -- the contract every registered rewriter keeps -----------------------------------------------
def test_every_built_in_rewriter_is_registered():
    assert set(BUILT_IN) <= set(REWRITERS.names())


@pytest.fixture(scope="module")
def texts(responses):
    """Responses with each shown attribute: padding, the scenario's marker, and lists."""
    out = list(responses[:60])
    for attribute in ("marker", "formatting"):
        data = simulate.make(
            "spurious_text",
            seed=1,
            n_train=60,
            n_validation=5,
            n_test=5,
            encoder=None,
            attribute=attribute,
        )
        out += list(data.train.column("response_a"))
    return out


@pytest.mark.parametrize("name", REWRITERS.names())
def test_contract_protocol_and_shape(name, texts):
    rewriter = get_rewriter(name)
    assert isinstance(rewriter, Rewriter) and rewriter.name == name
    assert rewriter.effect in EFFECTS
    out = rewriter.rewrite([None] * len(texts), texts, seed=0)
    assert len(out) == len(texts)
    assert all(o is None or (isinstance(o, str) and o.strip()) for o in out)
    if name != "degrade_points":  # the library's knows no points (tested above)
        assert any(o is not None and o != t for o, t in zip(out, texts, strict=True)), name


@pytest.mark.parametrize("name", REWRITERS.names())
def test_contract_changes_quality_by_exactly_its_effect(name, texts):
    """Helpful points (the scenario's quality) change by `effect`, vague sentences by -effect:
    a neutral rewriter keeps every content sentence, a causal one swaps exactly one."""
    rewriter = get_rewriter(name)
    out = rewriter.rewrite([None] * len(texts), texts, seed=0)
    done = [(t, o) for t, o in zip(texts, out, strict=True) if o is not None]
    before, after = zip(*done, strict=True) if done else ((), ())
    np.testing.assert_array_equal(count(after, POINTS) - count(before, POINTS), rewriter.effect)
    np.testing.assert_array_equal(count(after, VAGUE) - count(before, VAGUE), -rewriter.effect)


@pytest.mark.parametrize("name", REWRITERS.names())
def test_contract_deterministic_per_seed(name, texts):
    first = get_rewriter(name).rewrite([None] * len(texts), texts, seed=7)
    again = get_rewriter(name).rewrite([None] * len(texts), texts, seed=7)
    assert first == again


@pytest.mark.parametrize("name", [n for n in REWRITERS.names() if get_rewriter(n).effect == 0])
def test_contract_neutral_rewrites_round_trip(name, texts):
    """A neutral rewriter toggles its attribute: what it adds (the text grows), applied again it
    takes away, giving back the text it got."""
    once = rewrite(name, texts, seed=0)
    grown = [(t, o) for t, o in zip(texts, once, strict=True) if o is not None and len(o) > len(t)]
    assert grown, f"{name} added nothing to any text"
    before, after = zip(*grown, strict=True)
    assert rewrite(name, list(after), seed=1) == list(before)
