"""Write docs/cli.md, the reference of every `causalpref` command, from the CLI itself.

Each command's docstring and options come from the Typer app, so the page cannot drift from the
code: `python tools/cli_docs.py` rewrites it, and tests/test_cli_docs.py fails when it is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import typer.main

from causalpref.cli import app

PAGE = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
HEADER = """# Command reference

Every `causalpref` command with its options, generated from the command line itself by
`python tools/cli_docs.py` (a test fails when this page is out of date). `causalpref COMMAND
--help` prints the same. Exit codes: 0 done, 2 a usage or data error (the message says what and
how to fix it), 130 interrupted, 1 a bug (with a request to report it).
"""


def render() -> str:
    """The whole page."""
    group = typer.main.get_command(app)
    parts = [HEADER]
    for name, command in sorted(group.commands.items()):
        parts += _command(f"causalpref {name}", command)
    return "\n".join(parts).rstrip("\n") + "\n"


def _command(path: str, command: click.Command) -> list[str]:
    lines = [f"## `{path}`", "", _usage(path, command), "", (command.help or "").strip(), ""]
    options = [p for p in command.params if p.name != "help"]
    if options:
        lines += ["| argument / option | default | meaning |", "|---|---|---|"]
        lines += [_row(p) for p in options] + [""]
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            lines += _command(f"{path} {name}", sub)
    return lines


def _usage(path: str, command: click.Command) -> str:
    arguments = [p.name.upper() for p in command.params if p.param_type_name == "argument"]
    more = " COMMAND" if isinstance(command, click.Group) else " [OPTIONS]"
    return "```\n" + " ".join([path, *arguments]) + more + "\n```"


def _row(param: click.Parameter) -> str:
    if param.param_type_name == "argument":
        name, default = param.name.upper(), "required"
    else:
        name = " / ".join(param.opts + param.secondary_opts)
        default = "required" if param.required else _default(param)
    meaning = (getattr(param, "help", None) or "").replace("|", "\\|").replace("\n", " ")
    return f"| `{name}` | {default} | {meaning} |"


def _default(param: click.Parameter) -> str:
    if param.is_flag and param.secondary_opts:  # --verbose/--quiet
        return f"`{param.opts[0] if param.default else param.secondary_opts[0]}`"
    if param.default is None or param.default == () or param.is_flag and not param.default:
        return ""
    return f"`{param.default}`"


if __name__ == "__main__":
    PAGE.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {PAGE}\n")
