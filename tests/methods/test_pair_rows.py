"""Training shares the data's vectors: the hold-out and every epoch's shuffle copy indices only."""

from __future__ import annotations

import numpy as np
import torch

from causalpref.data import PreferenceData
from causalpref.methods import make_method
from causalpref.methods.fit_checks import holdout
from causalpref.methods.pair_rows import holdout_rows, without_vectors
from causalpref.methods.training import PairTensors


def pairs(n: int = 60, d: int = 4) -> PreferenceData:
    rng = np.random.default_rng(0)
    return PreferenceData.from_columns(
        {
            "pair_id": np.arange(n),
            "vector.a": rng.normal(size=(n, d)),
            "vector.b": rng.normal(size=(n, d)),
            "label": rng.integers(0, 2, n).astype(float),
            "context": np.resize(["x", "y", "z"], n),
        }
    )


def test_holdout_rows_split_like_holdout():
    data = pairs()
    for groups in (None, data.column("context")):
        train, held = holdout(data, 0.2, 3, groups)
        rows, part = holdout_rows(data, 0.2, 3, groups)
        assert list(data.take(rows).column("pair_id")) == list(train.column("pair_id"))
        assert list(part.column("pair_id")) == list(held.column("pair_id"))
    assert without_vectors(data, np.array([2, 0])).columns == ["pair_id", "label", "context"]


def test_training_tensors_share_the_data_vectors():
    data = pairs()
    model = make_method("bt", encoder="precomputed", epochs=1, hidden_dim=8)
    rows = np.array([5, 1, 7])
    train = model._training_tensors(data, rows)
    assert train.xa.data_ptr() == data.vectors("a").ctypes.data  # not a copy
    np.testing.assert_array_equal(train.vectors(slice(None))[:, 1], data.vectors("b")[rows])
    np.testing.assert_array_equal(train.label.numpy(), data.labels[rows])
    shuffled = train.take(torch.tensor([2, 0]))
    assert shuffled.xa is train.xa and shuffled.rows.tolist() == [7, 5]


def test_from_arrays_without_rows_covers_every_row():
    xa = np.arange(6, dtype=np.float32).reshape(3, 2)
    tensors = PairTensors.from_arrays(xa, -xa, np.zeros(3), np.ones(3), np.ones(3))
    assert len(tensors) == 3 and tensors.vectors([2]).tolist() == [[[4.0, 5.0], [-4.0, -5.0]]]
