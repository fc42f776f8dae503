"""The `length_selection` resampler: training sets where the preferred response is the shorter
one in a chosen share, a test pool held out once per seed, and a `reversed` split of the pool's
longer-preferred pairs; and the shipped specs that use it load and validate."""

import json

import numpy as np
import pytest

from causalpref.data import PreferenceData, read_preferences
from causalpref.errors import ConfigError
from causalpref.evaluate import load_spec, parse_spec
from causalpref.evaluate.sources import FileSource, length_selection
from tests.shared_data import HH_HARMLESS, RELABELED_HH, require

SIZES = {"n_train": 100, "n_validation": 40, "test_fraction": 0.3}
WORDS = ["the", "a", "cat", "sat", "on", "mat", "dog", "ran", "far", "away"]


def hh_like_pairs(n: int = 400, seed: int = 0, shorter_share: float = 0.55) -> dict[str, list]:
    """HH-shaped transcripts (chosen / rejected with Human / Assistant turns): the chosen reply
    is the shorter one in about `shorter_share` of the pairs; every 20th pair is a length tie."""
    rng = np.random.default_rng(seed)
    chosen, rejected = [], []
    for i in range(n):
        short, long = int(rng.integers(3, 10)), int(rng.integers(11, 25))
        if i % 20 == 0:
            short = long
        first, second = (short, long) if rng.random() < shorter_share else (long, short)
        prompt = f"\n\nHuman: question number {i}?\n\nAssistant:"
        chosen.append(f"{prompt} {' '.join(rng.choice(WORDS, first))}.")
        rejected.append(f"{prompt} {' '.join(rng.choice(WORDS, second))}.")
    return {"chosen": chosen, "rejected": rejected}


def write_hh_like(path, **kwargs) -> None:
    """An HH-format JSONL file of `hh_like_pairs`."""
    columns = hh_like_pairs(**kwargs)
    lines = [
        json.dumps({"chosen": c, "rejected": r}) for c, r in zip(*columns.values(), strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    path = tmp_path_factory.mktemp("hh") / "pairs.jsonl"
    write_hh_like(path)
    return read_preferences(path, layout="auto")


def words(texts) -> np.ndarray:
    return np.array([len(t.split()) for t in texts])


def shorter_preferred(part: PreferenceData) -> np.ndarray:
    """Recomputed from the texts, independently of the resampler's own column."""
    a, b = words(part.column("response_a")), words(part.column("response_b"))
    return np.where(part.labels > 0.5, a < b, b < a)


def keys(part: PreferenceData) -> set[tuple[str, str]]:
    return set(zip(part.column("response_a"), part.column("response_b"), strict=True))


@pytest.mark.parametrize("share", [0.5, 0.7, 0.9, 0.95])
def test_the_share_of_shorter_preferred_pairs_is_met_exactly(pairs, share):
    parts = length_selection(pairs, seed=1, share=share, **SIZES)
    for name, n in (("train", SIZES["n_train"]), ("validation", SIZES["n_validation"])):
        assert len(parts[name]) == n
        assert shorter_preferred(parts[name]).sum() == round(share * n)


def test_the_test_pool_is_held_out_once_per_seed_and_never_trained_on(pairs):
    pools = {share: length_selection(pairs, seed=3, share=share, **SIZES) for share in (0.5, 0.95)}
    assert keys(pools[0.5]["natural"]) == keys(pools[0.95]["natural"])
    for parts in pools.values():
        fitted = keys(parts["train"]) | keys(parts["validation"])
        assert not fitted & keys(parts["natural"])
        assert not keys(parts["train"]) & keys(parts["validation"])
    other_seed = length_selection(pairs, seed=4, share=0.5, **SIZES)
    assert keys(other_seed["natural"]) != keys(pools[0.5]["natural"])


def test_reversed_holds_exactly_the_pools_longer_preferred_pairs(pairs):
    parts = length_selection(pairs, seed=0, share=0.9, **SIZES)
    natural, reversed_ = parts["natural"], parts["reversed"]
    assert len(reversed_) > 0 and not shorter_preferred(reversed_).any()
    assert keys(reversed_) == keys(natural.filter(~shorter_preferred(natural)))
    assert set(reversed_.column("preferred_length")) == {"longer"}


def test_pairs_of_equal_length_are_left_out_everywhere(pairs):
    parts = length_selection(pairs, seed=0, share=0.5, **SIZES)
    for part in parts.values():
        a, b = words(part.column("response_a")), words(part.column("response_b"))
        assert (a != b).all()
    assert len(pairs) == 400  # 20 of them are ties: the fixture does have some to drop


def test_a_share_the_rows_cannot_meet_says_how_many_are_needed(pairs):
    # 0.95 * 120 + 0.95 * 40 = 152 shorter-preferred pairs; the fixture has about 146 to spare.
    with pytest.raises(ConfigError, match=r"need 152 pairs .* shorter one .* but only \d+ are"):
        length_selection(pairs, seed=0, share=0.95, n_train=120, n_validation=40, test_fraction=0.3)
    with pytest.raises(ConfigError, match="share=1.5"):
        length_selection(pairs, seed=0, share=1.5, **SIZES)


def study_table(path, **resample) -> dict:
    return {
        "study": {
            "length": {
                "data": str(path),
                "encoder": "hashing",
                "resample": {"name": "length_selection", **resample},
                "grid": {"share": [0.5, 0.95]},
                "methods": ["bt"],
                "baseline": "bt",
            }
        }
    }


def test_the_spec_checks_the_resampler_settings(tmp_path):
    path = tmp_path / "pairs.jsonl"
    write_hh_like(path)
    with pytest.raises(ConfigError) as err:
        parse_spec(study_table(path, n_train=10, n_validaton=5, test_fraction=0.3))
    assert "has no setting 'n_validaton'" in str(err.value)
    assert "needs setting 'n_validation'" in str(err.value)
    spec = parse_spec(study_table(path, **SIZES))
    assert spec.studies[0].source.shift() == "reversed"


def test_a_grid_point_the_file_cannot_meet_fails_before_any_fit(tmp_path):
    path = tmp_path / "pairs.jsonl"
    write_hh_like(path)
    spec = parse_spec(study_table(path, n_train=120, n_validation=40, test_fraction=0.3))
    fits = []
    study = spec.studies[0]
    with pytest.raises(ConfigError, match="share=0.95"):
        study.run(progress=fits.append)
    assert fits == []


NEEDS_DATA = {
    "hh-length-selection": ("study.length.data", HH_HARMLESS),
    "hh-confounding-robust": ("study.robust.data", RELABELED_HH),
}


@pytest.mark.parametrize("name", sorted(NEEDS_DATA))
def test_the_real_data_specs_load_select_on_validation_and_probe_padding(name, tmp_path):
    (tmp_path / "pairs.jsonl").write_text("{}\n")
    spec = load_spec(name, {NEEDS_DATA[name][0]: str(tmp_path / "pairs.jsonl")})
    study = spec.studies[0]
    assert study.select == "validation" and study.padding_probe and len(study.seeds) == 5
    assert study.methods[0].label in ("bt", "base") and study.baseline == study.methods[0].label
    wanted = {"invariant_mmd", "odin", "group_dro", "vrex", "rrm_augment", "linear_probe"}
    assert wanted <= {m.method for m in study.methods}
    assert all(1 < len(v) <= 4 for m in study.methods for v in m.grid.values())  # small grids


def test_the_length_spec_fits_the_real_file_at_every_share():
    path = require(HH_HARMLESS)
    spec = load_spec("hh-length-selection", {"study.length.data": str(path)})
    source = spec.studies[0].source
    source = FileSource(
        path,
        source.layout,
        "precomputed",
        resample=source.resample,
        resample_settings=source.resample_settings,
    )
    for share in spec.studies[0].grid["share"]:
        splits = source.load({"share": share}, seed=0)  # raises if the file cannot meet it
        assert len(splits.train) == source.resample_settings["n_train"]
        assert shorter_preferred(splits.train).mean() == pytest.approx(share, abs=0.002)
