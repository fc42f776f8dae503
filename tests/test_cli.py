"""End-to-end tests of the `causalpref` command line (typer's runner, no subprocess)."""

import json
import math

import pytest
from typer.testing import CliRunner

from causalpref.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


COMMANDS = [c.name or c.callback.__name__ for c in app.registered_commands] + [
    g.name for g in app.registered_groups
]


def test_the_command_list_is_complete():
    """The list below is read from the app, so a new command cannot miss its checks."""
    assert {"fit", "evaluate", "export", "serve", "replicate"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0 and "Usage" in result.output


def test_demo_rejects_an_unknown_precision_before_running(tmp_path):
    result = invoke("demo", "--quick", "--out", tmp_path / "d", "--precision", "fp16")
    assert result.exit_code == 2 and "precision='fp16'" in result.output
    assert not (tmp_path / "d").exists()


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
    assert "scoring 200 test rows of 700 (split: test_consistent, test_inconsistent)" in (
        result.output
    )
    report = json.loads(metrics.read_text())
    assert set(report["splits"]) == {"test_consistent", "test_inconsistent"}
    assert all(0.0 <= v <= 1.0 for v in report["splits"].values())
    assert 0.0 <= report["accuracy"] <= 1.0
    everything = invoke("evaluate", model, data, "--rows", "all", "--json", metrics, "--overwrite")
    assert everything.exit_code == 0, everything.output
    splits = set(json.loads(metrics.read_text())["splits"])
    assert splits == {"train", "validation", "test_consistent", "test_inconsistent"}


def test_fit_help_offers_the_attribute_option_and_its_default():
    result = invoke("fit", "--help")
    assert result.exit_code == 0 and "--attribute" in result.output
    assert "length_words" in result.output


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


def write_trl(path, n=60):
    good = ["A careful, correct and complete answer with details.", "Here is a clear explanation."]
    bad = ["no", "idk!!!"]
    with path.open("w") as fh:
        for i in range(n):
            fh.write(
                json.dumps(
                    {
                        "prompt": f"Question {i}?",
                        "chosen": good[i % 2],
                        "rejected": bad[i % 2],
                        "topic": "ab"[i % 2],
                    }
                )
                + "\n"
            )


def test_text_fit_evaluate_score_with_an_encoder(tmp_path, monkeypatch):
    monkeypatch.setenv("CAUSALPREF_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "pairs.jsonl"
    write_trl(data)
    model = tmp_path / "m"
    result = invoke(
        "fit",
        data,
        "--encoder",
        "hashing",
        "--method",
        "bt",
        "--out",
        model,
        "--epochs",
        3,
        "--hidden-dim",
        16,
        "--lr",
        0.01,
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    saved = json.loads((model / "config.json").read_text())["encoder"]
    assert saved["spec"] == "hashing" and saved["fingerprint"]["dim"] == 1024

    metrics = tmp_path / "metrics.json"
    result = invoke("evaluate", model, data, "--split-by", "topic", "--json", metrics)
    assert result.exit_code == 0, result.output
    assert set(json.loads(metrics.read_text())["splits"]) == {"a", "b"}

    rewards = tmp_path / "rewards.jsonl"
    result = invoke("score", model, data, "--out", rewards)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in rewards.read_text().splitlines()]
    assert len(lines) == 60 and {"pair_id", "reward_a", "reward_b", "prob_a"} == set(lines[0])
    assert all(
        abs(r["prob_a"] - 1 / (1 + math.exp(r["reward_b"] - r["reward_a"]))) < 1e-9 for r in lines
    )


def test_a_model_refuses_data_encoded_differently(tmp_path, monkeypatch):
    monkeypatch.setenv("CAUSALPREF_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "pairs.jsonl"
    write_trl(data, n=30)
    model = tmp_path / "m"
    assert (
        invoke(
            "fit",
            data,
            "--encoder",
            "hashing",
            "--method",
            "bt",
            "--out",
            model,
            "--epochs",
            1,
            "--hidden-dim",
            8,
            "--quiet",
        ).exit_code
        == 0
    )
    config = json.loads((model / "config.json").read_text())
    config["encoder"]["fingerprint"]["dim"] = 512
    (model / "config.json").write_text(json.dumps(config))
    result = invoke("evaluate", model, data)
    assert result.exit_code != 0 and "differs from the one the model was fitted with" in str(
        result.exception
    )


def test_attributes_reports_shares_per_attribute(tmp_path):
    data = tmp_path / "pairs.jsonl"
    write_trl(data, n=10)
    out = tmp_path / "shares.json"
    result = invoke(
        "attributes", data, "--name", "length_chars", "--name", "exclamations", "--json", out
    )
    assert result.exit_code == 0, result.output
    shares = json.loads(out.read_text())
    assert shares["length_chars"]["higher"] == 1.0 and shares["exclamations"]["lower"] == 0.5


def test_replicate_lists_hh_confounding():
    result = invoke("replicate", "--help")
    assert result.exit_code == 0 and "hh-confounding" in result.output
    assert invoke("replicate", "hh-confounding", "--help").exit_code == 0


def test_fit_takes_method_settings_and_rejects_unknown_ones(tmp_path):
    data = tmp_path / "sa.parquet"
    assert (
        invoke(
            "simulate",
            "spurious_attribute",
            "--out",
            data,
            "--set",
            "n_train=200",
            "--set",
            "n_validation=50",
            "--set",
            "n_test=50",
            "--set",
            "dim=8",
        ).exit_code
        == 0
    )
    model = tmp_path / "m"
    result = invoke(
        "fit",
        data,
        "--method",
        "vrex",
        "--out",
        model,
        "--epochs",
        1,
        "--hidden-dim",
        8,
        "--set",
        "penalty=5",
        "--set",
        "env=env",
        "--precision",
        "bf16",
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    settings = json.loads((model / "config.json").read_text())["settings"]
    assert settings["penalty"] == 5 and settings["env"] == "env" and settings["precision"] == "bf16"
    bad = invoke("fit", data, "--method", "vrex", "--out", tmp_path / "m2", "--set", "penality=5")
    assert bad.exit_code != 0 and "valid settings" in str(bad.exception)
    fp16 = invoke("fit", data, "--method", "vrex", "--out", tmp_path / "m2", "--precision", "fp16")
    assert fp16.exit_code == 2 and "precision='fp16'" in fp16.output
    assert not (tmp_path / "m2").exists()


def test_text_scenario_fits_an_augmentation_method_with_the_data_encoder(tmp_path, monkeypatch):
    monkeypatch.setenv("CAUSALPREF_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "st.jsonl"
    knobs = ["--set", "n_train=200", "--set", "n_validation=50", "--set", "n_test=50"]
    result = invoke("simulate", "spurious_text", "--out", data, "--set", "encoder=null", *knobs)
    assert result.exit_code == 0, result.output
    model = tmp_path / "m"
    args = ["fit", data, "--method", "counterfactual_augment", "--out", model, "--epochs", 1]
    result = invoke(*args, "--hidden-dim", 8, "--encoder", "hashing", "--set", "rewriters=padding")
    assert result.exit_code == 0, result.output
    settings = json.loads((model / "config.json").read_text())["settings"]
    assert settings["encoder"] == "hashing" and settings["rewriters"] == "padding"


def test_fit_out_never_deletes_a_folder_it_did_not_write(tmp_path, capsys):
    """The data-loss reproduction: --out names the folder that holds the data; it stays intact,
    before any training, and a model folder of our own is replaced on refit."""
    from causalpref.cli import main

    project = tmp_path / "p"
    data = project / "data" / "pairs.parquet"
    data.parent.mkdir(parents=True)
    sizes = ["--set", "n_train=200", "--set", "n_validation=50", "--set", "n_test=50"]
    assert (
        invoke("simulate", "spurious_attribute", "--out", data, *sizes, "--set", "dim=8").exit_code
        == 0
    )
    (project / "notes.txt").write_text("mine")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    args = ["fit", str(data), "--method", "bt", "--epochs", "1", "--hidden-dim", "8", "--quiet"]
    with pytest.raises(SystemExit) as exit_info:
        main_with(main, [*args, "--out", str(project)])
    assert exit_info.value.code == 2 and "nothing was changed" in capsys.readouterr().err
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
    model = tmp_path / "m"
    assert invoke(*args, "--out", model).exit_code == 0
    again = invoke(*args, "--out", model)
    assert again.exit_code != 0 and "--overwrite" in str(again.exception)
    assert invoke(*args, "--out", model, "--overwrite").exit_code == 0  # replaces our model
    assert sorted(p.name for p in model.iterdir()) == ["config.json", "model.safetensors"]


def main_with(main, argv):
    """Run the installed entry point (its error handling included) with `argv`."""
    import sys

    saved = sys.argv
    sys.argv = ["causalpref", *argv]
    try:
        main()
    finally:
        sys.argv = saved


def run_main(monkeypatch, capsys, *argv):
    """(exit code, stderr) of the installed entry point run with `argv`."""
    from causalpref.cli import main

    monkeypatch.setattr("sys.argv", ["causalpref", *[str(a) for a in argv]])
    with pytest.raises(SystemExit) as exit_info:
        main()
    return exit_info.value.code, capsys.readouterr().err


def test_the_issue_reproduction_leaves_the_folder_untouched(tmp_path, monkeypatch, capsys):
    """`fit p/data/pairs.jsonl --out p` with p/notes.txt: exit 2, p/ unchanged, says why."""
    monkeypatch.chdir(tmp_path)
    rows = [
        {"prompt": f"q{i}", "chosen": "yes " * (i % 4 + 1), "rejected": "no"} for i in range(40)
    ]
    (tmp_path / "p" / "data").mkdir(parents=True)
    (tmp_path / "p" / "data" / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    (tmp_path / "p" / "notes.txt").write_text("x\n")
    before = {f: f.read_bytes() for f in (tmp_path / "p").rglob("*") if f.is_file()}
    argv = ["fit", "p/data/pairs.jsonl", "--encoder", "hashing", "--method", "bt", "--out", "p"]
    code, err = run_main(monkeypatch, capsys, *argv)
    assert code == 2 and err.startswith("error: --out p:") and "nothing was changed" in err
    assert {f: f.read_bytes() for f in (tmp_path / "p").rglob("*") if f.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"], "no model, no temporary"


def test_file_outputs_are_replaced_only_with_overwrite(tmp_path, monkeypatch, capsys):
    data = tmp_path / "pairs.jsonl"
    rows = [{"prompt": "q", "chosen": "a long answer", "rejected": "no"}] * 10
    data.write_text("\n".join(json.dumps(r) for r in rows))
    shares = tmp_path / "shares.json"
    assert invoke("attributes", data, "--json", shares).exit_code == 0
    code, err = run_main(monkeypatch, capsys, "attributes", data, "--json", shares)
    assert code == 2 and "--json" in err and "pass --overwrite" in err
    assert invoke("attributes", data, "--json", shares, "--overwrite").exit_code == 0
    code, err = run_main(monkeypatch, capsys, "attributes", data, "--json", tmp_path)
    assert code == 2 and "a file output never replaces" in err
    code, err = run_main(monkeypatch, capsys, "attributes", data, "--json", data, "--overwrite")
    assert code == 2 and "an input of this command" in err


def test_output_and_cache_paths_are_checked_before_any_work(tmp_path, monkeypatch, capsys):
    import causalpref.cli as cli

    def no_reading(*args, **kwargs):
        raise AssertionError("read the data before checking the output path")

    monkeypatch.setattr(cli, "_load", no_reading)
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    fit = ["fit", notes, "--encoder", "hashing", "--method", "bt"]
    for argv, where in (
        ([*fit, "--out", notes / "m"], "--out"),
        ([*fit, "--out", tmp_path / "m", "--cache-dir", notes], "--cache-dir"),
        ([*fit, "--out", tmp_path / "m", "--cache-dir", notes / "c"], "--cache-dir"),
        (["audit", notes, "--out", "/proc/causalpref-test/audit"], "--out"),
        (["simulate", "latent_overlap", "--out", notes], "--out"),
        (["study", "demo-quick", "--out", notes], "--out"),
    ):
        code, err = run_main(monkeypatch, capsys, *argv)
        assert code == 2 and err.startswith(f"error: {where} "), (argv, err)
        assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_nonsensical_numbers_are_refused_before_any_work(tmp_path, monkeypatch, capsys):
    fit = ["fit", tmp_path / "x.jsonl", "--method", "bt", "--out", tmp_path / "m"]
    code, err = run_main(monkeypatch, capsys, *fit, "--hidden-dim", 100000000)
    assert code == 2 and "'hidden_dim'" in err and "[1, 65536]" in err
    code, err = run_main(monkeypatch, capsys, *fit, "--epochs", 0, "--batch-size", 0, "--lr", -1)
    assert code == 2 and all(f"'{n}'" in err for n in ("epochs", "batch_size", "lr"))
    for argv in (
        ["bench", "--jobs", 0, "--out", tmp_path / "b"],
        ["demo", "--jobs", -1, "--out", tmp_path / "d"],
        ["study", "demo", "--jobs", 0, "--out", tmp_path / "s"],
        ["bench", "--seeds", 1, "--out", tmp_path / "b"],
        ["replicate", "hh-confounding", "--data", tmp_path / "x", "--seeds", 0],
        ["simulate", "latent_overlap", "--seed", -1, "--out", tmp_path / "x.jsonl"],
        ["audit", tmp_path / "x.jsonl", "--seed", -5, "--out", tmp_path / "a"],
    ):
        code, err = run_main(monkeypatch, capsys, *argv)
        option = next(str(a) for a in argv if str(a) in ("--jobs", "--seeds", "--seed"))
        assert code == 2 and option in err and "Traceback" not in err, (argv, err)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "failure, expected",
    [
        (
            OSError(28, "No space left on device", "big.jsonl"),
            "error: big.jsonl: No space left on device; free some space",
        ),
        (PermissionError(13, "Permission denied", "x.jsonl"), "error: x.jsonl: Permission denied"),
        (IsADirectoryError(21, "Is a directory", "d"), "error: d: Is a directory; it is a folder"),
        (
            UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
            "save the file as UTF-8",
        ),
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), "'\\ud800'"),
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply"),
        (MemoryError(), "out of memory"),
    ],
)
def test_expected_failures_end_in_one_line_and_exit_code_2(
    failure, expected, tmp_path, monkeypatch, capsys
):
    import causalpref.cli as cli

    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(cli, "_load", fail)
    code, err = run_main(monkeypatch, capsys, "attributes", tmp_path / "x.jsonl")
    assert code == 2 and expected in err and "Traceback" not in err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_an_interrupt_exits_130_without_a_traceback(tmp_path, monkeypatch, capsys):
    import causalpref.cli as cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_load", interrupted)
    code, err = run_main(monkeypatch, capsys, "attributes", tmp_path / "x.jsonl")
    assert code == 130 and err.strip() == "interrupted"


def test_a_bug_shows_its_traceback_and_asks_for_a_report(tmp_path, monkeypatch, capsys):
    import causalpref.cli as cli

    def bug(*args, **kwargs):
        raise ZeroDivisionError("a genuine bug")

    monkeypatch.setattr(cli, "_load", bug)
    code, err = run_main(monkeypatch, capsys, "attributes", tmp_path / "x.jsonl")
    assert code == 1 and "Traceback" in err and "ZeroDivisionError: a genuine bug" in err
    last = err.strip().splitlines()[-1]
    assert "this is a bug" in last and "please report it" in last
    assert "causalpref attributes" in last and "0." in last  # the command and the version


def test_usage_errors_keep_exit_code_2(monkeypatch, capsys):
    code, err = run_main(monkeypatch, capsys, "fit", "--no-such-option")
    assert code == 2 and "Usage" in err and "Traceback" not in err
