"""Does a method undo the length selection, or only shift along a trade-off? From the
results.json of `causalpref study hh-length-selection` (`make real-bench`), per method:
the paired gain over bt on the reversed and natural splits at a low and a high share, their
difference (the gain the selection adds), and how far its reversed accuracy falls between them.

    python benchmarks/selection_effect.py runs/hh-length-selection/results.json \
        [--low 0.5 --high 0.9]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from causalpref.metrics import mean_se

SPLITS = ("reversed_accuracy", "natural_accuracy")


def selected(path: Path) -> list[dict]:
    """The rows the study kept (its choice on validation), skipped ones left out."""
    rows = json.loads(path.read_text())
    return [r for r in rows if r.get("selected", True) and "skipped" not in r]


def by_seed(rows: list[dict], method: str, share: float, key: str) -> dict[int, float]:
    return {r["seed"]: r[key] for r in rows if r["method"] == method and r["share"] == share}


def gains(rows: list[dict], method: str, share: float, key: str) -> dict[int, float]:
    """Per seed: `method`'s `key` minus bt's on the same data."""
    mine, base = by_seed(rows, method, share, key), by_seed(rows, "bt", share, key)
    return {s: mine[s] - base[s] for s in mine if s in base}


def points(values) -> str:
    mean, se = mean_se(100 * np.asarray(list(values)))
    return f"{mean:+.1f} +- {se:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--low", type=float, default=0.5)
    parser.add_argument("--high", type=float, default=0.9)
    args = parser.parse_args()
    rows = selected(args.results)
    header = ["method"] + [
        f"{k.split('_')[0]} gain @{s}" for k in SPLITS for s in (args.low, args.high)
    ]
    header += ["reversed: gain added by selection", f"reversed fall {args.low}->{args.high}"]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for method in dict.fromkeys(r["method"] for r in rows):
        cells = [method]
        for key in SPLITS:
            cells += [points(gains(rows, method, s, key).values()) for s in (args.low, args.high)]
        low, high = (gains(rows, method, s, SPLITS[0]) for s in (args.low, args.high))
        cells.append(points(high[s] - low[s] for s in low if s in high))
        before, after = (by_seed(rows, method, s, SPLITS[0]) for s in (args.low, args.high))
        cells.append(points(before[s] - after[s] for s in before if s in after))
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
