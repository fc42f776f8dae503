"""On tiny data the audit's verdicts say "not enough data" and how many rows they need, instead of
"identified" because no check could find anything; null contexts are refused with their rows."""

import numpy as np
import pytest

from causalpref.audit import run_audit
from causalpref.audit.checks import labeller
from causalpref.audit.findings import VERDICT_STATUSES, Verdict
from causalpref.audit.verdicts import MIN_DECIDED
from causalpref.data import PreferenceData
from causalpref.errors import ConfigError
from causalpref.report.audit import STATUS_LABELS, render_audit_html


def texts(n, label=None, context=None, seed=0):
    rng = np.random.default_rng(seed)
    words = ["clear", "careful", "short", "long", "kind", "exact", "vague", "odd"]
    cols = {
        "prompt": [f"question {i}" for i in range(n)],
        "response_a": [" ".join(rng.choice(words, 6)) for _ in range(n)],
        "response_b": [" ".join(rng.choice(words, 3)) for _ in range(n)],
        "label": (rng.random(n) < 0.5).astype(float) if label is None else np.full(n, label),
    }
    if context is not None:
        cols["context"] = np.asarray(context, dtype=object)
    return PreferenceData.from_columns(cols)


def audit(data, context=None):
    """A fast audit: one attribute, no encoder (the verdicts' row counts do not depend on them)."""
    return run_audit(data, context=context, attributes=["length_words"], progress=False)


def verdict(report, starts):
    return next(v for v in report.verdicts if v.estimand.startswith(starts))


@pytest.mark.parametrize("data", [texts(1), texts(5), texts(40, label=0.5)])
def test_tiny_or_all_tie_data_is_not_enough_for_a_population_verdict(data):
    report = audit(data)
    population = verdict(report, "population")
    assert population.status == "not_enough_data"
    assert f"at least {MIN_DECIDED}" in population.evidence
    assert verdict(report, "AMCE").status == "not_enough_data"


def test_enough_data_still_gets_a_population_verdict():
    population = verdict(audit(texts(200)), "population")
    assert population.status != "not_enough_data"


def test_few_rows_per_context_is_not_enough_for_a_per_context_verdict():
    report = audit(texts(30, context=["x", "y"] * 15), context="context")
    per_context = verdict(report, "per-context")
    assert per_context.status == "not_enough_data"
    assert f"at least {labeller.MIN_PER_CONTEXT} rows" in per_context.evidence


def test_enough_rows_per_context_gets_a_real_per_context_verdict():
    report = audit(texts(120, context=["x", "y"] * 60), context="context")
    assert verdict(report, "per-context").status != "not_enough_data"


def test_null_contexts_are_refused_with_their_rows_not_a_context_called_none():
    with pytest.raises(ConfigError, match=r"missing \(null\) in 2 row\(s\) \(rows 1, 3\)"):
        audit(texts(6, context=["x", None, "y", None, "x", "y"]), context="context")


def test_the_report_labels_the_new_status():
    assert "not_enough_data" in VERDICT_STATUSES
    assert set(VERDICT_STATUSES) <= set(STATUS_LABELS)
    page = render_audit_html(audit(texts(3)))
    assert "not enough data" in page


def test_a_verdict_with_an_unknown_status_is_still_refused():
    with pytest.raises(ValueError, match="status="):
        Verdict("e", "maybe", "a", "b")
