"""The study engine: rows per method x point x seed, paired gains, gap closed, the shipped bench."""

import dataclasses
import json
import math

import pytest

from causalpref.evaluate import MethodSpec, ScenarioSource, Study, StudyResult, load_spec
from causalpref.evaluate.study import skip_reason
from causalpref.methods import available_methods, make_method
from causalpref.report.bench import write_bench_outputs
from causalpref.report.study import _table_rows
from causalpref.simulate import available_scenarios

TINY = Study(
    name="user_confounding",
    source=ScenarioSource(
        "user_confounding", {"rho": 0.9, "n_train": 2000, "n_validation": 500, "n_test": 2000}
    ),
    methods=(MethodSpec("bt", "bt"), MethodSpec("multihead", "multihead")),
    seeds=(0, 1),
    baseline="bt",
    settings={"hidden_dim": 16, "epochs": 1, "lr": 1e-3, "validation_fraction": 0.0},
    early_stopping=False,
)


def test_every_scenario_is_in_the_shipped_benchmark():
    for name in ("bench", "bench-quick"):
        assert {s.name for s in load_spec(name).studies} == set(available_scenarios())


def test_the_shipped_benchmark_runs_every_registered_method_baseline_first():
    study = load_spec("bench").studies[0]
    assert {m.label for m in study.methods} == set(available_methods())
    assert study.methods[0].label == "bt"


def test_inapplicable_methods_are_skipped_with_the_missing_column():
    assert skip_reason(make_method("multihead"), ["vector.a", "vector.b", "label"]) == (
        "needs column(s) ['context']"
    )
    assert skip_reason(make_method("bt"), ["vector.a", "vector.b", "label"]) is None


@pytest.fixture(scope="module")
def result():
    return TINY.run(progress=lambda msg: None)


def test_rows_have_the_documented_keys(result):
    assert len(result.rows) == 2 * 2
    for row in result.rows:
        assert {"study", "method", "seed", "shift_metric", "oracle_shift_metric"} <= set(row)
        assert row["shift_metric"] == row["inconsistent_accuracy"]
        assert {"validation_accuracy", "train_accuracy", "consistent_accuracy"} <= set(row)


def test_bench_outputs_are_written(result, tmp_path):
    text = write_bench_outputs([result], {"quick": True}, tmp_path)
    assert json.loads((tmp_path / "results.json").read_text()) == list(result.rows)
    assert (tmp_path / "bench.png").read_bytes()[:4] == b"\x89PNG"
    assert "gap closed" in (tmp_path / "report.md").read_text() and "multihead" in text


def _result(rows, clean=False):
    return StudyResult("s", tuple(rows), "bt", "shift", "shift accuracy")


def test_gap_closed_is_the_paired_gain_over_the_bt_to_oracle_gap():
    rows = [
        {
            "study": "s",
            "method": m,
            "seed": seed,
            "shift_metric": acc,
            "oracle_shift_metric": 0.9,
            "validation_accuracy": 0.8,
            "clean_shift_metric": clean,
        }
        for m, accs, clean in (("bt", (0.5, 0.6), 0.75), ("x", (0.7, 0.8), 0.85))
        for seed, acc in enumerate(accs)
    ] + [{"study": "s", "method": "y", "seed": 0, "skipped": "needs column(s) ['env']"}]
    cells = {c["method"]: c for c in _result(rows).summary()}
    assert cells["x"]["gain"][0] == pytest.approx(0.2)
    assert cells["x"]["gain"][1] == pytest.approx(0.0, abs=1e-12)
    assert cells["x"]["gap_closed"] == pytest.approx(0.2 / (0.9 - 0.55))
    assert cells["x"]["clean_gap_closed"] == pytest.approx(0.2 / (0.85 - 0.55))
    assert cells["bt"]["gap_closed"] == 0.0
    assert cells["y"] == {"study": "s", "method": "y", "skipped": "needs column(s) ['env']"}
    assert not math.isnan(cells["x"]["shift_metric"][1])


def test_grid_points_are_summarised_separately_and_paired_by_seed():
    rows = [
        {"study": "s", "method": m, "rho": rho, "seed": seed, "shift_metric": acc + rho}
        for rho in (0.1, 0.2)
        for m, accs in (("bt", (0.5, 0.6)), ("x", (0.6, 0.7)))
        for seed, acc in enumerate(accs)
    ]
    res = StudyResult("s", tuple(rows), "bt", "shift", "shift", grid_keys=("rho",))
    cells = res.summary()
    assert [(c["rho"], c["method"]) for c in cells] == [
        (0.1, "bt"),
        (0.1, "x"),
        (0.2, "bt"),
        (0.2, "x"),
    ]
    assert all(c["gain"][0] == pytest.approx(0.1 if c["method"] == "x" else 0) for c in cells)


def test_clean_ceiling_fits_the_method_on_the_clean_counterpart(result):
    clean = dataclasses.replace(TINY, clean_ceiling=True, seeds=(0,)).run(progress=lambda msg: None)
    for row, plain in zip(clean.rows, result.rows[:2], strict=True):
        assert row["shift_metric"] == plain["shift_metric"]  # the same fit on the same data
        assert 0.0 < row["clean_shift_metric"] <= 1.0


def test_bf16_study_matches_the_fp32_rows_closely(result):
    """The precision setting reaches every fit; bf16 moves shift accuracy by under 2 points."""
    bf16 = dataclasses.replace(TINY, settings={**TINY.settings, "precision": "bf16"})
    for a, b in zip(result.rows, bf16.run(progress=lambda msg: None).rows, strict=True):
        assert (a["method"], a["seed"]) == (b["method"], b["seed"])
        assert abs(a["shift_metric"] - b["shift_metric"]) < 0.02


def test_paired_gains_need_the_grid_point():
    from causalpref.errors import ConfigError

    rows = [
        {"study": "s", "method": m, "rho": rho, "seed": 0, "shift_metric": acc + rho}
        for rho in (0.1, 0.2)
        for m, acc in (("bt", 0.5), ("x", 0.6))
    ]
    res = StudyResult("s", tuple(rows), "bt", "shift", "shift", grid_keys=("rho",))
    assert res.paired_gains("x", rho=0.2) == [pytest.approx(0.1)]
    with pytest.raises(ConfigError, match="grid point"):
        res.paired_gains("x")


def test_the_bench_shortcut_narrows_the_shipped_spec(tmp_path):
    from typer.testing import CliRunner

    from causalpref.cli import app

    args = ["bench", "--quick", "--scenarios", "user_confounding", "--methods", "multihead"]
    result = CliRunner().invoke(app, [*args, "--seeds", "2", "--jobs", "1", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "results.json").read_text())
    assert [(r["study"], r["method"], r["seed"]) for r in rows] == [
        ("user_confounding", m, s) for s in (0, 1) for m in ("bt", "multihead")
    ]
    bad = CliRunner().invoke(app, ["bench", "--scenarios", "nope", "--out", str(tmp_path)])
    assert bad.exit_code != 0


def test_a_fits_warnings_are_kept_in_its_row_instead_of_printed(recwarn):
    stuck = dataclasses.replace(
        TINY,
        methods=(MethodSpec("bt", "bt"),),
        seeds=(0,),
        settings={"hidden_dim": 16, "epochs": 2, "lr": 1e-7},
        early_stopping=True,
    )
    (row,) = stuck.run(progress=lambda msg: None).rows
    assert any("ln 2" in w for w in row["warnings"]), row.get("warnings")
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def test_every_test_split_gets_a_gain_paired_by_seed_beside_the_shift_gain():
    rows = [
        {"study": "s", "method": m, "seed": seed, "shift_metric": rev, "reversed_accuracy": rev}
        | {"natural_accuracy": nat, "validation_accuracy": 0.7, "train_accuracy": 0.9}
        for m, runs in (("bt", ((0.3, 0.60), (0.5, 0.64))), ("x", ((0.4, 0.59), (0.6, 0.61))))
        for seed, (rev, nat) in enumerate(runs)
    ]
    result = StudyResult("s", tuple(rows), "bt", "reversed", "reversed accuracy")
    cells = {c["method"]: c for c in result.summary()}
    assert cells["x"]["gain_reversed_accuracy"][0] == pytest.approx(0.1)
    assert cells["x"]["gain_natural_accuracy"] == pytest.approx((-0.02, 0.01))  # paired, not 0.625
    assert "gain_validation_accuracy" not in cells["x"] and "gain_train_accuracy" not in cells["x"]
    header, body = _table_rows(result, list(cells.values()))
    assert "gain on natural (pts)" in header and "gain on reversed (pts)" not in header
    assert body[1][header.index("gain on natural (pts)")] == "-2.0 +- 1.0"
