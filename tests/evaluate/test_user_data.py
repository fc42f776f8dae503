"""`causalpref study` on a user's own file of pairs (split column), beside a scenario that
provides a clean-data ceiling."""

import json

from typer.testing import CliRunner

from causalpref import simulate
from causalpref.cli import app
from causalpref.data import write_preferences

SIZES = {"n_train": 300, "n_validation": 100, "n_test": 150}
SPEC = """
title = "my study"
jobs = 1

[defaults]
seeds = 2
baseline = "bt"
settings = {{ hidden_dim = 16, epochs = 2 }}

[study.mine]
data = "{data}"
encoder = "hashing"
methods = ["bt", "invariant_mmd"]
shift_split = "test_reversed"

[study.sim]
scenario = "spurious_attribute"
knobs = {{ n_train = 300, n_validation = 100, n_test = 150 }}
methods = ["bt", "invariant_mmd"]
method_settings = {{ invariant_mmd = {{ attribute = "length" }} }}
clean_ceiling = true
"""


def test_study_runs_a_user_spec_on_user_text_and_reports_the_clean_ceiling(tmp_path):
    # A user's file: text pairs (no vectors) with a split column and an attribute column.
    pairs = simulate.make("spurious_text", seed=0, encoder=None, **SIZES).all_rows()
    write_preferences(pairs, tmp_path / "pairs.jsonl")
    (tmp_path / "study.toml").write_text(SPEC.format(data="pairs.jsonl"))
    result = CliRunner().invoke(
        app, ["study", str(tmp_path / "study.toml"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "out" / "results.json").read_text())
    mine = [r for r in rows if r["study"] == "mine"]
    assert {r["method"] for r in mine} == {"bt", "invariant_mmd"} and len(mine) == 4
    for r in mine:  # trained on split=train, scored on every other split
        assert {"test_independent_accuracy", "test_reversed_accuracy"} <= set(r)
        assert r["shift_metric"] == r["test_reversed_accuracy"]
        assert "clean_shift_metric" not in r
    sim = [r for r in rows if r["study"] == "sim"]
    assert all(0 < r["clean_shift_metric"] <= 1 for r in sim)
    report = (tmp_path / "out" / "report.md").read_text()
    assert "## mine: shift metric = accuracy on split 'test_reversed'" in report
    assert "clean ceiling %" in report and "gap closed (clean)" in report
    assert "test_reversed %" in report
    page = (tmp_path / "out" / "report.html").read_text()
    assert page.count('<svg data-fig="') == 2, "one gain figure per study"
    assert "<script" not in page and "clean ceiling %" in page and "<h2>mine</h2>" in page


def test_a_file_without_train_rows_or_with_an_unknown_shift_split_is_a_clear_error(tmp_path):
    import pytest

    from causalpref.errors import ConfigError
    from causalpref.evaluate import load_spec, run_spec

    pairs = simulate.make("spurious_attribute", seed=0, **SIZES).all_rows()
    write_preferences(pairs, tmp_path / "pairs.jsonl")
    spec = tmp_path / "s.toml"
    spec.write_text(
        '[study.s]\ndata = "pairs.jsonl"\nmethods = ["bt"]\nsplit_column = "env"\nseeds = 1\n'
    )
    with pytest.raises(ConfigError, match="expected 'train' rows"):
        run_spec(load_spec(spec), progress=lambda msg: None)
    spec.write_text('[study.s]\ndata = "pairs.jsonl"\nmethods = ["bt"]\nshift_split = "ood"\n')
    with pytest.raises(ConfigError, match="shift split 'ood' is not among"):
        run_spec(load_spec(spec, {"study.s.seeds": 1}), progress=lambda msg: None)


def test_a_split_named_dev_is_validation_in_a_study_not_a_test_split(tmp_path):
    """`fit` accepts val/valid/dev as validation; a study over the same file must agree."""
    from causalpref.evaluate.sources import FileSource

    pairs = simulate.make("spurious_attribute", seed=0, **SIZES).all_rows()
    renamed = ["dev" if s == "validation" else s for s in pairs.column("split")]
    write_preferences(pairs.with_columns({"split": renamed}), tmp_path / "pairs.jsonl")
    splits = FileSource(path=tmp_path / "pairs.jsonl").load({}, seed=0)
    assert len(splits.validation) == SIZES["n_validation"]
    assert "dev" not in splits.tests and "validation" not in splits.tests
