"""Contract suites over every registered encoder and attribute (parametrised over the registry,
as scikit-learn's parametrize_with_checks does for estimators)."""

import json

import numpy as np
import pytest

from causalpref.errors import ConfigError
from causalpref.features.attributes import ATTRIBUTES, get_attribute
from causalpref.features.encoders import ENCODERS, get_encoder
from causalpref.features.featurizer import Featurizer
from tests.features.test_encoders import tiny_bert  # noqa: F401 (fixture)

TEXTS = ["hello world", "A **bold** answer!\n- one\n- two", "", "I'm sorry, I cannot. 😀"]


def built(name: str, request) -> object:
    """The encoder `name` as a user builds it offline; skip, saying why, when it cannot be."""
    if name == "precomputed":
        pytest.skip("precomputed has no model: its refusal to encode is tested below")
    spec = (
        f"{name}:{request.getfixturevalue('tiny_bert')}" if ENCODERS.takes_argument(name) else name
    )
    try:
        return get_encoder(spec)
    except ConfigError as err:
        pytest.skip(f"encoder {spec!r} cannot be built offline here: {err}")


@pytest.mark.parametrize("name", ENCODERS.names())
def test_every_encoder_gives_deterministic_float32_vectors_of_its_dim(name, request):
    encoder = built(name, request)
    first = encoder.encode(TEXTS)
    assert first.dtype == np.float32 and first.shape == (len(TEXTS), encoder.dim)
    assert encoder.dim >= 2 and np.all(np.isfinite(first))
    np.testing.assert_array_equal(encoder.encode(TEXTS), first)
    np.testing.assert_allclose(encoder.encode(TEXTS[1:2]), first[1:2], atol=1e-5)
    tokens = encoder.count_tokens(TEXTS)
    assert tokens.shape == (len(TEXTS),) and tokens.dtype == np.int64


@pytest.mark.parametrize("name", ENCODERS.names())
def test_every_encoder_fingerprint_is_json_and_rebuilds_its_featurizer(name, request):
    encoder = built(name, request)
    fingerprint = encoder.fingerprint()
    assert json.loads(json.dumps(fingerprint)) == fingerprint
    record = Featurizer(encoder=encoder.spec, cache=False).record()
    assert record == {"spec": encoder.spec, "fingerprint": fingerprint}
    assert Featurizer.from_record(record).encoder == encoder.spec


def test_precomputed_refuses_to_encode():
    with pytest.raises(ConfigError, match="cannot encode"):
        get_encoder("precomputed").encode(["x"])
    with pytest.raises(ConfigError, match="cannot encode text"):
        Featurizer().encode(None, ["x"])


@pytest.mark.parametrize("name", [*ATTRIBUTES.names(), "regex:\\bI\\b"])
def test_every_attribute_returns_one_finite_float_per_text(name):
    attribute = get_attribute(name)
    values = attribute(TEXTS, encoder=get_encoder("hashing"), side="a")
    assert values.dtype == np.float64 and values.shape == (len(TEXTS),)
    assert np.all(np.isfinite(values))
    assert attribute.description
