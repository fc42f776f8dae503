"""encode_texts / encode_pairs (dedup, cache reuse, resumable chunks) and text formatting."""

from __future__ import annotations

import numpy as np
import pytest

from causalpref.data import PreferenceData
from causalpref.data.chat import render_chat
from causalpref.errors import ConfigError
from causalpref.features.cache import EmbeddingCache
from causalpref.features.encode import encode_pairs, encode_texts, pair_texts
from causalpref.features.encoders import HashingEncoder, get_encoder
from causalpref.features.text_format import join_prompt_response


class Counting:
    """Wraps an encoder, records what it encodes, and can fail after some calls."""

    def __init__(self, inner, fail_after: int | None = None):
        self.inner = inner
        self.spec = inner.spec
        self.dim = inner.dim
        self.calls: list[list[str]] = []
        self.fail_after = fail_after

    @property
    def seen(self) -> list[str]:
        return [t for call in self.calls for t in call]

    def fingerprint(self):
        return self.inner.fingerprint()

    def encode(self, texts, *, batch_size=None):
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise KeyboardInterrupt("simulated interruption")
        self.calls.append(list(texts))
        return self.inner.encode(texts, batch_size=batch_size)

    def count_tokens(self, texts):
        return self.inner.count_tokens(texts)


def pairs(prompt: bool = True) -> PreferenceData:
    columns = {
        "response_a": ["Paris.", "I don't know.", "4"],
        "response_b": ["London.", "Paris.", "5"],
        "label": [1.0, 0.0, 1.0],
    }
    if prompt:
        columns["prompt"] = ["Capital of France?", None, "\n\nHuman: 2+2?\n\nAssistant:"]
    return PreferenceData.from_columns(columns)


# -- encode_texts -------------------------------------------------------------------------------
def test_encode_texts_dedups_and_keeps_order():
    enc = Counting(HashingEncoder(dim=64))
    texts = ["b", "a", "b", "c", "a"]
    out = encode_texts(texts, enc, progress=False)
    assert enc.seen == ["b", "a", "c"]
    np.testing.assert_array_equal(out, HashingEncoder(dim=64).encode(texts))
    assert encode_texts([], enc, progress=False).shape == (0, 64)


def test_second_run_encodes_nothing(tmp_path):
    texts = [f"sentence {i} about cats" for i in range(30)]
    enc = Counting(HashingEncoder(dim=64))
    first = encode_texts(texts, enc, cache=EmbeddingCache(tmp_path), progress=False)
    assert len(enc.seen) == 30
    enc.calls.clear()
    second = encode_texts(texts, enc, cache=EmbeddingCache(tmp_path), progress=False)
    assert enc.calls == []
    np.testing.assert_array_equal(first, second)
    encode_texts([*texts, "new one"], enc, cache=EmbeddingCache(tmp_path), progress=False)
    assert enc.seen == ["new one"]


def test_interrupted_run_keeps_finished_chunks(tmp_path):
    texts = [f"text {i}" for i in range(25)]
    failing = Counting(HashingEncoder(dim=16), fail_after=1)
    with pytest.raises(KeyboardInterrupt):
        encode_texts(texts, failing, cache=EmbeddingCache(tmp_path), chunk_size=10, progress=False)
    assert failing.seen == texts[:10]
    resumed = Counting(HashingEncoder(dim=16))
    out = encode_texts(
        texts, resumed, cache=EmbeddingCache(tmp_path), chunk_size=10, progress=False
    )
    assert resumed.seen == texts[10:]
    np.testing.assert_array_equal(out, HashingEncoder(dim=16).encode(texts))


def test_progress_bar_goes_to_stderr_only_when_asked(capsys):
    encode_texts(["x", "y"], HashingEncoder(dim=8), progress=False)
    assert capsys.readouterr().err == ""
    encode_texts(["x", "y"], HashingEncoder(dim=8), progress=True)
    captured = capsys.readouterr()
    assert "encoding (hashing)" in captured.err and captured.out == ""


def test_encode_texts_checks_the_encoder_and_arguments():
    class Wrong(Counting):
        def encode(self, texts, *, batch_size=None):
            return np.zeros((len(texts), 3), dtype=np.float32)

    with pytest.raises(ConfigError, match=r"returned shape \(2, 3\).*expected \(2, 8\)"):
        encode_texts(["a", "b"], Wrong(HashingEncoder(dim=8)), progress=False)
    with pytest.raises(ConfigError, match="chunk_size"):
        encode_texts(["a"], HashingEncoder(), chunk_size=0, progress=False)
    with pytest.raises(ConfigError, match=r"texts\[0\]"):
        encode_texts([None], HashingEncoder(), progress=False)


# -- encode_pairs -------------------------------------------------------------------------------
def test_encode_pairs_joins_prompt_and_response(tmp_path):
    data = pairs()
    enc = HashingEncoder(dim=32)
    out = encode_pairs(data, enc, cache=EmbeddingCache(tmp_path), progress=False)
    assert out.vector_dim == 32 and len(out) == 3 and "vector.a" not in data.columns
    texts_a, texts_b = pair_texts(data)
    assert texts_a[0] == "Human: Capital of France?\n\nAssistant: Paris."
    assert texts_a[1] == "I don't know."
    assert texts_b[2] == "\n\nHuman: 2+2?\n\nAssistant: 5"
    np.testing.assert_array_equal(out.vectors("a"), enc.encode(texts_a))
    np.testing.assert_array_equal(out.vectors("b"), enc.encode(texts_b))


def test_encode_pairs_without_prompt_column():
    out = encode_pairs(pairs(prompt=False), HashingEncoder(dim=16), progress=False)
    paris = HashingEncoder(dim=16).encode(["Paris."])[0]
    np.testing.assert_array_equal(out.vectors("a")[0], paris)  # the response alone
    np.testing.assert_array_equal(out.vectors("b")[1], paris)


def test_encode_pairs_encodes_shared_texts_once():
    enc = Counting(HashingEncoder(dim=16))
    encode_pairs(pairs(prompt=False), enc, progress=False)
    assert sorted(enc.seen) == sorted({"Paris.", "I don't know.", "4", "London.", "5"})


def test_encode_pairs_precomputed():
    precomputed = get_encoder("precomputed")
    with_vectors = encode_pairs(pairs(), HashingEncoder(dim=8), progress=False)
    assert encode_pairs(with_vectors, precomputed) is with_vectors
    with pytest.raises(ConfigError, match=r"precomputed.*\['vector.a', 'vector.b'\]"):
        encode_pairs(pairs(), precomputed)


def test_encode_pairs_missing_text_columns():
    data = PreferenceData.from_columns(
        {"vector.a": np.ones((2, 3)), "vector.b": np.zeros((2, 3)), "label": [1.0, 0.0]}
    )
    with pytest.raises(ConfigError, match=r"\['response_a', 'response_b'\] not found"):
        encode_pairs(data, HashingEncoder(), progress=False)


def test_encode_pairs_null_response_names_row():
    data = pairs().with_columns({"response_b": ["x", None, "y"]}, validate=False)
    with pytest.raises(ConfigError, match="column 'response_b' row 1"):
        encode_pairs(data, HashingEncoder(), progress=False)


# -- text formatting ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        (None, "R"),
        ("", "R"),
        ("  \n", "R"),
        ("\n\nHuman: hi\n\nAssistant:", "\n\nHuman: hi\n\nAssistant: R"),
        ("\n\nHuman: hi\n\nAssistant: ", "\n\nHuman: hi\n\nAssistant: R"),
        (
            "\n\nHuman: hi\n\nAssistant: yo\n\nHuman: more?  ",
            "\n\nHuman: hi\n\nAssistant: yo\n\nHuman: more?\n\nAssistant: R",
        ),
        ("What is 2+2? ", "Human: What is 2+2? \n\nAssistant: R"),
    ],
)
def test_join_prompt_response_rules(prompt, expected):
    assert join_prompt_response(prompt, "R") == expected


def test_join_keeps_response_untouched():
    assert join_prompt_response("Q", "  spaced  \n") == "Human: Q\n\nAssistant:   spaced  \n"
    with pytest.raises(ConfigError, match="response must be a string"):
        join_prompt_response("Q", None)


def test_render_chat():
    messages = [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]},
        {"role": "user", "content": "Bye"},
    ]
    text = render_chat(messages)
    assert text == "System: Be kind.\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Bye"
    assert join_prompt_response(text, "Ciao") == text + "\n\nAssistant: Ciao"
    assert render_chat([{"role": "tool", "content": "x"}]) == "Tool: x"
    with pytest.raises(ConfigError, match="'role' and 'content'"):
        render_chat([{"content": "x"}])
