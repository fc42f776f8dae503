"""EmbeddingCache: hits and misses, fingerprints, corrupt shards, concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
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
from causalpref.features.featurizer import Featurizer

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


# -- damage inside shards: checksums, shapes, finiteness -------------------------------------


def _rewrite(path: Path, change, keep_metadata: bool = True) -> None:
    """Rewrite a shard with `change` applied to its tensors, keeping its header metadata (so
    the checksums describe the original bytes, as after damage on disk)."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    with safe_open(str(path), framework="numpy") as f:
        tensors = {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118
        metadata = f.metadata() if keep_metadata else None
    change(tensors)
    save_file(tensors, str(path), metadata=metadata)


def _flip(name: str, row: int = 0):
    def change(tensors):
        tensors[name] = tensors[name].copy()
        tensors[name].view(np.uint8).reshape(-1)[row * 4 + 1] ^= 0x10

    return change


def _set_vector(value: float):
    def change(tensors):
        tensors["vectors"] = tensors["vectors"].copy()
        tensors["vectors"][0, 0] = value

    return change


def _drop_metadata(change):
    return lambda path: _rewrite(path, change, keep_metadata=False)


def _wider(tensors):
    tensors["vectors"] = np.zeros((len(tensors["keys"]), 3), dtype=np.float32)


def _fewer_vectors(tensors):
    tensors["vectors"] = tensors["vectors"][:-1]


SHARD_DAMAGE = {
    "vector bytes changed": (lambda p: _rewrite(p, _flip("vectors")), "checksum of 'vectors'"),
    "key bytes changed": (lambda p: _rewrite(p, _flip("keys")), "checksum of 'keys'"),
    "NaN in a shard without checksums": (_drop_metadata(_set_vector(np.nan)), "NaN or infinite"),
    "infinity in a shard without checksums": (
        _drop_metadata(_set_vector(np.inf)),
        "NaN or infinite",
    ),
    "checksum not a number": (
        lambda p: _with_crc(p, "x"),
        "vectors_crc32='x' is not a number",
    ),
    "vectors of another dimension": (_drop_metadata(_wider), "dim 3, expected 32"),
    "fewer vectors than keys": (_drop_metadata(_fewer_vectors), r"'vectors' must be float32"),
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[:-40]), "cannot be read"),
}


def _with_crc(path: Path, value: str) -> None:
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    with safe_open(str(path), framework="numpy") as f:
        metadata = {**f.metadata(), "vectors_crc32": value}
    save_file(load_file(str(path)), str(path), metadata=metadata)


@pytest.mark.parametrize("kind", SHARD_DAMAGE)
def test_damaged_shard_is_set_aside_and_re_encoded(kind, tmp_path):
    damage, reason = SHARD_DAMAGE[kind]
    texts = [f"text number {i}" for i in range(50)]
    encoder = Counting(HashingEncoder(dim=32))
    first = encode_texts(
        texts, encoder, cache=EmbeddingCache(tmp_path), progress=False, chunk_size=20
    )
    victim = sorted((tmp_path / fingerprint_id(encoder.fingerprint())).glob("shard-*"))[1]
    damage(victim)
    encoder.seen.clear()
    with pytest.warns(RuntimeWarning, match=rf"{victim.name} is damaged.*{reason}") as caught:
        again = encode_texts(texts, encoder, cache=EmbeddingCache(tmp_path), progress=False)
    assert len([w for w in caught if victim.name in str(w.message)]) == 1
    np.testing.assert_array_equal(again, first)
    assert 0 < len(encoder.seen) <= 20  # only the damaged shard's texts
    assert victim.with_name(victim.name + ".corrupt").exists() and not victim.exists()


def test_vectors_damaged_after_indexing_are_never_returned(tmp_path):
    cache = EmbeddingCache(tmp_path)
    path = cache.put(FP, text_keys(["a", "b"]), vectors_for(["a", "b"]))
    assert cache.get(FP, text_keys(["a"]))[0].all()  # indexed now
    _rewrite(path, _set_vector(0.5))
    with pytest.warns(RuntimeWarning, match="checksum of 'vectors'"):
        found, vectors = cache.get(FP, text_keys(["a", "b"]))
    assert not found.any() and len(vectors) == 0


def test_a_shard_that_cannot_be_moved_aside_warns_once(tmp_path, monkeypatch, recwarn):
    import causalpref.features.cache as cache_module

    cache = EmbeddingCache(tmp_path)
    path = cache.put(FP, text_keys(["a"]), vectors_for(["a"]))
    _rewrite(path, _flip("vectors"))

    def refuse(*args):
        raise PermissionError(30, "Read-only file system")

    monkeypatch.setattr(cache_module.os, "replace", refuse)
    monkeypatch.setattr(cache_module, "_probe_writable", lambda folder: None)
    for _ in range(3):
        assert not cache.get(FP, text_keys(["a"]))[0].any()
    (warning,) = recwarn.list
    assert "could not move it aside" in str(warning.message) and path.exists()


def test_shards_without_checksums_still_load(tmp_path):
    from safetensors.numpy import save_file

    texts = ["old", "shard"]
    folder = tmp_path / fingerprint_id(FP)
    folder.mkdir()
    (folder / "fingerprint.json").write_text(json.dumps(FP))
    save_file(
        {"keys": text_keys(texts), "vectors": vectors_for(texts)},
        str(folder / "shard-0.safetensors"),
    )
    found, vectors = EmbeddingCache(tmp_path).get(FP, text_keys(texts))
    assert found.all()
    np.testing.assert_array_equal(vectors, vectors_for(texts))


def test_shards_carry_checksums_and_skip_non_finite_rows(tmp_path):
    from safetensors import safe_open

    vectors = vectors_for(["a", "b", "c"])
    vectors[1, 2] = np.nan
    path = EmbeddingCache(tmp_path).put(FP, text_keys(["a", "b", "c"]), vectors)
    with safe_open(str(path), framework="numpy") as f:
        assert set(f.metadata()) == {"keys_crc32", "vectors_crc32"}
        assert len(f.get_tensor("keys")) == 2
    found, _ = EmbeddingCache(tmp_path).get(FP, text_keys(["a", "b", "c"]))
    np.testing.assert_array_equal(found, [True, False, True])


def test_shards_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = EmbeddingCache(tmp_path).put(FP, text_keys(["a"]), vectors_for(["a"]))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE((path.parent / "fingerprint.json").stat().st_mode) == 0o644


# -- cache folders that cannot work ----------------------------------------------------------


@pytest.mark.parametrize("where", ["notes.txt", "notes.txt/cache"])
def test_cache_folder_that_is_or_lies_below_a_file(where, tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    root = tmp_path / where
    with pytest.raises(ConfigError, match=rf"{root} \(from --cache-dir.*not a folder"):
        Featurizer(encoder="hashing", cache_dir=root)
    with pytest.raises(ConfigError, match=rf"{root} \(from cache_dir\).*not a folder"):
        EmbeddingCache(root)
    monkeypatch.setenv("CAUSALPREF_CACHE", str(root))
    with pytest.raises(ConfigError, match=rf"{root} \(from \$CAUSALPREF_CACHE\)"):
        Featurizer(encoder="hashing")
    assert Featurizer(encoder="hashing", cache=False).encode_texts(["x"]).shape == (1, 1024)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_unwritable_cache_folder_fails_before_encoding(tmp_path):
    featurizer = Featurizer(encoder="hashing", cache_dir="/proc/causalpref-cache")
    with pytest.raises(ConfigError, match=r"/proc/causalpref-cache.*cannot be written"):
        featurizer.encode_texts(["x"])


def test_read_only_complete_cache_is_still_read(tmp_path, monkeypatch):
    import causalpref.features.cache as cache_module

    EmbeddingCache(tmp_path).put(FP, text_keys(["a", "b"]), vectors_for(["a", "b"]))

    def read_only(folder):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(cache_module, "_probe_writable", read_only)
    cache = EmbeddingCache(tmp_path)
    found, vectors = cache.get(FP, text_keys(["b", "a"]))
    assert found.all()
    np.testing.assert_array_equal(vectors, vectors_for(["b", "a"]))
    with pytest.raises(ConfigError, match=rf"{tmp_path}.*cannot be written \(Read-only"):
        cache.get(FP, text_keys(["a", "new"]))
