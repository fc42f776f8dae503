"""docs/cli.md is the CLI's own reference: regenerated from the app, it must match the page."""

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "cli_docs.py"


def test_the_command_reference_is_up_to_date():
    spec = importlib.util.spec_from_file_location("cli_docs", TOOL)
    cli_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli_docs)
    assert cli_docs.PAGE.read_text(encoding="utf-8") == cli_docs.render(), (
        "docs/cli.md is stale: run `python tools/cli_docs.py`"
    )


def test_every_command_is_documented():
    from tests.test_cli import COMMANDS

    page = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    assert all(f"## `causalpref {name}" in page for name in COMMANDS)
