"""The founding paper's Tables 1 and 2, reproduced in simulation (the `causalpref demo` job).

Table 1 (`latent_overlap`): a context-free Bradley-Terry model at rho_tr in {0, .3, .6, .9}; ID and
OOD accuracy beside the analytic informative mass. Table 2 (`user_confounding`): Base, Multihead
and Adversarial at rho in {.5, ..., 1}; consistent and inconsistent accuracy, in both feature
regimes (shared / type-specific).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from causalpref import simulate
from causalpref.evaluate.metrics import pairwise_accuracy
from causalpref.evaluate.runner import run_tasks
from causalpref.methods import make_method

TABLE1_RHOS = (0.0, 0.3, 0.6, 0.9)
TABLE2_RHOS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
TABLE2_MODELS = ("base", "multihead", "adversarial")
FEATURES = ("shared", "type_specific")


@dataclass(frozen=True)
class DemoConfig:
    """Sizes and settings of the demo; `quick()` is the two-minute version."""

    table1_seeds: int = 5
    table2_seeds: int = 10
    table1_n_train: int = 5000
    table1_n_validation: int = 1000
    table1_n_test: int = 5000
    table2_n_train: int = 4000
    table2_n_validation: int = 1000
    table2_n_test: int = 4000
    hidden_dim: int = 256
    epochs: int = 10
    lr: float = 1e-3
    batch_size: int = 256
    precision: str = "fp32"
    jobs: int = 2
    table1_rhos: tuple[float, ...] = TABLE1_RHOS
    table2_rhos: tuple[float, ...] = TABLE2_RHOS
    features: tuple[str, ...] = FEATURES

    @classmethod
    def quick(cls) -> DemoConfig:
        return cls(
            table1_seeds=3,
            table2_seeds=3,
            table1_n_train=3000,
            table1_n_test=3000,
            table2_n_train=2000,
            table2_n_validation=500,
            table2_n_test=2000,
            epochs=8,
        )

    def model_settings(self, seed: int) -> dict:
        return {
            "hidden_dim": self.hidden_dim,
            "epochs": self.epochs,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "precision": self.precision,
            "seed": seed,
        }


@dataclass(frozen=True)
class Task:
    """One simulated data set and the models fitted on it."""

    table: str
    rho: float
    seed: int
    features: str | None = None
    models: tuple[str, ...] = field(default_factory=tuple)


def plan(config: DemoConfig) -> list[Task]:
    """Every (table, rho, features, seed) data set of the demo."""
    tasks = [
        Task("table1", rho, seed, None, ("bt",))
        for rho in config.table1_rhos
        for seed in range(config.table1_seeds)
    ]
    tasks += [
        Task("table2", rho, seed, feat, TABLE2_MODELS)
        for feat in config.features
        for rho in config.table2_rhos
        for seed in range(config.table2_seeds)
    ]
    return tasks


def table2_data(config: DemoConfig, rho: float, features: str, seed: int):
    """The `user_confounding` data set of one Table 2 cell, at the demo's sizes."""
    return simulate.make(
        "user_confounding",
        seed=seed,
        rho=rho,
        features=features,
        n_train=config.table2_n_train,
        n_validation=config.table2_n_validation,
        n_test=config.table2_n_test,
    )


def run_task(task: Task, config: DemoConfig) -> list[dict]:
    """Simulate the task's data set, fit its models, and return one result row per model."""
    if task.table == "table1":
        data = simulate.make(
            "latent_overlap",
            seed=task.seed,
            rho=task.rho,
            n_train=config.table1_n_train,
            n_validation=config.table1_n_validation,
            n_test=config.table1_n_test,
            n_ood=config.table1_n_test,
        )
    else:
        data = table2_data(config, task.rho, task.features, task.seed)
    rows = []
    for name in task.models:
        start = time.perf_counter()
        model = make_method(name, **config.model_settings(task.seed)).fit(
            data.train, validation=data.validation
        )
        row = {"table": task.table, "rho": task.rho, "model": name, "seed": task.seed}
        if task.features is not None:
            row["features"] = task.features
        for split, part in data.test_splits.items():
            row[f"{split}_accuracy"] = model.score(part)
            row[f"oracle_{split}_accuracy"] = data.oracle_accuracy(split)
            if part.has("id_optimal_reward.a"):
                row[f"id_optimal_{split}_accuracy"] = pairwise_accuracy(
                    part.column("id_optimal_reward.a") - part.column("id_optimal_reward.b"),
                    part.labels,
                )
        row["train_accuracy"] = model.score(data.train)
        if task.table == "table1":
            row["informative_mass"] = data.truth["informative_mass"]
        row["best_epoch"] = model.best_epoch_
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
    return rows


def run_demo(config: DemoConfig, progress: Callable[[str], None] | None = None) -> list[dict]:
    """Run every task (in `config.jobs` processes) and return all result rows in plan order."""
    return run_tasks(
        run_task,
        plan(config),
        jobs=config.jobs,
        describe=_progress_line,
        progress=progress,
        extra_args=(config,),
    )


def _progress_line(task: Task, rows: list[dict]) -> str:
    what = f"{task.table} rho={task.rho:.1f}" + (f" {task.features}" if task.features else "")
    return f"{what} seed {task.seed}: {accuracy_summary(rows)}"


def accuracy_summary(rows: list[dict]) -> str:
    """'base 0.690/0.600, multihead ... (consistent/inconsistent)' for a progress line."""
    keys = [
        k
        for k in rows[0]
        if k.endswith("_accuracy") and k.count("_") == 1 and k != "train_accuracy"
    ]
    scores = ", ".join(f"{r['model']} " + "/".join(f"{r[k]:.3f}" for k in keys) for r in rows)
    return f"{scores} ({'/'.join(k.removesuffix('_accuracy') for k in keys)})"


def config_dict(config: DemoConfig) -> dict:
    """The configuration as plain JSON-ready values."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()}
