"""PreferenceData construction, access and transforms."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from causalpref.data import PreferenceData
from causalpref.errors import ConfigError, DataValidationError


def make_data(n: int = 6, d: int = 3, seed: int = 0, **extra) -> PreferenceData:
    rng = np.random.default_rng(seed)
    columns = {
        "pair_id": np.arange(n),
        "response_a": [f"answer a{i}" for i in range(n)],
        "response_b": [f"answer b{i}" for i in range(n)],
        "vector.a": rng.normal(size=(n, d)),
        "vector.b": rng.normal(size=(n, d)),
        "label": np.resize([1.0, 0.0, 0.5], n),
        "attr.length.a": np.arange(n) * 10,
        "attr.length.b": np.arange(n) * 20,
        "margin": np.linspace(-1, 1, n),
        "split": np.resize(["train", "test", "val"], n),
    }
    columns.update(extra)
    return PreferenceData.from_columns(columns)


def test_from_columns_builds_fixed_size_float32_vectors():
    vec = np.arange(12, dtype=np.float64).reshape(4, 3)
    data = PreferenceData.from_columns({"vector.a": vec, "vector.b": -vec, "label": [1, 0, 1, 0]})
    assert data.table["vector.a"].type == pa.list_(pa.float32(), 3)
    assert data.vector_dim == 3
    out = data.vectors("a")
    assert out.dtype == np.float32 and out.shape == (4, 3)
    np.testing.assert_array_equal(out, vec.astype(np.float32))
    np.testing.assert_array_equal(data.vectors("b"), -vec.astype(np.float32))
    assert data.labels.dtype == np.float64
    np.testing.assert_array_equal(data.labels, [1.0, 0.0, 1.0, 0.0])


def test_vectors_are_read_only_views():
    data = make_data()
    with pytest.raises(ValueError):
        data.vectors("a")[0, 0] = 1.0


def test_vectors_rejects_bad_side():
    with pytest.raises(ConfigError, match="side='c'"):
        make_data().vectors("c")


def test_access_helpers():
    data = make_data()
    assert len(data) == 6
    assert data.has("attr.length.a") and not data.has("nope")
    assert data.columns[:3] == ["pair_id", "response_a", "response_b"]
    texts = data.column("response_a")
    assert texts.dtype == object and texts[1] == "answer a1"
    np.testing.assert_array_equal(data.column("pair_id"), np.arange(6))
    np.testing.assert_array_equal(data.weights, np.ones(6))
    assert "6 rows" in repr(data) and "vector_dim=3" in repr(data)


def test_missing_column_names_it_and_lists_available():
    with pytest.raises(ConfigError, match=r"'user_id' not found.*available columns.*pair_id"):
        make_data().column("user_id")


def test_weights_column_is_used():
    data = make_data(weight=np.array([0.0, 1, 2, 3, 4, 5]))
    np.testing.assert_array_equal(data.weights, [0, 1, 2, 3, 4, 5])


def test_validation_runs_and_lists_problems():
    with pytest.raises(DataValidationError) as err:
        make_data(label=np.array([0.0, 1, 2, 0.5, -1, 1]))
    assert "column 'label'" in str(err.value)
    assert err.value.problems[0].rows == (2, 4)


def test_validate_false_skips_checks():
    table = pa.table({"label": [5.0]})
    data = PreferenceData(table, validate=False)
    assert len(data) == 1


def test_source_names_the_file_in_errors():
    with pytest.raises(DataValidationError, match="in prefs.jsonl"):
        PreferenceData(pa.table({"label": [1.0]}), source="prefs.jsonl")


def test_non_table_is_rejected():
    with pytest.raises(ConfigError, match="pyarrow.Table"):
        PreferenceData({"label": [1.0]})


def test_trl_columns_are_mapped():
    table = pa.table({"prompt": ["q"], "chosen": ["good"], "rejected": ["bad"]})
    data = PreferenceData(table)
    assert data.columns == ["prompt", "response_a", "response_b", "label"]
    assert data.column("response_a")[0] == "good"
    np.testing.assert_array_equal(data.labels, [1.0])


def test_swap_exchanges_sides_and_flips_labels():
    data = make_data()
    swapped = data.swap()
    assert swapped.columns == data.columns
    np.testing.assert_array_equal(swapped.labels, 1.0 - data.labels)
    np.testing.assert_array_equal(swapped.vectors("a"), data.vectors("b"))
    np.testing.assert_array_equal(swapped.column("response_b"), data.column("response_a"))
    np.testing.assert_array_equal(swapped.column("attr.length.a"), data.column("attr.length.b"))
    np.testing.assert_array_equal(swapped.column("margin"), -data.column("margin"))
    np.testing.assert_array_equal(swapped.column("pair_id"), data.column("pair_id"))


def test_swap_twice_is_identity():
    data = make_data()
    assert data.swap().swap().table.equals(data.table)
    soft = make_data(label=np.array([0.1, 0.3, 0.7, 0.9, 0.25, 0.6]))
    twice = soft.swap().swap()
    np.testing.assert_allclose(twice.labels, soft.labels, atol=1e-15)
    assert twice.drop("label").table.equals(soft.drop("label").table)


def test_transforms_do_not_mutate_the_original():
    data = make_data()
    before = data.table
    data.swap()
    data.with_columns({"label": np.zeros(6)})
    data.drop("margin")
    assert data.table is before
    np.testing.assert_array_equal(data.labels[:3], [1.0, 0.0, 0.5])


def test_take_filter_head():
    data = make_data()
    taken = data.take([4, 0, 4])
    np.testing.assert_array_equal(taken.column("pair_id"), [4, 0, 4])
    np.testing.assert_array_equal(taken.vectors("a"), data.vectors("a")[[4, 0, 4]])
    mask = data.column("pair_id") % 2 == 0
    kept = data.filter(mask)
    np.testing.assert_array_equal(kept.column("pair_id"), [0, 2, 4])
    np.testing.assert_array_equal(kept.vectors("b"), data.vectors("b")[mask])
    assert len(data.head(2)) == 2 and len(data.take([])) == 0


def test_take_and_filter_reject_bad_arguments():
    data = make_data()
    with pytest.raises(ConfigError, match="filter"):
        data.take(np.ones(6, dtype=bool))
    with pytest.raises(ConfigError, match=r"\[0, 6\)"):
        data.take([6])
    with pytest.raises(ConfigError, match="boolean mask of shape"):
        data.filter(np.ones(5, dtype=bool))


def test_sliced_vectors_keep_their_offset():
    data = make_data(n=10)
    tail = PreferenceData(data.table.slice(7), validate=False)
    np.testing.assert_array_equal(tail.vectors("a"), data.vectors("a")[7:])


def test_by_and_split_values():
    data = make_data()
    assert data.split_values() == ["test", "train", "val"]
    groups = data.by("split")
    assert list(groups) == ["test", "train", "val"]
    np.testing.assert_array_equal(groups["train"].column("pair_id"), [0, 3])
    np.testing.assert_array_equal(groups["test"].vectors("a"), data.vectors("a")[[1, 4]])
    by_int = data.by("attr.length.a")
    assert list(by_int) == sorted(str(v) for v in range(0, 60, 10))


def test_by_groups_nulls_under_none():
    data = make_data(context=["x", None, "x", "y", None, "y"])
    assert {k: len(v) for k, v in data.by("context").items()} == {"None": 2, "x": 2, "y": 2}


def test_concat_stacks_rows_and_checks_schemas():
    a, b = make_data(n=4), make_data(n=4, seed=1, pair_id=np.arange(4, 8))
    both = PreferenceData.concat([a, b])
    assert len(both) == 8
    np.testing.assert_array_equal(both.vectors("a")[4:], b.vectors("a"))
    with pytest.raises(ConfigError, match=r"data #1 differs.*missing columns \['margin'\]"):
        PreferenceData.concat([a, b.drop("margin")])
    with pytest.raises(ConfigError, match="column 'vector.a' has type"):
        PreferenceData.concat([a, make_data(n=4, d=5, pair_id=np.arange(4, 8))])
    with pytest.raises(DataValidationError, match="pair_id"):
        PreferenceData.concat([a, a])
    with pytest.raises(ConfigError, match="at least one"):
        PreferenceData.concat([])


def test_concat_accepts_reordered_columns():
    a = make_data(n=3)
    reordered = PreferenceData(a.table.select(a.columns[::-1]), validate=False)
    both = PreferenceData.concat([a, reordered], validate=False)
    assert both.columns == a.columns and len(both) == 6


def test_with_columns_adds_replaces_and_validates():
    data = make_data()
    out = data.with_columns({"label": np.zeros(6), "latent.z1.a": np.ones((6, 2))})
    np.testing.assert_array_equal(out.labels, np.zeros(6))
    assert out.column("latent.z1.a").shape == (6, 2)
    with pytest.raises(ConfigError, match="6 rows"):
        data.with_columns({"weight": np.ones(5)})
    with pytest.raises(DataValidationError, match="weight"):
        data.with_columns({"weight": -np.ones(6)})


def test_drop_requires_existing_columns():
    data = make_data()
    assert "margin" not in data.drop(["margin"]).columns
    with pytest.raises(ConfigError, match="'nope' not found"):
        data.drop("nope")
