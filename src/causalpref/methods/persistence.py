"""Save and load fitted reward models: a folder with `config.json` and `model.safetensors`."""

from __future__ import annotations

import contextlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from causalpref import __version__
from causalpref._atomic import atomic_path
from causalpref._json import dumps
from causalpref.errors import PersistenceError, UnknownNameError
from causalpref.methods.registry import get_method
from causalpref.methods.settings import setting_problems
from causalpref.outputs import check_output, folder_problem

FORMAT = "causalpref.reward_model"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


def save_model(model, path, *, overwrite: bool = False) -> Path:
    """Write `model` atomically to folder `path`: the folder is complete or absent.

    An existing `path` is replaced only with `overwrite`, and only when it holds a saved model
    and nothing else (ConfigError otherwise, before anything is written).

    The config holds the settings, every fitted attribute a prediction needs (all public
    attributes ending in `_` except the net, whose weights go to safetensors) and the encoder
    record (spec + fingerprint) that lets the loaded model score raw text.
    """
    model._check_fitted()
    check_model_destination(path, overwrite=overwrite)
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "method": model.name,
        "settings": {k: _plain(v) for k, v in model.get_params().items()},
        "fitted": fitted_attributes(model),
        "encoder": getattr(model, "encoder_", None),
    }
    try:
        text = dumps(config, indent=2)
    except TypeError as err:
        raise PersistenceError(
            f"cannot save method '{model.name}': a setting or fitted attribute is not JSON-able "
            f"({err}); fitted attributes must be numbers, strings, lists or dicts"
        ) from None
    state = {k: v.detach().contiguous() for k, v in model.net_.state_dict().items()}
    with atomic_path(path, replaces=_replaceable) as tmp:
        tmp.mkdir()
        (tmp / CONFIG_FILE).write_text(text, encoding="utf-8")
        save_file(state, str(tmp / WEIGHTS_FILE), metadata={"format": FORMAT})
    return Path(path)


def is_saved_model(folder: Path) -> bool:
    """Whether `folder` holds a saved model and nothing else (so replacing it loses nothing)."""
    names = {p.name for p in Path(folder).iterdir()}
    if names != {CONFIG_FILE, WEIGHTS_FILE}:
        return False
    try:
        return json.loads((Path(folder) / CONFIG_FILE).read_text("utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def check_model_destination(
    path, *, overwrite: bool = False, inputs=(), option: str | None = None
) -> None:
    """ConfigError now, before any training, if saving to `path` would fail, replace an earlier
    model without `overwrite`, delete anything that is not a saved model, or clobber an input."""
    check_output(
        path, kind="model", overwrite=overwrite, inputs=inputs, option=option, owned=_model_files
    )


def _replaceable(folder: Path) -> bool:
    """Whether an existing folder may be replaced: it is empty or holds a saved model only."""
    return folder_problem(folder, "model", _model_files) is None


def _model_files(folder: Path) -> set[str] | None:
    """The files of the saved model in `folder` (its config.json is its marker), or None."""
    try:
        config = json.loads((Path(folder) / CONFIG_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        return None
    return {CONFIG_FILE, WEIGHTS_FILE}


def fitted_attributes(model) -> dict[str, Any]:
    """Every public fitted attribute (name ends in `_`) but the net and the encoder record."""
    return {
        name: _plain(value)
        for name, value in vars(model).items()
        if name.endswith("_") and not name.startswith("_") and name not in ("net_", "encoder_")
    }


def load_model(path):
    """Load a model saved by `save_model`; predictions are identical to the saved model's.

    Every kind of damage (a missing, truncated or foreign file, a config of the wrong shape,
    weights that do not fit it, non-finite numbers) is a PersistenceError naming the file.
    """
    folder = Path(path)
    config_path, weights_path = _saved_files(folder)
    config = _read_config(config_path, folder)
    state = _read_weights(weights_path, folder)
    model = _model_from_config(config, config_path, folder)
    model.net_ = _net_with_weights(model, state, weights_path, folder)
    return model


def _damaged(path: Path, what: str, folder: Path) -> PersistenceError:
    """The error for a saved-model file that is damaged: where, what, and how to fix it."""
    return PersistenceError(
        f"saved model file {path} {what}; the model cannot be loaded: remove {folder} and "
        f"re-create it with `causalpref fit ... --out {folder}`"
    )


def _saved_files(folder: Path) -> tuple[Path, Path]:
    """The config and weights paths of the model folder `folder`, both checked to be files."""
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise PersistenceError(
            f"'{folder}' {what}: not a saved causalpref model, which is a folder holding "
            f"{CONFIG_FILE} and {WEIGHTS_FILE} (create one with `causalpref fit ... --out DIR` "
            "and pass DIR)"
        )
    config_path, weights_path = folder / CONFIG_FILE, folder / WEIGHTS_FILE
    if not config_path.is_file() or not weights_path.is_file():
        raise PersistenceError(
            f"'{folder}' is not a saved causalpref model: expected {CONFIG_FILE} and "
            f"{WEIGHTS_FILE} inside it (create one with `causalpref fit ... --out {folder}`)"
        )
    return config_path, weights_path


def _read_config(config_path: Path, folder: Path) -> dict[str, Any]:
    """config.json as a dict with every section a model needs, of the right types."""
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise _damaged(config_path, "is not UTF-8 text (expected JSON)", folder) from None
    except RecursionError:
        what = "is JSON nested too deeply to be a model config"
        raise _damaged(config_path, what, folder) from None
    except ValueError as err:
        raise _damaged(config_path, f"is not valid JSON ({err})", folder) from None
    except OSError as err:
        raise PersistenceError(f"cannot read {config_path}: {err.strerror or err}") from None
    if not isinstance(config, dict):
        kind = _json_kind(config)
        raise _damaged(config_path, f"holds {kind}, expected a JSON object", folder)
    if config.get("format") != FORMAT or config.get("format_version") != FORMAT_VERSION:
        raise PersistenceError(
            f"{config_path} has format {config.get('format')!r} version "
            f"{config.get('format_version')!r}; this library reads {FORMAT!r} "
            f"version {FORMAT_VERSION}: load it with the causalpref version that wrote it, or "
            f"re-create it with `causalpref fit ... --out {folder}`"
        )
    problems = _config_problems(config)
    if problems:
        raise _damaged(config_path, "is malformed: " + "; ".join(problems), folder)
    return config


_SECTIONS = {
    "method": (str, "a method name"),
    "settings": (dict, "an object"),
    "fitted": (dict, "an object"),
}


def _config_problems(config: dict[str, Any]) -> list[str]:
    """What is missing from config.json or of the wrong type, section by section."""
    problems = []
    for key, (kind, what) in _SECTIONS.items():
        if key not in config:
            problems.append(f"section '{key}' is missing")
        elif not isinstance(config[key], kind):
            problems.append(f"'{key}' is {_json_kind(config[key])}, expected {what}")
    record = config.get("encoder")
    if record is not None and not (
        isinstance(record, dict)
        and isinstance(record.get("spec"), str)
        and isinstance(record.get("fingerprint"), dict)
    ):
        problems.append(
            "'encoder' must be null or an object with a 'spec' string and a 'fingerprint' object"
        )
    return problems


def _json_kind(value: Any) -> str:
    """How JSON calls the type of `value` ('a list', 'a string', ...)."""
    kinds = ((bool, "a boolean"), (dict, "an object"), (list, "a list"), (str, "a string"))
    for kind, name in kinds:
        if isinstance(value, kind):
            return name
    return "null" if value is None else "a number"


def _read_weights(weights_path: Path, folder: Path) -> dict[str, torch.Tensor]:
    """The tensors of model.safetensors, refused if the file is not complete or not finite."""
    try:
        state = load_file(str(weights_path))
    except OSError as err:
        raise PersistenceError(f"cannot read {weights_path}: {err.strerror or err}") from None
    except SafetensorError as err:
        raise _damaged(weights_path, _weights_damage(weights_path, err), folder) from None
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise _damaged(weights_path, f"holds NaN or infinite weights in '{name}'", folder)
    return state


def _weights_damage(weights_path: Path, err: Exception) -> str:
    """What is wrong with a weights file safetensors could not read."""
    with contextlib.suppress(OSError), weights_path.open("rb") as f:
        head = f.read(4)
        if not head:
            return "is empty"
        if head[:1] == b"\x80" or head == b"PK\x03\x04":
            return (
                "is a pickle / torch.save file, not safetensors (causalpref never unpickles: "
                "that can run code)"
            )
    return f"is truncated or not a safetensors file ({err})"


def _model_from_config(config: dict[str, Any], config_path: Path, folder: Path):
    """The method named in the config with its settings and fitted attributes, all checked."""
    try:
        cls = get_method(config["method"])
    except UnknownNameError as err:
        what = f"names a method this causalpref lacks: {err}"
        raise _damaged(config_path, what, folder) from None
    settings = dict(config["settings"])
    record = config.get("encoder")
    if record is not None:
        settings.setdefault("encoder", record["spec"])  # saved before `encoder` was a setting
    unknown = sorted(set(settings) - set(cls._param_names()))
    if unknown:
        raise _damaged(
            config_path, f"has settings {unknown} that method '{cls.name}' does not know", folder
        )
    model = cls(**settings)
    refused = [p.rstrip(".") for p in setting_problems(model)]
    if refused:
        what = f"holds settings that method '{cls.name}' refuses: " + "; ".join(refused)
        raise _damaged(config_path, what, folder)
    model.precision_ = "fp32"  # saved before precision existed
    for key, value in config["fitted"].items():
        setattr(model, key if key.endswith("_") else f"{key}_", value)  # old keys lack the _
    if record is not None:
        model.encoder_ = record
    problems = _fitted_problems(model, config["fitted"])
    if problems:
        raise _damaged(config_path, "has bad fitted values: " + "; ".join(problems), folder)
    return model


def _fitted_problems(model, fitted: dict[str, Any]) -> list[str]:
    """What is wrong with the fitted attributes a loaded model needs to predict."""
    problems = []
    dim = getattr(model, "input_dim_", None)
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        problems.append(f"'input_dim_' is {dim!r}, expected a positive integer")
    contexts = getattr(model, "contexts_", None)
    if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
        problems.append(f"'contexts_' is {contexts!r}, expected a list of strings")
    for key, value in fitted.items():
        if key.rstrip("_") != "history" and not _all_finite(value):
            problems.append(f"'{key}' holds NaN or infinite numbers")
    return problems


def _all_finite(value: Any) -> bool:
    """Whether every number inside a JSON value is finite (the training history may hold NaN)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_all_finite(v) for v in value)
    return True


def _net_with_weights(model, state: dict[str, torch.Tensor], weights_path: Path, folder: Path):
    """The model's net with the saved weights, after checking their names and shapes fit it."""
    n_contexts = max(len(model.contexts_), 1)
    with torch.device("meta"):  # shapes only: a damaged config cannot make us allocate much
        expected = model._build_net(model.input_dim_, n_contexts).state_dict()
    problems = _state_problems(expected, state)
    if problems:
        what = f"does not fit its {CONFIG_FILE}: " + "; ".join(problems)
        raise _damaged(weights_path, what, folder)
    net = model._build_net(model.input_dim_, n_contexts)
    net.load_state_dict(state, strict=True)
    net.eval()
    return net


def _state_problems(expected: dict[str, torch.Tensor], state: dict[str, torch.Tensor]) -> list[str]:
    """Missing, unexpected, wrongly shaped and wrongly typed tensors (at most a few of each):
    `load_state_dict` would silently cast integers into the float weights."""
    shapes = {k: tuple(v.shape) for k, v in expected.items()}
    problems = []
    missing = sorted(set(shapes) - set(state))
    unexpected = sorted(set(state) - set(shapes))
    if missing:
        problems.append(f"tensors {missing[:5]} are missing")
    if unexpected:
        problems.append(f"tensors {unexpected[:5]} are not part of the model")
    wrong = [
        f"'{k}' has shape {tuple(state[k].shape)}, expected {shape}"
        for k, shape in shapes.items()
        if k in state and tuple(state[k].shape) != shape
    ]
    typed = [
        f"'{k}' holds {state[k].dtype}, expected {tensor.dtype}"
        for k, tensor in expected.items()
        if k in state and state[k].dtype != tensor.dtype
    ]
    return problems + wrong[:5] + typed[:5]


def _plain(value: Any) -> Any:
    """JSON-friendly form: paths as strings, numpy scalars and arrays as Python values."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value
