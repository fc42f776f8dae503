"""data/ sits at the bottom of the package: it imports nothing from the folders above it, and no
module of data/ reaches into another module's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import causalpref.data

DATA = Path(causalpref.data.__file__).parent
ALLOWED = (
    "causalpref.data",
    "causalpref.errors",
    "causalpref.registry",
    "causalpref._atomic",
    "causalpref._json",
    "causalpref.outputs",
)


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) of every import statement in `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
    return found


def modules() -> list[Path]:
    return sorted(DATA.rglob("*.py"))


def test_data_imports_only_itself_and_the_base_modules():
    bad = [
        (path.relative_to(DATA).as_posix(), module)
        for path in modules()
        for module, _ in imports(path)
        if module.startswith("causalpref") and not module.startswith(ALLOWED)
    ]
    assert bad == []


def test_no_module_imports_private_names_of_another():
    bad = [
        (path.relative_to(DATA).as_posix(), module, name)
        for path in modules()
        for module, names in imports(path)
        if module.startswith("causalpref.")
        for name in names
        if name.startswith("_")
    ]
    assert bad == []


def module_aliases(tree: ast.AST) -> set[str]:
    """Local names bound to causalpref modules (`from causalpref.data import files as f`)."""
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("causalpref"):
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                if (DATA.parent / (name.split(".", 1)[1].replace(".", "/") + ".py")).exists():
                    aliases.add(alias.asname or alias.name)
    return aliases


def test_no_module_calls_private_functions_of_another():
    bad = []
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = module_aliases(tree)
        bad += [
            (path.relative_to(DATA).as_posix(), f"{node.value.id}.{node.attr}")
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
        ]
    assert bad == []
