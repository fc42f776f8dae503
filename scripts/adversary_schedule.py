"""Does a stronger adversary schedule make Adversarial beat Base? Select on validation, then test.

Two stages on `user_confounding` (rho 0.8 and 0.9, shared and type-specific features), with the
demo's Table 2 sizes and model settings (hidden 256, lr 1e-3, 10 epochs, batch 256):

* `select` (seeds 100-104, disjoint from the demo's 0-9) fits Adversarial with every setting of
  the grid and scores only training and validation data: validation accuracy, and how well a
  fresh linear probe, trained on the training pairs' trunk representations, decodes the context
  c from the validation pairs' representations. Rule, fixed before the grid was run: among the
  settings whose mean validation accuracy is within 1 s.e. of the best setting's, take the one
  with the lowest mean c-probe accuracy (the adversary's own purpose: no c in z).
* `evaluate` (the demo's seeds 0-9) fits Base, Multihead, Adversarial with the paper's schedule
  and Adversarial with the chosen schedule on the same data, and reports inconsistent-row
  accuracy, each model's gain over Base paired per seed, and the probes (c on validation; the
  hidden prompt type on the inconsistent test rows, a diagnostic only).

    OMP_NUM_THREADS=1 python scripts/adversary_schedule.py select [--jobs 2]
    OMP_NUM_THREADS=1 python scripts/adversary_schedule.py evaluate [--steps 10] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

import numpy as np

from causalpref.evaluate import mean_se
from causalpref.evaluate.probes import context_probe
from causalpref.evaluate.runner import run_tasks
from causalpref.methods import make_method
from causalpref.replicate.paper_tables import DemoConfig, table2_data

RHOS = (0.8, 0.9)
FEATURES = ("shared", "type_specific")
SELECT_SEEDS = tuple(range(100, 105))
DEMO = DemoConfig()
# (adversary_steps, adversary_lr); None = the model's lr (1e-3). (0, None) is the paper's schedule.
GRID = ((0, None), (1, None), (3, None), (10, None), (3, 3e-3))


@dataclass(frozen=True)
class Task:
    stage: str
    features: str
    rho: float
    seed: int
    chosen: tuple[int, float | None] = (0, None)


def probes(model, data) -> dict:
    """c probe (train -> validation) and prompt-type probe (train -> inconsistent test)."""
    test = data.test_splits["inconsistent"]
    return {
        "c_probe": context_probe(model, data.train, data.validation, "context", "harmless"),
        "type_probe": context_probe(model, data.train, test, "prompt_type", "harmless"),
    }


def adversary_settings(steps: int, lr: float | None) -> dict:
    return {"adversary_steps": steps, "adversary_lr": lr}


def label(steps: int, lr: float | None) -> str:
    return f"adversarial k={steps}" + ("" if lr is None else f" lr={lr:g}")


def run_task(task: Task) -> list[dict]:
    """Fit the stage's models on one data set; selection rows carry no test-split number."""
    data = table2_data(DEMO, task.rho, task.features, task.seed)
    if task.stage == "select":
        fits = [("adversarial", adversary_settings(*s), label(*s)) for s in GRID]
    else:
        fits = [
            ("base", {}, "base"),
            ("multihead", {}, "multihead"),
            ("adversarial", adversary_settings(0, None), label(0, None)),
            ("adversarial", adversary_settings(*task.chosen), label(*task.chosen)),
        ]
    rows = []
    for name, settings, what in fits:
        model = make_method(name, **DEMO.model_settings(task.seed), **settings)
        model.fit(data.train, validation=data.validation)
        row = {
            "features": task.features,
            "rho": task.rho,
            "seed": task.seed,
            "model": what,
            "validation_accuracy": model.score(data.validation),
        }
        if name != "base":
            found = probes(model, data)
            row["c_probe"] = found["c_probe"]
            if task.stage == "evaluate":
                row["type_probe"] = found["type_probe"]
        if task.stage == "evaluate":
            row["inconsistent_accuracy"] = model.score(data.test_splits["inconsistent"])
        rows.append(row)
    return rows


def select(rows: list[dict]) -> tuple[str, list[str]]:
    """The grid's table and the setting the selection rule picks (see the module docstring)."""
    names = list(dict.fromkeys(r["model"] for r in rows))
    seeds = sorted({r["seed"] for r in rows})

    def per_seed(model: str, key: str) -> list[float]:
        # average over the (features, rho) cells of a seed, so the s.e. is over seeds
        return [
            float(np.mean([r[key] for r in rows if r["model"] == model and r["seed"] == s]))
            for s in seeds
        ]

    val = {m: mean_se(per_seed(m, "validation_accuracy")) for m in names}
    probe = {m: mean_se(per_seed(m, "c_probe")) for m in names}
    best = max(names, key=lambda m: val[m][0])
    admissible = [m for m in names if val[m][0] >= val[best][0] - val[best][1]]
    chosen = min(admissible, key=lambda m: probe[m][0])
    lines = [
        "| setting | validation acc % | c-probe acc % (validation) | admissible |",
        "|---|---|---|---|",
    ]
    for m in names:
        lines.append(
            f"| {m}{' (chosen)' if m == chosen else ''} | {_pct(val[m])} | {_pct(probe[m])} | "
            f"{'yes' if m in admissible else 'no'} |"
        )
    return chosen, lines


def evaluation_table(rows: list[dict]) -> list[str]:
    """Inconsistent accuracy, paired gain over Base, and probes per (features, rho)."""
    names = list(dict.fromkeys(r["model"] for r in rows))
    lines = [
        "| features | rho | model | incons. acc % | gain vs base (paired) | "
        "c-probe % (val) | type-probe % (test) |",
        "|---|---|---|---|---|---|---|",
    ]
    for feat in FEATURES:
        for rho in RHOS:
            cell = [r for r in rows if r["features"] == feat and r["rho"] == rho]
            base = {r["seed"]: r["inconsistent_accuracy"] for r in cell if r["model"] == "base"}
            for m in names:
                mine = [r for r in cell if r["model"] == m]
                acc = mean_se([r["inconsistent_accuracy"] for r in mine])
                gain = mean_se([r["inconsistent_accuracy"] - base[r["seed"]] for r in mine])
                verdict = "" if m == "base" else (" **> 2 s.e.**" if gain[0] > 2 * gain[1] else "")
                c_probe, t_probe = (_mean_pct(mine, k) for k in ("c_probe", "type_probe"))
                gain_text = "" if m == "base" else f"{gain[0] * 100:+.1f} +- {gain[1] * 100:.1f}"
                lines.append(
                    f"| {feat} | {rho} | {m} | {_pct(acc)} | {gain_text}{verdict} | "
                    f"{c_probe} | {t_probe} |"
                )
    return lines


def _mean_pct(rows: list[dict], key: str) -> str:
    return _pct(mean_se([r[key] for r in rows])) if key in rows[0] else ""


def _pct(mse: tuple[float, float]) -> str:
    return f"{mse[0] * 100:.1f} +- {mse[1] * 100:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("stage", choices=("select", "evaluate"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=DEMO.table2_seeds, help="evaluate: 0..n-1")
    parser.add_argument("--steps", type=int, default=10, help="evaluate: adversary_steps")
    parser.add_argument("--adversary-lr", type=float, default=None, help="evaluate: adversary_lr")
    parser.add_argument("--out", help="also write the result rows to this JSON file")
    args = parser.parse_args()
    seeds = SELECT_SEEDS if args.stage == "select" else range(args.seeds)
    chosen = (args.steps, args.adversary_lr)
    tasks = [
        Task(args.stage, feat, rho, seed, chosen)
        for feat in FEATURES
        for rho in RHOS
        for seed in seeds
    ]
    rows = run_tasks(
        run_task,
        tasks,
        jobs=args.jobs,
        describe=lambda t, r: f"{t.stage} {t.features} rho={t.rho} seed {t.seed}",
    )
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    if args.stage == "select":
        chosen_name, lines = select(rows)
        print("\n".join(lines))
        print(f"\nchosen: {chosen_name}")
    else:
        print("\n".join(evaluation_table(rows)))


if __name__ == "__main__":
    main()
