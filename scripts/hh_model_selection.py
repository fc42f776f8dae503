"""Choose the HH case study's training settings on validation accuracy only (never test rows).

For each setting in a small grid (lr, weight decay, epochs), every model is fitted at rho 0.5 and
0.9 for seeds 0 and 1 of `causalpref replicate hh-confounding`'s splits, and the mean of the
best-epoch validation accuracies is printed. Validation rows come from the training mix, so the
consistent / inconsistent test rows play no part in the choice.

    python scripts/hh_model_selection.py --data ../shared/data/relabeled_hh_rlhf/test.jsonl.gz
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from causalpref.data.loaders import load_relabeled_hh
from causalpref.features.cache import EmbeddingCache
from causalpref.features.encode import encode_pairs
from causalpref.features.encoders import get_encoder
from causalpref.methods import make_method
from causalpref.replicate.hh_confounding import HHConfig, split_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--encoder", default="minilm")
    args = parser.parse_args()
    data = encode_pairs(
        load_relabeled_hh(args.data),
        get_encoder(args.encoder),
        cache=EmbeddingCache(),
        progress=True,
    )
    config = HHConfig(encoder=args.encoder)
    for lr, wd, epochs in itertools.product((1e-4, 3e-4, 1e-3), (0.0, 0.01), (10, 20)):
        start, scores = time.perf_counter(), []
        for rho, seed in itertools.product((0.5, 0.9), (0, 1)):
            parts = split_for(data, rho, seed, config)
            for name in config.models:
                model = make_method(
                    name,
                    hidden_dim=config.hidden_dim,
                    epochs=epochs,
                    lr=lr,
                    weight_decay=wd,
                    batch_size=config.batch_size,
                    seed=seed,
                )
                model.fit(parts["train"], validation=parts["validation"])
                scores.append(model.history_[model.best_epoch_ - 1]["validation_accuracy"])
        print(
            f"lr={lr:g} weight_decay={wd:g} epochs={epochs}: mean best validation accuracy "
            f"{np.mean(scores):.4f} ({time.perf_counter() - start:.0f}s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
