"""The shared benchmark: every applicable method on every scenario, scored by its shift metric.

A scenario joins by one `BenchScenario` entry (which test split measures robustness, and its
knobs); a method joins by being registered. Each (scenario, seed) data set is simulated once and
every method is fitted on it, so differences between methods are paired on the seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from causalpref import simulate
from causalpref.evaluate.metrics import mean_se
from causalpref.evaluate.runner import run_tasks
from causalpref.methods import available_methods, get_method

BASELINE = "bt"


@dataclass(frozen=True)
class BenchScenario:
    """How one scenario enters the benchmark."""

    shift_split: str
    shift_name: str
    knobs: dict = field(default_factory=dict)
    quick_knobs: dict = field(default_factory=dict)


BENCH_SCENARIOS: dict[str, BenchScenario] = {
    "latent_overlap": BenchScenario(
        "ood",
        "OOD accuracy (quadrants 2 and 4)",
        {"rho": 0.9, "n_train": 5000, "n_test": 4000, "n_ood": 4000},
        {"rho": 0.9, "n_train": 2000, "n_validation": 500, "n_test": 2000, "n_ood": 2000},
    ),
    "user_confounding": BenchScenario(
        "inconsistent",
        "inconsistent-row accuracy (prompt type != objective)",
        {"rho": 0.9, "n_train": 4000, "n_validation": 1000, "n_test": 4000},
        {"rho": 0.9, "n_train": 2000, "n_validation": 500, "n_test": 2000},
    ),
    "spurious_attribute": BenchScenario(
        "reversed",
        "accuracy where the attribute-quality link is reversed",
        {"n_train": 4000, "n_validation": 1000, "n_test": 4000},
        {"n_train": 2000, "n_validation": 500, "n_test": 2000},
    ),
    "spurious_text": BenchScenario(
        "reversed",
        "accuracy where the padding-quality link is reversed (text, hashing encoder)",
        {"n_train": 4000, "n_validation": 1000, "n_test": 4000},
        {"n_train": 2000, "n_validation": 500, "n_test": 2000},
    ),
}


@dataclass(frozen=True)
class BenchConfig:
    """What to run: scenarios x methods x seeds, with shared model settings."""

    scenarios: tuple[str, ...] = tuple(BENCH_SCENARIOS)
    methods: tuple[str, ...] = ()
    seeds: int = 5
    quick: bool = False
    hidden_dim: int = 128
    epochs: int = 10
    lr: float = 1e-3
    precision: str = "fp32"
    jobs: int = 2

    def method_names(self) -> list[str]:
        names = list(self.methods) or available_methods()
        return [BASELINE, *[m for m in names if m != BASELINE]]


def skip_reason(method: str, columns: Sequence[str]) -> str | None:
    """Why `method` cannot run on data with `columns`, or None when it can."""
    model = get_method(method)()
    needed = model.required_columns() + model.training_columns()
    missing = [c for c in needed if c not in columns]
    return f"needs column(s) {missing}" if missing else None


def run_scenario_seed(task: tuple[str, int], config: BenchConfig) -> list[dict]:
    """Simulate one (scenario, seed) and fit every applicable method on it."""
    name, seed = task
    spec = BENCH_SCENARIOS[name]
    data = simulate.make(name, seed=seed, **(spec.quick_knobs if config.quick else spec.knobs))
    columns = data.train.columns
    oracle = data.oracle_accuracy(spec.shift_split)
    rows = []
    for method in config.method_names():
        reason = skip_reason(method, columns)
        row = {"scenario": name, "method": method, "seed": seed, "oracle_shift_metric": oracle}
        if reason:
            rows.append({**row, "skipped": reason})
            continue
        # A fixed budget for every method: early stopping on in-distribution validation accuracy
        # rewards the very shortcut robust methods remove (see docs/benchmarks.md).
        model = get_method(method)(
            hidden_dim=config.hidden_dim,
            epochs=config.epochs,
            lr=config.lr,
            precision=config.precision,
            seed=seed,
            validation_fraction=0.0,
        )
        model.fit(data.train)
        row["shift_metric"] = model.score(data.test_splits[spec.shift_split])
        row["id_accuracy"] = model.score(data.validation)
        for split, part in data.test_splits.items():
            row[f"{split}_accuracy"] = model.score(part)
        rows.append(row)
    return rows


def run_bench(config: BenchConfig, progress: Callable[[str], None] | None = None) -> list[dict]:
    """All (scenario, seed) tasks; one row per scenario x method x seed (skipped ones marked)."""
    tasks = [(s, seed) for s in config.scenarios for seed in range(config.seeds)]
    return run_tasks(
        run_scenario_seed,
        tasks,
        jobs=config.jobs,
        progress=progress,
        extra_args=(config,),
        describe=_describe,
    )


def _describe(task: tuple[str, int], rows: list[dict]) -> str:
    done = [f"{r['method']} {r['shift_metric']:.3f}" for r in rows if "shift_metric" in r]
    return f"{task[0]} seed {task[1]}: " + ", ".join(done)


def summarize_bench(rows: Sequence[dict]) -> list[dict]:
    """Per scenario and method: shift metric mean +- s.e., paired gain over bt, gap closed."""
    out = []
    for scenario in dict.fromkeys(r["scenario"] for r in rows):
        sel = [r for r in rows if r["scenario"] == scenario]
        base = {
            r["seed"]: r["shift_metric"]
            for r in sel
            if r["method"] == BASELINE and "shift_metric" in r
        }
        oracle = mean_se(r["oracle_shift_metric"] for r in sel if r["method"] == BASELINE)
        for method in dict.fromkeys(r["method"] for r in sel):
            mine = [r for r in sel if r["method"] == method]
            if "skipped" in mine[0]:
                out.append({"scenario": scenario, "method": method, "skipped": mine[0]["skipped"]})
                continue
            metric = mean_se(r["shift_metric"] for r in mine)
            gain = mean_se(r["shift_metric"] - base[r["seed"]] for r in mine if r["seed"] in base)
            gap = oracle[0] - mean_se(base.values())[0]
            out.append(
                {
                    "scenario": scenario,
                    "method": method,
                    "shift_metric": metric,
                    "gain": gain,
                    "gap_closed": gain[0] / gap if gap > 0 else float("nan"),
                    "oracle": oracle,
                    "id_accuracy": mean_se(r["id_accuracy"] for r in mine),
                    "seeds": len(mine),
                }
            )
    return out
