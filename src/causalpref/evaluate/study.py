"""The one study engine: data (a scenario or a user's file) x methods x seeds x a knob grid.

`Study.run()` fits every method on every (grid point, seed) data set and returns a frozen
`StudyResult`: one row per method x point x seed, and a summary with the paired gain over the
baseline (paired on the seed: same data) and the share of the gap closed towards the oracle (the
true reward) and towards the clean-data ceiling (the same method fitted on the same amount of data
from the scenario with its problem switched off).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from causalpref.errors import ConfigError
from causalpref.evaluate.runner import run_tasks
from causalpref.evaluate.sources import FileSource, ScenarioSource, Splits
from causalpref.methods import make_method
from causalpref.metrics import mean_se

SHIFT = "shift_metric"
SETTING_PREFIX = "settings."


@dataclass(frozen=True)
class MethodSpec:
    """A method as a study runs it: `label` in tables, registered `method`, its `settings`."""

    label: str
    method: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    """What to run. `settings` are shared by every method (a method's own settings win, and
    `settings.<name>` grid keys win over both); `seed` is always the row's seed.
    `early_stopping` fits with the validation split; `clean_ceiling` also fits every method on
    the scenario's clean counterpart."""

    name: str
    source: ScenarioSource | FileSource
    methods: tuple[MethodSpec, ...]
    seeds: tuple[int, ...] = (0, 1, 2)
    grid: dict[str, tuple] = field(default_factory=dict)
    baseline: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    early_stopping: bool = True
    clean_ceiling: bool = False

    def points(self) -> list[dict[str, Any]]:
        """Every grid point (the first knob varies slowest)."""
        keys = list(self.grid)
        return [dict(zip(keys, v, strict=True)) for v in itertools.product(*self.grid.values())]

    def tasks(self) -> list[tuple[int, int]]:
        """(grid point index, seed) of every data set, point-major."""
        return [(p, seed) for p in range(len(self.points())) for seed in self.seeds]

    def run(self, *, jobs: int = 1, progress: Callable[[str], None] | None = None) -> StudyResult:
        """Fit and score every method on every data set (in `jobs` processes)."""
        return run_studies([self], jobs=jobs, progress=progress)[0]


@dataclass(frozen=True)
class StudyResult:
    """Per-seed rows of one study and their summary (see `summary`)."""

    study: str
    rows: tuple[dict, ...]
    baseline: str | None
    shift_split: str
    shift_name: str
    grid_keys: tuple[str, ...] = ()

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
            if key in (metric, "seconds") or key.endswith("_accuracy") or key.startswith("clean_"):
                cell[key] = mean_se(r[key] for r in mine if key in r)
        gain = mean_se(r[metric] - base[r["seed"]] for r in mine if r["seed"] in base)
        cell["gain"] = gain
        cell["oracle"] = oracle
        cell["gap_closed"] = _share(gain[0], oracle[0] - base_mean)
        if f"clean_{metric}" in cell:
            cell["clean"] = cell[f"clean_{metric}"]
            cell["clean_gap_closed"] = _share(gain[0], cell["clean"][0] - base_mean)
        cell["seeds"] = len(mine)
        cells.append(cell)
    return cells


def _share(gain: float, gap: float) -> float:
    return gain / gap if gap > 0 else math.nan


def run_studies(
    studies: Sequence[Study], *, jobs: int = 1, progress: Callable[[str], None] | None = None
) -> list[StudyResult]:
    """Run several studies as one pool of tasks (so `jobs` processes stay busy)."""
    for study in studies:
        study.source.prepare()
    tasks = [(i, p, seed) for i, study in enumerate(studies) for p, seed in study.tasks()]
    rows = run_tasks(
        run_task,
        tasks,
        jobs=jobs,
        progress=progress,
        extra_args=(tuple(studies),),
        describe=lambda task, rows: _describe(studies[task[0]], task, rows),
    )
    return [
        StudyResult(
            study=s.name,
            rows=tuple(r for r in rows if r["study"] == s.name),
            baseline=s.baseline,
            shift_split=s.source.shift(),
            shift_name=s.source.shift_name(),
            grid_keys=tuple(s.grid),
        )
        for s in studies
    ]


def run_task(task: tuple[int, int, int], studies: Sequence[Study]) -> list[dict]:
    """Draw one data set (and its clean counterpart when asked), fit every method on it."""
    study = studies[task[0]]
    point, seed = study.points()[task[1]], task[2]
    knobs, swept = split_point(point)
    splits = study.source.load(knobs, seed)
    clean = study.source.load_clean(knobs, seed) if study.clean_ceiling else None
    shift = study.source.shift()
    rows = []
    for spec in study.methods:
        row = {"study": study.name, "method": spec.label, **point, "seed": seed}
        model = _model(study, spec, seed, swept)
        reason = skip_reason(model, splits.train.columns)
        if reason:
            rows.append({**row, "skipped": reason})
            continue
        start = time.perf_counter()
        model.fit(splits.train, validation=splits.validation if study.early_stopping else None)
        seconds = time.perf_counter() - start
        row.update(score_row(model, splits, shift))
        if clean is not None:
            ceiling = _model(study, spec, seed, swept).fit(
                clean.train, validation=clean.validation if study.early_stopping else None
            )
            row[f"clean_{SHIFT}"] = ceiling.score(splits.tests[shift])
        row["best_epoch"] = getattr(model, "best_epoch_", None)
        row["seconds"] = seconds  # the fit alone
        rows.append(row)
    return rows


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
    """Why `model` cannot run on data with `columns`, or None when it can."""
    needed = model.required_columns() + model.training_columns()
    missing = [c for c in needed if c not in columns]
    return f"needs column(s) {missing}" if missing else None


def _describe(study: Study, task: tuple[int, int, int], rows: list[dict]) -> str:
    point = study.points()[task[1]]
    where = " ".join(f"{k}={v}" for k, v in point.items())
    done = [f"{r['method']} {r[SHIFT]:.3f}" for r in rows if SHIFT in r]
    return f"{study.name} {where} seed {task[2]}: ".replace("  ", " ") + ", ".join(done)
