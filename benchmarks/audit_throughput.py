"""Seconds to audit 20,000 text pairs with cached embeddings, against the 2-minute target.

Builds templated text pairs (prompt, two responses, label, a two-valued context), encodes them
once into an EmbeddingCache in a temporary folder (not timed), then times each stage of the audit
with the warm cache: reading vectors, prompt vectors, attributes, each check, and run_audit end
to end. Beside the most expensive step (the spurious check's cross-fitted ridge fits) it times the
named alternative on the same features: scikit-learn RidgeCV refitted per fold and target
(skipped when scikit-learn is not installed).

Run: OMP_NUM_THREADS=2 .venv/bin/python benchmarks/audit_throughput.py [--pairs 20000]
     [--encoders hashing,minilm]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from causalpref.audit import run_audit  # noqa: E402
from causalpref.audit.checks import CHECKS  # noqa: E402
from causalpref.audit.checks.spurious import FOLDS, _standardise  # noqa: E402
from causalpref.audit.context import AuditContext  # noqa: E402
from causalpref.audit.stats import kfold  # noqa: E402
from causalpref.data import PreferenceData  # noqa: E402
from causalpref.features.cache import EmbeddingCache  # noqa: E402
from causalpref.features.encode import encode_pairs, encode_texts  # noqa: E402
from causalpref.features.encoders import get_encoder  # noqa: E402
from causalpref.features.featurizer import Featurizer  # noqa: E402

TARGET_SECONDS = 120.0
TOPICS = ["tax", "gardening", "python", "travel", "cooking", "security", "history", "music"]
POINTS = ["First, check the basics.", "Second, compare the options.", "Keep notes as you go."]
PADDING = ["I hope this helps.", "Let me know if anything is unclear.", "Good luck!"]
HEDGES = ["It might depend on the case.", "I think this is usually fine."]


def make_pairs(n: int, seed: int = 0) -> PreferenceData:
    """n templated pairs; quality (helpful points) drives labels, padding co-varies with it."""
    rng = np.random.default_rng(seed)
    prompts, responses, quality = [], {"a": [], "b": []}, {"a": [], "b": []}
    for i in range(n):
        topic = TOPICS[rng.integers(len(TOPICS))]
        prompts.append(f"Question {i}: how do I get started with {topic}?")
        for side in "ab":
            q = rng.integers(0, 4)
            pad = int(np.clip(q + rng.integers(-1, 2), 0, 3))
            parts = [f"About {topic}:"] + POINTS[: min(q, 3)] + PADDING[:pad]
            parts += HEDGES[: rng.integers(0, 2)] + [f"(reply {side}{i})"]  # every text unique
            responses[side].append(" ".join(parts))
            quality[side].append(q)
    qa, qb = np.array(quality["a"]), np.array(quality["b"])
    label = (rng.random(n) < 1 / (1 + np.exp(-(qa - qb)))).astype(float)
    context = np.where(rng.random(n) < 0.5, "helpful", "harmless").astype(object)
    return PreferenceData.from_columns(
        {
            "prompt": np.array(prompts, dtype=object),
            "response_a": np.array(responses["a"], dtype=object),
            "response_b": np.array(responses["b"], dtype=object),
            "label": label,
            "context": context,
        }
    )


def timed(rows: list[tuple[str, float]], stage: str, fn):
    start = time.perf_counter()
    value = fn()
    rows.append((stage, time.perf_counter() - start))
    return value


def sklearn_alternative(ctx: AuditContext) -> float | None:
    """Seconds for RidgeCV per fold and target on the spurious check's features and targets."""
    try:
        from sklearn.linear_model import RidgeCV
    except ImportError:
        return None
    x = ctx.pair_difference().astype(np.float64)
    names = [n for n in ctx.attributes if np.mean(ctx.attribute_difference(n) != 0) >= 0.01]
    targets = [ctx.labels - 0.5] + [_standardise(ctx.attribute_difference(n)) for n in names]
    start = time.perf_counter()
    for train, test in kfold(len(x), FOLDS, ctx.seed):
        for y in targets:
            model = RidgeCV(alphas=np.logspace(-4, 4, 33), fit_intercept=False)
            model.fit(x[train], y[train]).predict(x[test])
    return time.perf_counter() - start


def bench(encoder_spec: str, data: PreferenceData, root: str) -> list[tuple[str, float]]:
    encoder = get_encoder(encoder_spec)
    cache = EmbeddingCache(root)
    rows: list[tuple[str, float]] = []
    timed(rows, "encode into cache (cold, not in target)", lambda: _warm(data, encoder, cache))
    featurizer = Featurizer(encoder=encoder_spec, cache_dir=root)
    ctx = AuditContext(data, context="context", featurizer=featurizer, progress=False)
    timed(rows, "response vectors from warm cache", ctx.pair_difference)
    timed(rows, "prompt vectors from warm cache", ctx.prompt_vectors)
    timed(rows, "attributes from text", lambda: [ctx.attribute_values(n) for n in ctx.attributes])
    for name, check in CHECKS.items():
        timed(rows, f"check {name}", lambda check=check: check(ctx))
    total = timed(
        rows,
        "run_audit end to end (warm cache)",
        lambda: run_audit(data, context="context", encoder=featurizer, progress=False),
    )
    del total
    alternative = sklearn_alternative(ctx)
    if alternative is not None:
        rows.append(("alternative: sklearn RidgeCV per fold x target", alternative))
    return rows


def _warm(data: PreferenceData, encoder, cache) -> None:
    encode_pairs(data, encoder, cache=cache, progress=False)
    encode_texts(list(data.column("prompt")), encoder, cache=cache, progress=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=20000)
    parser.add_argument("--encoders", default="hashing")
    args = parser.parse_args()
    data = make_pairs(args.pairs)
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(f"audit of {args.pairs} text pairs; OMP_NUM_THREADS={threads}; target {TARGET_SECONDS}s")
    for spec in args.encoders.split(","):
        with tempfile.TemporaryDirectory() as root:
            rows = bench(spec, data, root)
        print(f"\nencoder {spec}")
        print(f"{'stage':50s} {'seconds':>8s}")
        for stage, seconds in rows:
            print(f"{stage:50s} {seconds:8.2f}")
        total = dict(rows)["run_audit end to end (warm cache)"]
        verdict = "meets" if total < TARGET_SECONDS else "MISSES"
        print(f"run_audit {total:.1f}s {verdict} the {TARGET_SECONDS:.0f}s target")


if __name__ == "__main__":
    main()
