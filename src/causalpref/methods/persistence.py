"""Save and load fitted reward models: a folder with `config.json` and `model.safetensors`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.torch import load_file, save_file

from causalpref import __version__
from causalpref._atomic import atomic_path, check_replaceable
from causalpref.errors import PersistenceError
from causalpref.methods.registry import get_method

FORMAT = "causalpref.reward_model"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


def save_model(model, path) -> Path:
    """Write `model` atomically to folder `path`: the folder is complete or absent.

    The config holds the settings, every fitted attribute a prediction needs (all public
    attributes ending in `_` except the net, whose weights go to safetensors) and the encoder
    record (spec + fingerprint) that lets the loaded model score raw text.
    """
    model._check_fitted()
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
        text = json.dumps(config, indent=2)
    except TypeError as err:
        raise PersistenceError(
            f"cannot save method '{model.name}': a setting or fitted attribute is not JSON-able "
            f"({err}); fitted attributes must be numbers, strings, lists or dicts"
        ) from None
    state = {k: v.detach().contiguous() for k, v in model.net_.state_dict().items()}
    with atomic_path(path, replaces=is_saved_model) as tmp:
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


def check_model_destination(path) -> None:
    """ConfigError now, before any training, if saving to `path` would delete a folder that is
    not a saved model."""
    check_replaceable(Path(path), is_saved_model)


def fitted_attributes(model) -> dict[str, Any]:
    """Every public fitted attribute (name ends in `_`) but the net and the encoder record."""
    return {
        name: _plain(value)
        for name, value in vars(model).items()
        if name.endswith("_") and not name.startswith("_") and name not in ("net_", "encoder_")
    }


def load_model(path):
    """Load a model saved by `save_model`; predictions are identical to the saved model's."""
    folder = Path(path)
    config_path, weights_path = folder / CONFIG_FILE, folder / WEIGHTS_FILE
    if not config_path.is_file() or not weights_path.is_file():
        raise PersistenceError(
            f"'{folder}' is not a saved causalpref model: expected {CONFIG_FILE} and "
            f"{WEIGHTS_FILE} inside it (create one with `causalpref fit ... --out {folder}`)"
        )
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise PersistenceError(f"{config_path} is not valid JSON ({err})") from None
    if config.get("format") != FORMAT or config.get("format_version") != FORMAT_VERSION:
        raise PersistenceError(
            f"{config_path} has format {config.get('format')!r} version "
            f"{config.get('format_version')!r}; this library reads {FORMAT!r} "
            f"version {FORMAT_VERSION}"
        )
    settings = dict(config["settings"])
    record = config.get("encoder")
    if record is not None:
        settings.setdefault("encoder", record["spec"])  # saved before `encoder` was a setting
    model = get_method(config["method"])(**settings)
    model.precision_ = "fp32"  # saved before precision existed
    for key, value in config["fitted"].items():
        setattr(model, key if key.endswith("_") else f"{key}_", value)  # old keys lack the _
    if record is not None:
        model.encoder_ = record
    net = model._build_net(model.input_dim_, max(len(model.contexts_), 1))
    try:
        net.load_state_dict(load_file(str(weights_path)), strict=True)
    except (RuntimeError, OSError) as err:
        raise PersistenceError(
            f"weights in {weights_path} do not fit the saved config: {err}"
        ) from None
    net.eval()
    model.net_ = net
    return model


def _plain(value: Any) -> Any:
    """JSON-friendly form: paths as strings, numpy scalars and arrays as Python values."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value
