"""Counterfactual padding sensitivity: the share of test responses whose reward rises when
content-free padding is appended, the same padded texts for every method of a data set."""

import zlib

import numpy as np
import pytest

from causalpref.data import PreferenceData
from causalpref.errors import ConfigError
from causalpref.evaluate import MethodSpec, Study
from causalpref.evaluate import study as study_module
from causalpref.evaluate.padding_probe import build_probe, padding_rise
from causalpref.evaluate.sources import FileSource
from causalpref.features.featurizer import Featurizer
from causalpref.features.neutral_text import PADDING
from tests.evaluate.test_length_selection import hh_like_pairs, write_hh_like

N_PAIRS = 150


@pytest.fixture(autouse=True)
def _private_embedding_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CAUSALPREF_CACHE", str(tmp_path / "embedding-cache"))


def probe_pairs(n: int = N_PAIRS) -> dict[str, PreferenceData]:
    columns = hh_like_pairs(n, seed=5)
    data = PreferenceData.from_columns(
        {
            "prompt": [c.split("Assistant:")[0] for c in columns["chosen"]],
            "response_a": [c.split("Assistant:")[1].strip() for c in columns["chosen"]],
            "response_b": [r.split("Assistant:")[1].strip() for r in columns["rejected"]],
            "label": np.ones(n),
        }
    )
    return {"natural": data, "reversed": data.take(np.arange(10))}


class TextReward:
    """A hand-built reward over raw text (it 'has a text encoder'): `score(text)`."""

    name = "hand-built"

    def __init__(self, score):
        self.score = score

    def featurizer(self) -> Featurizer:
        return Featurizer(encoder="hashing")

    def rewards(self, *, prompts, responses, context=None) -> np.ndarray:
        return np.array([self.score(r) for r in responses], dtype=float)


def test_padded_texts_append_neutral_sentences_and_depend_only_on_the_seed():
    probe = build_probe(probe_pairs(), seed=3)
    # 2 responses per pair, each distinct one once: the reversed split repeats natural's pairs
    assert len(probe) == len(set(zip(probe.prompts, probe.originals, strict=True)))
    assert len(probe) <= 2 * N_PAIRS
    for original, padded in zip(probe.originals, probe.padded, strict=True):
        extra = padded[len(original) :].strip()
        assert padded.startswith(original) and extra, "something was appended"
        for sentence in PADDING:
            extra = extra.replace(sentence, "")
        assert extra.strip() == "", "only padding sentences were appended"
    assert build_probe(probe_pairs(), seed=3).padded == probe.padded
    assert build_probe(probe_pairs(), seed=4).padded != probe.padded


def test_a_reward_that_pays_for_length_rises_on_every_padded_response():
    probe = build_probe(probe_pairs(), seed=0)
    assert padding_rise(TextReward(lambda t: len(t.split())), probe) == 1.0


def test_a_length_blind_reward_rises_on_about_half_or_fewer():
    probe = build_probe(probe_pairs(), seed=0)
    # Blind to the text: a constant never rises.
    assert padding_rise(TextReward(lambda t: 0.0), probe) == 0.0
    # Blind to length but not to the text: a hash of it rises like a coin flip. With n >= 250
    # responses a fair coin's share lies within 0.5 +- 4 s.d. (4 * sqrt(0.25 / 250) = 0.13).
    rise = padding_rise(TextReward(lambda t: zlib.crc32(t.encode())), probe)
    assert len(probe) >= 250 and abs(rise - 0.5) < 0.13
    # A reward that pays for brevity falls on every padded response.
    assert padding_rise(TextReward(lambda t: -len(t)), probe) == 0.0


class VectorReward:
    """A hand-built reward over vectors only (fitted on precomputed vectors): their sum."""

    name = "vector-sum"

    def featurizer(self) -> Featurizer:
        return Featurizer()

    def rewards(self, *, vectors, context=None) -> np.ndarray:
        return np.asarray(vectors).sum(axis=1)


def test_a_model_on_precomputed_vectors_is_given_the_datas_encoding():
    with pytest.raises(ConfigError, match="no encoder to encode the padded texts"):
        padding_rise(VectorReward(), build_probe(probe_pairs(), seed=0))
    probe = build_probe(probe_pairs(), seed=0, featurizer=Featurizer(encoder="hashing"))
    before, after = probe.vectors
    assert before.shape == after.shape == (len(probe), before.shape[1])
    expected = np.mean(after.sum(axis=1) > before.sum(axis=1))
    assert padding_rise(VectorReward(), probe) == expected


def test_a_study_probes_every_method_on_one_probe_and_reports_the_rise(tmp_path, monkeypatch):
    built = []
    monkeypatch.setattr(
        study_module, "build_probe", lambda *a, **k: built.append(build_probe(*a, **k)) or built[-1]
    )
    path = tmp_path / "pairs.jsonl"
    write_hh_like(path, n=400, shorter_share=0.7)
    study = Study(
        name="probe",
        source=FileSource(
            path,
            encoder="hashing",
            resample="length_selection",
            resample_settings={"n_train": 80, "n_validation": 30, "test_fraction": 0.3},
        ),
        methods=(MethodSpec("bt", "bt"), MethodSpec("odin", "odin")),
        seeds=(0,),
        grid={"share": (0.9,)},
        baseline="bt",
        settings={"hidden_dim": 16, "epochs": 2},
        padding_probe=True,
    )
    result = study.run(progress=lambda msg: None)
    assert [r["method"] for r in result.rows] == ["bt", "odin"]
    assert all(0.0 <= r["padding_rise"] <= 1.0 for r in result.rows)
    assert "padding_rise" in result.summary()[0]
    assert len(built) == 1, "one probe per data set, shared by every method"
    assert built[0].vectors is not None, "encoded by the file's own encoder"
