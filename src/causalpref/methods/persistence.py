"""Save and load fitted reward models: a folder with `config.json` and `model.safetensors`."""

from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import load_file, save_file

from causalpref import __version__
from causalpref._atomic import atomic_path
from causalpref.errors import PersistenceError
from causalpref.methods.registry import get_method

FORMAT = "causalpref.reward_model"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


def save_model(model, path) -> Path:
    """Write `model` atomically to folder `path`: the folder is complete or absent."""
    model._check_fitted()
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "method": model.name,
        "settings": model.get_params(),
        "fitted": {
            "input_dim": model.input_dim_,
            "contexts": model.contexts_,
            "best_epoch": model.best_epoch_,
            "history": model.history_,
            "precision": model.precision_,
        },
        "encoder": getattr(model, "encoder_", None),
    }
    state = {k: v.detach().contiguous() for k, v in model.net_.state_dict().items()}
    with atomic_path(path) as tmp:
        tmp.mkdir()
        (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")
        save_file(state, str(tmp / WEIGHTS_FILE), metadata={"format": FORMAT})
    return Path(path)


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
    model = get_method(config["method"])(**config["settings"])
    fitted = config["fitted"]
    model.input_dim_ = fitted["input_dim"]
    model.contexts_ = fitted["contexts"]
    model.best_epoch_ = fitted["best_epoch"]
    model.history_ = fitted["history"]
    model.precision_ = fitted.get("precision", "fp32")  # saved before precision existed: fp32
    if config.get("encoder") is not None:
        model.encoder_ = config["encoder"]
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
