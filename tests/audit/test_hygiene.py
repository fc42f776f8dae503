"""Check 5 (hygiene): planted faults are found with counts and rows; clean data stays quiet."""

from __future__ import annotations

import numpy as np
import pytest

from causalpref.audit.checks import hygiene
from causalpref.audit.context import AuditContext
from causalpref.data import PreferenceData
from causalpref.simulate import make

WORDS = ["the", "a", "plant", "water", "light", "soil", "leaf", "root", "pot", "sun", "shade"]


def sentence(rng: np.random.Generator, n_words: int = 35, end: str = ".") -> str:
    return " ".join(rng.choice(WORDS, size=n_words)) + end


def clean_text(n: int = 800, seed: int = 0) -> dict[str, list]:
    """Distinct prompts and responses, a/b in random order, labels fair coin flips."""
    rng = np.random.default_rng(seed)
    return {
        "pair_id": [f"p{i}" for i in range(n)],
        "prompt": [f"question {i}?" for i in range(n)],
        "response_a": [sentence(rng) for _ in range(n)],
        "response_b": [sentence(rng) for _ in range(n)],
        "label": (rng.random(n) < 0.5).astype(float).tolist(),
    }


def run(columns: dict[str, list], context: str | None = None, validate: bool = True):
    data = PreferenceData.from_columns(columns, validate=validate)
    return hygiene.run(AuditContext(data=data, context=context, seed=0))


def by_code(result) -> dict:
    return {f.code: f for f in result.findings}


def test_clean_text_raises_nothing_above_info():
    for seed in range(3):
        result = run(clean_text(seed=seed))
        assert [f.code for f in result.findings if f.severity != "info"] == []
        assert result.stats["exact_duplicate_rows"] == 0


@pytest.mark.parametrize("name", ["latent_overlap", "user_confounding", "spurious_attribute"])
def test_clean_scenarios_raise_nothing(name):
    knobs = {
        "latent_overlap": {"rho": 0.0},
        "user_confounding": {"rho": 0.5},
        "spurious_attribute": {"strength": 0.0},
    }[name]
    data = make(name, seed=1, **knobs).train
    context = "context" if data.has("context") else None
    result = hygiene.run(AuditContext(data=data, context=context, seed=1))
    assert result.findings == []
    assert result.stats["pairs_compared_by"].startswith("response vectors")


def test_empty_responses_are_counted_with_rows():
    cols = clean_text()
    for row in (3, 17, 400):
        cols["response_b"][row] = "   "
    found = by_code(run(cols))["hygiene.empty_responses"]
    assert found.severity == "notice"
    assert found.evidence["empty_b"] == 3 and found.evidence["first_rows"] == [3, 17, 400]
    for row in range(20, 40):
        cols["response_a"][row] = ""
    assert by_code(run(cols))["hygiene.empty_responses"].severity == "warning"


def test_duplicates_identical_and_reused_ids():
    cols = clean_text()
    for key in cols:  # rows 60..109 become exact copies of rows 0..49 (6%)
        cols[key][60:110] = cols[key][0:50]
    cols["response_b"][700] = cols["response_a"][700]
    found = by_code(run(cols, validate=False))  # validation would reject the reused pair_ids
    assert found["hygiene.duplicate_rows"].severity == "warning"
    assert found["hygiene.duplicate_rows"].evidence["duplicate_rows"] == 50
    assert found["hygiene.duplicate_pair_ids"].evidence["rows_with_reused_id"] == 50
    assert found["hygiene.identical_responses"].evidence["first_rows"] == [700]


def test_swapped_repeats_with_conflicting_labels():
    cols = clean_text(n=400)
    extra = clean_text(n=400, seed=9)
    # rows 0..39 come back swapped: the same label value now prefers the other response
    for i in range(40):
        extra["prompt"][i] = cols["prompt"][i]
        extra["response_a"][i], extra["response_b"][i] = (
            cols["response_b"][i],
            cols["response_a"][i],
        )
        extra["label"][i] = cols["label"][i]  # unchanged value = opposite preference
    merged = {k: cols[k] + extra[k] for k in cols}
    merged["pair_id"] = [f"r{i}" for i in range(800)]
    result = run(merged)
    assert result.stats["repeated_pairs"] == 40
    assert result.stats["repeated_pairs_seen_swapped"] == 40
    found = by_code(result)["hygiene.conflicting_labels"]
    assert found.evidence["conflicting"] == 40 and found.severity == "warning"


def test_annotator_agreement_and_an_outlier():
    rng = np.random.default_rng(1)
    cols: dict[str, list] = {
        k: [] for k in ("prompt", "response_a", "response_b", "label", "annotator_id")
    }
    for i in range(150):
        a, b, truth = sentence(rng), sentence(rng), float(rng.random() < 0.5)
        for who in ("ann1", "ann2", "ann3", "bad"):
            label = truth if who != "bad" else float(rng.random() < 0.5)
            if who != "bad" and rng.random() < 0.1:
                label = 1.0 - label
            cols["prompt"].append(f"q{i}")
            cols["response_a"].append(a)
            cols["response_b"].append(b)
            cols["label"].append(label)
            cols["annotator_id"].append(who)
    found = by_code(run(cols))
    assert found["hygiene.annotator_agreement"].evidence["comparisons"] == 150 * 6
    outliers = found["hygiene.outlier_annotators"].evidence["annotators"]
    assert [o["annotator"] for o in outliers] == ["bad"]


def test_position_bias_warning_and_chosen_rejected_caveat():
    cols = clean_text(n=1000)
    rng = np.random.default_rng(2)
    cols["label"] = (rng.random(1000) < 0.7).astype(float).tolist()
    assert by_code(run(cols))["hygiene.position_bias"].severity == "warning"
    cols["label"] = [1.0] * 1000
    found = by_code(run(cols))
    assert "hygiene.position_bias" not in found
    caveat = found["hygiene.position_not_testable"]
    assert caveat.severity == "info" and "chosen" in caveat.message


def test_cut_off_text_that_predicts_the_label_is_a_notice():
    cols = clean_text(n=1000)
    rng = np.random.default_rng(3)
    cols["label"] = [1.0] * 1000  # a preferred; half of the b responses are cut off
    cols["response_b"] = [sentence(rng, end="" if i % 2 else ".") for i in range(1000)]
    found = by_code(run(cols))["hygiene.unterminated_text"]
    assert found.severity == "notice"
    assert found.evidence["share_when_not_preferred"] > 0.4
    cols["response_a"] = [sentence(rng, end="" if i % 2 else ".") for i in range(1000)]
    assert by_code(run(cols))["hygiene.unterminated_text"].severity == "info"


def test_unterminated_rule():
    assert hygiene.unterminated("and then the")
    assert not hygiene.unterminated("Done.") and not hygiene.unterminated("```code```")
    assert not hygiene.unterminated("  ")


def empty_rows(empty_wins: int, empty_loses: int) -> dict[str, list]:
    """clean_text with an empty response b in the first rows: b preferred in `empty_wins`."""
    cols = clean_text()
    for row in range(empty_wins + empty_loses):
        cols["response_b"][row] = ""
        cols["label"][row] = 0.0 if row < empty_wins else 1.0
    return cols


@pytest.mark.parametrize(
    ("wins", "loses", "direction", "phrase"),
    [
        (4, 0, "too few to tell", "too few to tell"),  # HH harmless: the empty one won 4 of 4
        (0, 30, "loses", "'empty loses' is an easy shortcut"),
        (30, 0, "wins", "'empty wins' is an easy shortcut"),
        (15, 15, "no clear direction", "no clear direction"),
    ],
)
def test_empty_response_advice_follows_its_counts(wins, loses, direction, phrase):
    found = by_code(run(empty_rows(wins, loses)))["hygiene.empty_responses"]
    assert found.evidence["empty_preferred"] == wins
    assert found.evidence["decided_with_one_empty"] == wins + loses
    assert found.evidence["direction"] == direction
    assert phrase in found.advice
    assert f"won {wins} of {wins + loses}" in found.advice


def test_cut_off_text_that_wins_gets_the_advice_it_wins():
    cols = clean_text(n=1000)
    rng = np.random.default_rng(3)
    cols["label"] = [1.0] * 1000  # a preferred; half of the a responses are cut off
    cols["response_a"] = [sentence(rng, end="" if i % 2 else ".") for i in range(1000)]
    found = by_code(run(cols))["hygiene.unterminated_text"]
    assert found.severity == "notice" and found.evidence["direction"] == "wins"
    assert "'cut off wins'" in found.advice and "loses" not in found.advice
    assert "more common among preferred" in found.message


def test_position_bias_is_reported_as_label_noise():
    cols = clean_text(n=1000)
    rng = np.random.default_rng(2)
    cols["label"] = (rng.random(1000) < 0.7).astype(float).tolist()
    found = by_code(run(cols))["hygiene.position_bias"]
    share = found.evidence["prefer_a_share"]
    assert found.evidence["label_noise_share"] == pytest.approx(2 * (share - 0.5), abs=1e-3)
    assert found.evidence["accuracy_ceiling"] == pytest.approx(1.5 - share, abs=1e-3)
    assert "label noise" in found.message and "r(a) - r(b) cannot learn" in found.message
    assert "swap augmentation" not in found.advice  # swapping gives r(a) - r(b) the same data
