"""Check 1: null rulers and the cross-fitted controlled effect, with negative controls."""

import numpy as np
import pytest

from causalpref.audit.checks import spurious
from causalpref.audit.context import AuditContext
from causalpref.data import PreferenceData


def pairs(n=3000, d=20, attr_effect=0.0, confound=0.0, attr_in_content=False, seed=0):
    """Content c (what labellers reward) and an attribute x; label ~ c + attr_effect * x."""
    rng = np.random.default_rng(seed)
    content = rng.normal(size=(n, d))
    quality = content[:, 0]
    x = confound * quality + np.sqrt(1 - confound**2) * rng.normal(size=n)
    if attr_in_content:
        content[:, 1] = x
    p = 1 / (1 + np.exp(-2 * (quality + attr_effect * x)))
    label = (rng.random(n) < p).astype(float)
    return PreferenceData.from_columns(
        {
            "vector.a": content / 2,
            "vector.b": -content / 2,
            "label": label,
            "attr.x.a": x / 2,
            "attr.x.b": -x / 2,
        }
    )


def row(data):
    result = spurious.run(AuditContext(data))
    return result, result.stats["attributes"]["x"]


def test_confounded_attribute_big_raw_small_controlled():
    result, r = row(pairs(confound=0.7))
    assert r["ruler_low"] > spurious.WARN_RULER_LOW and r["direction"] == "more"
    assert [f.severity for f in result.findings] == ["warning"]
    assert r["controlled"]["status"] == "identified"
    assert r["controlled"]["low"] < 0 < r["controlled"]["high"]  # true effect 0, content known
    assert r["reading"].startswith("big raw, small controlled")


def test_causal_attribute_persists_when_controlled():
    _, r = row(pairs(attr_effect=0.8, confound=0.5))
    assert r["controlled"]["low"] > 0.05
    assert r["reading"] == "persists controlling for content"


def test_independent_attribute_gives_nothing():
    result, r = row(pairs(confound=0.0))
    assert result.findings == []
    assert r["ruler_low"] < 0.5 < r["ruler_high"]
    assert r["raw"]["low"] < 0 < r["raw"]["high"]


def test_attribute_in_content_falls_back_to_projection_at_risk():
    _, r = row(pairs(confound=0.7, attr_in_content=True))
    c = r["controlled"]
    assert c["full_content_residual_share"] < spurious.MIN_RESIDUAL_SHARE
    assert c["control"] == spurious.PROJECTED and c["status"] == "at_risk"
    assert c["low"] < 0 < c["high"]  # x's own column is removed, quality stays: effect 0


def test_attribute_determined_by_content_is_not_identified():
    data = pairs(confound=0.0)
    x = data.column("attr.x.a") * 2
    content = data.vectors("a") * 2
    # Content encodes x in several nonlinear ways: projecting out x's best linear direction
    # leaves other directions that still predict it, as with a real encoder.
    for k, f in enumerate((np.tanh(x), np.tanh(2 * x), x**3 / 5, np.sign(x) * np.abs(x) ** 0.5)):
        content[:, 1 + k] = f
    content[:, 5] = x
    coded = data.with_columns({"vector.a": content / 2, "vector.b": -content / 2})
    _, r = row(coded)
    assert r["controlled"]["status"] == "not_identified"
    assert r["reading"].startswith("not identified")


def test_ties_count_half_and_direction_less():
    labels = np.array([1.0, 1.0, 1.0, 0.0] * 10)
    a = np.array([1.0, 1.0, 2.0, 5.0] * 10)
    b = np.array([2.0, 1.0, 3.0, 4.0] * 10)
    data = PreferenceData.from_columns(
        {
            "label": labels,
            "attr.x.a": a,
            "attr.x.b": b,
            "vector.a": np.ones((40, 2)),
            "vector.b": np.ones((40, 2)),
        }
    )
    r = spurious._null_ruler(a - b, labels, labels != 0.5)
    assert r["direction"] == "less" and r["ruler_accuracy"] == pytest.approx(0.5 + 0.25 + 0.125)
    assert r["share_equal"] == pytest.approx(0.25)
    assert spurious.run(AuditContext(data)).stats["attributes"]["x"]["n_decided"] == 40


def test_position_skipped_when_labels_are_a_file_convention():
    data = PreferenceData.from_columns(
        {"response_a": ["good answer here"] * 50, "response_b": ["bad"] * 50, "label": np.ones(50)}
    )
    result = spurious.run(AuditContext(data))
    assert "position" in result.stats["skipped_attributes"]
    assert "length_chars" in result.stats["attributes"]
    assert result.stats["attributes"]["length_chars"]["controlled"]["status"] == "no_content"


def test_figures_follow_the_schema():
    result, _ = row(pairs(confound=0.7))
    kinds = {f.name: f.kind for f in result.figures}
    assert kinds == {"null_rulers": "intervals", "amce": "intervals"}
    for fig in result.figures:
        for r in fig.data["rows"]:
            assert r["low"] <= r["value"] <= r["high"]


def test_position_is_never_a_shortcut_even_with_random_order_bias():
    """r(a) - r(b) cannot learn the order: position bias is label noise (hygiene reports it)."""
    rng = np.random.default_rng(4)
    n = 400
    texts = [" ".join(["word"] * int(k)) + "." for k in rng.integers(3, 40, size=2 * n)]
    data = PreferenceData.from_columns(
        {
            "response_a": texts[:n],
            "response_b": texts[n:],
            "label": (rng.random(n) < 0.7).astype(float),  # a wins 70%, order random
        }
    )
    result = spurious.run(AuditContext(data, attributes=["position", "length_chars"]))
    assert "position" not in result.stats["attributes"]
    assert result.stats["skipped_attributes"]["position"] == spurious.POSITION_SKIPPED
    assert not any("position" in f.code for f in result.findings)


def test_share_equal_is_counted_not_left_over():
    """4043 pairs, 2304 preferred higher, none equal: 1 - higher - lower rounds to -5.6e-17."""
    n, higher = 4043, 2304
    diff = np.where(np.arange(n) < higher, 1.0, -1.0)
    labels = np.ones(n)
    r = spurious._null_ruler(diff, labels, labels != 0.5)
    assert r["share_equal"] == 0.0
    assert r["share_preferred_higher"] + r["share_preferred_lower"] == pytest.approx(1.0)


def test_free_share_is_bounded_when_the_content_predicts_nothing():
    rng = np.random.default_rng(5)
    a = rng.normal(size=2000)
    noise_prediction = 0.3 * rng.normal(size=2000)  # out-of-fold noise, unrelated to a
    a_res = a - noise_prediction
    assert float(a_res @ a_res) / float(a @ a) > 1.0  # the old share: over 100%
    assert 0.99 < spurious.free_share(a, a_res) <= 1.0
    assert spurious.free_share(a, a - 0.4 * a) == pytest.approx(0.0, abs=1e-12)  # shrunk fit
    assert spurious.free_share(a, a) == 1.0  # no prediction at all


def test_residual_share_never_exceeds_one_with_uninformative_content():
    rng = np.random.default_rng(6)
    n, d = 300, 150  # many noise dimensions: cross-fitted predictions of x are noise
    content = rng.normal(size=(n, d))
    x = rng.normal(size=n)
    data = PreferenceData.from_columns(
        {
            "vector.a": content / 2,
            "vector.b": -content / 2,
            "label": (rng.random(n) < 1 / (1 + np.exp(-x))).astype(float),
            "attr.x.a": x / 2,
            "attr.x.b": -x / 2,
        }
    )
    _, r = row(data)
    assert 0.9 < r["controlled"]["residual_share"] <= 1.0


def test_advice_names_the_measured_direction():
    result, r = row(pairs(confound=-0.7))  # preferred responses have less x
    assert r["direction"] == "less"
    [finding] = result.findings
    assert "'prefer the less x response'" in finding.advice
