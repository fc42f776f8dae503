"""The layout of DESIGN.md: a folder imports only from folders above it in the table.

Every import is checked, lazy ones inside functions included, so a later stage cannot creep
into an earlier one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "causalpref"
ORDER = [
    "data",
    "features",
    "simulate",
    "audit",
    "models",
    "methods",
    "evaluate",
    "design",
    "report",
    "serve",
    "integrations",
]
TOP = {
    "errors",
    "registry",
    "metrics",
    "progress",
    "_atomic",
    "failures",
    "_interval",
    "_json",
    "outputs",
    "__init__",
}


def rank(part: str) -> int:
    """Position of a top-level name in the layering (shared modules first, cli last)."""
    if part in TOP:
        return -1
    if part == "cli":
        return len(ORDER)
    return ORDER.index(part)


def imported(path: Path) -> set[str]:
    """First component under causalpref of every module `path` imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
            if node.module == "causalpref":
                modules = [f"causalpref.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        else:
            continue
        names |= {m.split(".")[1] for m in modules if m.startswith("causalpref.")}
    return names - {"__version__"}


FOLDERS = [p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name in ORDER]


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_folder_imports_only_earlier_stages(folder):
    bad = {
        f"{path.relative_to(PACKAGE)} imports causalpref.{name}"
        for path in (PACKAGE / folder).rglob("*.py")
        for name in imported(path)
        if rank(name) > rank(folder)
    }
    assert not bad, sorted(bad)


def test_shared_modules_import_no_stage():
    for name in TOP - {"__init__"}:
        path = PACKAGE / f"{name}.py"
        if path.exists():
            assert all(rank(m) == -1 for m in imported(path)), (name, imported(path))


def test_the_check_can_fail(tmp_path):
    """Negative control: a lazy import of a later stage is found."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from causalpref.evaluate.study import Study\n")
    assert imported(module) == {"evaluate"} and rank("evaluate") > rank("simulate")
