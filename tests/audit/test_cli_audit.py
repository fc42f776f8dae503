"""`causalpref audit` from the command line: summary, files, exit codes, early errors."""

import json

import pytest
from typer.testing import CliRunner

from causalpref import simulate
from causalpref.cli import app
from causalpref.data import write_preferences

runner = CliRunner()


@pytest.fixture
def confounded(tmp_path):
    path = tmp_path / "uc.parquet"
    write_preferences(simulate.make("user_confounding", seed=0, rho=0.9, n_train=1500).train, path)
    return path


def test_audit_writes_json_and_html_and_exits_zero(confounded, tmp_path):
    out = tmp_path / "audit"
    result = runner.invoke(
        app, ["audit", str(confounded), "--context", "context", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "worst severity warning" in result.output
    assert "[warning] labeller.context_predictable" in result.output
    report = json.loads((out / "audit.json").read_text())
    assert report["worst_severity"] == "warning"
    assert {c["name"] for c in report["checks"]} >= {"spurious", "overlap", "labeller"}
    assert (out / "audit.html").is_file()


def test_clean_data_reports_no_warning(tmp_path):
    path = tmp_path / "clean.parquet"
    write_preferences(simulate.make("user_confounding", seed=1, rho=0.5, n_train=1500).train, path)
    out = tmp_path / "audit"
    result = runner.invoke(app, ["audit", str(path), "--context", "context", "--out", str(out)])
    assert result.exit_code == 0
    assert "[warning]" not in result.output


def test_text_data_with_attributes_option(tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [
        {"prompt": f"q{i}", "chosen": "short", "rejected": "a much longer answer " * (1 + i % 3)}
        for i in range(60)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    out = tmp_path / "audit"
    args = ["audit", str(path), "--attributes", "length_chars,hedging", "--out", str(out),
            "--cache-dir", str(tmp_path / "cache"), "--quiet"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "spurious.length_chars" in result.output and "shorter" in result.output


def test_bad_input_fails_with_a_clear_message(confounded, tmp_path):
    out = tmp_path / "audit"
    for args, text in (
        (["--context", "objective"], "context='objective'"),
        (["--users", str(tmp_path / "nope.csv")], "--users"),
        (["--attributes", "regex:("], "invalid regular expression"),
        (["--encoder", "nonsense"], "nonsense"),
    ):
        result = runner.invoke(app, ["audit", str(confounded), "--out", str(out), *args])
        assert result.exit_code != 0
        assert text in str(result.exception) + result.output
    assert not out.exists()


def test_a_second_audit_needs_overwrite_and_never_deletes_other_files(tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [{"prompt": f"q{i}", "chosen": "ok " * (1 + i % 3), "rejected": "no"} for i in range(40)]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    out = tmp_path / "audit"
    args = ["audit", str(path), "--attributes", "length_chars", "--out", str(out), "--quiet",
            "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    assert json.loads((out / ".causalpref-output.json").read_text())["files"] == [
        "audit.html",
        "audit.json",
    ]
    again = runner.invoke(app, args)
    assert again.exit_code != 0 and "pass --overwrite" in str(again.exception)
    (out / "notes.txt").write_text("mine")
    kept = runner.invoke(app, [*args, "--overwrite"])
    assert kept.exit_code != 0 and "(notes.txt)" in str(kept.exception)
    assert (out / "notes.txt").read_text() == "mine"


def test_audit_of_a_one_row_file_says_not_enough_data(tmp_path):
    """Once in the bad-input corpus: a one-row file is not an error but a verdict of its own,
    never "identified" because no check could find anything."""
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"prompt": "Hi", "chosen": "Hello there", "rejected": "no"}) + "\n")
    result = runner.invoke(app, ["audit", str(path), "--out", str(tmp_path / "audit")])
    assert result.exit_code == 0, result.output
    assert "not_enough_data population reward difference" in result.output
    report = json.loads((tmp_path / "audit" / "audit.json").read_text())
    statuses = {v["estimand"]: v["status"] for v in report["verdicts"]}
    assert not any(s == "identified" for s in statuses.values()), statuses
