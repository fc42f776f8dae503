"""Fit time of every registered method in fp32 and with `precision="bf16"`, on the same data.

Data: `spurious_text` (templated text, hashing vectors) with a two-valued context column added
so that context-aware methods run too. Each method is fitted with the same settings in both
precisions, interleaved, and the script prints the median fit time, the speed-up, the final
training loss of each and the accuracy on the reversed split. The alternative is the same
method in fp32.

Run: OMP_NUM_THREADS=2 .venv/bin/python benchmarks/precision_fit_times.py
     [--pairs 3000] [--epochs 5] [--hidden-dim 512] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from causalpref import simulate
from causalpref.methods import available_methods, make_method
from causalpref.models.precision import native_bf16

PRECISIONS = ("fp32", "bf16")


def with_context(part):
    """A two-valued context column, so that context-aware methods have one to use."""
    context = np.resize(np.array(["x", "y"], dtype=object), len(part))
    return part.with_columns({"context": context})


def fit_once(name, data, precision, args):
    model = make_method(
        name,
        hidden_dim=args.hidden_dim,
        epochs=args.epochs,
        lr=1e-3,
        precision=precision,
        seed=0,
    )
    start = time.perf_counter()
    model.fit(data["train"], validation=data["validation"])
    seconds = time.perf_counter() - start
    return seconds, model.history_[-1]["train_loss"], model.score(data["reversed"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--hidden-dim", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    scenario = simulate.make(
        "spurious_text", seed=0, n_train=args.pairs, n_validation=500, n_test=1000
    )
    data = {
        "train": with_context(scenario.train),
        "validation": with_context(scenario.validation),
        "reversed": with_context(scenario.test_splits["reversed"]),
    }
    print(
        f"spurious_text, {args.pairs} training pairs, hidden {args.hidden_dim}, {args.epochs} "
        f"epochs, vectors of dimension {scenario.train.vector_dim}; median of {args.repeats} "
        f"fits; CPU has bf16 instructions: {native_bf16()}\n"
    )
    print(
        f"{'method':24s} {'fp32 s':>7s} {'bf16 s':>7s} {'speed-up':>9s} {'fp32 loss':>10s} "
        f"{'bf16 loss':>10s} {'fp32 acc':>9s} {'bf16 acc':>9s}"
    )
    for name in available_methods():
        runs = {p: [] for p in PRECISIONS}
        for _ in range(args.repeats):
            for precision in PRECISIONS:
                runs[precision].append(fit_once(name, data, precision, args))
        seconds = {p: statistics.median(r[0] for r in runs[p]) for p in PRECISIONS}
        (_, loss32, acc32), (_, loss16, acc16) = runs["fp32"][0], runs["bf16"][0]
        print(
            f"{name:24s} {seconds['fp32']:7.2f} {seconds['bf16']:7.2f} "
            f"{seconds['fp32'] / seconds['bf16']:8.2f}x {loss32:10.4f} {loss16:10.4f} "
            f"{100 * acc32:8.1f}% {100 * acc16:8.1f}%"
        )


if __name__ == "__main__":
    main()
