"""Atomic writes: a file or folder appears complete under its final name, or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from causalpref.errors import ConfigError


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike, *, replaces: Callable[[Path], bool] | None = None
) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it onto `path`.

    Works for files and folders alike: the caller writes whatever it wants at the yielded path.
    On error the temporary is removed and any existing `path` is left untouched. An existing
    folder is replaced only when `replaces(folder)` says it is an earlier output of the same kind:
    a folder causalpref did not write is never deleted.
    """
    final = Path(path)
    check_replaceable(final, replaces)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    target = tmp / final.name
    try:
        yield target
        follow_umask(target)
        if final.is_dir() and not final.is_symlink():
            backup = Path(
                tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=final.parent)
            )
            os.replace(final, backup / final.name)
            os.replace(target, final)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(target, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def follow_umask(path: Path) -> None:
    """Give `path` (and all under it) the permissions a plain `open`/`mkdir` would have given.

    Temporary files and some writers (safetensors) create files readable by their owner only;
    outputs, shared caches in particular, must be readable as the user's umask says.
    """
    mask = current_umask()
    paths = [path, *path.rglob("*")] if path.is_dir() else [path]
    for item in paths:
        if item.is_symlink() or not item.exists():
            continue
        os.chmod(item, (0o777 if item.is_dir() else 0o666) & ~mask)


def current_umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_replaceable(final: Path, replaces: Callable[[Path], bool] | None) -> None:
    """ConfigError, before any work, if writing `final` would delete a folder we did not write."""
    if not final.is_dir() or final.is_symlink():
        return
    if replaces is not None and replaces(final):
        return
    kind = "a file" if replaces is None else "this kind of output"
    raise ConfigError(
        f"{final} is an existing folder that would be replaced by {kind}, and causalpref did not "
        "write it; nothing was changed: choose a new path, or move the folder away yourself"
    )


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to `path` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
