import dataclasses
import json
import math

import pytest

from causalpref.evaluate.benchmark import (
    BENCH_SCENARIOS,
    BenchConfig,
    run_bench,
    skip_reason,
    summarize_bench,
)
from causalpref.methods import available_methods
from causalpref.report.bench import write_bench_outputs
from causalpref.simulate import available_scenarios


def test_every_scenario_is_in_the_benchmark():
    assert set(BENCH_SCENARIOS) == set(available_scenarios())


def test_inapplicable_methods_are_skipped_with_the_missing_column():
    assert skip_reason("multihead", ["vector.a", "vector.b", "label"]) == (
        "needs column(s) ['context']"
    )
    assert skip_reason("bt", ["vector.a", "vector.b", "label"]) is None


TINY = BenchConfig(
    scenarios=("user_confounding",),
    methods=("bt", "multihead"),
    seeds=2,
    quick=True,
    hidden_dim=16,
    epochs=1,
    jobs=1,
)


@pytest.fixture(scope="module")
def rows():
    return run_bench(TINY, progress=lambda msg: None)


def test_rows_have_the_documented_keys(rows):
    assert len(rows) == 2 * 2
    for row in rows:
        assert {"scenario", "method", "seed", "shift_metric", "oracle_shift_metric"} <= set(row)
        assert row["shift_metric"] == row["inconsistent_accuracy"]


def test_outputs_are_written(rows, tmp_path):
    text = write_bench_outputs(rows, {"quick": True}, tmp_path)
    assert json.loads((tmp_path / "results.json").read_text()) == rows
    assert (tmp_path / "bench.png").read_bytes()[:4] == b"\x89PNG"
    assert "gap closed" in (tmp_path / "report.md").read_text() and "multihead" in text


def test_gap_closed_is_the_paired_gain_over_the_bt_to_oracle_gap():
    rows = [
        {
            "scenario": "s",
            "method": m,
            "seed": seed,
            "shift_metric": acc,
            "oracle_shift_metric": 0.9,
            "id_accuracy": 0.8,
        }
        for m, accs in (("bt", (0.5, 0.6)), ("x", (0.7, 0.8)))
        for seed, acc in enumerate(accs)
    ] + [{"scenario": "s", "method": "y", "seed": 0, "skipped": "needs column(s) ['env']"}]
    cells = {c["method"]: c for c in summarize_bench(rows)}
    assert cells["x"]["gain"][0] == pytest.approx(0.2)
    assert cells["x"]["gain"][1] == pytest.approx(0.0, abs=1e-12)
    assert cells["x"]["gap_closed"] == pytest.approx(0.2 / (0.9 - 0.55))
    assert cells["bt"]["gap_closed"] == 0.0
    assert cells["y"] == {"scenario": "s", "method": "y", "skipped": "needs column(s) ['env']"}
    assert not math.isnan(cells["x"]["shift_metric"][1])


def test_the_default_configuration_runs_every_registered_method():
    assert set(BenchConfig().method_names()) == set(available_methods())
    assert BenchConfig().method_names()[0] == "bt"


def test_bf16_bench_matches_the_fp32_rows_closely(rows):
    """The precision setting reaches every fit; bf16 moves shift accuracy by under 2 points."""
    bf16 = run_bench(dataclasses.replace(TINY, precision="bf16"), progress=lambda msg: None)
    for a, b in zip(rows, bf16, strict=True):
        assert (a["method"], a["seed"]) == (b["method"], b["seed"])
        assert abs(a["shift_metric"] - b["shift_metric"]) < 0.02
