"""The pairwise training loop shared by every method built on a `RewardNet`.

Both responses of a batch go through the net in one stacked forward pass; the loss is
Bradley-Terry with ties and soft labels as targets of a weighted logistic loss on r_a - r_b.
With `precision="bf16"` the net's forward pass runs under CPU autocast (matrix products in
bfloat16 with fp32 accumulation); its outputs are cast back, so losses and penalties (MMD kernels,
cross-entropies) are computed in fp32, as are weights, gradients, Adam's state and evaluation.
An adversary's own products follow the same precision (`AdversarialNet.adversary_loss`).
"""

from __future__ import annotations

import copy
import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from causalpref.metrics import pairwise_accuracy
from causalpref.models.precision import autocast
from causalpref.models.reward_nets import RewardNet

EVAL_BATCH = 8192
# The default training length, in optimizer steps rather than epochs (measured in
# docs/performance.md, "Default training settings"): 1,409 pairs at 256 a batch get up to 200
# epochs (early stopping ends them after 15 or so), 100,000 pairs get 6.
STEP_BUDGET = 2000
# Early stopping needs a few epochs to choose among, and a budget over tiny data should not spin
# for thousands of epochs that patience would cut anyway.
MIN_BUDGET_EPOCHS = 3
MAX_BUDGET_EPOCHS = 200


@dataclass(frozen=True)
class PairTensors:
    """A pair set as tensors: pair i compares row `rows[i]` of `xa` (response a) and of `xb`
    (response b); `c` context indices; `extras` per-pair side information a method's loss needs
    (attributes, environments).

    `xa` / `xb` may be shared with other pair sets and with the data's own Arrow memory, so
    taking pairs (a hold-out, an epoch's shuffle) copies indices, not vectors; a batch's vectors
    are gathered when it is used (`vectors`).
    """

    xa: torch.Tensor
    xb: torch.Tensor
    rows: torch.Tensor
    c: torch.Tensor
    label: torch.Tensor
    weight: torch.Tensor
    extras: dict[str, torch.Tensor] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.rows.shape[0]

    def vectors(self, idx: torch.Tensor | slice) -> torch.Tensor:
        """(m, 2, d): response a then b of the pairs at `idx` (gathered, so a copy)."""
        rows = self.rows[idx]
        return torch.stack((self.xa[rows], self.xb[rows]), dim=1)

    def take(self, idx: torch.Tensor) -> PairTensors:
        """The pairs at `idx`, in that order (the vectors stay shared)."""
        return PairTensors(
            xa=self.xa,
            xb=self.xb,
            rows=self.rows[idx],
            c=self.c[idx],
            label=self.label[idx],
            weight=self.weight[idx],
            extras={k: v[idx] for k, v in self.extras.items()},
        )

    def take_into(self, idx: torch.Tensor, out: PairTensors | None) -> PairTensors:
        """`take(idx)` written into `out`'s tensors when given (same shapes): a reused buffer
        spares the allocation of every epoch's shuffle."""
        if out is None:
            return self.take(idx)
        for name in ("rows", "c", "label", "weight"):
            torch.index_select(getattr(self, name), 0, idx, out=getattr(out, name))
        for key, value in self.extras.items():
            torch.index_select(value, 0, idx, out=out.extras[key])
        return out

    @classmethod
    def from_arrays(cls, xa, xb, c, label, weight, extras=None, rows=None) -> PairTensors:
        """Pairs of vectors `xa[rows]`, `xb[rows]` (all rows when None) with per-pair `c`,
        `label`, `weight` and `extras`; float32 vectors are used in place, not copied."""
        n = len(xa) if rows is None else len(rows)
        return cls(
            xa=_shared_tensor(xa),
            xb=_shared_tensor(xb),
            rows=torch.arange(n) if rows is None else torch.as_tensor(np.asarray(rows)).long(),
            c=torch.tensor(np.asarray(c), dtype=torch.long),
            label=torch.tensor(np.asarray(label), dtype=torch.float32),
            weight=torch.tensor(np.asarray(weight), dtype=torch.float32),
            extras={k: torch.tensor(np.asarray(v)) for k, v in (extras or {}).items()},
        )


def _shared_tensor(values) -> torch.Tensor:
    """A float32 tensor on the memory of `values` (read-only Arrow views included: training
    only reads them, so torch's warning about writing to them does not apply)."""
    if isinstance(values, torch.Tensor):
        return values.float()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(np.asarray(values, dtype=np.float32))


@dataclass(frozen=True)
class PairBatch:
    """What a loss sees for one mini-batch: rewards and representations of both sides."""

    reward_a: torch.Tensor
    reward_b: torch.Tensor
    rep_a: torch.Tensor
    rep_b: torch.Tensor
    c: torch.Tensor
    label: torch.Tensor
    weight: torch.Tensor
    extras: dict[str, torch.Tensor]

    @property
    def margin(self) -> torch.Tensor:
        return self.reward_a - self.reward_b


LossFn = Callable[[RewardNet, PairBatch], torch.Tensor]


def bradley_terry_loss(batch: PairBatch, per_pair: bool = False) -> torch.Tensor:
    """Weighted logistic loss of the margin with the label (ties, soft labels) as target."""
    losses = F.binary_cross_entropy_with_logits(batch.margin, batch.label, reduction="none")
    if per_pair:
        return losses
    return (losses * batch.weight).sum() / batch.weight.sum().clamp_min(1e-12)


def default_loss(net: RewardNet, batch: PairBatch) -> torch.Tensor:
    """Bradley-Terry plus the net's own auxiliary loss (e.g. the adversary's)."""
    aux = net.auxiliary_loss(batch.rep_a, batch.rep_b, batch.c, batch.weight)
    loss = bradley_terry_loss(batch)
    return loss if aux is None else loss + aux


@dataclass(frozen=True)
class TrainSettings:
    epochs: int
    lr: float
    batch_size: int
    weight_decay: float
    patience: int | None
    seed: int
    verbose: bool
    precision: str = "fp32"


def budget_epochs(steps: int, n_pairs: int, batch_size: int) -> int:
    """Epochs that take about `steps` optimizer steps over `n_pairs` pairs, within
    [MIN_BUDGET_EPOCHS, MAX_BUDGET_EPOCHS]."""
    per_epoch = max(math.ceil(n_pairs / batch_size), 1)
    return min(max(math.ceil(steps / per_epoch), MIN_BUDGET_EPOCHS), MAX_BUDGET_EPOCHS)


def pair_margins(net: RewardNet, pairs: PairTensors) -> np.ndarray:
    """r_a - r_b for every pair, in evaluation mode and without gradients."""
    rewards = pair_rewards(net, pairs)
    return rewards[:, 0] - rewards[:, 1]


def pair_rewards(net: RewardNet, pairs: PairTensors) -> np.ndarray:
    """(n, 2) rewards of response a and b of every pair, in evaluation mode, no gradients."""
    out = [np.zeros((0, 2), dtype=np.float32)]
    for start in range(0, len(pairs), EVAL_BATCH // 2):  # EVAL_BATCH responses at a time
        part = slice(start, start + EVAL_BATCH // 2)
        x = pairs.vectors(part)
        rewards = stacked_rewards(
            net, x.reshape(-1, x.shape[-1]), pairs.c[part].repeat_interleave(2)
        )
        out.append(rewards.reshape(-1, 2))
    return np.concatenate(out).astype(np.float64)


def stacked_rewards(net: RewardNet, x: torch.Tensor, c: torch.Tensor) -> np.ndarray:
    """Rewards of responses `x` (n, d) under contexts `c`, in large no-grad batches."""
    was_training = net.training
    net.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, x.shape[0], EVAL_BATCH):
            r, _ = net(x[start : start + EVAL_BATCH], c[start : start + EVAL_BATCH])
            out.append(r)
    net.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)


def forward_batch(
    net: RewardNet, pairs: PairTensors, idx: torch.Tensor | slice, precision: str = "fp32"
) -> PairBatch:
    """One stacked forward pass over both responses of the pairs at `idx`."""
    x = pairs.vectors(idx)
    b = x.shape[0]
    c = pairs.c[idx]
    with autocast(precision):
        reward, rep = net(x.reshape(2 * b, -1), c.repeat_interleave(2))
    reward, rep = reward.float().view(b, 2), rep.float().view(b, 2, -1)
    return PairBatch(
        reward_a=reward[:, 0],
        reward_b=reward[:, 1],
        rep_a=rep[:, 0],
        rep_b=rep[:, 1],
        c=c,
        label=pairs.label[idx],
        weight=pairs.weight[idx],
        extras={k: v[idx] for k, v in pairs.extras.items()},
    )


def batch_loss(
    net: RewardNet,
    pairs: PairTensors,
    idx: torch.Tensor | slice,
    loss_fn: LossFn = default_loss,
    precision: str = "fp32",
) -> torch.Tensor:
    """The training loss of the pairs at `idx`."""
    return loss_fn(net, forward_batch(net, pairs, idx, precision))


def train_net(
    net: RewardNet,
    train: PairTensors,
    validation: PairTensors | None,
    settings: TrainSettings,
    loss_fn: LossFn = default_loss,
    selection: Callable[[np.ndarray], float] | None = None,
) -> tuple[list[dict], int]:
    """Adam over shuffled mini-batches; keeps the weights of the best validation epoch.

    The best epoch is the one with the highest `selection(margins)` on the validation pairs when
    given (e.g. minus the group-balanced loss), else the lowest validation loss (smoother than
    accuracy, which a few hundred pairs make noisy; docs/performance.md, "Default training
    settings").

    Returns the per-epoch history and the best epoch (1-based; the last epoch without validation).
    """
    gen = torch.Generator().manual_seed(settings.seed)
    opt = torch.optim.Adam(
        net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay, fused=True
    )
    history: list[dict] = []
    best_score, best_epoch, best_state = -math.inf, 0, None
    net.train()
    shuffled = None
    for epoch in range(1, settings.epochs + 1):
        start, total, seen = time.perf_counter(), 0.0, 0
        # One shuffle of the pair indices per epoch, into the same buffer; batches gather vectors.
        shuffled = train.take_into(torch.randperm(len(train), generator=gen), shuffled)
        for first in range(0, len(shuffled), settings.batch_size):
            idx = slice(first, first + settings.batch_size)
            loss = batch_loss(net, shuffled, idx, loss_fn, settings.precision)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            n = min(settings.batch_size, len(shuffled) - first)
            total += float(loss.detach()) * n
            seen += n
        row = {"epoch": epoch, "train_loss": total / max(seen, 1)}
        if validation is not None and len(validation):
            margins = pair_margins(net, validation)
            row["validation_accuracy"] = pairwise_accuracy(margins, validation.label.numpy())
            row["validation_loss"] = validation_loss(margins, validation)
            if selection is not None:
                row["validation_score"] = selection(margins)
        row["seconds"] = time.perf_counter() - start
        history.append(row)
        if settings.verbose:
            print(_format_epoch(row, settings.epochs), file=sys.stderr)
        score = row.get("validation_score", -row.get("validation_loss", math.nan))
        if math.isnan(score):  # no validation, or no weighted validation pair: keep the latest
            score = float(epoch)
        if score > best_score:
            best_score, best_epoch = score, epoch
            best_state = copy.deepcopy(net.state_dict())
        elif settings.patience is not None and epoch - best_epoch >= settings.patience:
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return history, best_epoch


def validation_loss(margins: np.ndarray, pairs: PairTensors) -> float:
    """The weighted Bradley-Terry loss of `margins` on `pairs` (NaN when no pair weighs)."""
    target, weight = pairs.label.double(), pairs.weight.double()
    losses = F.binary_cross_entropy_with_logits(torch.from_numpy(margins), target, reduction="none")
    total = float(weight.sum())
    return float((losses * weight).sum()) / total if total > 0 else math.nan


def _format_epoch(row: dict, epochs: int) -> str:
    text = f"epoch {row['epoch']}/{epochs}  loss {row['train_loss']:.4f}"
    if "validation_accuracy" in row:
        text += f"  val acc {row['validation_accuracy']:.4f}"
    return text + f"  ({row['seconds']:.1f}s)"
