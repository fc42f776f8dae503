"""The estimator contract every reward-model method follows (scikit-learn style).

The constructor stores keyword-only settings and nothing else (each declared once, with its
constraints, as a dataclass field); `fit(data)` returns self and sets fitted attributes ending in
`_`; every random step is driven by the `seed` setting. A model owns its path from text to reward:
`encoder` names the Featurizer that turns text into vectors, saved with the model, so a loaded
model scores raw text.
"""

from __future__ import annotations

import abc
import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import torch

from causalpref.data import PreferenceData
from causalpref.data.schema import LABEL
from causalpref.errors import ConfigError, DataValidationError, NotFittedError
from causalpref.features.encoders import is_encoder_spec
from causalpref.features.featurizer import PRECOMPUTED, Featurizer
from causalpref.methods.fit_checks import (
    MIN_HOLDOUT_ROWS,
    check_fit_data,
    context_problems,
)
from causalpref.methods.fit_report import warn_if_untrained
from causalpref.methods.inputs import as_vectors, text_vectors
from causalpref.methods.pair_rows import holdout_rows, without_vectors
from causalpref.methods.probe import decided_pairs, probe_beside
from causalpref.methods.settings import (
    BOOL,
    SEED,
    WIDTH,
    InstanceOf,
    Interval,
    NonEmptyString,
    NoneValue,
    Options,
    Satisfies,
    setting,
    setting_problems,
)
from causalpref.methods.training import (
    MAX_BUDGET_EPOCHS,
    MIN_BUDGET_EPOCHS,
    STEP_BUDGET,
    PairBatch,
    PairTensors,
    TrainSettings,
    budget_epochs,
    default_loss,
    pair_margins,
    pair_rewards,
    stacked_rewards,
    train_net,
)
from causalpref.metrics import pairwise_accuracy
from causalpref.models.precision import PRECISIONS, resolve_precision
from causalpref.models.reward_nets import RewardNet


@dataclass(kw_only=True, eq=False, repr=False)
class RewardModel(abc.ABC):
    """A trainable reward model over response embeddings, optionally conditioned on a context.

    Settings are the dataclass fields below (keyword-only constructor arguments), each declared
    once with its constraints; subclasses add their own fields the same way.
    """

    name: ClassVar[str]
    uses_context: ClassVar[bool] = False
    summary: ClassVar[str] = ""

    encoder: str = setting(
        PRECOMPUTED,
        Satisfies(is_encoder_spec, "a registered encoder name, 'hf:<path>' or 'precomputed'"),
        hint="see causalpref.features.encoders.available_encoders()",
    )
    cache_dir: str | os.PathLike | None = setting(
        None, NoneValue(), InstanceOf((str, os.PathLike), "a folder path")
    )
    hidden_dim: int = setting(512, WIDTH)
    epochs: int | None = setting(
        None,
        NoneValue(),
        Interval(Integral, 1, None),
        hint="None: as many epochs as `steps` optimizer steps take (from "
        f"{MIN_BUDGET_EPOCHS} to {MAX_BUDGET_EPOCHS}), so 1,000 pairs get many epochs and "
        "100,000 a few; an int fixes the count and overrides the budget",
    )
    steps: int = setting(
        STEP_BUDGET,
        Interval(Integral, 1, None),
        hint="optimizer steps the epoch count is derived from when epochs is None; measured "
        "in docs/performance.md ('Default training settings')",
    )
    lr: float = setting(
        1e-3,
        Interval(Real, 0, None, closed="neither"),
        hint="Adam's usual 1e-3 suits these small heads; 1e-4 barely moved them from ln 2 in "
        "10 epochs on 1,409 HH pairs (docs/performance.md)",
    )
    batch_size: int = setting(
        256,
        Interval(Integral, 1, None),
        hint="at lr 1e-3, 256 pairs a step did as well as 64 or 128 on 1,409 HH pairs and "
        "trains 100,000 pairs in 6 epochs of the step budget",
    )
    weight_decay: float = setting(0.0, Interval(Real, 0, None))
    patience: int | None = setting(
        10,
        NoneValue(),
        Interval(Integral, 1, None),
        hint="stop after this many epochs without a better validation score (None: run every "
        "epoch); the best epoch's weights are kept either way",
    )
    validation_fraction: float = setting(0.1, Interval(Real, 0, 1))
    context: str = setting("context", NonEmptyString())
    precision: str = setting(
        "fp32",
        Options(("auto", *PRECISIONS)),
        hint="bf16 runs matrix products in bfloat16, fast on CPUs with AVX512-BF16 or AMX; "
        "auto picks bf16 on such CPUs",
    )
    seed: int = setting(0, SEED)
    verbose: bool = setting(False, BOOL)

    # -- settings ---------------------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

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
        self._featurizer = None  # rebuilt from the (possibly new) cache_dir / verbose
        return self

    def validate_params(self) -> None:
        """Raise one ConfigError listing every setting that breaks its declared constraints
        (called by fit, and by the CLI before any data is read)."""
        problems = setting_problems(self)
        if problems:
            raise ConfigError(
                f"invalid settings for method '{self.name}':\n  - " + "\n  - ".join(problems)
            )

    def featurizer(self) -> Featurizer:
        """The path from text to vectors: the fitted one (its fingerprint checked against this
        machine's encoder) once fitted or loaded, else the one the settings describe."""
        record = getattr(self, "encoder_", None)
        if record is None:
            return Featurizer(encoder=self.encoder, cache_dir=self.cache_dir, progress=self.verbose)
        if getattr(self, "_featurizer", None) is None:
            self._featurizer = Featurizer.from_record(
                record, cache_dir=self.cache_dir, progress=self.verbose
            )
        return self._featurizer

    # -- the net ----------------------------------------------------------------------------
    @abc.abstractmethod
    def _build_net(self, input_dim: int, n_contexts: int) -> RewardNet:
        """The untrained torch module for this method."""

    def required_columns(self) -> list[str]:
        """Columns scoring needs besides the responses (text or vectors)."""
        return [LABEL, self.context] if self.uses_context else [LABEL]

    def training_columns(self) -> list[str]:
        """Extra columns only `fit` needs (an attribute, an environment); none by default."""
        return []

    # -- hooks for methods that change the data or the loss ----------------------------------
    def _add_derived_columns(self, data: PreferenceData) -> PreferenceData:
        """Columns a method can compute from the text when the data lacks them (attributes)."""
        return data

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
        """How good an epoch is on validation; robust methods score a group-balanced loss."""
        return pairwise_accuracy(margins, validation.labels)

    def _loss(self, net: RewardNet, batch: PairBatch) -> torch.Tensor:
        """The training loss of one batch; Bradley-Terry plus the net's auxiliary loss."""
        return default_loss(net, batch)

    def _train(
        self,
        net: RewardNet,
        train: PairTensors,
        val: PairTensors | None,
        settings: TrainSettings,
        selection: Callable[[np.ndarray], float] | None,
    ) -> tuple[list[dict], int]:
        """Fit `net` in place; the history (one row per epoch) and the best epoch (1-based).
        By default `train_net`'s mini-batch Adam; a method with its own optimiser replaces it."""
        return train_net(net, train, val, settings, self._loss, selection)

    # -- fitting ----------------------------------------------------------------------------
    def fit(
        self,
        data: PreferenceData,
        validation: PreferenceData | None = None,
        *,
        rows: np.ndarray | None = None,
    ) -> RewardModel:
        """Train on `data` (text pairs, encoded with `encoder`, or vector pairs), early-stopping
        on `validation` accuracy (or a held-out share). `rows` trains on those rows of `data`
        only (default all), without copying their vectors."""
        self.validate_params()
        rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        for name in [a for a in vars(self) if a.endswith("_") and not a.startswith("_")]:
            delattr(self, name)  # a refit starts from scratch, with the settings' featuriser
        self._featurizer = None
        featurizer = self.featurizer()
        check_fit_data(self, data, validation, rows)  # refuse degenerate data before encoding
        data = self._fit_inputs(data, featurizer, "training data", training=True)
        n_train = len(data) if rows is None else len(rows)
        if validation is not None:
            validation = self._fit_inputs(validation, featurizer, "validation data")
        elif self.validation_fraction > 0 and n_train >= MIN_HOLDOUT_ROWS:
            groups = without_vectors(data, rows).column(self.context) if self.uses_context else None
            rows, validation = holdout_rows(data, self.validation_fraction, self.seed, groups, rows)
        self.input_dim_ = data.vector_dim
        self.contexts_ = (
            _context_vocabulary(without_vectors(data, rows), self.context)
            if self.uses_context
            else []
        )
        self.precision_ = resolve_precision(self.precision)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            net = self._build_net(self.input_dim_, max(len(self.contexts_), 1))
        train = self._training_tensors(data, rows)
        settings = TrainSettings(
            epochs=self.epochs or budget_epochs(self.steps, len(train), self.batch_size),
            lr=self.lr,
            batch_size=self.batch_size,
            weight_decay=self.weight_decay,
            patience=self.patience,
            seed=int(self.seed),
            verbose=self.verbose,
            precision=self.precision_,
        )
        if validation is not None:
            validation = self._prepare_validation_data(validation)
        val = self._tensors(validation) if validation is not None else None
        self._start_training(train)
        selection = None
        if validation is not None and self._selects_by_groups(validation):
            selection = partial(self._selection_score, validation=validation)
        self.history_, self.best_epoch_ = self._train(net, train, val, settings, selection)
        self.net_ = net
        self.reward_stats_ = _reward_stats(pair_rewards(net, train))
        self.encoder_ = featurizer.record()
        self._featurizer = featurizer
        self.probe_ = None
        if not self.uses_context and val is not None:
            self.probe_ = probe_beside(train, val, seed=int(self.seed))
        warn_if_untrained(
            self,
            decided_pairs(val),
            selects_by_groups=selection is not None,
            plain_loss=self._plain_loss(net, train),
        )
        return self

    def _plain_loss(self, net: RewardNet, train: PairTensors) -> bool:
        """Whether the training loss is Bradley-Terry on decided pairs alone, so that ln 2 is
        its value at a coin flip (penalties add to it; ties cannot go below it)."""
        own_loss = type(self)._loss is not RewardModel._loss
        auxiliary = type(net).auxiliary_loss is not RewardNet.auxiliary_loss
        return not own_loss and not auxiliary and decided_pairs(train) == len(train)

    def _fit_inputs(
        self, data: PreferenceData, featurizer: Featurizer, what: str, training: bool = False
    ) -> PreferenceData:
        """`data` checked, with derived columns added and vectors made from its text."""
        data = self._add_derived_columns(data)
        self._check_columns(data, what, training=training)
        return as_vectors(data, featurizer, self.name, what)

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

    def _training_tensors(self, data: PreferenceData, rows: np.ndarray | None) -> PairTensors:
        """The pairs trained on: `data`'s `rows` (all when None), sharing its vectors, unless
        the method adds pairs of its own (`_prepare_training_data`)."""
        adds_pairs = type(self)._prepare_training_data is not RewardModel._prepare_training_data
        if rows is not None and adds_pairs:
            data, rows = data.take(rows), None
        return self._tensors(self._prepare_training_data(data), training=True, rows=rows)

    def _tensors(
        self, data: PreferenceData, training: bool = False, rows: np.ndarray | None = None
    ) -> PairTensors:
        """Pair tensors of `data`'s `rows` (all when None); the vectors are used in place."""
        part = without_vectors(data, rows)
        c = self._context_index(part)
        extras = self._pair_extras(part) if training else None
        return PairTensors.from_arrays(
            data.vectors("a"), data.vectors("b"), c, part.labels, part.weights, extras, rows
        )

    def _context_index(self, data: PreferenceData) -> np.ndarray:
        if not self.uses_context:
            return np.zeros(len(data), dtype=np.int64)
        return self._context_codes(data.column(self.context), len(data))

    def _context_codes(self, values: Sequence[Any] | None, n: int) -> np.ndarray:
        """Indices of context `values` in the training vocabulary (zeros without context)."""
        if not self.uses_context:
            return np.zeros(n, dtype=np.int64)
        if values is None:
            raise ConfigError(
                f"method '{self.name}' conditions on a context: pass context=[...] with one "
                f"value per response (this model knows {self.contexts_})"
            )
        problems = context_problems(self.context, values, "the data to score")
        if problems:
            raise DataValidationError(problems, "the contexts to score", "nothing was scored")
        values = np.asarray([str(v) for v in values], dtype=object)
        if len(values) != n:
            raise ConfigError(f"context has {len(values)} values for {n} responses; pass one each")
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

    def _inputs(self, data: PreferenceData) -> PreferenceData:
        """Pairs to score as vectors (text encoded with the model's own featuriser)."""
        self._check_fitted()
        self._check_columns(data, "data")
        data = as_vectors(data, self.featurizer(), self.name, "data")
        self._check_dim(data.vector_dim)
        return data

    def _check_dim(self, dim: int | None) -> None:
        if dim != self.input_dim_:
            raise ConfigError(
                f"vectors have dimension {dim} but the model was fitted on "
                f"{self.input_dim_}: encode the data with the same encoder as the training data"
            )

    def featurize(self, data: PreferenceData) -> PreferenceData:
        """`data` with the vectors this model scores: its own, or its text encoded by the
        model's featuriser (do it once before scoring one data set several ways)."""
        return self._inputs(data)

    def margins(self, data: PreferenceData) -> np.ndarray:
        """r(a) - r(b) for every pair (the Bradley-Terry logit of 'a preferred')."""
        data = self._inputs(data)
        return pair_margins(self.net_, self._tensors(data))

    def rewards(
        self,
        data: PreferenceData | None = None,
        side: str = "a",
        *,
        prompts: Sequence[str | None] | None = None,
        responses: Sequence[str] | None = None,
        vectors: np.ndarray | None = None,
        context: Sequence[Any] | None = None,
        user_id: Sequence[Any] | None = None,
    ) -> np.ndarray:
        """One reward per response; only differences within a prompt are identified.

        Either pairs and a side (`rewards(data, "b")`), or raw responses with their prompts
        (`rewards(prompts=[...], responses=[...])`, encoded with the model's own encoder), or
        their `vectors`. Context-aware methods need `context` (one value per response);
        `user_id` is for user-aware methods and ignored by the others.
        """
        self._check_fitted()
        if data is not None:
            if responses is not None or vectors is not None:
                raise ConfigError("pass either data (with side=) or responses/vectors, not both")
            if side not in ("a", "b"):
                raise ConfigError(f"side={side!r}: expected 'a' or 'b'")
            data = self._inputs(data)
            x, c = data.vectors(side), self._context_index(data)
        else:
            x = self._raw_vectors(prompts, responses, vectors)
            c = self._context_codes(context, len(x))
        x_t = torch.from_numpy(np.array(x, dtype=np.float32))
        return stacked_rewards(self.net_, x_t, torch.as_tensor(c, dtype=torch.long)).astype(
            np.float64
        )

    def _raw_vectors(self, prompts, responses, vectors) -> np.ndarray:
        """Vectors of raw responses (encoded) or as given, checked against the fitted dimension."""
        if (responses is None) == (vectors is None):
            raise ConfigError(
                "rewards needs data, or responses=[...] (with prompts=[...]), or vectors=...: "
                "pass exactly one"
            )
        if vectors is not None:
            x = np.asarray(vectors, dtype=np.float32)
            if x.ndim != 2:
                raise ConfigError(f"vectors must be a 2-D array (n, dim), got shape {x.shape}")
        else:
            x = text_vectors(self.featurizer(), prompts, responses, self.name)
        self._check_dim(x.shape[1])
        return x

    def reward_normalization(self) -> tuple[float, float]:
        """(mean, sd) of the rewards of the training responses, recorded at fit time: serving
        and export standardise rewards with them (OpenRLHF's reward-normalisation convention)."""
        self._check_fitted()
        stats = getattr(self, "reward_stats_", None)
        if stats is None:
            raise ConfigError(
                f"this {type(self).__name__} was saved before causalpref recorded training "
                "reward statistics: refit it to normalise its rewards"
            )
        return float(stats["mean"]), float(stats["sd"])

    def predict_proba(self, data: PreferenceData) -> np.ndarray:
        """P(a preferred over b) = sigma(r(a) - r(b))."""
        return 1.0 / (1.0 + np.exp(-self.margins(data)))

    def score(self, data: PreferenceData) -> float:
        """Pairwise accuracy on the decided (non-tie) rows of `data`."""
        return pairwise_accuracy(self.margins(data), data.labels)

    # -- persistence ------------------------------------------------------------------------
    def save(self, path, *, overwrite: bool = False) -> None:
        """Write the fitted model to folder `path` (safetensors weights + JSON config); an
        earlier saved model there is replaced only with `overwrite`."""
        from causalpref.methods.persistence import save_model

        save_model(self, path, overwrite=overwrite)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


def _reward_stats(rewards: np.ndarray) -> dict[str, float]:
    """Mean and sd of the training responses' rewards; sd 1 where they do not vary, so that
    standardising never divides by zero."""
    values = rewards.ravel()
    sd = float(values.std()) if values.size else 0.0
    return {
        "mean": float(values.mean()) if values.size else 0.0,
        "sd": sd if sd > 0 else 1.0,
        "n": int(values.size),
    }


def _context_vocabulary(data: PreferenceData, column: str) -> list[str]:
    return sorted({str(v) for v in data.column(column)})
