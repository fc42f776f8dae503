"""spurious_text: the text the scenario writes carries what its docstring says, and nothing else."""

import numpy as np
import pytest

from causalpref import simulate
from causalpref.errors import ConfigError
from causalpref.features.attributes import add_attributes
from causalpref.simulate.text_bank import FORMAT_HEADER, MARKER, PADDING, TOPICS

BIG = {"n_train": 10000, "n_validation": 10, "n_test": 10000, "encoder": None}


def count_points(data, side):
    """Helpful points of the pair's own topic found in each response of `side`."""
    topics, texts = data.column("topic"), data.column(f"response_{side}")
    return np.array(
        [sum(p in t for p in TOPICS[k]["points"]) for k, t in zip(topics, texts, strict=True)]
    )


@pytest.mark.parametrize("attribute", ["length", "marker", "formatting"])
def test_attribute_tracks_quality_in_training_and_reverses_at_test(attribute):
    data = simulate.make("spurious_text", seed=0, attribute=attribute, **BIG)

    def corr(part):
        a = np.concatenate([part.column(f"attr.{attribute}.a"), part.column(f"attr.{attribute}.b")])
        q = np.concatenate([part.column("latent.quality.a"), part.column("latent.quality.b")])
        return np.corrcoef(a, q)[0, 1]

    # length is a rounded, clipped linear map of a (corr ~0.95 of a's); the binary attributes keep
    # sqrt(2/pi) ~ 0.8 of it. s.e. of a correlation at n = 20000 is below 0.007.
    train, reversed_ = corr(data.train), corr(data.test_splits["reversed"])
    assert 0.5 < train < 0.7
    assert -0.7 < reversed_ < -0.5
    assert abs(corr(data.test_splits["independent"])) < 0.02


def test_text_shows_the_helpful_points_and_the_attribute_it_records():
    data = simulate.make("spurious_text", seed=1, attribute="marker", **BIG).train
    for side in "ab":
        np.testing.assert_array_equal(
            count_points(data, side), data.column(f"shown.helpful_points.{side}")
        )
        opens = np.array([t.startswith(MARKER) for t in data.column(f"response_{side}")])
        np.testing.assert_array_equal(opens, data.column(f"attr.marker.{side}") == 1)
    formatted = simulate.make("spurious_text", seed=1, attribute="formatting", **BIG).train
    listed = np.array([t.startswith(FORMAT_HEADER) for t in formatted.column("response_a")])
    np.testing.assert_array_equal(listed, formatted.column("attr.formatting.a") == 1)


def test_length_is_the_word_count_and_padding_carries_no_quality():
    data = simulate.make("spurious_text", seed=2, **BIG).test_splits["independent"]
    words = add_attributes(data, ["length_words"])
    np.testing.assert_array_equal(words.column("attr.length_words.a"), data.column("attr.length.a"))
    padding = np.array([sum(p in t for p in PADDING) for t in data.column("response_a")])
    # Content sentences have the same length whatever their quality: at fixed padding, words
    # barely move with the number of helpful points (under 0.5 words per point).
    k = data.column("shown.helpful_points.a")
    for n in range(3):
        sel = padding == n
        slope = np.polyfit(k[sel], data.column("attr.length.a")[sel], 1)[0]
        assert abs(slope) < 0.5


def test_quality_is_shown_only_through_a_noisy_readout():
    data = simulate.make("spurious_text", seed=3, **BIG).train
    q, k = data.column("latent.quality.a"), data.column("shown.helpful_points.a")
    assert 0.55 < np.corrcoef(q, k)[0, 1] < 0.8
    noiseless = simulate.make("spurious_text", seed=3, obs_noise=0.0, **BIG).train
    q, k = noiseless.column("latent.quality.a"), noiseless.column("shown.helpful_points.a")
    assert np.corrcoef(q, k)[0, 1] > 0.9


def test_vectors_are_the_hashing_encoding_of_prompt_and_response():
    from causalpref.features.encode import encode_pairs
    from causalpref.features.encoders import get_encoder

    data = simulate.make("spurious_text", seed=0, n_train=50, n_validation=5, n_test=5).train
    again = encode_pairs(
        data.drop(["vector.a", "vector.b"]), get_encoder("hashing"), progress=False
    )
    np.testing.assert_array_equal(again.vectors("b"), data.vectors("b"))


def test_bad_knobs_are_reported_together():
    with pytest.raises(ConfigError, match="attribute='colour'.*strength=1.2"):
        simulate.make("spurious_text", attribute="colour", strength=1.2)
