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
