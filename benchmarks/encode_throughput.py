"""Texts/second of causalpref's offline encoders against the libraries they wrap, same run.

For each encoder (hashing, minilm, wordllama) our `get_encoder(...).encode` and the underlying
library are timed on the same texts, interleaved, and the median of the repeats is reported,
with the ratio (ours / library; >= 0.95 is the target). The last columns time encode_texts with
an EmbeddingCache in a temporary folder: the first pass (encode + write shards) and a second,
fully cached pass. Texts: HH-RLHF 'chosen' transcripts if ../shared/data/hh_rlhf exists beside
the repository (read in place, never copied), else synthetic sentences of varied length.

Run: .venv/bin/python benchmarks/encode_throughput.py [--texts 2000] [--minilm-texts 256]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from causalpref.features.cache import EmbeddingCache  # noqa: E402
from causalpref.features.encode import encode_texts  # noqa: E402
from causalpref.features.encoders import get_encoder, minilm_path  # noqa: E402

HH_FILE = (
    Path(__file__).resolve().parents[1].parent / "shared/data/hh_rlhf/harmless_base_test.jsonl.gz"
)
WORD_TEXT = (
    "the of and to a in is it you that he was for on are with as I his they be at one have "
    "this from or had by hot word but what some we can out other were all there when up use "
    "your how said an each she which do their time if will way about many then them write "
    "would like so these her long make thing see him two has look more day could go come did "
    "number sound no most people my over know water than call first who may down side been "
    "now find any new work part take get place made live where after back little only round "
    "man year came show every good me give our under name very through just form sentence "
    "great think say help low line differ turn cause much mean before move right boy old too "
    "same tell does set three want air well also play small end put home read hand port large "
    "spell add even land here must big high such follow act why ask men change went light kind"
)
WORDS = WORD_TEXT.split()


def synthetic_texts(n: int, seed: int = 0) -> list[str]:
    """n sentences of 3 to ~300 words (log-uniform lengths), some with punctuation."""
    rng = np.random.default_rng(seed)
    lengths = np.exp(rng.uniform(np.log(3), np.log(300), size=n)).astype(int)
    texts = []
    for length in lengths:
        words = rng.choice(WORDS, size=length)
        texts.append(" ".join(words).capitalize() + rng.choice([".", "?", "!"]))
    return texts


def hh_texts(n: int) -> list[str]:
    """The first n 'chosen' transcripts of the HH-RLHF harmless test split (read in place)."""
    texts = []
    with gzip.open(HH_FILE, "rt", encoding="utf-8") as f:
        for line in f:
            texts.append(json.loads(line)["chosen"])
            if len(texts) == n:
                break
    return texts


def load_texts(n: int, source: str) -> tuple[list[str], str]:
    """Texts and a description of where they came from."""
    if source == "hh" or (source == "auto" and HH_FILE.is_file()):
        return hh_texts(n), f"HH-RLHF harmless test 'chosen' ({HH_FILE.name})"
    return synthetic_texts(n), "synthetic sentences, 3-300 words"


def interleaved(ours: Callable[[], object], theirs: Callable[[], object], repeats: int):
    """Median seconds of `ours` and `theirs`, alternating which goes first each repeat."""
    times: dict[str, list[float]] = {"ours": [], "theirs": []}
    for r in range(repeats):
        pair = [("ours", ours), ("theirs", theirs)]
        for name, fn in pair if r % 2 == 0 else reversed(pair):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return statistics.median(times["ours"]), statistics.median(times["theirs"])


def cached_passes(encoder, texts: list[str], repeats: int) -> tuple[float, float]:
    """Seconds of a first pass (encode + write) and the median of fully cached passes."""
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        encode_texts(texts, encoder, cache=EmbeddingCache(root), progress=False)
        first = time.perf_counter() - start
        again = []
        for _ in range(repeats):
            start = time.perf_counter()
            encode_texts(texts, encoder, cache=EmbeddingCache(root), progress=False)
            again.append(time.perf_counter() - start)
    return first, statistics.median(again)


def bench_hashing(texts: list[str]):
    """Ours vs sklearn HashingVectorizer (unigrams + bigrams, signed, L2, 1024 buckets)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    ours = get_encoder("hashing", dim=1024)
    lib = HashingVectorizer(
        n_features=1024,
        ngram_range=(1, 2),
        token_pattern=r"(?u)\b\w+\b",
        alternate_sign=True,
        norm="l2",
        dtype=np.float32,
    )
    return ours, lambda: ours.encode(texts), lambda: lib.transform(texts).toarray()


def bench_minilm(texts: list[str]):
    """Ours vs sentence-transformers on the same all-MiniLM-L6-v2 folder."""
    from sentence_transformers import SentenceTransformer

    ours = get_encoder("minilm")
    lib = SentenceTransformer(str(minilm_path()), device="cpu")
    ours.encode(texts[:8])  # load weights and warm up both
    lib.encode(texts[:8], batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    return (
        ours,
        lambda: ours.encode(texts, batch_size=64),
        lambda: lib.encode(
            texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False
        ),
    )


def bench_wordllama(texts: list[str]):
    """Ours vs WordLlama.embed on the embedding shipped inside the wheel."""
    ours = get_encoder("wordllama")  # first: it imports wordllama without its logging setup
    import wordllama

    lib = wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    return ours, lambda: ours.encode(texts), lambda: lib.embed(texts, norm=True, batch_size=64)


def run(name: str, setup, texts: list[str], repeats: int) -> dict | None:
    """One table row, or None (with a note on stderr) if the encoder is not installed."""
    try:
        encoder, ours, theirs = setup(texts)
    except Exception as e:  # noqa: BLE001 - a missing optional package skips its row
        print(f"skipping {name}: {e}", file=sys.stderr)
        return None
    t_ours, t_lib = interleaved(ours, theirs, repeats)
    first, cached = cached_passes(encoder, texts, repeats)
    n = len(texts)
    return {
        "encoder": name,
        "texts": n,
        "ours": n / t_ours,
        "library": n / t_lib,
        "ratio": t_lib / t_ours,
        "first": n / first,
        "cached": n / cached,
    }


def print_table(rows: list[dict]) -> None:
    """Markdown table of the results."""
    print(
        "| encoder | texts | ours texts/s | library texts/s | ours/library | "
        "encode_texts+cache, 1st pass | cached pass texts/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        verdict = "ok" if r["ratio"] >= 0.95 else "SLOWER"
        print(
            f"| {r['encoder']} | {r['texts']} | {r['ours']:,.0f} | {r['library']:,.0f} | "
            f"{r['ratio']:.2f} ({verdict}) | {r['first']:,.0f} | {r['cached']:,.0f} |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000, help="texts for hashing/wordllama")
    parser.add_argument("--minilm-texts", type=int, default=256, help="texts for minilm")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--source", choices=["auto", "hh", "synthetic"], default="auto")
    args = parser.parse_args(argv)
    texts, where = load_texts(args.texts, args.source)
    import torch

    print(f"texts: {where}; torch threads: {torch.get_num_threads()}; repeats: {args.repeats}")
    started = time.perf_counter()
    rows = [
        run("hashing", bench_hashing, texts, args.repeats),
        run("wordllama", bench_wordllama, texts, args.repeats),
        run("minilm", bench_minilm, texts[: args.minilm_texts], args.repeats),
    ]
    print_table([r for r in rows if r])
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
