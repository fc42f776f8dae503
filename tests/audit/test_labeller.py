"""Check 3: the context predicted from prompt features, with its interval and overlap."""

import numpy as np
import pytest

from causalpref.audit.checks import labeller
from causalpref.audit.context import PROMPT_PROXY_NOTE, AuditContext
from causalpref.data import PreferenceData


def data(rho, n=2000, k=2, seed=0, d=16):
    """Prompt type t shows in the prompt vector; context c = t with probability rho."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, k, size=n)
    other = (t + rng.integers(1, k, size=n)) % k if k > 1 else t
    c = np.where(rng.random(n) < rho, t, other)
    codes = rng.normal(size=(k, d)) * 2
    prompt = codes[t] + rng.normal(size=(n, d))
    return PreferenceData.from_columns(
        {
            "vector.prompt": prompt,
            "vector.a": rng.normal(size=(n, d)),
            "vector.b": rng.normal(size=(n, d)),
            "label": rng.integers(0, 2, size=n).astype(float),
            "context": np.array([f"c{i}" for i in c], dtype=object),
        }
    )


def run(d):
    return labeller.run(AuditContext(d, context="context"))


def test_auc_tracks_rho_when_type_is_decodable():
    for rho in (0.5, 0.75, 0.9):
        stats = run(data(rho)).stats
        assert stats["auc_low"] < rho + 0.01 < stats["auc_high"] + 0.03
        assert stats["features"] == "vector.prompt"


def test_findings_only_when_confounded():
    assert run(data(0.5)).findings == []
    [found] = run(data(0.9)).findings
    assert found.code == "labeller.context_predictable" and found.severity == "warning"
    codes = {f.code: f.severity for f in run(data(1.0)).findings}
    assert codes == {"labeller.context_predictable": "error", "labeller.overlap": "warning"}


def test_three_contexts_use_macro_auc_with_bootstrap():
    stats = run(data(0.9, k=3)).stats
    assert stats["interval_method"].startswith("bootstrap")
    assert stats["auc_low"] > labeller.WARN_AUC_LOW
    assert set(stats["per_context"]) == {"c0", "c1", "c2"}
    assert run(data(1 / 3, k=3)).findings == []


def test_proxy_and_skips_are_stated():
    d = data(0.9).drop("vector.prompt")
    assert run(d).stats["features"] == PROMPT_PROXY_NOTE
    assert labeller.run(AuditContext(d)).skipped.startswith("no context column")
    one = d.with_columns({"context": np.array(["x"] * len(d), dtype=object)})
    assert "fewer than two contexts" in run(one).skipped


def test_same_seed_same_numbers():
    a, b = run(data(0.8)).stats, run(data(0.8)).stats
    assert a["auc"] == pytest.approx(b["auc"]) and a["auc_low"] == b["auc_low"]
