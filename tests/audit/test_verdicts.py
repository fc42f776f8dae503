"""Check 7 (verdicts): what puts an estimand at risk, and what is only label noise."""

from __future__ import annotations

import numpy as np

from causalpref.audit import run_audit
from causalpref.data import PreferenceData

WORDS = ["clear", "careful", "short", "long", "kind", "exact", "vague", "odd"]


def texts(n: int, prefer_a: float, seed: int = 0) -> dict[str, list]:
    """Random texts of random length, a preferred with probability `prefer_a`."""
    rng = np.random.default_rng(seed)
    words = lambda: " ".join(rng.choice(WORDS, int(rng.integers(3, 12)))) + "."  # noqa: E731
    return {
        "prompt": [f"question {i}" for i in range(n)],
        "response_a": [words() for _ in range(n)],
        "response_b": [words() for _ in range(n)],
        "label": (rng.random(n) < prefer_a).astype(float).tolist(),
    }


def population(columns: dict[str, list]):
    data = PreferenceData.from_columns(columns, validate=False)
    report = run_audit(data, attributes=["length_words", "position"], progress=False)
    found = {f.code: f for f in report.findings}
    return found, next(v for v in report.verdicts if v.estimand.startswith("population"))


def test_position_bias_alone_leaves_the_population_reward_identified():
    found, verdict = population(texts(1000, prefer_a=0.7))
    assert found["hygiene.position_bias"].severity == "warning"
    assert [f.code for f in found.values() if f.severity in ("warning", "error")] == [
        "hygiene.position_bias"
    ]
    assert verdict.status == "identified"
    assert "label noise" in verdict.evidence


def test_a_real_threat_beside_position_bias_still_puts_it_at_risk():
    cols = texts(1000, prefer_a=0.7)
    for key in cols:  # rows 900..999 become exact copies of rows 0..99 (10%, a warning)
        cols[key][900:] = cols[key][:100]
    found, verdict = population(cols)
    assert found["hygiene.duplicate_rows"].severity == "warning"
    assert verdict.status == "at_risk"
    assert "hygiene.duplicate_rows" in verdict.evidence
    assert "hygiene.position_bias (warning) is label noise" in verdict.evidence
