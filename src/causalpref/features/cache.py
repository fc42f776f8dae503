"""On-disk embedding cache: vectors keyed by sha256(text), one folder per encoder fingerprint.

Layout: <root>/<sha256 of the canonical fingerprint JSON>/ holds `fingerprint.json` and
append-only shards `shard-<uuid>.safetensors` with tensors `keys` (uint8, (n, 32)) and
`vectors` (float32, (n, dim)), and in its header a CRC-32 of each tensor's bytes. Each shard is
written to a temporary name and renamed into place, so concurrent writers (which always create
different shards) never corrupt each other and readers only ever see complete shards; the
checksums catch damage after that. Any change to the fingerprint means another folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
import warnings
import zlib
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
KEYS_CRC, VECTORS_CRC = "keys_crc32", "vectors_crc32"  # shard header metadata


def default_cache_root() -> Path:
    """$CAUSALPREF_CACHE if set, else ~/.cache/causalpref/embeddings."""
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "causalpref" / "embeddings"


def default_cache_source() -> str:
    """Where the default cache folder comes from, as error messages name it."""
    if os.environ.get(ENV_VAR):
        return f"${ENV_VAR}"
    return f"the default cache folder (choose another with --cache-dir or ${ENV_VAR})"


def check_cache_folder(root: Path, source: str) -> None:
    """ConfigError now, before any encoding, if `root` is a file or lies below one.

    `source` names the option or variable the folder came from (e.g. "--cache-dir").
    """
    for path in (root, *root.parents):
        if path.is_dir():
            return
        if path.exists():
            problem = "is a file" if path == root else f"lies below {path}, which is a file"
            raise _folder_error(root, source, f"{problem}, not a folder")


def _folder_error(root: Path, source: str, problem: str) -> ConfigError:
    """The error for a cache folder that cannot be used: which, from where, what, the fix."""
    return ConfigError(
        f"embedding cache folder {root} (from {source}) {problem}: point --cache-dir "
        f"(cache_dir=) or ${ENV_VAR} at a folder you can write"
    )


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


@dataclass(frozen=True)
class _Shard:
    """One indexed shard: its file, its shape and the CRC-32 of its vectors (None if older)."""

    path: Path
    rows: int
    dim: int
    vectors_crc: int | None


@dataclass
class _Index:
    """In-memory index of one fingerprint folder: key bytes -> (shard number << 32 | row)."""

    shards: list[_Shard] = field(default_factory=list)
    known: set[str] = field(default_factory=set)
    rows: dict[bytes, int] = field(default_factory=dict)
    dim: int | None = None


class EmbeddingCache:
    """Embedding cache rooted at `root` (default: $CAUSALPREF_CACHE or ~/.cache/causalpref/...).

    `get` and `put` take the encoder fingerprint and keys from `text_keys`. Unreadable or
    damaged shards (checksum, shape or non-finite vectors) are reported with one warning each,
    renamed to *.corrupt and ignored, so their texts are re-encoded. `source` names where `root`
    came from in error messages; a root that is a file or lies below one is refused at once.
    """

    def __init__(self, root: str | os.PathLike | None = None, *, source: str | None = None):
        self.root = Path(root).expanduser() if root is not None else default_cache_root()
        if source is None:
            source = "cache_dir" if root is not None else default_cache_source()
        self.source = source
        check_cache_folder(self.root, source)
        self._indexes: dict[str, _Index] = {}
        self._damaged: set[Path] = set()  # never read again, even where renaming them failed
        self._writable: set[Path] = set()

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.root)!r})"

    def folder(self, fingerprint: Mapping[str, Any]) -> Path:
        """Folder holding the shards of `fingerprint`."""
        return self.root / fingerprint_id(fingerprint)

    # -- reading --------------------------------------------------------------------------
    def get(
        self, fingerprint: Mapping[str, Any], keys: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(found mask (n,), float32 vectors of the found keys in key order).

        If some keys are missing, the folder must be writable (the caller will encode and `put`
        them): a ConfigError says so now rather than after the encoding. A complete cache in a
        read-only folder is read as usual.
        """
        keys = _check_keys(keys)
        index = self._refresh(fingerprint)
        codes = np.fromiter(
            (index.rows.get(k, -1) for k in _key_bytes(keys)), dtype=np.int64, count=len(keys)
        )
        found = codes >= 0
        readable, vectors = self._gather(index, codes[found])
        found[found] = readable
        if not found.all():
            self._check_writable(fingerprint)
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

    def _read_vectors(self, shard: _Shard) -> np.ndarray | None:
        """The vectors of one indexed shard; None (and a rebuilt index later) if that fails."""
        try:
            return _read_vectors(shard)
        except FileNotFoundError:
            pass  # removed by clear() in another process
        except Exception as e:  # noqa: BLE001 - any unreadable shard is handled the same way
            self._quarantine(shard.path, e)
        self._indexes.clear()
        return None

    def _quarantine(self, path: Path, error: BaseException) -> None:
        """Set a damaged shard aside for good (warning once), so its texts are re-encoded."""
        self._damaged.add(path)
        _quarantine(path, error)

    def _refresh(self, fingerprint: Mapping[str, Any]) -> _Index:
        """The index of `fingerprint`'s folder, including shards written since the last call."""
        fid = fingerprint_id(fingerprint)
        index = self._indexes.setdefault(fid, _Index(dim=_fingerprint_dim(fingerprint)))
        folder = self.root / fid
        if not folder.is_dir():
            return index
        for path in sorted(folder.glob(SHARD_GLOB)):
            if path.name not in index.known and path not in self._damaged:
                self._add_shard(index, path)
        return index

    def _add_shard(self, index: _Index, path: Path) -> None:
        """Read one shard's keys into the index, quarantining it if it is unreadable."""
        try:
            keys, shard = _read_keys(path, expect_dim=index.dim)
        except FileNotFoundError:
            return
        except Exception as e:  # noqa: BLE001 - any unreadable shard is handled the same way
            self._quarantine(path, e)
            return
        index.dim = shard.dim
        _register(index, shard, keys)

    # -- writing --------------------------------------------------------------------------
    def put(
        self, fingerprint: Mapping[str, Any], keys: np.ndarray, vectors: np.ndarray
    ) -> Path | None:
        """Store `vectors` under `keys` as one new shard, atomically; its path (None if n=0).

        Rows whose vectors are not finite are not stored (they would read back as damage).
        """
        keys = _check_keys(keys)
        vectors = _check_vectors(vectors, len(keys), _fingerprint_dim(fingerprint))
        finite = np.isfinite(vectors).all(axis=1)
        if not finite.all():
            keys, vectors = keys[finite], vectors[finite]
        if not len(keys):
            return None
        folder = self._ensure_folder(fingerprint)
        path = folder / f"shard-{uuid.uuid4().hex}.safetensors"
        from safetensors.numpy import save_file

        metadata = {KEYS_CRC: str(zlib.crc32(keys)), VECTORS_CRC: str(zlib.crc32(vectors))}
        try:
            with atomic_path(path) as tmp:
                save_file({"keys": keys, "vectors": vectors}, str(tmp), metadata=metadata)
        except OSError as e:
            raise _folder_error(self.root, self.source, f"cannot be written ({_reason(e)})") from e
        index = self._indexes.get(folder.name)
        if index is not None and (index.dim is None or index.dim == vectors.shape[1]):
            index.dim = vectors.shape[1]
            shard = _Shard(path, len(keys), vectors.shape[1], int(metadata[VECTORS_CRC]))
            _register(index, shard, keys)
        return path

    def _check_writable(self, fingerprint: Mapping[str, Any]) -> None:
        """ConfigError unless new shards of `fingerprint` can be written (checked once)."""
        folder = self.folder(fingerprint)
        if folder in self._writable:
            return
        try:
            _probe_writable(folder)
        except OSError as e:
            raise _folder_error(self.root, self.source, f"cannot be written ({_reason(e)})") from e
        self._writable.add(folder)

    def _ensure_folder(self, fingerprint: Mapping[str, Any]) -> Path:
        """Create the fingerprint folder with its fingerprint.json (atomically) if missing."""
        folder = self.folder(fingerprint)
        target = folder / FINGERPRINT_FILE
        if not target.is_file():
            text = json.dumps(dict(fingerprint), sort_keys=True, indent=2) + "\n"
            try:
                write_text(target, text)
            except OSError as e:
                problem = f"cannot be written ({_reason(e)})"
                raise _folder_error(self.root, self.source, problem) from e
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


def _register(index: _Index, shard: _Shard, keys: np.ndarray) -> None:
    """Add a shard's keys to the index (later shards win; duplicates hold equal vectors)."""
    number = len(index.shards)
    index.shards.append(shard)
    index.known.add(shard.path.name)
    base = number << 32
    index.rows.update(zip(_key_bytes(keys), range(base, base + len(keys)), strict=True))


def _read_keys(path: Path, expect_dim: int | None = None) -> tuple[np.ndarray, _Shard]:
    """(keys, shard record) of one shard; the header check catches truncated or foreign files,
    the keys' checksum (shards written since checksums exist) damage inside them."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        names = set(f.keys())
        if names != {"keys", "vectors"}:
            raise ValueError(f"expected tensors ['keys', 'vectors'], found {sorted(names)}")
        vec = f.get_slice("vectors")
        shape, dtype = vec.get_shape(), vec.get_dtype()
        keys = f.get_tensor("keys")
        metadata = f.metadata() or {}
    if keys.dtype != np.uint8 or keys.ndim != 2 or keys.shape[1] != KEY_BYTES:
        raise ValueError(f"'keys' must be uint8 (n, 32), got {keys.dtype} {keys.shape}")
    if dtype != "F32" or len(shape) != 2 or shape[0] != len(keys):
        raise ValueError(f"'vectors' must be float32 ({len(keys)}, d), got {dtype} {shape}")
    if expect_dim and shape[1] != expect_dim:
        raise ValueError(f"vectors have dim {shape[1]}, expected {expect_dim}")
    _check_crc("keys", keys, _stored_crc(metadata, KEYS_CRC))
    return keys, _Shard(path, len(keys), int(shape[1]), _stored_crc(metadata, VECTORS_CRC))


def _read_vectors(shard: _Shard) -> np.ndarray:
    """The float32 vectors of one indexed shard, checked against its shape and checksum (or,
    for shards without one, for finiteness): wrong vectors are never returned."""
    from safetensors import safe_open

    with safe_open(str(shard.path), framework="numpy") as f:
        vectors = f.get_tensor("vectors")
    if vectors.dtype != np.float32 or vectors.shape != (shard.rows, shard.dim):
        raise ValueError(
            f"'vectors' are {vectors.dtype} {vectors.shape}, indexed as float32 "
            f"{(shard.rows, shard.dim)}"
        )
    if shard.vectors_crc is not None:
        _check_crc("vectors", vectors, shard.vectors_crc)
    elif not np.isfinite(vectors).all():
        raise ValueError("'vectors' hold NaN or infinite values")
    return vectors


def _stored_crc(metadata: Mapping[str, str], name: str) -> int | None:
    """A CRC-32 from a shard header; None for shards written before checksums existed."""
    text = metadata.get(name)
    if text is None:
        return None
    if not text.isdigit():
        raise ValueError(f"header checksum {name}={text!r} is not a number")
    return int(text)


def _check_crc(name: str, array: np.ndarray, stored: int | None) -> None:
    """ValueError if `array`'s CRC-32 differs from the one stored in the shard header."""
    if stored is None:
        return
    found = zlib.crc32(np.ascontiguousarray(array))
    if found != stored:
        raise ValueError(f"checksum of '{name}' is {found}, the header says {stored}")


def _probe_writable(folder: Path) -> None:
    """OSError unless a file can be created in `folder`, or in the nearest existing folder above
    it if it does not exist yet; nothing is left behind."""
    existing = next((p for p in (folder, *folder.parents) if p.is_dir()), folder)
    with tempfile.TemporaryFile(dir=existing):
        pass


def _reason(error: OSError) -> str:
    """An OS error's reason without the path (messages name the folder themselves)."""
    return error.strerror or str(error)


def _quarantine(path: Path, error: BaseException) -> None:
    """Warn about a damaged shard and rename it to *.corrupt so it is never read again."""
    target = path.with_name(path.name + ".corrupt")
    try:
        os.replace(path, target)
        done = f"moved it to {target.name}"
    except FileNotFoundError:
        done = "another process moved it aside"
    except OSError as e:  # a read-only cache: this process remembers to skip it
        done = f"could not move it aside ({_reason(e)})"
    warnings.warn(
        f"embedding cache: shard {path} is damaged or cannot be read ({error}); {done} "
        "and will re-encode its texts",
        RuntimeWarning,
        stacklevel=5,
    )


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
