"""Which rows a fit trains on (split names and their aliases), and accuracy per split that is
honest where no pair is decided (None plus a reason, never NaN)."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from causalpref._json import dumps
from causalpref.cli import app
from causalpref.data import PreferenceData, write_preferences
from causalpref.errors import ConfigError, DataValidationError
from causalpref.methods import make_method
from causalpref.methods.scoring import (
    KNOWN_SPLITS,
    accuracy_by_split,
    accuracy_lines,
    train_validation,
)


def pairs(split=None, label=None, n=None, topic=None):
    n = n or (len(split) if split is not None else 8)
    rng = np.random.default_rng(0)
    cols = {
        "vector.a": rng.normal(size=(n, 4)),
        "vector.b": rng.normal(size=(n, 4)),
        "label": np.tile([1.0, 0.0], n)[:n] if label is None else np.asarray(label, float),
    }
    if split is not None:
        cols["split"] = np.asarray(split, dtype=object)
    if topic is not None:
        cols["topic"] = np.asarray(topic, dtype=object)
    return PreferenceData.from_columns(cols)


@pytest.fixture(scope="module")
def model():
    return make_method("bt", epochs=1, hidden_dim=4, validation_fraction=0.0).fit(pairs(n=20))


@pytest.mark.parametrize("alias", ["validation", "val", "valid", "dev"])
def test_validation_and_its_aliases_drive_early_stopping(alias):
    train, validation = train_validation(pairs(["train"] * 4 + [alias] * 2 + ["test_ood"] * 2))
    assert len(train) == 4 and len(validation) == 2


def test_test_rows_are_left_out_and_no_validation_is_none():
    train, validation = train_validation(pairs(["train"] * 5 + ["test", "test_id", "test_x"]))
    assert len(train) == 5 and validation is None


def test_without_a_split_column_every_row_trains():
    data = pairs()
    assert train_validation(data) == (data, None)


def test_an_unknown_split_name_is_an_error_listing_the_known_ones():
    with pytest.raises(DataValidationError) as err:
        train_validation(pairs(["train"] * 4 + ["vaildation"] * 2))
    message = str(err.value)
    assert "['vaildation']" in message and "rows 4, 5" in message
    assert all(name in message for name in ("train", "validation", "val", "dev", "test_"))
    assert "test" in KNOWN_SPLITS


def test_no_train_rows_is_an_error():
    with pytest.raises(DataValidationError, match="no 'train' rows"):
        train_validation(pairs(["validation"] * 4 + ["test"] * 2))


def test_null_split_values_are_an_error_with_their_rows():
    with pytest.raises(DataValidationError, match=r"split is missing \(null\).*rows 3"):
        train_validation(pairs(["train", "train", "train", None]))


def test_accuracy_per_split_with_sizes(model):
    data = pairs(["train"] * 4 + ["test"] * 4)
    result = accuracy_by_split(model, data)
    assert set(result["splits"]) == {"train", "test"}
    assert result["split_sizes"]["test"] == {"n": 4, "n_decided": 4}
    assert result["notes"] == [] and result["n_decided"] == 8
    assert result["accuracy"] == pytest.approx(model.score(data))


def test_an_unknown_split_by_column_lists_the_available_columns(model):
    with pytest.raises(ConfigError, match=r"split_by='topc'.*available columns.*'label'"):
        accuracy_by_split(model, pairs(), "topc")


def test_the_default_split_column_may_be_absent(model):
    assert accuracy_by_split(model, pairs())["splits"] == {}


def test_null_split_values_are_reported_not_a_split_called_none(model):
    result = accuracy_by_split(model, pairs(n=6, topic=["a", "b", None, "a", "b", None]), "topic")
    assert set(result["splits"]) == {"a", "b"}
    assert any("2 row(s) have no value in column 'topic' (rows 2, 5)" in n for n in result["notes"])


def test_no_decided_pair_gives_none_and_a_reason_not_nan(model):
    result = accuracy_by_split(model, pairs(["test"] * 4, label=[0.5] * 4))
    assert result["accuracy"] is None and result["splits"] == {"test": None}
    assert result["n"] == 4 and result["n_decided"] == 0
    assert any("n/a" in note and "0.5 (ties)" in note for note in result["notes"])
    assert json.loads(dumps(result))["accuracy"] is None
    lines = accuracy_lines(result)
    assert lines[0] == "accuracy n/a on 4 pairs" and "nan" not in " ".join(lines)


def test_evaluate_prints_n_a_and_writes_null(tmp_path, model):
    model.save(tmp_path / "m")
    data = tmp_path / "ties.parquet"
    write_preferences(pairs(["test"] * 4, label=[0.5] * 4), data)
    result = CliRunner().invoke(
        app, ["evaluate", str(tmp_path / "m"), str(data), "--json", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 0, result.output
    assert "accuracy n/a on 4 pairs" in result.output and "nan" not in result.output
    assert json.loads((tmp_path / "r.json").read_text())["accuracy"] is None


def test_evaluate_split_by_an_unknown_column_is_a_config_error(tmp_path, model):
    model.save(tmp_path / "m")
    data = tmp_path / "d.parquet"
    write_preferences(pairs(["test"] * 4), data)
    result = CliRunner().invoke(
        app, ["evaluate", str(tmp_path / "m"), str(data), "--split-by", "nope"]
    )
    assert isinstance(result.exception, ConfigError)  # the CLI's handler: "error: ..." exit 2
    assert "available columns" in str(result.exception) and "nope" in str(result.exception)
