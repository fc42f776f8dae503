"""On-disk embedding cache: vectors keyed by sha256(text), one folder per encoder fingerprint.

Layout: <root>/<sha256 of the canonical fingerprint JSON>/ holds `fingerprint.json` and
append-only shards `shard-<uuid>.safetensors` with tensors `keys` (uint8, (n, 32)) and
`vectors` (float32, (n, dim)). Each shard is written to a temporary name and renamed into
place, so concurrent writers (which always create different shards) never corrupt each other
and readers only ever see complete shards. Any change to the fingerprint means another folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from causalpref._atomic import atomic_path, write_text
from causalpref.errors import ConfigError

ENV_VAR = "CAUSALPREF_CACHE"
KEY_BYTES = 32
SHARD_GLOB = "shard-*.safetensors"
FINGERPRINT_FILE = "fingerprint.json"


def default_cache_root() -> Path:
    """$CAUSALPREF_CACHE if set, else ~/.cache/causalpref/embeddings."""
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "causalpref" / "embeddings"


def text_keys(texts: Iterable[str]) -> np.ndarray:
    """sha256 of each text's UTF-8 bytes as a uint8 (n, 32) array: the cache key of a text."""
    digests = b"".join(hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest() for t in texts)
    return np.frombuffer(digests, dtype=np.uint8).reshape(-1, KEY_BYTES).copy()


def canonical_fingerprint(fingerprint: Mapping[str, Any]) -> str:
    """Fingerprint as canonical JSON (sorted keys, no spaces), the basis of its folder name."""
    try:
        return json.dumps(dict(fingerprint), sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        raise ConfigError(
            f"encoder fingerprint must be JSON-able (str/int/float/bool/None/list/dict): {e}"
        ) from e


def fingerprint_id(fingerprint: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical fingerprint JSON: the name of its cache folder."""
    return hashlib.sha256(canonical_fingerprint(fingerprint).encode()).hexdigest()


@dataclass
class _Index:
    """In-memory index of one fingerprint folder: key bytes -> (shard number << 32 | row)."""

    shards: list[Path] = field(default_factory=list)
    known: set[str] = field(default_factory=set)
    rows: dict[bytes, int] = field(default_factory=dict)
    dim: int | None = None


class EmbeddingCache:
    """Embedding cache rooted at `root` (default: $CAUSALPREF_CACHE or ~/.cache/causalpref/...).

    `get` and `put` take the encoder fingerprint and keys from `text_keys`. Unreadable shards
    are reported with a warning, renamed to *.corrupt and ignored, so their texts are re-encoded.
    """

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root).expanduser() if root is not None else default_cache_root()
        self._indexes: dict[str, _Index] = {}

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.root)!r})"

    def folder(self, fingerprint: Mapping[str, Any]) -> Path:
        """Folder holding the shards of `fingerprint`."""
        return self.root / fingerprint_id(fingerprint)

    # -- reading --------------------------------------------------------------------------
    def get(
        self, fingerprint: Mapping[str, Any], keys: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(found mask (n,), float32 vectors of the found keys in key order)."""
        keys = _check_keys(keys)
        index = self._refresh(fingerprint)
        codes = np.fromiter(
            (index.rows.get(k, -1) for k in _key_bytes(keys)), dtype=np.int64, count=len(keys)
        )
        found = codes >= 0
        readable, vectors = self._gather(index, codes[found])
        found[found] = readable
        return found, vectors[readable]

    def _gather(self, index: _Index, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(readable mask, vectors) for `codes`, reading each needed shard once."""
        out = np.zeros((len(codes), index.dim or 0), dtype=np.float32)
        readable = np.ones(len(codes), dtype=bool)
        shard_of = codes >> 32
        for shard in np.unique(shard_of):
            where = np.flatnonzero(shard_of == shard)
            vectors = self._read_vectors(index.shards[int(shard)])
            if vectors is None:
                readable[where] = False
            else:
                out[where] = vectors[codes[where] & 0xFFFFFFFF]
        return readable, out

    def _read_vectors(self, path: Path) -> np.ndarray | None:
        """The vectors of one indexed shard; None (and a rebuilt index later) if that fails."""
        try:
            return _read_vectors(path)
        except FileNotFoundError:
            pass  # removed by clear() in another process
        except Exception as e:  # noqa: BLE001 - any unreadable shard is handled the same way
            _quarantine(path, e)
        self._indexes.clear()
        return None

    def _refresh(self, fingerprint: Mapping[str, Any]) -> _Index:
        """The index of `fingerprint`'s folder, including shards written since the last call."""
        fid = fingerprint_id(fingerprint)
        index = self._indexes.setdefault(fid, _Index(dim=_fingerprint_dim(fingerprint)))
        folder = self.root / fid
        if not folder.is_dir():
            return index
        for path in sorted(folder.glob(SHARD_GLOB)):
            if path.name not in index.known:
                self._add_shard(index, path)
        return index

    def _add_shard(self, index: _Index, path: Path) -> None:
        """Read one shard's keys into the index, quarantining it if it is unreadable."""
        try:
            keys, dim = _read_keys(path, expect_dim=index.dim)
        except FileNotFoundError:
            return
        except Exception as e:  # noqa: BLE001 - any unreadable shard is handled the same way
            _quarantine(path, e)
            return
        index.dim = dim
        _register(index, path, keys)

    # -- writing --------------------------------------------------------------------------
    def put(
        self, fingerprint: Mapping[str, Any], keys: np.ndarray, vectors: np.ndarray
    ) -> Path | None:
        """Store `vectors` under `keys` as one new shard, atomically; its path (None if n=0)."""
        keys = _check_keys(keys)
        vectors = _check_vectors(vectors, len(keys), _fingerprint_dim(fingerprint))
        if not len(keys):
            return None
        folder = self._ensure_folder(fingerprint)
        path = folder / f"shard-{uuid.uuid4().hex}.safetensors"
        from safetensors.numpy import save_file

        with atomic_path(path) as tmp:
            save_file({"keys": keys, "vectors": vectors}, str(tmp))
        index = self._indexes.get(folder.name)
        if index is not None and (index.dim is None or index.dim == vectors.shape[1]):
            index.dim = vectors.shape[1]
            _register(index, path, keys)
        return path

    def _ensure_folder(self, fingerprint: Mapping[str, Any]) -> Path:
        """Create the fingerprint folder with its fingerprint.json (atomically) if missing."""
        folder = self.folder(fingerprint)
        target = folder / FINGERPRINT_FILE
        if not target.is_file():
            text = json.dumps(dict(fingerprint), sort_keys=True, indent=2) + "\n"
            write_text(target, text)
        return folder

    # -- housekeeping ---------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Per-fingerprint folder: its fingerprint, shard count, vector count and bytes."""
        folders = sorted(p for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() else []
        entries = [_folder_stats(p) for p in folders]
        return {
            "root": str(self.root),
            "folders": entries,
            "vectors": sum(e["vectors"] for e in entries),
            "bytes": sum(e["bytes"] for e in entries),
        }

    def clear(self, fingerprint: Mapping[str, Any] | None = None) -> int:
        """Delete the cache of one fingerprint, or everything; returns folders removed."""
        self._indexes.clear()
        if fingerprint is not None:
            targets = [self.folder(fingerprint)]
        else:
            targets = list(self.root.iterdir()) if self.root.is_dir() else []
        removed = 0
        for folder in targets:
            if folder.is_dir() and (folder / FINGERPRINT_FILE).exists():
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed


def _register(index: _Index, path: Path, keys: np.ndarray) -> None:
    """Add a shard's keys to the index (later shards win; duplicates hold equal vectors)."""
    number = len(index.shards)
    index.shards.append(path)
    index.known.add(path.name)
    base = number << 32
    index.rows.update(zip(_key_bytes(keys), range(base, base + len(keys)), strict=True))


def _read_keys(path: Path, expect_dim: int | None = None) -> tuple[np.ndarray, int]:
    """(keys, dim) of one shard; the header check catches truncated or foreign files."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        names = set(f.keys())
        if names != {"keys", "vectors"}:
            raise ValueError(f"expected tensors ['keys', 'vectors'], found {sorted(names)}")
        vec = f.get_slice("vectors")
        shape, dtype = vec.get_shape(), vec.get_dtype()
        keys = f.get_tensor("keys")
    if keys.dtype != np.uint8 or keys.ndim != 2 or keys.shape[1] != KEY_BYTES:
        raise ValueError(f"'keys' must be uint8 (n, 32), got {keys.dtype} {keys.shape}")
    if dtype != "F32" or len(shape) != 2 or shape[0] != len(keys):
        raise ValueError(f"'vectors' must be float32 ({len(keys)}, d), got {dtype} {shape}")
    if expect_dim and shape[1] != expect_dim:
        raise ValueError(f"vectors have dim {shape[1]}, expected {expect_dim}")
    return keys, int(shape[1])


def _read_vectors(path: Path) -> np.ndarray:
    """The float32 vectors tensor of one shard."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        return f.get_tensor("vectors")


def _quarantine(path: Path, error: BaseException) -> None:
    """Warn about an unreadable shard and rename it to *.corrupt so it is never read again."""
    target = path.with_name(path.name + ".corrupt")
    warnings.warn(
        f"embedding cache: shard {path} cannot be read ({error}); moved it to {target.name} "
        "and will re-encode its texts",
        RuntimeWarning,
        stacklevel=4,
    )
    with contextlib.suppress(OSError):  # another process may have moved it already
        os.replace(path, target)


def _folder_stats(folder: Path) -> dict[str, Any]:
    """Shards, vectors and bytes of one fingerprint folder (headers only)."""
    from safetensors import safe_open

    shards, vectors, size = 0, 0, 0
    for path in folder.glob(SHARD_GLOB):
        try:
            with safe_open(str(path), framework="numpy") as f:
                vectors += f.get_slice("keys").get_shape()[0]
            size += path.stat().st_size
            shards += 1
        except Exception:  # noqa: BLE001, S112 - stats skip unreadable shards
            continue
    try:
        fingerprint = json.loads((folder / FINGERPRINT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        fingerprint = None
    return {
        "id": folder.name,
        "fingerprint": fingerprint,
        "shards": shards,
        "vectors": vectors,
        "bytes": size,
    }


def _fingerprint_dim(fingerprint: Mapping[str, Any]) -> int | None:
    """The fingerprint's positive int 'dim', if it has one."""
    dim = fingerprint.get("dim") if isinstance(fingerprint, Mapping) else None
    return dim if isinstance(dim, int) and not isinstance(dim, bool) and dim > 0 else None


def _key_bytes(keys: np.ndarray) -> list[bytes]:
    """Rows of a uint8 (n, 32) array as 32-byte strings."""
    return np.ascontiguousarray(keys).view(f"V{KEY_BYTES}").ravel().tolist()


def _check_keys(keys: np.ndarray) -> np.ndarray:
    """Keys as a contiguous uint8 (n, 32) array."""
    keys = np.asarray(keys)
    if keys.dtype != np.uint8 or keys.ndim != 2 or keys.shape[1] != KEY_BYTES:
        raise ConfigError(
            f"cache keys must be a uint8 array of shape (n, {KEY_BYTES}) as made by text_keys(), "
            f"got dtype {keys.dtype} shape {keys.shape}"
        )
    return np.ascontiguousarray(keys)


def _check_vectors(vectors: np.ndarray, n: int, dim: int | None) -> np.ndarray:
    """Vectors as a contiguous float32 (n, dim) array."""
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or len(vectors) != n or (dim and vectors.shape[1] != dim):
        want = f"({n}, {dim})" if dim else f"({n}, d)"
        raise ConfigError(
            f"cache vectors must have shape {want} to match the keys and the fingerprint's dim, "
            f"got {vectors.shape}"
        )
    if not np.issubdtype(vectors.dtype, np.floating):
        raise ConfigError(f"cache vectors must be floating point, got dtype {vectors.dtype}")
    return np.ascontiguousarray(vectors, dtype=np.float32)
