"""The estimator contract every reward-model method follows (scikit-learn style).

The constructor stores keyword-only settings and nothing else; `fit(data)` returns self and sets
fitted attributes ending in `_`; every random step is driven by the `seed` setting.
"""

from __future__ import annotations

import abc
import inspect
from functools import partial
from typing import Any, ClassVar

import numpy as np
import torch

from causalpref.data import PreferenceData
from causalpref.errors import ConfigError, NotFittedError
from causalpref.evaluate.metrics import pairwise_accuracy
from causalpref.methods.training import (
    PairBatch,
    PairTensors,
    TrainSettings,
    default_loss,
    pair_margins,
    stacked_rewards,
    train_net,
)
from causalpref.models.precision import PRECISIONS, resolve_precision
from causalpref.models.reward_nets import RewardNet

VECTOR_COLUMNS = ("vector.a", "vector.b")


class RewardModel(abc.ABC):
    """A trainable reward model over response embeddings, optionally conditioned on a context."""

    name: ClassVar[str]
    uses_context: ClassVar[bool] = False
    summary: ClassVar[str] = ""

    def __init__(
        self,
        *,
        hidden_dim: int = 512,
        epochs: int = 10,
        lr: float = 1e-4,
        batch_size: int = 256,
        weight_decay: float = 0.0,
        patience: int | None = None,
        validation_fraction: float = 0.1,
        context: str = "context",
        precision: str = "fp32",
        seed: int = 0,
        verbose: bool = False,
    ):
        self.hidden_dim = hidden_dim
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.context = context
        self.precision = precision
        self.seed = seed
        self.verbose = verbose

    # -- settings ---------------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            init = klass.__dict__.get("__init__")
            if init is None or klass is object:
                continue
            for p in inspect.signature(init).parameters.values():
                if p.kind is p.KEYWORD_ONLY and p.name not in names:
                    names.append(p.name)
        return names

    def get_params(self) -> dict[str, Any]:
        """The constructor settings, as stored."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> RewardModel:
        """Change settings; unknown names are an error."""
        unknown = sorted(set(params) - set(self._param_names()))
        if unknown:
            raise ConfigError(
                f"{type(self).__name__} has no setting(s) {unknown}; "
                f"valid settings: {self._param_names()}"
            )
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def _check_params(self) -> list[str]:
        """Problems with the settings, each naming the setting, the value and what is expected."""
        problems = []
        for key in ("hidden_dim", "epochs", "batch_size"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                problems.append(f"{key}={value!r}: expected a positive integer")
        if not (isinstance(self.lr, int | float) and self.lr > 0):
            problems.append(f"lr={self.lr!r}: expected a positive number such as 1e-4")
        if not (isinstance(self.weight_decay, int | float) and self.weight_decay >= 0):
            problems.append(f"weight_decay={self.weight_decay!r}: expected a number >= 0")
        if self.patience is not None and (not isinstance(self.patience, int) or self.patience < 1):
            problems.append(f"patience={self.patience!r}: expected None or a positive integer")
        if not (
            isinstance(self.validation_fraction, int | float) and 0 <= self.validation_fraction < 1
        ):
            problems.append(
                f"validation_fraction={self.validation_fraction!r}: expected a number in [0, 1)"
            )
        if self.precision not in ("auto", *PRECISIONS):
            problems.append(
                f"precision={self.precision!r}: expected one of {['auto', *PRECISIONS]} "
                "(bf16 runs matrix products in bfloat16, fast on CPUs with AVX512-BF16 or AMX; "
                "auto picks bf16 on such CPUs)"
            )
        if not isinstance(self.seed, int | np.integer):
            problems.append(f"seed={self.seed!r}: expected an integer")
        return problems

    def validate_params(self) -> None:
        """Raise one ConfigError listing every invalid setting (called by fit, and by the CLI
        before any data is read)."""
        problems = self._check_params()
        if problems:
            raise ConfigError(
                f"invalid settings for method '{self.name}':\n  - " + "\n  - ".join(problems)
            )

    # -- the net ----------------------------------------------------------------------------
    @abc.abstractmethod
    def _build_net(self, input_dim: int, n_contexts: int) -> RewardNet:
        """The untrained torch module for this method."""

    def required_columns(self) -> list[str]:
        """Columns scoring needs (fitting may need more: see `training_columns`)."""
        cols = [*VECTOR_COLUMNS, "label"]
        return [*cols, self.context] if self.uses_context else cols

    def training_columns(self) -> list[str]:
        """Extra columns only `fit` needs (an attribute, an environment); none by default."""
        return []

    # -- hooks for methods that change the data or the loss ----------------------------------
    def _prepare_training_data(self, data: PreferenceData) -> PreferenceData:
        """The pairs actually trained on; augmentation methods add pairs here."""
        return data

    def _pair_extras(self, data: PreferenceData) -> dict[str, np.ndarray]:
        """Per-pair side information for the loss, from `training_columns`."""
        return {}

    def _prepare_validation_data(self, validation: PreferenceData) -> PreferenceData:
        """The pairs early stopping scores; augmentation methods add their own kinds of pair."""
        return validation

    def _start_training(self, train: PairTensors) -> None:  # noqa: B027 (optional hook)
        """Called once before the first epoch (e.g. to set up per-group state)."""

    def _selects_by_groups(self, validation: PreferenceData) -> bool:
        """Whether early stopping uses `_selection_score` instead of plain accuracy."""
        return False

    def _selection_score(self, margins: np.ndarray, validation: PreferenceData) -> float:
        """How good an epoch is on validation; robust methods score their worst group."""
        return pairwise_accuracy(margins, validation.labels)

    def _loss(self, net: RewardNet, batch: PairBatch) -> torch.Tensor:
        """The training loss of one batch; Bradley-Terry plus the net's auxiliary loss."""
        return default_loss(net, batch)

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, data: PreferenceData, validation: PreferenceData | None = None) -> RewardModel:
        """Train on `data`, early-stopping on `validation` accuracy (or a held-out share)."""
        self.validate_params()
        self._check_columns(data, "training data", training=True)
        if validation is None and self.validation_fraction > 0 and len(data) >= 20:
            data, validation = _holdout(data, self.validation_fraction, self.seed)
        if validation is not None:
            self._check_columns(validation, "validation data")
        self.input_dim_ = data.vector_dim
        self.contexts_ = _context_vocabulary(data, self.context) if self.uses_context else []
        self.precision_ = resolve_precision(self.precision)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            net = self._build_net(self.input_dim_, max(len(self.contexts_), 1))
        settings = TrainSettings(
            epochs=self.epochs,
            lr=self.lr,
            batch_size=self.batch_size,
            weight_decay=self.weight_decay,
            patience=self.patience,
            seed=int(self.seed),
            verbose=self.verbose,
            precision=self.precision_,
        )
        train = self._tensors(self._prepare_training_data(data), training=True)
        if validation is not None:
            validation = self._prepare_validation_data(validation)
        val = self._tensors(validation) if validation is not None else None
        self._start_training(train)
        selection = None
        if validation is not None and self._selects_by_groups(validation):
            selection = partial(self._selection_score, validation=validation)
        self.history_, self.best_epoch_ = train_net(
            net, train, val, settings, self._loss, selection
        )
        self.net_ = net
        return self

    def _check_columns(self, data: PreferenceData, what: str, training: bool = False) -> None:
        needed = self.required_columns() + (self.training_columns() if training else [])
        missing = [c for c in needed if not data.has(c)]
        if missing:
            hint = (
                f" (method '{self.name}' conditions on a context: name its column with "
                f"context=..., e.g. --context objective)"
                if self.context in missing
                else ""
            )
            raise ConfigError(
                f"{what} lacks column(s) {missing} needed by method '{self.name}'{hint}; "
                f"it has: {data.columns}"
            )

    def _tensors(self, data: PreferenceData, training: bool = False) -> PairTensors:
        c = self._context_index(data)
        extras = self._pair_extras(data) if training else None
        return PairTensors.from_arrays(
            data.vectors("a"), data.vectors("b"), c, data.labels, data.weights, extras
        )

    def _context_index(self, data: PreferenceData) -> np.ndarray:
        if not self.uses_context:
            return np.zeros(len(data), dtype=np.int64)
        values = np.asarray([str(v) for v in data.column(self.context)], dtype=object)
        lookup = {name: i for i, name in enumerate(self.contexts_)}
        unknown = sorted(set(values) - set(lookup))
        if unknown:
            raise ConfigError(
                f"column '{self.context}' has value(s) {unknown[:5]} not seen in training; "
                f"this model knows {self.contexts_}"
            )
        return np.fromiter((lookup[v] for v in values), dtype=np.int64, count=len(values))

    # -- prediction -------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(data) first or load a "
                f"saved model with causalpref.methods.load_model(path)"
            )

    def _check_input(self, data: PreferenceData) -> None:
        self._check_fitted()
        self._check_columns(data, "data")
        if data.vector_dim != self.input_dim_:
            raise ConfigError(
                f"vectors have dimension {data.vector_dim} but the model was fitted on "
                f"{self.input_dim_}: encode the data with the same encoder as the training data"
            )

    def margins(self, data: PreferenceData) -> np.ndarray:
        """r(a) - r(b) for every pair (the Bradley-Terry logit of 'a preferred')."""
        self._check_input(data)
        return pair_margins(self.net_, self._tensors(data))

    def rewards(self, data: PreferenceData, side: str = "a") -> np.ndarray:
        """Reward of response `side` ('a' or 'b') of every row; only differences are identified."""
        self._check_input(data)
        if side not in ("a", "b"):
            raise ConfigError(f"side={side!r}: expected 'a' or 'b'")
        x = torch.from_numpy(np.array(data.vectors(side), dtype=np.float32))
        c = torch.as_tensor(self._context_index(data), dtype=torch.long)
        return stacked_rewards(self.net_, x, c).astype(np.float64)

    def predict_proba(self, data: PreferenceData) -> np.ndarray:
        """P(a preferred over b) = sigma(r(a) - r(b))."""
        return 1.0 / (1.0 + np.exp(-self.margins(data)))

    def score(self, data: PreferenceData) -> float:
        """Pairwise accuracy on the decided (non-tie) rows of `data`."""
        return pairwise_accuracy(self.margins(data), data.labels)

    # -- persistence ------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the fitted model to folder `path` (safetensors weights + JSON config)."""
        from causalpref.methods.persistence import save_model

        save_model(self, path)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


def _holdout(data: PreferenceData, fraction: float, seed: int):
    rng = np.random.default_rng(seed)
    n_val = max(1, int(round(fraction * len(data))))
    order = rng.permutation(len(data))
    return data.take(np.sort(order[n_val:])), data.take(np.sort(order[:n_val]))


def _context_vocabulary(data: PreferenceData, column: str) -> list[str]:
    return sorted({str(v) for v in data.column(column)})
