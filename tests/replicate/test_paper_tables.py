import json

import pytest

from causalpref.replicate import DemoConfig, run_demo
from causalpref.replicate.report import findings, paired_difference, write_demo_outputs

TINY = DemoConfig(
    table1_seeds=2,
    table2_seeds=2,
    table1_n_train=200,
    table1_n_validation=50,
    table1_n_test=100,
    table2_n_train=200,
    table2_n_validation=50,
    table2_n_test=100,
    hidden_dim=16,
    epochs=1,
    jobs=1,
    table1_rhos=(0.0, 0.9),
    table2_rhos=(0.8, 0.9, 1.0),
)


@pytest.fixture(scope="module")
def rows():
    return run_demo(TINY, progress=lambda msg: None)


def test_demo_rows_have_the_documented_keys(rows):
    t1 = [r for r in rows if r["table"] == "table1"]
    t2 = [r for r in rows if r["table"] == "table2"]
    assert len(t1) == 2 * 2 and len(t2) == 3 * 2 * 3 * 2  # rhos x seeds (x models x regimes)
    for r in t1:
        assert {"rho", "model", "seed", "id_accuracy", "ood_accuracy"} <= set(r)
    for r in t2:
        assert {
            "rho",
            "model",
            "seed",
            "features",
            "consistent_accuracy",
            "inconsistent_accuracy",
        } <= set(r)
    assert {r["features"] for r in t2} == {"shared", "type_specific"}
    assert {r["model"] for r in t2} == {"base", "multihead", "adversarial"}


def test_demo_writes_results_report_and_figures(rows, tmp_path):
    text = write_demo_outputs(rows, TINY, tmp_path)
    assert json.loads((tmp_path / "results.json").read_text()) == rows
    report = (tmp_path / "report.md").read_text()
    assert "## Findings" in report and "Table 1" in report and "type_specific" in report
    for png in ("table1.png", "table2.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Findings:" in text


def test_paired_difference_pairs_models_on_the_same_seed():
    rows = [
        {"seed": 0, "model": "base", "rho": 0.8, "acc": 0.60},
        {"seed": 0, "model": "multihead", "rho": 0.8, "acc": 0.64},
        {"seed": 1, "model": "base", "rho": 0.8, "acc": 0.70},
        {"seed": 1, "model": "multihead", "rho": 0.8, "acc": 0.72},
    ]
    mean, se = paired_difference(rows, "acc", "multihead", "base", rho=0.8)
    assert mean == pytest.approx(0.03) and se == pytest.approx(0.01)


def test_findings_say_when_a_claim_does_not_hold():
    rows = [
        {
            "table": "table1",
            "rho": rho,
            "model": "bt",
            "seed": s,
            "id_accuracy": 0.7,
            "ood_accuracy": 0.6 + 0.1 * rho,
        }
        for rho in (0.0, 0.9)
        for s in (0, 1)
    ]
    assert "does NOT fall" in findings(rows)[0]
