"""Check 2: informative mass of factor differences against the Gaussian formula."""

import math

import numpy as np
import pytest

from causalpref.audit.checks import overlap
from causalpref.audit.context import AuditContext
from causalpref.data import PreferenceData


def factors(rho, n=4000, seed=0, extra=None):
    rng = np.random.default_rng(seed)
    cov = [[1, rho], [rho, 1]]
    za, zb = rng.multivariate_normal([0, 0], cov, n), rng.multivariate_normal([0, 0], cov, n)
    cols = {"label": (za.sum(1) > zb.sum(1)).astype(float)}
    for k in range(2):
        cols[f"latent.z{k}.a"], cols[f"latent.z{k}.b"] = za[:, k], zb[:, k]
    cols.update(extra or {})
    return PreferenceData.from_columns(cols, validate=False)


@pytest.mark.parametrize("rho", [0.0, 0.6, 0.9, -0.9])
def test_mass_matches_arcsine_formula(rho):
    result = overlap.run(AuditContext(factors(rho)))
    pair = result.stats["pairs"][0]
    expected = 0.5 - math.asin(abs(rho)) / math.pi
    assert pair["mass"] == pytest.approx(expected, abs=0.02)
    assert pair["mass_low"] <= pair["mass"] <= pair["mass_high"]


def test_severity_follows_thresholds():
    assert overlap.run(AuditContext(factors(0.0))).findings == []
    assert overlap.run(AuditContext(factors(0.6))).findings == []  # mass 0.30 > 0.25
    [found] = overlap.run(AuditContext(factors(0.9))).findings
    assert found.severity == "warning" and found.code == "overlap.latent.z0~latent.z1"
    [never] = overlap.run(AuditContext(factors(1.0))).findings
    assert never.severity == "error" and "never vary independently" in never.message


def test_attribute_pairs_are_one_notice_and_constant_factors_skipped():
    rng = np.random.default_rng(1)
    length = rng.normal(size=(2, 4000))
    extra = {
        "attr.len1.a": length[0], "attr.len1.b": length[1],
        "attr.len2.a": 2 * length[0], "attr.len2.b": 2 * length[1],
        "attr.flat.a": np.zeros(4000), "attr.flat.b": np.zeros(4000),
    }  # fmt: skip
    result = overlap.run(AuditContext(factors(0.0, extra=extra)))
    assert [(f.code, f.severity) for f in result.findings] == [("overlap.attributes", "notice")]
    assert "attr.flat" in result.stats["skipped_factors"]
    heat = {f.name: f for f in result.figures}["informative_mass"]
    assert len(heat.data["rows"]) == 4


def test_skipped_with_one_factor():
    data = PreferenceData.from_columns(
        {"label": np.ones(10), "latent.z.a": np.arange(10.0), "latent.z.b": np.zeros(10)},
        validate=False,
    )
    assert overlap.run(AuditContext(data)).skipped


def sparse(n=4000, seed=2, **counts):
    """0/1 attributes that differ (a has it, b not) in disjoint blocks of rows: they never
    differ together, so every pair where one differs tells them apart."""
    extra, start = {}, 0
    for name, count in counts.items():
        a = np.zeros(n)
        a[start : start + count] = 1.0
        extra[f"attr.{name}.a"], extra[f"attr.{name}.b"] = a, np.zeros(n)
        start += count
    return factors(0.0, n=n, seed=seed, extra=extra)


def attribute_pair(result, first, second):
    return next(p for p in result.stats["pairs"] if set(p["factors"]) == {first, second})


def test_sparse_attributes_that_never_differ_together_vary_independently():
    """Relabelled HH listed 'markdown_list_items ~ sycophancy_opener (0% of 0)' as co-varying."""
    result = overlap.run(AuditContext(sparse(refusal=60, listing=80)))
    pair = attribute_pair(result, "attr.refusal", "attr.listing")
    assert pair["n_both_differ"] == 0 and pair["n_one_differs"] == 140
    assert pair["independent_share"] == 1.0 and overlap.classify(pair) is None
    assert result.findings == []


def test_few_independent_pairs_are_too_few_to_tell_not_never():
    data = sparse(n=400, refusal=4, listing=5)  # each differs in just over 1% of pairs
    result = overlap.run(AuditContext(data))
    pair = attribute_pair(result, "attr.refusal", "attr.listing")
    assert overlap.classify(pair) == "too few"
    [found] = result.findings
    assert found.severity == "info" and "Too few pairs to tell" in found.message
    assert "rarely vary independently" not in found.message
    assert found.evidence["pairs"][0]["varies_independently"] == "too few"


def test_independent_share_equals_the_mass_for_factors_that_always_differ():
    pair = overlap.run(AuditContext(factors(0.6))).stats["pairs"][0]
    assert pair["n_one_differs"] == 0
    assert pair["independent_share"] == pytest.approx(pair["mass"])
