"""Training throughput of causalpref's pairwise loop against a straightforward PyTorch loop.

Model: the paper's MLP reward head (d=384 -> 512 -> 512 -> 64 -> 1, GELU). Every loop trains the
same initial weights on the same pairs with batch 256 and Adam (lr 1e-4). Loops, run interleaved
and repeated so machine noise hits all of them alike:

- straightforward: DataLoader over a TensorDataset, shuffle=True, one forward pass per response,
  BCE on r_a - r_b, default Adam (what a first implementation usually looks like);
- two-pass, no DataLoader: the same two forward passes on pre-built tensors, fused Adam (isolates
  the effect of stacking both responses into one pass);
- causalpref: `causalpref.methods.training.train_net`, the loop every method uses;
- the straightforward loop and ours again with bf16 autocast around the forward pass (ours:
  `precision="bf16"`), so each precision is compared with itself as well as with fp32.

Prints pairs/second (median over repeats), GFLOP/s, the share of this machine's fp32 matmul peak
and of the peak at the loop's own precision (both measured in the same run on 2048 x 2048
matmuls), the speed-up against the straightforward fp32 loop and against the straightforward loop
at the same precision, and the per-epoch loss curves side by side.

    python benchmarks/train_throughput.py [--pairs 16384] [--epochs 3] [--repeats 5]
    python benchmarks/train_throughput.py --profile   # where ours spends its time, then exit
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from causalpref.methods.training import PairTensors, TrainSettings, train_net
from causalpref.models import SingleRewardNet

D, HIDDEN, LATENT, BATCH, LR = 384, 512, 64, 256, 1e-4


def flops_per_pair() -> float:
    """Matmul FLOPs of forward + backward for both responses of a pair.

    Backward costs two products per layer (input and weight gradients) except the first layer,
    whose input needs no gradient.
    """
    macs = D * HIDDEN + HIDDEN * HIDDEN + HIDDEN * LATENT + LATENT
    return 2 * 2 * (3 * macs - D * HIDDEN)  # 2 flops/MAC, 2 responses per pair


def matmul_peak_gflops(dtype: torch.dtype, n: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def make_data(n: int, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    xa, xb = torch.randn(n, D, generator=gen), torch.randn(n, D, generator=gen)
    w = torch.randn(D, generator=gen) / D**0.5
    y = (torch.rand(n, generator=gen) < torch.sigmoid(4 * (xa - xb) @ w)).float()
    return xa, xb, y


def fresh_net(seed: int = 1) -> SingleRewardNet:
    torch.manual_seed(seed)
    return SingleRewardNet(D, hidden_dim=HIDDEN, latent_dim=LATENT)


def precision_context(precision: str):
    if precision == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def straightforward(xa, xb, y, epochs, seed, precision="fp32") -> tuple[float, list[float]]:
    net = fresh_net()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loader = DataLoader(
        TensorDataset(xa, xb, y),
        batch_size=BATCH,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    curve, start = [], time.perf_counter()
    for _ in range(epochs):
        total = 0.0
        for a, b, t in loader:
            with precision_context(precision):
                ra, _ = net(a, None)
                rb, _ = net(b, None)
            loss = F.binary_cross_entropy_with_logits(ra.float() - rb.float(), t)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(t)
        curve.append(total / len(y))
    return time.perf_counter() - start, curve


def two_pass(xa, xb, y, epochs, seed, precision="fp32") -> tuple[float, list[float]]:
    net = fresh_net()
    opt = torch.optim.Adam(net.parameters(), lr=LR, fused=True)
    gen = torch.Generator().manual_seed(seed)
    curve, start = [], time.perf_counter()
    for _ in range(epochs):
        total = 0.0
        for idx in torch.randperm(len(y), generator=gen).split(BATCH):
            ra, _ = net(xa[idx], None)
            rb, _ = net(xb[idx], None)
            loss = F.binary_cross_entropy_with_logits(ra - rb, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        curve.append(total / len(y))
    return time.perf_counter() - start, curve


def ours(xa, xb, y, epochs, seed, precision="fp32") -> tuple[float, list[float]]:
    net = fresh_net()
    n = len(y)
    pairs = PairTensors.from_arrays(
        xa.numpy(), xb.numpy(), torch.zeros(n), y.numpy(), torch.ones(n)
    )
    settings = TrainSettings(
        epochs=epochs,
        lr=LR,
        batch_size=BATCH,
        weight_decay=0.0,
        patience=None,
        seed=seed,
        verbose=False,
        precision=precision,
    )
    start = time.perf_counter()
    history, _ = train_net(net, pairs, None, settings)
    return time.perf_counter() - start, [row["train_loss"] for row in history]


# name -> (loop, precision); the first loop of each precision is that precision's baseline.
LOOPS = {
    "straightforward (DataLoader, 2 passes)": (straightforward, "fp32"),
    "two-pass, no DataLoader": (two_pass, "fp32"),
    "causalpref train_net": (ours, "fp32"),
    "straightforward, bf16 autocast": (straightforward, "bf16"),
    "causalpref train_net, precision=bf16": (ours, "bf16"),
}


def profile(xa, xb, y, epochs: int) -> None:
    """Share of our fp32 loop's time in matrix products, and the cost of the per-epoch shuffle
    into a fresh tensor against a reused buffer."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    ours(xa, xb, y, 1, seed=0)  # warm-up
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        seconds, _ = ours(xa, xb, y, epochs, seed=0)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    products = sum(e.self_cpu_time_total for e in events if e.key in ("aten::mm", "aten::addmm"))
    batches = epochs * -(-len(y) // BATCH)
    print(events.table(sort_by="self_cpu_time_total", row_limit=12))
    rate = flops_per_pair() * BATCH / (products / 1e6 / batches) / 1e9
    print(
        f"matrix products: {products / 1e3 / batches:.2f} ms of {total / 1e3 / batches:.2f} ms "
        f"per batch under the profiler ({100 * products / total:.0f}%), at {rate:.0f} GFLOP/s = "
        f"{100 * rate / matmul_peak_gflops(torch.float32):.0f}% of the fp32 peak"
    )
    n = len(y)
    pairs = PairTensors.from_arrays(
        xa.numpy(), xb.numpy(), torch.zeros(n), y.numpy(), torch.ones(n)
    )
    buffer = pairs.take(torch.arange(n))
    for label, gather in (
        ("shuffle into a fresh tensor", lambda idx: pairs.take(idx)),
        ("shuffle into a reused buffer", lambda idx: pairs.take_into(idx, buffer)),
    ):
        times = []
        for _ in range(20):
            idx = torch.randperm(n)
            start = time.perf_counter()
            gather(idx)
            times.append(time.perf_counter() - start)
        print(f"{label}: {1e3 * statistics.median(times):.1f} ms per epoch ({n} pairs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=16384)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile our fp32 loop and exit")
    args = parser.parse_args()

    xa, xb, y = make_data(args.pairs)
    if args.profile:
        profile(xa, xb, y, args.epochs)
        return
    peak = {"fp32": matmul_peak_gflops(torch.float32), "bf16": matmul_peak_gflops(torch.bfloat16)}
    times: dict[str, list[float]] = {name: [] for name in LOOPS}
    curves: dict[str, list[float]] = {}
    for rep in range(args.repeats):
        for name, (loop, precision) in LOOPS.items():
            seconds, curve = loop(xa, xb, y, args.epochs, seed=rep, precision=precision)
            times[name].append(seconds)
            curves.setdefault(name, curve)
    work = args.pairs * args.epochs
    median = {name: statistics.median(t) for name, t in times.items()}
    baseline: dict[str, float] = {}
    for name, (_, precision) in LOOPS.items():
        baseline.setdefault(precision, median[name])
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, d={D}, batch={BATCH}, "
        f"{args.pairs} pairs x {args.epochs} epochs, {args.repeats} repeats (median)"
    )
    print(
        f"measured matmul peak (2048^3): fp32 {peak['fp32']:.1f} GFLOP/s, "
        f"bf16 {peak['bf16']:.1f} GFLOP/s\n"
    )
    print(
        f"{'loop':40s} {'pairs/s':>9s} {'GFLOP/s':>8s} {'% fp32':>7s} {'% own':>7s} "
        f"{'vs fp32':>8s} {'vs same':>8s}  loss per epoch (first repeat)"
    )
    for name, (_, precision) in LOOPS.items():
        med = median[name]
        gflops = flops_per_pair() * work / med / 1e9
        loss = " ".join(f"{v:.4f}" for v in curves[name])
        print(
            f"{name:40s} {work / med:9.0f} {gflops:8.1f} {100 * gflops / peak['fp32']:6.1f}% "
            f"{100 * gflops / peak[precision]:6.1f}% "
            f"{baseline['fp32'] / med:7.2f}x {baseline[precision] / med:7.2f}x  {loss}"
        )
    print(
        "\n% fp32 / % own: share of the fp32 peak / of the peak at the loop's own precision; "
        "vs fp32 / vs same: speed-up against the straightforward loop in fp32 / at the same "
        "precision."
    )


if __name__ == "__main__":
    main()
