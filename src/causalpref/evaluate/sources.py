"""Where a study's data comes from: a simulated scenario, or a user's file of pairs.

A source turns one grid point (knob values) and one seed into `Splits`: training and validation
pairs and named test splits, with the oracle's accuracy where the truth is known. A scenario can
also give its clean counterpart (the same draw with its problem switched off).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from causalpref import simulate
from causalpref.data import PreferenceData
from causalpref.data.schema import RESPONSE_A, RESPONSE_B
from causalpref.errors import ConfigError
from causalpref.features.attributes import attribute_differences
from causalpref.methods.scoring import TRAIN, VALIDATION, VALIDATION_ALIASES
from causalpref.metrics import pairwise_accuracy

FIT_SPLITS = (TRAIN, VALIDATION)


@dataclass(frozen=True)
class Splits:
    """One data set of a study: fit on `train` (early stopping on `validation`), score `tests`.

    `references` holds accuracies of known reference rewards per test split (`oracle_<split>`,
    `id_optimal_<split>`); `extras` scalar facts about the draw shown beside the results.
    """

    train: PreferenceData
    validation: PreferenceData | None
    tests: dict[str, PreferenceData]
    references: dict[str, float] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)


def reference_accuracies(tests: dict[str, PreferenceData]) -> dict[str, float]:
    """Accuracy of every stored reference reward (`<name>_reward.a/.b`; `true` is the oracle)
    on each test split's labels."""
    out = {}
    for split, part in tests.items():
        for column in part.columns:
            if column.endswith("_reward.a") and part.has(column[:-1] + "b"):
                name = column.removesuffix("_reward.a")
                name = "oracle" if name == "true" else name
                margin = part.column(column) - part.column(column[:-1] + "b")
                out[f"{name}_{split}"] = pairwise_accuracy(margin, part.labels)
    return out


@dataclass(frozen=True)
class ScenarioSource:
    """Simulate `scenario` with fixed `knobs` plus one grid point's knobs, per seed."""

    scenario: str
    knobs: dict[str, Any] = field(default_factory=dict)
    shift_split: str | None = None

    @property
    def label(self) -> str:
        return self.scenario

    def shift(self) -> str:
        """The test split whose accuracy is the study's shift metric."""
        return self.shift_split or simulate.get_scenario(self.scenario).shift_split

    def shift_name(self) -> str:
        if self.shift_split:
            return f"accuracy on test split '{self.shift_split}'"
        return simulate.get_scenario(self.scenario).shift_name

    def prepare(self, points: Sequence[dict[str, Any]] = ()) -> None:
        """Nothing to do before the tasks are sent out: each task simulates its own draw."""

    def featurizer(self):
        """None: a scenario's vectors come from the scenario, not from a featuriser."""
        return None

    def load(self, point: dict[str, Any], seed: int) -> Splits:
        return _scenario_splits(simulate.make(self.scenario, seed=seed, **self.knobs, **point))

    def load_clean(self, point: dict[str, Any], seed: int) -> Splits:
        """The clean counterpart of `load(point, seed)`: same sizes and seed, problem off."""
        return _scenario_splits(
            simulate.make_clean(self.scenario, seed=seed, **self.knobs, **point)
        )

    def has_clean(self) -> bool:
        return True


def _scenario_splits(data: simulate.ScenarioData) -> Splits:
    extras = {k: v for k, v in data.truth.items() if isinstance(v, int | float)}
    return Splits(
        data.train,
        data.validation,
        dict(data.test_splits),
        reference_accuracies(data.test_splits),
        extras,
    )


@dataclass(frozen=True)
class FileSource:
    """A user's file of pairs with a split column: fit on `train` (early stopping on
    `validation` when present), report accuracy on every other split.

    `resample` (optional) names a resampler of `RESAMPLERS` that draws the splits per grid point
    and seed instead (the HH confounding study); `resample_settings` are its fixed settings.
    """

    path: Path
    layout: str = "auto"
    encoder: str = "precomputed"
    cache_dir: Path | None = None
    split_column: str = "split"
    shift_split: str | None = None
    resample: str | None = None
    resample_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(self.path)

    def shift(self) -> str:
        if self.shift_split:
            return self.shift_split
        if self.resample:
            return RESAMPLERS[self.resample].shift_split
        return sorted(s for s in self._by_split(self.table()) if s not in FIT_SPLITS)[0]

    def shift_name(self) -> str:
        return f"accuracy on split '{self.shift()}'"

    @functools.cached_property
    def _loaded(self) -> PreferenceData:
        data = read_pairs(self.path, self.layout)
        featurizer = self.featurizer()
        if featurizer is None:
            return data
        return featurizer.transform(data)

    def featurizer(self):
        """The Featurizer that encodes the file's texts (None for precomputed vectors)."""
        from causalpref.features.featurizer import Featurizer

        if self.encoder == "precomputed":
            return None
        return Featurizer(encoder=self.encoder, cache_dir=self.cache_dir, progress=True)

    def table(self) -> PreferenceData:
        """The file's pairs, with vectors from the encoder (read and encoded once)."""
        return self._loaded

    def prepare(self, points: Sequence[dict[str, Any]] = ()) -> None:
        """Read and encode the file once, before the tasks (and their worker processes) get it,
        and draw every grid point's splits once, so that a size the file cannot meet fails now
        rather than hours into the run (pool sizes do not depend on the seed)."""
        self.table()
        if self.resample:
            for point in points:
                self.load(point, seed=0)

    def load(self, point: dict[str, Any], seed: int) -> Splits:
        data = self.table()
        if self.resample:
            resampler = RESAMPLERS[self.resample]
            missing = [c for c in resampler.columns if not data.has(c)]
            if missing:
                raise ConfigError(
                    f"resample '{self.resample}' of {self.path} needs columns {missing}: "
                    f"{resampler.hint}"
                )
            parts = resampler.function(data, seed=seed, **self.resample_settings, **point)
        else:
            parts = self._by_split(data)
        tests = {k: v for k, v in parts.items() if k not in FIT_SPLITS}
        return Splits(
            parts["train"], parts.get("validation"), tests, reference_accuracies(tests), {}
        )

    def _by_split(self, data: PreferenceData) -> dict[str, PreferenceData]:
        if not data.has(self.split_column):
            raise ConfigError(
                f"data file {self.path} has no column '{self.split_column}': a study fits the "
                "rows whose split is 'train' and scores the other splits; add the column or set "
                "split_column"
            )
        parts = data.by(self.split_column)
        named = [k for k in parts if k in (VALIDATION, *VALIDATION_ALIASES)]
        if len(named) > 1:
            raise ConfigError(
                f"data file {self.path}: column '{self.split_column}' names validation rows "
                f"{sorted(named)}; use one name for them"
            )
        if named:
            parts[VALIDATION] = parts.pop(named[0])
        if "train" not in parts or len(parts) - ("validation" in parts) < 2:
            raise ConfigError(
                f"data file {self.path}: column '{self.split_column}' has values {sorted(parts)}; "
                "expected 'train' rows and at least one test split (any other value)"
            )
        return parts

    def has_clean(self) -> bool:
        return False

    def load_clean(self, point: dict[str, Any], seed: int) -> Splits:
        raise ConfigError(f"data file {self.path} has no clean counterpart (only scenarios do)")


def read_pairs(path: Path, layout: str) -> PreferenceData:
    """Read a file of pairs in `layout` (the data package's one reader)."""
    from causalpref.data import read_preferences

    return read_preferences(path, layout=layout)


OBJECTIVES = ("helpful", "harmless")


def objective_mix(
    data: PreferenceData,
    *,
    seed: int,
    rho: float,
    n_train: int,
    n_validation: int,
    test_fraction: float,
) -> dict[str, PreferenceData]:
    """Train / validation at P(prompt type = objective) = rho (balanced over objectives), and the
    seed's fixed test pool split into consistent / inconsistent rows (the HH case study)."""
    rng = np.random.default_rng(seed)
    pools, test = {}, []
    t, c = data.column("prompt_type"), data.column("context")
    for tt in OBJECTIVES:
        for cc in OBJECTIVES:
            idx = rng.permutation(np.flatnonzero((t == tt) & (c == cc)))
            n_test = int(round(test_fraction * len(idx)))
            test.append(idx[:n_test])
            pools[(tt, cc)] = idx[n_test:]
    draw_rng = np.random.default_rng([seed, int(round(rho * 1000))])
    taken = {key: 0 for key in pools}
    out = {}
    for name, n in (("train", n_train), ("validation", n_validation)):
        rows = []
        for cc in OBJECTIVES:
            n_c = n // 2 if cc == OBJECTIVES[0] else n - n // 2
            n_same = int(round(rho * n_c))
            other = OBJECTIVES[1 - OBJECTIVES.index(cc)]
            for tt, k in ((cc, n_same), (other, n_c - n_same)):
                pool = pools[(tt, cc)]
                if taken[(tt, cc)] + k > len(pool):
                    raise ConfigError(
                        f"rho={rho}: cell (prompt type {tt}, objective {cc}) has {len(pool)} rows "
                        f"outside the test pool but {taken[(tt, cc)] + k} are needed; lower "
                        f"n_train/n_validation (now {n_train}/{n_validation})"
                    )
                rows.append(pool[taken[(tt, cc)] : taken[(tt, cc)] + k])
                taken[(tt, cc)] += k
        out[name] = data.take(np.sort(draw_rng.permutation(np.concatenate(rows))))
    test_rows = data.take(np.sort(np.concatenate(test)))
    same = test_rows.column("prompt_type") == test_rows.column("context")
    out["consistent"], out["inconsistent"] = test_rows.filter(same), test_rows.filter(~same)
    return out


LENGTH_GROUP = "preferred_length"  # what length_selection adds: 'shorter' or 'longer'


def length_selection(
    data: PreferenceData,
    *,
    seed: int,
    share: float,
    n_train: int,
    n_validation: int,
    test_fraction: float,
    attribute: str = "length_words",
) -> dict[str, PreferenceData]:
    """Train / validation in which the preferred response is the shorter one (by `attribute`)
    in `share` of the pairs, and the seed's fixed test pool: `natural` as it is, `reversed` its
    pairs whose preferred response is the longer one.

    Pairs whose responses are equally long, or whose label is a tie, are left out everywhere.
    The pool is held out per seed before any share is drawn, so it is the same at every share;
    every split gets a column `preferred_length` ('shorter' / 'longer') for group methods.
    """
    if not 0.0 <= share <= 1.0:
        raise ConfigError(f"share={share}: expected the share of shorter-preferred pairs in [0, 1]")
    data, shorter = _length_direction(data, attribute)
    rng = np.random.default_rng(seed)
    test, pools = {}, {}
    for side, mask in (("shorter", shorter), ("longer", ~shorter)):
        idx = rng.permutation(np.flatnonzero(mask))
        n_test = int(round(test_fraction * len(idx)))
        test[side], pools[side] = idx[:n_test], idx[n_test:]
    wanted = {
        name: {"shorter": int(round(share * n)), "longer": n - int(round(share * n))}
        for name, n in (("train", n_train), ("validation", n_validation))
    }
    for side, pool in pools.items():
        needed = sum(w[side] for w in wanted.values())
        if needed > len(pool):
            raise ConfigError(
                f"length_selection share={share}: training and validation need {needed} pairs "
                f"whose preferred response is the {side} one (by {attribute}), but only "
                f"{len(pool)} are outside the test pool ({len(pool) + len(test[side])} such "
                f"pairs in the file); lower n_train/n_validation (now {n_train}/{n_validation}) "
                f"or test_fraction (now {test_fraction})"
            )
    out = {name: data.take(rows) for name, rows in _consecutive_draws(pools, wanted).items()}
    out["natural"] = data.take(np.sort(np.concatenate(list(test.values()))))
    out["reversed"] = data.take(np.sort(test["longer"]))
    return out


def _consecutive_draws(
    pools: dict[str, np.ndarray], wanted: dict[str, dict[str, int]]
) -> dict[str, np.ndarray]:
    """Row indices (sorted) of each named draw: `wanted[name][pool]` rows taken from each
    (shuffled) pool in turn, so that no row is drawn twice."""
    taken = {side: 0 for side in pools}
    out = {}
    for name, counts in wanted.items():
        rows = []
        for side, k in counts.items():
            rows.append(pools[side][taken[side] : taken[side] + k])
            taken[side] += k
        out[name] = np.sort(np.concatenate(rows))
    return out


def _length_direction(data: PreferenceData, attribute: str) -> tuple[PreferenceData, np.ndarray]:
    """The pairs with a decided label and unequal `attribute`, tagged with `LENGTH_GROUP`, and
    whether each one's preferred response is the shorter."""
    labels = data.labels
    signed = attribute_differences(data, attribute) * np.where(labels > 0.5, 1.0, -1.0)
    keep = (labels != 0.5) & (signed != 0) & np.isfinite(signed)
    shorter = signed[keep] < 0
    group = np.where(shorter, "shorter", "longer")
    return data.filter(keep).with_columns({LENGTH_GROUP: group}, validate=False), shorter


@dataclass(frozen=True)
class Resampler:
    """A way to redraw a file's splits per grid point and seed (`resample = { name = ... }`):
    the function, its shift split, the columns it needs and how to get them."""

    function: Callable[..., dict[str, PreferenceData]]
    shift_split: str
    columns: tuple[str, ...]
    hint: str

    def settings(self) -> dict[str, bool]:
        """Its setting names (knobs), each mapped to whether it must be given."""
        params = list(inspect.signature(self.function).parameters.values())[1:]
        return {p.name: p.default is p.empty for p in params if p.name != "seed"}


RESAMPLERS = {
    "objective_mix": Resampler(
        objective_mix,
        "inconsistent",
        ("context", "prompt_type"),
        "read the relabelled HH data with layout='relabeled_hh'",
    ),
    "length_selection": Resampler(
        length_selection,
        "reversed",
        (RESPONSE_A, RESPONSE_B),
        "it measures length on the response texts; read a file of text pairs (layout auto/hh)",
    ),
}
