"""The contract every registered audit check keeps (one suite over `CHECKS`, as scikit-learn's
parametrize_with_checks): it runs on small scenario data, returns a CheckResult under its own
name, its findings and figures serialise to strict JSON, and where it cannot run it says why."""

from __future__ import annotations

import json
import typing

import pytest

from causalpref import simulate
from causalpref.audit.checks import CHECKS, available_checks
from causalpref.audit.context import AuditContext
from causalpref.audit.findings import AuditReport, CheckResult, FigureKind
from causalpref.report.audit import audit_json

N = 300
DATA_SETS = {  # scenario -> context column
    "spurious_text": None,
    "user_confounding": "context",
}


@pytest.fixture(scope="module")
def contexts() -> dict[str, AuditContext]:
    out = {}
    for name, context in DATA_SETS.items():
        data = simulate.make(name, seed=0, n_train=N, n_validation=20, n_test=20).train
        out[name] = AuditContext(data, context=context, seed=0, progress=False)
    bare = simulate.make("latent_overlap", seed=0, n_train=N, n_validation=20, n_test=20).train
    extra = [c for c in bare.columns if c not in ("vector.a", "vector.b", "label")]
    out["vectors_only"] = AuditContext(bare.drop(extra), seed=0, progress=False)
    return out


@pytest.fixture(scope="module")
def results(contexts) -> dict[tuple[str, str], CheckResult]:
    """Every check's result on every small data set, computed once."""
    return {(n, w): CHECKS.get(n)(ctx) for n in CHECKS.names() for w, ctx in contexts.items()}


def test_checks_run_in_their_registered_order():
    assert available_checks() == [
        "spurious",
        "overlap",
        "labeller",
        "heterogeneity",
        "hygiene",
        "selection",
    ]


@pytest.mark.parametrize("name", CHECKS.names())
def test_contract(name, contexts, results):
    for where in contexts:
        result = results[name, where]
        assert isinstance(result, CheckResult), where
        assert result.name == name and isinstance(result.title, str) and result.title, where
        for finding in result.findings:
            assert finding.check == name and finding.code.startswith(f"{name}."), finding.code
            assert finding.message.strip(), finding.code
        kinds = typing.get_args(FigureKind)
        assert all(fig.kind in kinds and fig.title for fig in result.figures), where
        if result.skipped is not None:
            assert isinstance(result.skipped, str) and result.skipped.strip(), where
            assert not result.findings and not result.figures, where
        report = AuditReport({"source": where}, [result], [])
        json.loads(audit_json(report))  # strict JSON: raises on NaN, inf or numpy objects


@pytest.mark.parametrize("name", CHECKS.names())
def test_contract_runs_on_some_scenario(name, contexts, results):
    """Each check has data it can run on among the small scenarios (not skipped everywhere)."""
    mine = {where: results[name, where] for where in contexts}
    if name == "selection":  # pointwise exposure data: no pair scenario has propensities
        assert all(r.skipped for r in mine.values())
        return
    assert any(r.skipped is None for r in mine.values()), {w: r.skipped for w, r in mine.items()}
