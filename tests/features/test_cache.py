"""EmbeddingCache: hits and misses, fingerprints, corrupt shards, concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import numpy as np
import pytest

from causalpref.errors import ConfigError
from causalpref.features.cache import (
    EmbeddingCache,
    default_cache_root,
    fingerprint_id,
    text_keys,
)
from causalpref.features.encode import encode_texts
from causalpref.features.encoders import HashingEncoder

FP = {"name": "test", "dim": 4, "normalize": False}


def vectors_for(texts: list[str], dim: int = 4) -> np.ndarray:
    """Deterministic made-up vectors: text i -> a function of its key."""
    return text_keys(texts)[:, :dim].astype(np.float32) / 255.0


class Counting:
    """Wraps an encoder and records every text it is asked to encode."""

    def __init__(self, inner):
        self.inner = inner
        self.spec = inner.spec
        self.dim = inner.dim
        self.seen: list[str] = []

    def fingerprint(self):
        return self.inner.fingerprint()

    def encode(self, texts, *, batch_size=None):
        self.seen.extend(texts)
        return self.inner.encode(texts, batch_size=batch_size)

    def count_tokens(self, texts):
        return self.inner.count_tokens(texts)


def test_text_keys_are_sha256():
    import hashlib

    keys = text_keys(["a", "é"])
    assert keys.shape == (2, 32) and keys.dtype == np.uint8
    assert keys[1].tobytes() == hashlib.sha256("é".encode()).digest()


def test_hit_and_miss(tmp_path):
    cache = EmbeddingCache(tmp_path)
    stored = ["one", "two", "three"]
    assert cache.put(FP, text_keys(stored), vectors_for(stored)).name.startswith("shard-")
    query = ["two", "four", "one", "five"]
    found, vectors = cache.get(FP, text_keys(query))
    np.testing.assert_array_equal(found, [True, False, True, False])
    np.testing.assert_array_equal(vectors, vectors_for(["two", "one"]))
    # a fresh object (as in a new process) reads the same from disk
    found2, vectors2 = EmbeddingCache(tmp_path).get(FP, text_keys(query))
    np.testing.assert_array_equal(found2, found)
    np.testing.assert_array_equal(vectors2, vectors)


def test_layout_on_disk(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.put(FP, text_keys(["x"]), vectors_for(["x"]))
    folder = tmp_path / fingerprint_id(FP)
    assert json.loads((folder / "fingerprint.json").read_text()) == FP
    (shard,) = folder.glob("shard-*.safetensors")
    from safetensors.numpy import load_file

    tensors = load_file(str(shard))
    assert tensors["keys"].dtype == np.uint8 and tensors["keys"].shape == (1, 32)
    assert tensors["vectors"].dtype == np.float32 and tensors["vectors"].shape == (1, 4)
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_any_fingerprint_change_means_nothing_is_reused(tmp_path):
    cache = EmbeddingCache(tmp_path)
    texts = ["alpha", "beta"]
    cache.put(FP, text_keys(texts), vectors_for(texts))
    for changed in ({**FP, "normalize": True}, {**FP, "name": "other"}, {**FP, "extra": 1}):
        found, vectors = cache.get(changed, text_keys(texts))
        assert not found.any() and vectors.shape[0] == 0
    assert cache.get(dict(reversed(list(FP.items()))), text_keys(texts))[0].all()  # key order


def test_corrupt_shard_is_moved_aside_and_re_encoded(tmp_path):
    cache = EmbeddingCache(tmp_path)
    texts = [f"text number {i}" for i in range(50)]
    encoder = Counting(HashingEncoder(dim=32))
    first = encode_texts(texts, encoder, cache=cache, progress=False, chunk_size=20)
    shards = sorted((tmp_path / fingerprint_id(encoder.fingerprint())).glob("shard-*"))
    assert len(shards) == 3
    victim = shards[1]
    victim.write_bytes(victim.read_bytes()[:-40])  # truncate
    encoder.seen.clear()
    with pytest.warns(RuntimeWarning, match=victim.name):
        again = encode_texts(texts, encoder, cache=EmbeddingCache(tmp_path), progress=False)
    np.testing.assert_array_equal(again, first)
    assert 0 < len(encoder.seen) <= 20  # only the lost shard's texts
    assert victim.with_name(victim.name + ".corrupt").exists() and not victim.exists()
    encoder.seen.clear()
    encode_texts(texts, encoder, cache=EmbeddingCache(tmp_path), progress=False)
    assert encoder.seen == []


def test_shard_corrupted_after_indexing_is_a_miss(tmp_path):
    cache = EmbeddingCache(tmp_path)
    path = cache.put(FP, text_keys(["a", "b"]), vectors_for(["a", "b"]))
    assert cache.get(FP, text_keys(["a"]))[0].all()  # indexed now
    path.write_bytes(b"garbage")
    with pytest.warns(RuntimeWarning, match="cannot be read"):
        found, vectors = cache.get(FP, text_keys(["a", "b"]))
    assert not found.any() and len(vectors) == 0


def _writer(root: str, worker: int, rounds: int) -> None:
    """Write `rounds` shards; texts overlap with the other worker's on purpose."""
    cache = EmbeddingCache(root)
    for r in range(rounds):
        texts = [f"shared {r} {i}" for i in range(5)] + [f"own {worker} {r} {i}" for i in range(5)]
        cache.put(FP, text_keys(texts), vectors_for(texts))


def _all_texts(workers: int, rounds: int) -> list[str]:
    shared = [f"shared {r} {i}" for r in range(rounds) for i in range(5)]
    own = [f"own {w} {r} {i}" for w in range(workers) for r in range(rounds) for i in range(5)]
    return shared + own


def test_concurrent_processes(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), w, 15)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    texts = _all_texts(2, 15)
    found, vectors = EmbeddingCache(tmp_path).get(FP, text_keys(texts))
    assert found.all()
    np.testing.assert_array_equal(vectors, vectors_for(texts))


def test_concurrent_threads_with_a_reader(tmp_path):
    reader = EmbeddingCache(tmp_path)
    threads = [threading.Thread(target=_writer, args=(str(tmp_path), w, 20)) for w in range(3)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):  # reading while others write never fails
        found, vectors = reader.get(FP, text_keys(["shared 0 0"]))
        assert len(vectors) == found.sum()
    for t in threads:
        t.join()
    texts = _all_texts(3, 20)
    found, vectors = reader.get(FP, text_keys(texts))
    assert found.all()
    np.testing.assert_array_equal(vectors, vectors_for(texts))


def test_stats_and_clear(tmp_path):
    cache = EmbeddingCache(tmp_path / "c")
    assert cache.stats()["vectors"] == 0
    cache.put(FP, text_keys(["a", "b"]), vectors_for(["a", "b"]))
    cache.put({**FP, "name": "x"}, text_keys(["a"]), vectors_for(["a"]))
    stats = cache.stats()
    assert stats["vectors"] == 3 and len(stats["folders"]) == 2 and stats["bytes"] > 0
    assert cache.clear(FP) == 1
    assert not cache.get(FP, text_keys(["a"]))[0].any()
    assert cache.clear() == 1 and cache.stats()["vectors"] == 0


def test_bad_arguments_name_the_problem(tmp_path):
    cache = EmbeddingCache(tmp_path)
    with pytest.raises(ConfigError, match=r"uint8 array of shape \(n, 32\)"):
        cache.get(FP, np.zeros((2, 16), dtype=np.uint8))
    with pytest.raises(ConfigError, match=r"shape \(1, 4\)"):
        cache.put(FP, text_keys(["a"]), np.zeros((1, 5), dtype=np.float32))
    with pytest.raises(ConfigError, match="JSON-able"):
        cache.put({"dim": 4, "obj": object()}, text_keys(["a"]), vectors_for(["a"]))


def test_default_root_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CAUSALPREF_CACHE", str(tmp_path / "here"))
    assert default_cache_root() == tmp_path / "here"
    assert EmbeddingCache().root == tmp_path / "here"
    monkeypatch.delenv("CAUSALPREF_CACHE")
    assert default_cache_root() == Path.home() / ".cache" / "causalpref" / "embeddings"
