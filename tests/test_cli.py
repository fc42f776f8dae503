"""End-to-end tests of the `causalpref` command line (typer's runner, no subprocess)."""

import json

import pytest
from typer.testing import CliRunner

from causalpref.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("command", ["demo", "simulate", "fit", "evaluate", "methods", "scenarios"])
def test_every_command_has_help(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0 and "Usage" in result.output


def test_simulate_fit_evaluate_round_trip(tmp_path):
    data = tmp_path / "uc.parquet"
    result = invoke(
        "simulate",
        "user_confounding",
        "--seed",
        1,
        "--out",
        data,
        "--set",
        "n_train=400",
        "--set",
        "n_validation=100",
        "--set",
        "n_test=100",
        "--set",
        "dim=16",
    )
    assert result.exit_code == 0, result.output
    assert "train=400" in result.output and "test_inconsistent=100" in result.output

    model = tmp_path / "model"
    result = invoke(
        "fit",
        data,
        "--method",
        "multihead",
        "--out",
        model,
        "--epochs",
        2,
        "--hidden-dim",
        16,
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    assert (model / "config.json").is_file() and (model / "model.safetensors").is_file()

    metrics = tmp_path / "metrics.json"
    result = invoke("evaluate", model, data, "--json", metrics)
    assert result.exit_code == 0, result.output
    report = json.loads(metrics.read_text())
    assert set(report["splits"]) == {"train", "validation", "test_consistent", "test_inconsistent"}
    assert all(0.0 <= v <= 1.0 for v in report["splits"].values())
    assert 0.0 <= report["accuracy"] <= 1.0


def test_user_mistakes_end_in_one_line_errors(tmp_path):
    missing = invoke("fit", tmp_path / "nope.parquet", "--method", "bt", "--out", tmp_path / "m")
    assert missing.exit_code != 0
    unknown = invoke(
        "simulate", "latent_overlap", "--out", tmp_path / "x.parquet", "--set", "rhoo=1"
    )
    assert unknown.exit_code != 0 and "valid knobs" in str(unknown.exception)
    bad = invoke("simulate", "latent_overlap", "--out", tmp_path / "x.parquet", "--set", "rho")
    assert "expected KEY=VALUE" in str(bad.exception)
    assert not (tmp_path / "x.parquet").exists()


def test_main_turns_library_errors_into_exit_code_2(tmp_path, capsys, monkeypatch):
    from causalpref import cli

    monkeypatch.setattr(
        "sys.argv",
        [
            "causalpref",
            "fit",
            str(tmp_path / "nope.jsonl"),
            "--method",
            "bt",
            "--out",
            str(tmp_path / "m"),
        ],
    )
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_listings_name_every_method_and_scenario():
    assert all(m in invoke("methods").output for m in ("bt", "base", "multihead", "adversarial"))
    out = invoke("scenarios").output
    assert "latent_overlap" in out and "user_confounding" in out and "rho=" in out
