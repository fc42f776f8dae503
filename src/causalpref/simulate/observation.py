"""Observation models: fixed random nonlinear maps from latents to embedding-like vectors.

They stand in for a frozen text encoder: each latent block is lifted to `dim` dimensions by a
random two-layer tanh network, and blocks add up. The map is smooth and (for dim well above the
number of latents) injective, so the latents are recoverable in principle but not linearly.
"""

from __future__ import annotations

import numpy as np


class RandomLift:
    """x (n, k) -> W2 tanh(W1 x + b1), with W1, b1, W2 drawn once from `rng`."""

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        rng: np.random.Generator,
        *,
        width: int = 128,
        gain: float = 1.5,
    ):
        self.w1 = rng.normal(0.0, gain / np.sqrt(in_dim), size=(in_dim, width))
        self.b1 = rng.normal(0.0, 0.5, size=width)
        self.w2 = rng.normal(0.0, 1.0 / np.sqrt(width), size=(width, out_dim))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x @ self.w1 + self.b1) @ self.w2


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, overflow-safe."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def bradley_terry_labels(margin: np.ndarray, beta: float | None, rng: np.random.Generator):
    """Labels ~ Bernoulli(sigma(beta * margin)); returns (labels, noise-free probabilities).

    `beta=None` is the noise-free limit: the label is the sign of the margin (ties are a coin flip).
    """
    if beta is None:
        prob = np.where(margin > 0, 1.0, np.where(margin < 0, 0.0, 0.5))
    else:
        prob = sigmoid(beta * margin)
    return (rng.random(margin.shape) < prob).astype(np.float64), prob
