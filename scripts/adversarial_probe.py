"""Does the adversary strip prompt-type information from the representation? A linear probe says.

For user_confounding at rho = 0.8 (shared features), fit Multihead and Adversarial with the demo's
model settings, then train a least-squares linear probe on each trunk's representation z of the
training responses to predict the hidden prompt type, and score it on the inconsistent test rows.
If gradient reversal removed the information, Adversarial's probe would sit near 50%.

    python scripts/adversarial_probe.py [--seeds 2] [--rho 0.8]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from causalpref import simulate
from causalpref.methods import make_method


def probe_accuracy(z: np.ndarray, y: np.ndarray, z_test: np.ndarray, y_test: np.ndarray) -> float:
    """Accuracy of a least-squares linear probe (threshold 0.5) trained on (z, y)."""
    design = np.hstack([z, np.ones((len(z), 1))])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(np.mean((np.hstack([z_test, np.ones((len(z_test), 1))]) @ coef > 0.5) == y_test))


def representation(model, part) -> np.ndarray:
    """Trunk representation z of each pair's response a."""
    x = torch.from_numpy(np.array(part.vectors("a"), dtype=np.float32))
    with torch.inference_mode():
        _, z = model.net_(x, torch.zeros(len(x), dtype=torch.long))
    return z.numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--rho", type=float, default=0.8)
    args = parser.parse_args()
    for seed in range(args.seeds):
        data = simulate.make(
            "user_confounding",
            seed=seed,
            rho=args.rho,
            features="shared",
            n_train=4000,
            n_validation=1000,
            n_test=2000,
        )
        train, test = data.train, data.test_splits["inconsistent"]
        y = (train.column("prompt_type") == "harmless").astype(float)
        y_test = test.column("prompt_type") == "harmless"
        for name in ("multihead", "adversarial"):
            model = make_method(name, hidden_dim=256, epochs=10, lr=1e-3, seed=seed)
            model.fit(train, data.validation)
            acc = probe_accuracy(
                representation(model, train), y, representation(model, test), y_test
            )
            print(
                f"seed {seed} {name:12s} prompt type decoded from z: {acc:.3f}   "
                f"inconsistent-row accuracy: {model.score(test):.3f}"
            )


if __name__ == "__main__":
    main()
