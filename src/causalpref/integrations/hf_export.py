"""Export a fitted reward model as a Hugging Face folder: a sequence classifier with one label.

The folder holds the encoder backbone, its pooling and the reward head as one transformers model
(custom code registered for the auto classes, weights in safetensors) and the encoder's tokenizer
set to truncate and pad as causalpref does, so `AutoModelForSequenceClassification` loads it with
`trust_remote_code=True` and `logits[:, 0]` on `join_prompt_response(prompt, response)` is the
model's reward. Only encoders that are transformers models ("minilm", "hf:<path>") can be
exported this way; a context-aware model is exported under one context, since a sequence
classifier takes the text alone.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

from causalpref import __version__
from causalpref.errors import ConfigError
from causalpref.features.encoders import HFEncoder
from causalpref.methods import RewardModel, load_model
from causalpref.methods.persistence import CONFIG_FILE, WEIGHTS_FILE
from causalpref.models.reward_nets import (
    AdversarialNet,
    ContextConcatNet,
    MultiheadNet,
    SingleRewardNet,
)
from causalpref.models.two_head import TwoHeadRewardNet
from causalpref.outputs import check_output, output_folder

EXPORT_KIND = "hf-export"
TARGETS = ("hf",)
FORMAT = "causalpref.hf_export"
FORMAT_VERSION = 1
REMOTE_PACKAGE = "causalpref.integrations.hf_remote"
REMOTE_FILES = ("configuration_causalpref.py", "modeling_causalpref.py")
AUTO_MAP = {
    "AutoConfig": "configuration_causalpref.CausalprefRewardConfig",
    "AutoModelForSequenceClassification": "modeling_causalpref.CausalprefRewardModel",
}
Layer = tuple[torch.Tensor, torch.Tensor]  # (weight, bias) of one Linear layer of the head
TEXT_FORMAT = "causalpref.features.text_format.join_prompt_response(prompt, response)"
_ALTERNATIVES = (
    "serve it with `causalpref serve MODEL_DIR`, or score in Python with "
    "causalpref.integrations.trl.reward_function"
)
_NO_TRANSFORMERS_FORM = {
    "hashing": "hashes words into buckets with numpy: it has no tokenizer or network that "
    "transformers can load",
    "wordllama": "averages static token embeddings with the wordllama package's own tokenizer: "
    "it is not a transformers model",
    "precomputed": "was fitted on vectors made outside causalpref, so the step from text to "
    "vector is unknown",
}


@dataclass(frozen=True)
class HFExport:
    """Where the exported folder is, and what a user should know about it."""

    path: Path
    notes: tuple[str, ...] = ()


def export_hf(
    model_or_dir: RewardModel | str | os.PathLike,
    out: str | os.PathLike,
    *,
    context: str | None = None,
    overwrite: bool = False,
) -> HFExport:
    """Write `model_or_dir` (a fitted model, or a folder written by `causalpref fit`) to folder
    `out` in transformers form; `out` is replaced only when it is an earlier export and
    `overwrite` is set. Context-aware methods are exported under one `context` value.
    Raises ConfigError, before writing, for models that cannot be exported."""
    inputs = _model_files(model_or_dir)
    check_output(out, kind=EXPORT_KIND, overwrite=overwrite, inputs=inputs)
    model = load_model(model_or_dir) if inputs else model_or_dir
    layers = reward_head_layers(model, context)
    encoder = transformers_encoder(model)
    stats, notes = _normalization(model)
    with _quiet_transformers(), output_folder(out, EXPORT_KIND, overwrite=overwrite) as folder:
        tokenizer = _tokenizer(encoder)
        config = _export_config(model, encoder, layers, stats, context)
        config.pad_token_id = tokenizer.pad_token_id
        _write_model(folder, config, encoder, layers)
        tokenizer.save_pretrained(folder)
        _write_remote_code(folder)
    return HFExport(Path(out), tuple(notes))


def _model_files(model_or_dir: Any) -> list[Path]:
    """The saved model's files when a folder is given (an export may not overwrite them)."""
    if isinstance(model_or_dir, str | os.PathLike):
        return [Path(model_or_dir) / CONFIG_FILE, Path(model_or_dir) / WEIGHTS_FILE]
    if not isinstance(model_or_dir, RewardModel):
        raise ConfigError(
            f"export_hf needs a fitted causalpref model or the folder of a saved one, got "
            f"{type(model_or_dir).__name__}"
        )
    return []


# -- what can be exported ----------------------------------------------------------------------
def reward_head_layers(model: RewardModel, context: str | None = None) -> list[Layer]:
    """(weight, bias) of each Linear layer (exact GELU between consecutive ones) that maps the
    text embedding to the reward, under `context` for context-aware methods; a ConfigError
    saying why for models whose reward is not a function of the text alone."""
    model._check_fitted()
    index = _context_index(model, context)
    chain = _CHAINS.get(type(model.net_))
    if chain is None:
        raise ConfigError(
            f"method '{model.name}' scores with a {type(model.net_).__name__}, which has no "
            "sequence-classifier form: export takes rewards computed from the text embedding "
            f"by an MLP (bt and the methods built on it, base, multihead); {_ALTERNATIVES}"
        )
    return [
        (w.detach().float().clone(), b.detach().float().clone()) for w, b in chain(model, index)
    ]


def _context_index(model: RewardModel, context: str | None) -> int:
    """The head of `context` in a context-aware model; 0 for the others (which take none)."""
    if not model.uses_context:
        if context is not None:
            raise ConfigError(
                f"context={context!r}: method '{model.name}' does not condition on a context; "
                "drop --context"
            )
        return 0
    if context is None:
        raise ConfigError(
            f"method '{model.name}' conditions its reward on a context: its reward for a text "
            "depends on the context given with it, but a sequence classifier takes the text "
            "alone and returns one logit, so no single export can hold the heads of all "
            f"contexts; export the reward under one context with --context VALUE (context=...), "
            f"one folder per context (this model knows {model.contexts_}), or {_ALTERNATIVES} "
            "(both take a context per response)"
        )
    if str(context) not in model.contexts_:
        raise ConfigError(
            f"context={context!r}: method '{model.name}' was not trained on it; it knows "
            f"{model.contexts_}"
        )
    return model.contexts_.index(str(context))


def _linear_chain(body: Any, method: str) -> list[Any]:
    """The Linear layers of `body`, checked to alternate with exact GELUs (what the export
    rebuilds); anything else would give different rewards, so it is refused."""
    modules = list(body)
    linears, gelus = modules[0::2], modules[1::2]
    fits = all(isinstance(m, nn.Linear) for m in linears) and all(
        isinstance(m, nn.GELU) and m.approximate == "none" for m in gelus
    )
    if not fits:
        raise ConfigError(
            f"method '{method}': its reward head is not Linear layers with GELU between them, "
            f"which is what the export rebuilds; {_ALTERNATIVES}"
        )
    return linears


def _pairs(layers: list[Any]) -> list[Layer]:
    return [(layer.weight, layer.bias) for layer in layers]


def _single_chain(model: RewardModel, _: int) -> list[Layer]:
    """bt and its kin: body -> GELU -> out."""
    return _pairs([*_linear_chain(model.net_.body, model.name), model.net_.out])


def _two_head_chain(model: RewardModel, _: int) -> list[Layer]:
    """ODIN: body -> GELU -> quality head (the attribute head is not the reward)."""
    return _pairs([*_linear_chain(model.net_.body, model.name), model.net_.quality_head])


def _multihead_chain(model: RewardModel, context: int) -> list[Layer]:
    """Multihead and adversarial: trunk -> GELU -> the context's own head."""
    net = model.net_
    head = net.heads[context]
    return _pairs([*_linear_chain(net.trunk, model.name), *_linear_chain(head, model.name)])


def _concat_chain(model: RewardModel, context: int) -> list[Layer]:
    """Base: [x; one-hot c] -> body -> GELU -> out; the one-hot's column folds into the first
    bias, since W [x; e_c] + b = W_x x + (b + W[:, dim + c])."""
    first, *rest = _linear_chain(model.net_.body, model.name)
    dim = first.in_features - model.net_.n_contexts
    folded = (first.weight[:, :dim], first.bias + first.weight[:, dim + context])
    return [folded, *_pairs([*rest, model.net_.out])]


_CHAINS = {
    SingleRewardNet: _single_chain,
    TwoHeadRewardNet: _two_head_chain,
    MultiheadNet: _multihead_chain,
    AdversarialNet: _multihead_chain,
    ContextConcatNet: _concat_chain,
}


def transformers_encoder(model: RewardModel) -> HFEncoder:
    """The model's encoder (fingerprint checked against this machine's) when it is a
    transformers model; a ConfigError saying why not otherwise."""
    record = getattr(model, "encoder_", None) or {"spec": model.encoder}  # older saved models
    spec = str(record["spec"])
    name = spec.partition(":")[0]
    if name in _NO_TRANSFORMERS_FORM:
        raise ConfigError(_not_transformers(model, spec, _NO_TRANSFORMERS_FORM[name]))
    encoder = model.featurizer().encoder_object()
    if not isinstance(encoder, HFEncoder):
        raise ConfigError(_not_transformers(model, spec, "is not a transformers model"))
    return encoder


def _not_transformers(model: RewardModel, spec: str, why: str) -> str:
    return (
        f"method '{model.name}' was fitted with encoder '{spec}', which {why}; an export to "
        "transformers needs an encoder that is a transformers model ('minilm' or "
        f"'hf:<path>'): refit with one of them, or {_ALTERNATIVES}"
    )


def _normalization(model: RewardModel) -> tuple[tuple[float, float] | None, list[str]]:
    """(mean, sd) of the training rewards, or None with a note for models saved without them."""
    try:
        return model.reward_normalization(), []
    except ConfigError:
        note = (
            "this model was saved before causalpref recorded training reward statistics: the "
            "export has no reward_mean / reward_sd, so its rewards cannot be standardised; "
            "refit the model to add them"
        )
        return None, [note]


# -- writing -----------------------------------------------------------------------------------
def _export_config(
    model: RewardModel,
    encoder: HFEncoder,
    layers: list[Layer],
    stats: tuple[float, float] | None,
    context: str | None,
) -> Any:
    """The exported model's config: backbone config nested, head widths, reward statistics."""
    from transformers import AutoConfig

    from causalpref.integrations.hf_remote.configuration_causalpref import (
        CausalprefRewardConfig,
    )

    mean, sd = stats if stats is not None else (None, None)
    return CausalprefRewardConfig(
        encoder_config=AutoConfig.from_pretrained(encoder.folder, local_files_only=True),
        pooling=encoder.pooling,
        normalize_embeddings=encoder.normalize,
        head_dims=[layers[0][0].shape[1], *(weight.shape[0] for weight, _ in layers)],
        reward_mean=mean,
        reward_sd=sd,
        causalpref=_provenance(model, encoder, context),
        architectures=["CausalprefRewardModel"],
        auto_map=dict(AUTO_MAP),
    )


def _provenance(model: RewardModel, encoder: HFEncoder, context: str | None) -> dict[str, Any]:
    """What the export came from and how it must be fed (kept in config.json)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "method": model.name,
        "context": context,
        "encoder": encoder.spec,
        "encoder_fingerprint": encoder.fingerprint(),
        "text_format": TEXT_FORMAT,
        "max_length": encoder.max_length,
        "truncation_side": encoder.truncation_side,
        "padding_side": encoder.padding_side,
    }


def _write_model(folder: Path, config: Any, encoder: HFEncoder, layers: list[Layer]) -> None:
    """Safetensors weights and config.json: the encoder backbone as trained, then the head."""
    from causalpref.integrations.hf_remote.modeling_causalpref import CausalprefRewardModel

    exported = CausalprefRewardModel(config)
    exported.backbone.load_state_dict(_load_backbone(encoder).state_dict(), strict=True)
    exported.head.load_state_dict(_head_state(layers), strict=True)
    exported.save_pretrained(folder)


def _head_state(layers: list[Layer]) -> dict[str, torch.Tensor]:
    """The head's weights under the exported names: Linear i of the chain is `2 * i` (GELUs
    sit between)."""
    return {
        f"{2 * i}.{name}": tensor
        for i, layer in enumerate(layers)
        for name, tensor in zip(("weight", "bias"), layer, strict=True)
    }


def _load_backbone(encoder: HFEncoder) -> Any:
    """The encoder's transformers model in float32, from its local folder (never downloads)."""
    from transformers import AutoModel

    return AutoModel.from_pretrained(encoder.folder, local_files_only=True, dtype=torch.float32)


def _tokenizer(encoder: HFEncoder) -> Any:
    """The encoder's tokenizer, set to truncate, pad and cut at the length causalpref uses."""
    from transformers import AutoTokenizer

    # Passed to from_pretrained, not set afterwards, so that save_pretrained records them.
    return AutoTokenizer.from_pretrained(
        encoder.folder,
        truncation_side=encoder.truncation_side,
        padding_side=encoder.padding_side,
        model_max_length=encoder.max_length,
    )


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """transformers' progress bars off while exporting (restored afterwards)."""
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


def _write_remote_code(folder: Path) -> None:
    """Copy the configuration and modeling code next to config.json (its auto_map names them)."""
    source = resources.files(REMOTE_PACKAGE)
    for name in REMOTE_FILES:
        (folder / name).write_text(source.joinpath(name).read_text("utf-8"), encoding="utf-8")
