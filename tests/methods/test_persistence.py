"""Saved models: every kind of damage is a PersistenceError naming the file and the fix."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from causalpref.cli import app, main
from causalpref.data import read_preferences
from causalpref.errors import PersistenceError
from causalpref.methods import load_model

CONFIG, WEIGHTS = "config.json", "model.safetensors"
REFIT = "re-create it with `causalpref fit ... --out"


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, Path]:
    """(data file, model folder): a small bt model saved by `causalpref fit`."""
    root = tmp_path_factory.mktemp("saved")
    data, model = root / "data.parquet", root / "model"
    knobs = ["--set", "n_train=80", "--set", "n_validation=20", "--set", "n_test=20"]
    assert (
        _cli("simulate", "latent_overlap", "--out", data, *knobs, "--set", "dim=8").exit_code == 0
    )
    fit = _cli("fit", data, "--method", "bt", "--out", model, "--epochs", 1, "--hidden-dim", 8)
    assert fit.exit_code == 0, fit.output
    return data, model


@pytest.fixture
def model_copy(saved, tmp_path) -> Path:
    """A private copy of the saved model, free to damage."""
    return Path(shutil.copytree(saved[1], tmp_path / "model"))


def _cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _edit_config(change):
    def damage(folder: Path) -> None:
        config = json.loads((folder / CONFIG).read_text())
        change(config)
        (folder / CONFIG).write_text(json.dumps(config))

    return damage


def _edit_weights(change):
    def damage(folder: Path) -> None:
        state = load_file(str(folder / WEIGHTS))
        change(state)
        save_file(state, str(folder / WEIGHTS))

    return damage


def _write(name: str, data: bytes):
    return lambda folder: (folder / name).write_bytes(data)


def _truncate(folder: Path) -> None:
    weights = folder / WEIGHTS
    weights.write_bytes(weights.read_bytes()[:-100])


def _poison(value: float):
    def change(state):
        name = sorted(state)[0]
        state[name] = state[name].clone()
        state[name].view(-1)[0] = value

    return change


def _first_shape_wrong(state):
    name = sorted(state)[0]
    state[name] = torch.zeros(3, 3)


# kind -> (damage, file the message names, what the message says)
DAMAGE = {
    "truncated weights": (_truncate, WEIGHTS, "truncated or not a safetensors file"),
    "pickle weights": (_write(WEIGHTS, pickle.dumps({"w": [1.0]})), WEIGHTS, "pickle"),
    "torch.save weights": (
        lambda f: torch.save({"w": torch.ones(2)}, f / WEIGHTS),
        WEIGHTS,
        "pickle / torch.save",
    ),
    "empty weights": (_write(WEIGHTS, b""), WEIGHTS, "is empty"),
    "text weights": (_write(WEIGHTS, b"hello world " * 20), WEIGHTS, "not a safetensors file"),
    "NaN weights": (_edit_weights(_poison(float("nan"))), WEIGHTS, "NaN or infinite weights"),
    "infinite weights": (_edit_weights(_poison(float("inf"))), WEIGHTS, "NaN or infinite"),
    "wrong weight shapes": (_edit_weights(_first_shape_wrong), WEIGHTS, r"has shape \(3, 3\)"),
    "missing tensor": (
        _edit_weights(lambda s: s.pop(sorted(s)[0])),
        WEIGHTS,
        r"tensors \[.*\] are missing",
    ),
    "extra tensor": (
        _edit_weights(lambda s: s.update(stray=torch.zeros(2))),
        WEIGHTS,
        r"\['stray'\] are not part of the model",
    ),
    "hidden_dim changed": (
        _edit_config(lambda c: c["settings"].update(hidden_dim=9)),
        WEIGHTS,
        "does not fit its config.json",
    ),
    "config not JSON": (_write(CONFIG, b'{"format": '), CONFIG, "not valid JSON"),
    "config empty": (_write(CONFIG, b""), CONFIG, "not valid JSON"),
    "config not UTF-8": (_write(CONFIG, b"\xff\xfe{}"), CONFIG, "not UTF-8"),
    "config nested deeply": (_write(CONFIG, b"[" * 100_000), CONFIG, "nested too deeply"),
    "config a list": (_write(CONFIG, b"[1, 2]"), CONFIG, "holds a list, expected a JSON object"),
    "no settings": (_edit_config(lambda c: c.pop("settings")), CONFIG, "'settings' is missing"),
    "no fitted": (_edit_config(lambda c: c.pop("fitted")), CONFIG, "'fitted' is missing"),
    "no method": (_edit_config(lambda c: c.pop("method")), CONFIG, "'method' is missing"),
    "settings a list": (
        _edit_config(lambda c: c.update(settings=[1])),
        CONFIG,
        "'settings' is a list, expected an object",
    ),
    "method a number": (_edit_config(lambda c: c.update(method=3)), CONFIG, "'method' is a number"),
    "encoder record malformed": (
        _edit_config(lambda c: c.update(encoder={"spec": 1})),
        CONFIG,
        "'encoder' must be null or an object",
    ),
    "unknown method": (
        _edit_config(lambda c: c.update(method="nope")),
        CONFIG,
        "names a method this causalpref lacks: unknown method 'nope'",
    ),
    "refused setting": (
        _edit_config(lambda c: c["settings"].update(hidden_dim=-3)),
        CONFIG,
        "settings that method .bt. refuses: The .hidden_dim. parameter",
    ),
    "unknown setting": (
        _edit_config(lambda c: c["settings"].update(warp=1)),
        CONFIG,
        r"settings \['warp'\] that method 'bt' does not know",
    ),
    "input_dim a string": (
        _edit_config(lambda c: c["fitted"].update(input_dim_="8")),
        CONFIG,
        "'input_dim_' is '8', expected a positive integer",
    ),
    "contexts not a list": (
        _edit_config(lambda c: c["fitted"].update(contexts_="x")),
        CONFIG,
        "'contexts_' is 'x', expected a list of strings",
    ),
    "non-finite fitted number": (
        _edit_config(lambda c: c["fitted"].update(scale_=[1.0, float("inf")])),
        CONFIG,
        "'scale_' holds NaN or infinite numbers",
    ),
}


@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_model_is_a_persistence_error_naming_file_and_fix(kind, model_copy):
    damage, name, what = DAMAGE[kind]
    damage(model_copy)
    with pytest.raises(PersistenceError, match=what) as err:
        load_model(model_copy)
    assert str(model_copy / name) in str(err.value) and REFIT in str(err.value)


@pytest.mark.parametrize("kind", ["truncated weights", "NaN weights", "config a list"])
@pytest.mark.parametrize("command", ["evaluate", "score"])
def test_cli_on_a_damaged_model_exits_2_with_the_message(
    kind, command, saved, model_copy, monkeypatch, capsys
):
    damage, name, what = DAMAGE[kind]
    damage(model_copy)
    out = model_copy.parent / "scores.jsonl"
    extra = ["--out", str(out)] if command == "score" else []
    monkeypatch.setattr("sys.argv", ["causalpref", command, str(model_copy), str(saved[0]), *extra])
    with pytest.raises(SystemExit) as exit_:
        main()
    message = capsys.readouterr().err.replace("\n", "")
    assert exit_.value.code == 2 and "Traceback" not in message
    assert str(model_copy / name) in message and REFIT in message
    assert not out.exists()


def test_model_folder_that_is_a_file(tmp_path):
    path = tmp_path / "model"
    path.write_text("not a folder")
    with pytest.raises(PersistenceError, match="is a file: not a saved causalpref model"):
        load_model(path)


def test_history_may_hold_nan(model_copy):
    """A validation split of ties only gives NaN accuracy: a record, not damage."""
    _edit_config(lambda c: c["fitted"]["history_"][0].update(validation_accuracy=None))(model_copy)
    _edit_config(lambda c: c["fitted"]["history_"][0].update(train_loss=float("nan")))(model_copy)
    assert load_model(model_copy).input_dim_ == 8


def test_training_reward_stats_survive_a_round_trip(saved, model_copy):
    """The mean and sd that serving and export normalise with are those of the training
    responses' rewards (the file's train split), and load as saved."""
    model = load_model(model_copy)
    train = read_preferences(saved[0])
    train = train.take(np.flatnonzero(np.asarray(train.column("split")) == "train"))
    both = np.concatenate([model.rewards(train, side) for side in ("a", "b")])
    np.testing.assert_allclose(model.reward_normalization(), (both.mean(), both.std()), rtol=1e-5)


def test_models_saved_before_reward_stats_say_to_refit(model_copy):
    _edit_config(lambda c: c["fitted"].pop("reward_stats_"))(model_copy)
    with pytest.raises(Exception, match="refit it to normalise"):
        load_model(model_copy).reward_normalization()
