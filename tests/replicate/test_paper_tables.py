"""The demo (the paper's Tables 1 and 2 in simulation) as the shipped spec `demo-quick`, shrunk."""

import json

import pytest

from causalpref.evaluate import load_spec, run_spec
from causalpref.report.replication import findings, paired_difference, write_demo_outputs
from causalpref.report.study import write_study_outputs

TINY = {
    "jobs": 1,
    "defaults.settings": {"hidden_dim": 16, "epochs": 1},
    "study.table1.seeds": 2,
    "study.table1.knobs": {"n_train": 200, "n_validation": 50, "n_test": 100, "n_ood": 100},
    "study.table1.grid.rho": [0.0, 0.9],
    "study.table2.seeds": 2,
    "study.table2.knobs": {"n_train": 200, "n_validation": 50, "n_test": 100},
    "study.table2.grid.rho": [0.8, 0.9, 1.0],
}


@pytest.fixture(scope="module")
def spec():
    return load_spec("demo-quick", TINY)


@pytest.fixture(scope="module")
def results(spec):
    return run_spec(spec, progress=lambda msg: None)


@pytest.fixture(scope="module")
def rows(results):
    return [r for result in results for r in result.rows]


def test_demo_rows_have_the_documented_keys(rows):
    t1 = [r for r in rows if r["study"] == "table1"]
    t2 = [r for r in rows if r["study"] == "table2"]
    assert len(t1) == 2 * 2 and len(t2) == 3 * 2 * 3 * 2  # rhos x seeds (x models x regimes)
    for r in t1:
        assert {"rho", "method", "seed", "id_accuracy", "ood_accuracy", "informative_mass"} <= set(
            r
        )
        assert {"id_optimal_ood_accuracy", "oracle_ood_accuracy"} <= set(r)
    for r in t2:
        assert {
            "rho",
            "method",
            "seed",
            "features",
            "consistent_accuracy",
            "inconsistent_accuracy",
        } <= set(r)
    assert {r["features"] for r in t2} == {"shared", "type_specific"}
    assert {r["method"] for r in t2} == {"base", "multihead", "adversarial"}


def test_demo_writes_results_report_and_figures(spec, results, rows, tmp_path):
    text = write_study_outputs(spec, results, tmp_path)
    assert json.loads((tmp_path / "results.json").read_text()) == rows
    report = (tmp_path / "report.md").read_text()
    assert "## Findings" in report and "Table 1" in report and "type_specific" in report
    for png in ("table1.png", "table2.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Findings:" in text
    assert write_demo_outputs(rows, spec.raw, tmp_path / "again") == text.replace(
        str(tmp_path), str(tmp_path / "again")
    )


def test_paired_difference_pairs_models_on_the_same_seed():
    rows = [
        {"seed": 0, "method": "base", "rho": 0.8, "acc": 0.60},
        {"seed": 0, "method": "multihead", "rho": 0.8, "acc": 0.64},
        {"seed": 1, "method": "base", "rho": 0.8, "acc": 0.70},
        {"seed": 1, "method": "multihead", "rho": 0.8, "acc": 0.72},
    ]
    mean, se = paired_difference(rows, "acc", "multihead", "base", rho=0.8)
    assert mean == pytest.approx(0.03) and se == pytest.approx(0.01)


def test_findings_say_when_a_claim_does_not_hold():
    rows = [
        {
            "study": "table1",
            "rho": rho,
            "method": "bt",
            "seed": s,
            "id_accuracy": 0.7,
            "ood_accuracy": 0.6 + 0.1 * rho,
        }
        for rho in (0.0, 0.9)
        for s in (0, 1)
    ]
    assert "does NOT fall" in findings(rows)[0]
