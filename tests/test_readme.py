"""The README's tour runs as written: its shell commands in a fresh folder, its Python snippet.

The tour uses only files it creates, so these tests need no ../shared data; they run the
installed `causalpref` command the README tells users to reach.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
TOUR_HEADING = "## A short tour"


def tour_blocks(language: str) -> list[str]:
    """Fenced blocks of `language` between the tour heading and the next level-2 heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index(TOUR_HEADING)
    end = text.find("\n## ", start + len(TOUR_HEADING))
    tour = text[start : end if end != -1 else len(text)]
    return re.findall(rf"```{language}\n(.*?)```", tour, flags=re.S)


def tour_commands() -> list[str]:
    """Each command line of the tour's bash blocks, comments dropped."""
    lines = [
        line.split("  #")[0].strip() for block in tour_blocks("bash") for line in block.split("\n")
    ]
    return [line for line in lines if line and not line.startswith("#")]


def test_tour_has_commands_and_python():
    commands = tour_commands()
    assert any(c.startswith("causalpref fit") for c in commands)
    assert any(c.startswith("causalpref study") for c in commands)
    assert tour_blocks("python"), "the tour shows the Python API"
    assert all(b.startswith("# ") for b in tour_blocks("toml")), "a toml block names its file"


def test_readme_says_how_to_reach_the_command():
    text = README.read_text(encoding="utf-8")
    assert ".venv/bin/causalpref" in text and "source .venv/bin/activate" in text


@pytest.mark.slow
def test_tour_runs_as_written(tmp_path):
    """Every tour command exits 0 in an empty folder, in order, with only the venv on PATH."""
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "causalpref").exists(), (
        "install the package (make test does) to get the command"
    )
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["CAUSALPREF_CACHE"] = str(tmp_path / "cache")
    work = tmp_path / "tour"
    work.mkdir()
    for block in tour_blocks("toml"):  # each starts with "# <file name>", as the README says
        name = block.split("\n", 1)[0].removeprefix("#").strip()
        (work / name).write_text(block, encoding="utf-8")
    for command in tour_commands():
        assert "../shared" not in command, f"the tour must not need ../shared: {command}"
        result = subprocess.run(
            shlex.split(command), cwd=work, env=env, capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    for block in tour_blocks("python"):
        result = subprocess.run(
            [sys.executable, "-c", block],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"{block}\n{result.stdout}\n{result.stderr}"
