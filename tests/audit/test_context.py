"""AuditContext: defaults, lazily computed and memoised features, clear errors."""

import numpy as np
import pytest

from causalpref.audit.context import PROMPT_PROXY_NOTE, AuditContext, default_attributes
from causalpref.data import PreferenceData
from causalpref.errors import ConfigError
from causalpref.features.featurizer import Featurizer


def text_data(n=6):
    return PreferenceData.from_columns(
        {
            "prompt": [f"question {i}" for i in range(n)],
            "response_a": ["Sure! " * (i + 1) for i in range(n)],
            "response_b": ["I'm sorry, I cannot." for _ in range(n)],
            "label": np.tile([1.0, 0.0], n // 2),
            "context": ["helpful", "harmless"] * (n // 2),
            "attr.score.a": np.arange(n, dtype=float),
            "attr.score.b": np.zeros(n),
        }
    )


def vector_data(n=8, d=3):
    rng = np.random.default_rng(0)
    return PreferenceData.from_columns(
        {
            "vector.a": rng.normal(size=(n, d)),
            "vector.b": rng.normal(size=(n, d)),
            "label": np.ones(n),
        }
    )


def test_default_attributes_text_and_stored():
    names = default_attributes(text_data())
    assert "length_chars" in names and "refusal" in names and "score" in names
    assert "length_tokens" not in names  # needs an encoder
    assert default_attributes(vector_data()) == []


def test_attribute_values_stored_and_from_text():
    ctx = AuditContext(text_data())
    a, b = ctx.attribute_values("score")
    np.testing.assert_array_equal(a, np.arange(6))
    ra, rb = ctx.attribute_values("refusal")
    assert ra.sum() == 0 and rb.sum() == 6
    assert ctx.attribute_difference("exclamations")[2] == 3


def test_vectors_encoded_once_and_memoised():
    ctx = AuditContext(text_data(), featurizer=Featurizer("hashing"), progress=False)
    assert ctx.has_text and ctx.has_vectors_or_encoder and not ctx.has_vectors
    va = ctx.vectors("a")
    assert va.shape == (6, 1024)
    assert ctx.vectors("a") is va
    np.testing.assert_allclose(ctx.pair_difference(), va - ctx.vectors("b"))
    prompt, source = ctx.prompt_features()
    assert prompt.shape == (6, 1024) and source == "prompt"


def test_text_without_encoder_has_no_vectors():
    ctx = AuditContext(text_data())
    assert ctx.vectors("a") is None and ctx.pair_difference() is None
    assert ctx.prompt_features()[0] is None
    assert not ctx.has_vectors_or_encoder


def test_vector_data_uses_response_mean_as_prompt_proxy():
    data = vector_data()
    ctx = AuditContext(data)
    proxy, note = ctx.prompt_features()
    assert note == PROMPT_PROXY_NOTE
    np.testing.assert_allclose(proxy, (data.vectors("a") + data.vectors("b")) / 2, rtol=1e-6)


def test_context_values_are_strings():
    ctx = AuditContext(text_data(), context="context")
    assert list(ctx.context_values()[:2]) == ["helpful", "harmless"]
    assert AuditContext(text_data()).context_values() is None


def test_errors_name_the_problem_all_at_once():
    with pytest.raises(ConfigError) as err:
        AuditContext(vector_data(), context="objective", attributes=["nope", "length_chars"])
    text = str(err.value)
    assert "context='objective'" in text and "'nope'" in text and "no response texts" in text
    with pytest.raises(ConfigError, match="needs an encoder"):
        AuditContext(text_data(), attributes=["length_tokens"])


def test_stored_attribute_named_like_a_builtin_is_kept_without_text():
    data = PreferenceData.from_columns(
        {"label": np.ones(4), "attr.refusal.a": np.ones(4), "attr.refusal.b": np.zeros(4)},
        validate=False,
    )
    assert default_attributes(data) == ["refusal"]
