"""Linear probes: how much of a label can be read off a fitted model's representation?

Used to check what an adversary is meant to achieve (the context gone from the trunk's output),
on data a practitioner has: a probe trained on the training pairs, scored on held-out pairs.
"""

from __future__ import annotations

import numpy as np
import torch


def representation(model, data, side: str = "a") -> np.ndarray:
    """The net's representation (n, k) of each pair's response `side` (context-free nets: any c)."""
    x = torch.from_numpy(np.array(data.vectors(side), dtype=np.float32))
    with torch.inference_mode():
        _, z = model.net_(x, torch.zeros(len(x), dtype=torch.long))
    return z.numpy()


def probe_accuracy(z: np.ndarray, y: np.ndarray, z_test: np.ndarray, y_test: np.ndarray) -> float:
    """Accuracy on (z_test, y_test) of a least-squares linear probe fitted to 0/1 targets (z, y),
    thresholded at 0.5: cheap, deterministic, and enough to show a label is linear in z."""
    design = np.hstack([z, np.ones((len(z), 1))])
    coef, *_ = np.linalg.lstsq(design, np.asarray(y, dtype=float), rcond=None)
    pred = np.hstack([z_test, np.ones((len(z_test), 1))]) @ coef > 0.5
    return float(np.mean(pred == np.asarray(y_test, dtype=bool)))


def context_probe(model, train, held_out, column: str, value: str) -> float:
    """How well a linear probe on the representation of response a tells `column == value`:
    fitted on `train`, scored on `held_out`."""
    return probe_accuracy(
        representation(model, train),
        np.asarray(train.column(column) == value),
        representation(model, held_out),
        np.asarray(held_out.column(column) == value),
    )
