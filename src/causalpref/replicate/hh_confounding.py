"""The founding paper's confounding case study on real data (section 4, Table 2).

Source: the relabelled HH-RLHF test split (every pair labelled under one labeller objective c,
with its prompt type t hidden from the models). Per seed, a stratified test pool is held out once;
from the rest, training and validation sets of fixed size are drawn at each rho = P(t = c),
balanced over c. So only the mix changes with rho, and every rho of a seed is scored on the same
test rows, split into consistent (t = c) and inconsistent (t != c) pairs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from causalpref.data import PreferenceData
from causalpref.errors import ConfigError
from causalpref.evaluate.runner import run_tasks
from causalpref.methods import make_method
from causalpref.replicate.paper_tables import accuracy_summary

OBJECTIVES = ("helpful", "harmless")
MODELS = ("base", "multihead", "adversarial")
TABLE = "hh_confounding"


@dataclass(frozen=True)
class HHConfig:
    """Sizes and settings; the defaults fit the 4,043-row test split of the relabelled data."""

    rhos: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    seeds: int = 5
    n_train: int = 1000
    n_validation: int = 200
    test_fraction: float = 0.4
    models: tuple[str, ...] = MODELS
    encoder: str = "minilm"
    hidden_dim: int = 256
    epochs: int = 20
    lr: float = 1e-3
    batch_size: int = 64

    def as_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def cells(data: PreferenceData) -> dict[tuple[str, str], np.ndarray]:
    """Row indices of each (prompt type, objective) cell."""
    t, c = data.column("prompt_type"), data.column("context")
    return {
        (tt, cc): np.flatnonzero((t == tt) & (c == cc)) for tt in OBJECTIVES for cc in OBJECTIVES
    }


def split_for(data: PreferenceData, rho: float, seed: int, config: HHConfig) -> dict:
    """Train / validation at P(t = c) = rho, and the seed's fixed consistent / inconsistent test."""
    rng = np.random.default_rng(seed)
    pools, test = {}, []
    for key, idx in cells(data).items():
        idx = rng.permutation(idx)
        n_test = int(round(config.test_fraction * len(idx)))
        test.append(idx[:n_test])
        pools[key] = idx[n_test:]
    draw_rng = np.random.default_rng([seed, int(round(rho * 1000))])
    parts = {"train": config.n_train, "validation": config.n_validation}
    taken = {key: 0 for key in pools}
    out = {}
    for name, n in parts.items():
        rows = []
        for c in OBJECTIVES:
            n_c = n // 2 if c == OBJECTIVES[0] else n - n // 2
            n_same = int(round(rho * n_c))
            for t, k in ((c, n_same), (_other(c), n_c - n_same)):
                pool = pools[(t, c)]
                if taken[(t, c)] + k > len(pool):
                    raise ConfigError(
                        f"rho={rho}: cell (prompt type {t}, objective {c}) has {len(pool)} rows "
                        f"outside the test pool but {taken[(t, c)] + k} are needed; lower "
                        f"n_train/n_validation (now {config.n_train}/{config.n_validation})"
                    )
                rows.append(pool[taken[(t, c)] : taken[(t, c)] + k])
                taken[(t, c)] += k
        out[name] = data.take(np.sort(draw_rng.permutation(np.concatenate(rows))))
    test_rows = data.take(np.sort(np.concatenate(test)))
    same = test_rows.column("prompt_type") == test_rows.column("context")
    out["consistent"], out["inconsistent"] = test_rows.filter(same), test_rows.filter(~same)
    return out


def _other(objective: str) -> str:
    return OBJECTIVES[1 - OBJECTIVES.index(objective)]


def run_seed_rho(task: tuple[float, int], data: PreferenceData, config: HHConfig) -> list[dict]:
    """Fit every model on one (rho, seed) training set and score both test splits."""
    rho, seed = task
    parts = split_for(data, rho, seed, config)
    rows = []
    for name in config.models:
        model = make_method(
            name,
            hidden_dim=config.hidden_dim,
            epochs=config.epochs,
            lr=config.lr,
            batch_size=config.batch_size,
            seed=seed,
        ).fit(parts["train"], validation=parts["validation"])
        rows.append(
            {
                "table": TABLE,
                "rho": rho,
                "model": name,
                "seed": seed,
                "features": config.encoder,
                "consistent_accuracy": model.score(parts["consistent"]),
                "inconsistent_accuracy": model.score(parts["inconsistent"]),
                "train_accuracy": model.score(parts["train"]),
                "n_train": len(parts["train"]),
                "n_consistent": len(parts["consistent"]),
                "n_inconsistent": len(parts["inconsistent"]),
                "best_epoch": model.best_epoch_,
            }
        )
    return rows


def run_hh_confounding(
    data: PreferenceData, config: HHConfig, progress: Callable[[str], None] | None = None
) -> list[dict]:
    """All (rho, seed) runs on embedded relabelled HH data (needs vector.a/.b, context,
    prompt_type); one result row per rho x seed x model."""
    missing = [c for c in ("vector.a", "vector.b", "context", "prompt_type") if not data.has(c)]
    if missing:
        raise ConfigError(
            f"hh-confounding needs columns {missing}: load the data with "
            "causalpref.data.loaders.load_relabeled_hh and encode it with encode_pairs"
        )
    tasks = [(rho, seed) for rho in config.rhos for seed in range(config.seeds)]
    return run_tasks(
        run_seed_rho,
        tasks,
        jobs=1,
        progress=progress,
        extra_args=(data, config),
        describe=lambda task, rows: f"rho={task[0]:.1f} seed {task[1]}: {accuracy_summary(rows)}",
    )
