"""The one study engine: data (a scenario or a user's file) x methods x seeds x a knob grid.

`Study.run()` fits every method on every (grid point, seed) data set and returns a frozen
`StudyResult`: one row per method x point x seed, and a summary with the paired gain over the
baseline (paired on the seed: same data) and the share of the gap closed towards the oracle (the
true reward) and towards the clean-data ceiling (the same method fitted on the same amount of data
from the scenario with its problem switched off). With `select`, each method's candidate settings
are fitted and the one best on validation data is kept (evaluate/selection.py); with
`padding_probe`, each fit is also scored by how often padding raises its reward
(evaluate/padding_probe.py).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from causalpref.errors import ConfigError
from causalpref.evaluate.padding_probe import PADDING_RISE, PaddingProbe, build_probe, padding_rise
from causalpref.evaluate.runner import run_tasks
from causalpref.evaluate.selection import (
    CHOSEN,
    SETTING_PREFIX,
    VALIDATION_SCORE,
    chosen_summary,
    describe_settings,
    own_validation_score,
    select_rows,
    settings_of,
)
from causalpref.evaluate.sources import FileSource, ScenarioSource, Splits
from causalpref.methods import make_method
from causalpref.metrics import mean_se

SHIFT = "shift_metric"
WARNINGS = "warnings"  # what a fit warned about (did not train, ...), kept in its row
SUMMARISED = (SHIFT, "seconds", PADDING_RISE, VALIDATION_SCORE)  # beside every *_accuracy
# *_accuracy keys that are not a test split's
NOT_SPLITS = ("oracle_", "id_optimal_", "clean_", "train_", "validation_")


@dataclass(frozen=True)
class MethodSpec:
    """A method as a study runs it: `label` in tables, registered `method`, its `settings`, and
    its own `grid` of candidate settings (`{name: values}`, chosen among by a study's `select`)."""

    label: str
    method: str
    settings: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, tuple] = field(default_factory=dict)

    def candidates(self) -> list[dict[str, Any]]:
        """Every combination of the method's own grid (one empty one without a grid)."""
        keys = list(self.grid)
        return [dict(zip(keys, v, strict=True)) for v in itertools.product(*self.grid.values())]


@dataclass(frozen=True)
class Study:
    """What to run. `settings` are shared by every method (a method's own settings win, and
    `settings.<name>` grid keys win over both); `seed` is always the row's seed.
    `early_stopping` fits with the validation split; `clean_ceiling` also fits every method on
    the scenario's clean counterpart; `padding_probe` scores every fit's padding sensitivity;
    `select` (a rule of SELECT_RULES) keeps, per method, seed and data point, the candidate
    settings (`settings.` grid keys and the method's own grid) best on validation data."""

    name: str
    source: ScenarioSource | FileSource
    methods: tuple[MethodSpec, ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    grid: dict[str, tuple] = field(default_factory=dict)
    baseline: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    early_stopping: bool = True
    clean_ceiling: bool = False
    padding_probe: bool = False
    select: str | None = None

    def points(self) -> list[dict[str, Any]]:
        """Every grid point (the first knob varies slowest)."""
        keys = list(self.grid)
        return [dict(zip(keys, v, strict=True)) for v in itertools.product(*self.grid.values())]

    def tasks(self) -> list[tuple[int, int]]:
        """(grid point index, seed) of every data set, point-major."""
        return [(p, seed) for p in range(len(self.points())) for seed in self.seeds]

    def data_keys(self) -> tuple[str, ...]:
        """The grid keys that change the data (not the `settings.` ones)."""
        return tuple(k for k in self.grid if not k.startswith(SETTING_PREFIX))

    def run(self, *, jobs: int = 1, progress: Callable[[str], None] | None = None) -> StudyResult:
        """Fit and score every method on every data set (in `jobs` processes)."""
        return run_studies([self], jobs=jobs, progress=progress)[0]


@dataclass(frozen=True)
class StudyResult:
    """Per-seed rows of one study and their summary (see `summary`). Under `select`, `rows` are
    the selected ones (their settings named in `chosen`), `grid_keys` the data keys only, and
    `candidates` every fitted row, marked `selected`."""

    study: str
    rows: tuple[dict, ...]
    baseline: str | None
    shift_split: str
    shift_name: str
    grid_keys: tuple[str, ...] = ()
    candidates: tuple[dict, ...] = ()
    select: str | None = None

    def all_rows(self) -> tuple[dict, ...]:
        """Every fitted row: the candidates under `select`, else the rows."""
        return self.candidates or self.rows

    def paired_gains(self, method: str, metric: str = SHIFT, **point: Any) -> list[float]:
        """Per seed (in seed order): `metric` of `method` minus the baseline's on the same data,
        at the grid point given by `point` (one value per grid knob)."""
        if set(point) != set(self.grid_keys):
            raise ConfigError(
                f"paired_gains of study '{self.study}': give the grid point as keywords "
                f"{list(self.grid_keys)}, got {sorted(point)}"
            )
        here = [r for r in self.rows if all(r.get(k) == v for k, v in point.items())]
        base = {r["seed"]: r[metric] for r in here if r["method"] == self.baseline and metric in r}
        return [
            r[metric] - base[r["seed"]]
            for r in here
            if r["method"] == method and metric in r and r["seed"] in base
        ]

    def summary(self, metric: str = SHIFT) -> list[dict]:
        """Per method and grid point: every metric as mean +- s.e. over seeds, `gain` over the
        baseline (paired by seed), `oracle` and `gap_closed` (gain / (oracle - baseline)), and,
        where fitted, `clean` and `clean_gap_closed` (gain / (clean - baseline))."""
        out = []
        for point in dict.fromkeys(tuple(r.get(k) for k in self.grid_keys) for r in self.rows):
            here = [r for r in self.rows if tuple(r.get(k) for k in self.grid_keys) == point]
            out += _point_summary(here, dict(zip(self.grid_keys, point, strict=True)), self, metric)
        return out


def _point_summary(rows: list[dict], point: dict, result: StudyResult, metric: str) -> list[dict]:
    base = {r["seed"]: r[metric] for r in rows if r["method"] == result.baseline and metric in r}
    base_mean = mean_se(base.values())[0] if base else math.nan
    oracle_rows = [r for r in rows if r["method"] == result.baseline] or rows
    oracle = mean_se(r[f"oracle_{metric}"] for r in oracle_rows if f"oracle_{metric}" in r)
    cells = []
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        cell = {"study": result.study, "method": method, **point}
        if "skipped" in mine[0]:
            cells.append({**cell, "skipped": mine[0]["skipped"]})
            continue
        for key in dict.fromkeys(k for r in mine for k in r):
            if (
                key in (metric, *SUMMARISED)
                or key.endswith("_accuracy")
                or key.startswith("clean_")
            ):
                cell[key] = mean_se(r[key] for r in mine if _is_number(r.get(key)))
        if any(CHOSEN in r for r in mine):
            cell[CHOSEN] = chosen_summary(mine)
        gain = mean_se(r[metric] - base[r["seed"]] for r in mine if r["seed"] in base)
        cell["gain"] = gain
        cell.update(_split_gains(mine, rows, result.baseline))
        cell["oracle"] = oracle
        cell["gap_closed"] = _share(gain[0], oracle[0] - base_mean)
        if f"clean_{metric}" in cell:
            cell["clean"] = cell[f"clean_{metric}"]
            cell["clean_gap_closed"] = _share(gain[0], cell["clean"][0] - base_mean)
        cell["seeds"] = len(mine)
        cells.append(cell)
    return cells


def _split_gains(mine: list[dict], rows: list[dict], baseline: str | None) -> dict[str, tuple]:
    """`gain_<split>_accuracy`: accuracy on each test split minus the baseline's on the same
    seed (mean +- s.e.), so that a shift gain is read beside what it costs elsewhere."""
    base = {r["seed"]: r for r in rows if r["method"] == baseline and "skipped" not in r}
    keys = [k for k in mine[0] if k.endswith("_accuracy") and not k.startswith(NOT_SPLITS)]
    return {
        f"gain_{key}": mean_se(
            r[key] - base[r["seed"]][key]
            for r in mine
            if r["seed"] in base and _is_number(r.get(key)) and _is_number(base[r["seed"]].get(key))
        )
        for key in keys
    }


def _share(gain: float, gap: float) -> float:
    return gain / gap if gap > 0 else math.nan


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def run_studies(
    studies: Sequence[Study], *, jobs: int = 1, progress: Callable[[str], None] | None = None
) -> list[StudyResult]:
    """Run several studies as one pool of tasks (so `jobs` processes stay busy)."""
    for study in studies:
        knob_points = [split_point(p)[0] for p in study.points()]
        study.source.prepare(
            [dict(t) for t in dict.fromkeys(tuple(p.items()) for p in knob_points)]
        )
    tasks = [(i, p, seed) for i, study in enumerate(studies) for p, seed in study.tasks()]
    rows = run_tasks(
        run_task,
        tasks,
        jobs=jobs,
        progress=progress,
        extra_args=(tuple(studies),),
        describe=lambda task, rows: _describe(studies[task[0]], task, rows),
    )
    return [_result(s, [r for r in rows if r["study"] == s.name]) for s in studies]


def _result(study: Study, rows: list[dict]) -> StudyResult:
    """The study's rows, reduced to the selected candidates under `select`."""
    common = {
        "study": study.name,
        "baseline": study.baseline,
        "shift_split": study.source.shift(),
        "shift_name": study.source.shift_name(),
    }
    if not study.select:
        return StudyResult(rows=tuple(rows), grid_keys=tuple(study.grid), **common)
    chosen, marked = select_rows(rows, study.select, study.data_keys())
    return StudyResult(
        rows=tuple(chosen),
        grid_keys=study.data_keys(),
        candidates=tuple(marked),
        select=study.select,
        **common,
    )


def run_task(task: tuple[int, int, int], studies: Sequence[Study]) -> list[dict]:
    """Draw one data set (and its clean counterpart when asked), fit every method (every
    candidate of its own grid) on it."""
    study = studies[task[0]]
    point, seed = study.points()[task[1]], task[2]
    knobs, swept = split_point(point)
    splits = study.source.load(knobs, seed)
    clean = study.source.load_clean(knobs, seed) if study.clean_ceiling else None
    probe = _probe(study, splits, seed) if study.padding_probe else None
    rows = []
    for spec in study.methods:
        for candidate in spec.candidates():
            own = {SETTING_PREFIX + k: v for k, v in candidate.items()}
            row = {"study": study.name, "method": spec.label, **point, **own, "seed": seed}
            settings = {**swept, **candidate}
            rows.append(_fit_row(study, spec, settings, (splits, clean, probe), row))
    return rows


def _fit_row(
    study: Study,
    spec: MethodSpec,
    settings: dict[str, Any],
    data: tuple[Splits, Splits | None, PaddingProbe | None],
    row: dict[str, Any],
) -> dict[str, Any]:
    """`row` with the scores of `spec` fitted with `settings` on the task's data (splits,
    clean counterpart, padding probe), or the reason it was skipped."""
    splits, clean, probe = data
    seed, shift = row["seed"], study.source.shift()
    model = _model(study, spec, seed, settings)
    reason = skip_reason(model, splits.train.columns)
    if reason:
        return {**row, "skipped": reason}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(splits.train, validation=splits.validation if study.early_stopping else None)
    seconds = time.perf_counter() - start
    if caught:
        row[WARNINGS] = [str(w.message) for w in caught]
    row.update(score_row(model, splits, shift))
    row[VALIDATION_SCORE] = own_validation_score(model, row.get("validation_accuracy"))
    if clean is not None:
        ceiling = _model(study, spec, seed, settings).fit(
            clean.train, validation=clean.validation if study.early_stopping else None
        )
        row[f"clean_{SHIFT}"] = ceiling.score(splits.tests[shift])
    if probe is not None:
        row[PADDING_RISE] = padding_rise(model, probe)
    row["best_epoch"] = getattr(model, "best_epoch_", None)
    row["seconds"] = seconds  # the fit alone
    return row


def _probe(study: Study, splits: Splits, seed: int) -> PaddingProbe:
    """The task's padding probe: its test responses padded with the task's seed, encoded by the
    source's featuriser when it has one (quietly: the texts are few)."""
    featurizer = study.source.featurizer()
    if featurizer is not None:
        featurizer = dataclasses.replace(featurizer, progress=False)
    return build_probe(splits.tests, seed, featurizer)


def score_row(model, splits: Splits, shift: str) -> dict[str, Any]:
    """Accuracy on every test split, the shift metric, and the references beside them."""
    if shift not in splits.tests:
        raise ConfigError(
            f"shift split '{shift}' is not among the test splits {sorted(splits.tests)}; set "
            "shift_split to one of them"
        )
    row: dict[str, Any] = {}
    for split, part in splits.tests.items():
        row[f"{split}_accuracy"] = model.score(part)
        for ref in ("oracle", "id_optimal"):
            if f"{ref}_{split}" in splits.references:
                row[f"{ref}_{split}_accuracy"] = splits.references[f"{ref}_{split}"]
    row[SHIFT] = row[f"{shift}_accuracy"]
    if f"oracle_{shift}" in splits.references:
        row[f"oracle_{SHIFT}"] = splits.references[f"oracle_{shift}"]
    if splits.validation is not None:
        row["validation_accuracy"] = model.score(splits.validation)
    row["train_accuracy"] = model.score(splits.train)
    row.update(splits.extras)
    return row


def split_point(point: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data knobs, method settings) of a grid point; settings are written `settings.<name>`."""
    knobs = {k: v for k, v in point.items() if not k.startswith(SETTING_PREFIX)}
    swept = {k.removeprefix(SETTING_PREFIX): v for k, v in point.items() if k not in knobs}
    return knobs, swept


def _model(study: Study, spec: MethodSpec, seed: int, swept: dict[str, Any]):
    settings = {**study.settings, **spec.settings, **swept, "seed": seed}
    return make_method(spec.method, **settings)


def skip_reason(model, columns: Sequence[str]) -> str | None:
    """Why `model` cannot run on data with `columns`, or None when it can (columns the model
    computes itself, such as a registered attribute from the texts, are not missing)."""
    needed = model.required_columns() + model.training_columns()
    derivable = getattr(model, "derivable_columns", lambda _: [])(columns)
    missing = [c for c in needed if c not in columns and c not in derivable]
    return f"needs column(s) {missing}" if missing else None


def _describe(study: Study, task: tuple[int, int, int], rows: list[dict]) -> str:
    point = study.points()[task[1]]
    where = " ".join(f"{k}={v}" for k, v in point.items())
    done = [f"{_candidate_label(r, point)} {r[SHIFT]:.3f}" for r in rows if SHIFT in r]
    return f"{study.name} {where} seed {task[2]}: ".replace("  ", " ") + ", ".join(done)


def _candidate_label(row: dict, point: dict) -> str:
    """The row's method, with its own candidate settings (those not in the grid point)."""
    own = {k: v for k, v in settings_of(row).items() if SETTING_PREFIX + k not in point}
    return f"{row['method']} ({describe_settings(own)})" if own else row["method"]
