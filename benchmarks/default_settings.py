"""Do the default training settings train on real data? bt with the defaults against the linear
probe, the old defaults and the trial's hand-tuned settings, on HH-RLHF harmless pairs.

Each seed puts a random half of the 2,312 pairs the other way round and draws a 1,409 / 328 / 575
train / validation / test split; the table gives test accuracy as mean +- s.e. over the seeds and
the seconds of one fit. `--set KEY=VALUE` adds a row of bt with those settings over the defaults.
Needs ../shared/data beside the repository.

    python benchmarks/default_settings.py [--encoder minilm] [--seeds 5] [--set lr=3e-4 ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from causalpref.data import PreferenceData, read_preferences
from causalpref.features.featurizer import Featurizer
from causalpref.methods import make_method
from causalpref.methods.inputs import as_vectors
from causalpref.methods.probe import fit_linear_probe
from causalpref.metrics import pairwise_accuracy

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "hh_rlhf"
HH_HARMLESS = DATA / "harmless_base_test.jsonl.gz"
SIZES = (1409, 328)  # train, validation; the rest (575) is test
ROWS = {
    "old defaults (hidden 512, lr 1e-4, 10 epochs, batch 256)": dict(
        hidden_dim=512, lr=1e-4, epochs=10, batch_size=256
    ),
    "the trial's (hidden 256, lr 1e-3, 30 epochs, batch 64)": dict(
        hidden_dim=256, lr=1e-3, epochs=30, batch_size=64
    ),
    "defaults": {},
}


def splits(xa: np.ndarray, xb: np.ndarray, seed: int) -> list[PreferenceData]:
    """Train, validation and test pairs of one seed, half of them swapped."""
    rng = np.random.default_rng(seed)
    flip = rng.random(len(xa)) < 0.5
    a, b = np.where(flip[:, None], xb, xa), np.where(flip[:, None], xa, xb)
    labels = (~flip).astype(float)
    order = rng.permutation(len(xa))
    cuts = np.split(order, np.cumsum(SIZES))
    return [
        PreferenceData.from_columns({"vector.a": a[p], "vector.b": b[p], "label": labels[p]})
        for p in cuts
    ]


def probe_accuracy(train, validation, test) -> float:
    """The linear probe's test accuracy (its L2 chosen on the validation pairs)."""

    def diff(part):
        return np.asarray(part.vectors("a")) - np.asarray(part.vectors("b"))

    probe = fit_linear_probe(diff(train), train.labels, diff(validation), validation.labels)
    return pairwise_accuracy(probe.margins(test.vectors("a"), test.vectors("b")), test.labels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--encoder", default="minilm")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    if not HH_HARMLESS.is_file():
        print(f"skipped: {HH_HARMLESS} is absent (../shared/data beside the repo)")
        return 0
    rows = dict(ROWS)
    if args.set:
        extra = {k: json.loads(v) for k, _, v in (item.partition("=") for item in args.set)}
        rows[f"defaults with {extra}"] = extra
    warnings.simplefilter("ignore")  # fits that do not train warn; the table shows them
    vectors = as_vectors(read_preferences(HH_HARMLESS), Featurizer(encoder=args.encoder), "bt", "")
    xa, xb = np.asarray(vectors.vectors("a")), np.asarray(vectors.vectors("b"))
    results: dict[str, list[tuple[float, float]]] = {"linear probe": [], **{k: [] for k in rows}}
    for seed in range(args.seeds):
        train, validation, test = splits(xa, xb, seed)
        start = time.perf_counter()
        results["linear probe"].append(
            (probe_accuracy(train, validation, test), time.perf_counter() - start)
        )
        for name, settings in rows.items():
            start = time.perf_counter()
            model = make_method("bt", seed=seed, **settings).fit(train, validation=validation)
            results[name].append((model.score(test), time.perf_counter() - start))
    print(f"HH harmless, encoder {args.encoder}, {args.seeds} seeds, test accuracy on 575 pairs")
    print(f"{'settings':60s} {'accuracy':>16s} {'s / fit':>8s}")
    for name, values in results.items():
        acc, seconds = np.array(values).T
        se = acc.std(ddof=1) / np.sqrt(len(acc)) if len(acc) > 1 else float("nan")
        print(f"{name:60s} {acc.mean():8.3f} +- {se:.3f} {seconds.mean():8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
