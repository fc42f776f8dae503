"""TOML study specs: every shipped spec validates; a broken spec names every problem at once."""

from pathlib import Path

import pytest

from causalpref.errors import ConfigError
from causalpref.evaluate import load_spec, parse_spec, shipped_specs

# Shipped specs that read a user's file get one here (the file only has to exist to validate).
NEEDS_DATA = {
    "hh-confounding": "study.hh_confounding.data",
    "hh-confounding-robust": "study.robust.data",
    "hh-length-selection": "study.length.data",
    "hh-model-selection": "study.selection.data",
}


def test_the_shipped_specs_are_the_documented_ones():
    assert shipped_specs() == [
        "adversary-schedule",
        "augmentation-evidence",
        "bench",
        "bench-quick",
        "demo",
        "demo-quick",
        "hh-confounding",
        "hh-confounding-robust",
        "hh-length-selection",
        "hh-model-selection",
    ]


@pytest.mark.parametrize("name", shipped_specs())
def test_every_shipped_spec_loads_and_validates(name, tmp_path):
    overrides = {}
    if name in NEEDS_DATA:
        (tmp_path / "pairs.jsonl").write_text("{}\n")
        overrides[NEEDS_DATA[name]] = str(tmp_path / "pairs.jsonl")
    spec = load_spec(name, overrides)
    assert spec.studies and all(s.methods and s.seeds and s.tasks() for s in spec.studies)
    for study in spec.studies:
        assert study.baseline in [m.label for m in study.methods]


def test_the_hh_spec_without_data_says_how_to_give_it():
    with pytest.raises(ConfigError, match="--data FILE"):
        load_spec("hh-confounding")


def test_every_problem_is_reported_at_once(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text(
        """
report = "pdf"
colour = "red"

[defaults]
seeds = 0

[study.a]
scenario = "latent_overlapp"
methods = ["bt"]

[study.b]
scenario = "spurious_attribute"
knobs = { strenght = 0.5 }
grid = { rho = 0.5 }
methods = { strong = { method = "invariant_mmd", penalti = 3 }, bt = {} }
baseline = "bt2"

[study.c]
data = "missing.jsonl"
methods = ["nope"]
clean_ceiling = true
"""
    )
    with pytest.raises(ConfigError) as err:
        load_spec(spec)
    text = str(err.value)
    for needle in (
        "report = 'pdf'",
        "unknown key 'colour'",
        "seeds = 0",
        "latent_overlapp",
        "strenght",
        "grid.rho = 0.5",
        "penalti",
        "baseline 'bt2'",
        "missing.jsonl not found",
        "unknown method 'nope'",
        "clean_ceiling = true needs a scenario",
    ):
        assert needle in text, f"{needle!r} not in:\n{text}"
    assert "problem(s)" in text.splitlines()[0]


def test_a_spec_names_a_file_or_a_shipped_spec():
    with pytest.raises(ConfigError, match="shipped: .*bench-quick"):
        load_spec("no-such-spec")
    assert load_spec("demo-quick").report == "demo"


def test_overrides_only_and_forced_settings():
    spec = load_spec(
        "bench-quick",
        {"defaults.seeds": 2},
        only=["latent_overlap"],
        settings={"precision": "bf16"},
    )
    (study,) = spec.studies
    assert study.seeds == (0, 1) and study.settings["precision"] == "bf16"
    with pytest.raises(ConfigError, match="not in the spec"):
        load_spec("bench-quick", only=["nope"])


def test_relative_data_paths_are_read_from_the_spec_folder(tmp_path):
    (tmp_path / "pairs.jsonl").write_text("{}\n")
    raw = {"study": {"s": {"data": "pairs.jsonl", "methods": ["bt"]}}}
    spec = parse_spec(raw, base_dir=tmp_path)
    assert spec.studies[0].source.path == Path(tmp_path / "pairs.jsonl")


def test_a_grid_may_sweep_method_settings_and_each_value_is_checked():
    raw = {
        "study": {
            "s": {
                "scenario": "latent_overlap",
                "grid": {"rho": [0.0], "settings.lr": [1e-3, -1.0]},
                "methods": ["bt"],
            }
        }
    }
    with pytest.raises(ConfigError, match="lr"):
        parse_spec(raw)
    raw["study"]["s"]["grid"]["settings.lr"] = [1e-3, 1e-2]
    (study,) = parse_spec(raw).studies
    assert [p["settings.lr"] for p in study.points()] == [1e-3, 1e-2]


def test_method_settings_reach_only_their_method_and_are_checked():
    raw = {
        "study": {
            "s": {
                "scenario": "latent_overlap",
                "methods": ["bt", "vrex"],
                "method_settings": {"vrex": {"penalty": 3.0}},
            }
        }
    }
    (study,) = parse_spec(raw).studies
    assert {m.method: m.settings for m in study.methods} == {"bt": {}, "vrex": {"penalty": 3.0}}
    raw["study"]["s"]["method_settings"] = {"vrex": {"penalty": -1.0}, "nope": {}}
    with pytest.raises(ConfigError, match=r"(?s)'nope', which is not.*'penalty' parameter"):
        parse_spec(raw)


def test_the_example_spec_in_the_docs_validates(tmp_path):
    text = (Path(__file__).parents[2] / "docs" / "studies.md").read_text()
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "study.toml").write_text(example)
    (tmp_path / "pairs.jsonl").write_text("{}\n")
    spec = load_spec(tmp_path / "study.toml")
    assert [s.name for s in spec.studies] == ["ours", "simulated"]
    assert spec.studies[1].clean_ceiling and len(spec.studies[1].methods) == 3
