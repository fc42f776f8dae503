"""Output paths checked before any work, and the marker that says a folder is causalpref's.

Every command that writes calls `check_output` first, so a bad path fails in a second, not after
the training. An output goes to a new path, or replaces only an earlier causalpref output of the
same kind, and only with `overwrite`: a file or folder causalpref did not write is never deleted.
Folder outputs carry a marker file (`.causalpref-output.json`) listing what they wrote; a saved
model is recognised by its own `config.json` instead.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

from causalpref._atomic import atomic_path
from causalpref.errors import ConfigError

MARKER = ".causalpref-output.json"
MARKER_FORMAT = "causalpref.output"
MODEL_FORMAT = "causalpref.reward_model"  # a saved model's config.json is its marker
FILE = "file"
OVERWRITE_HELP = (
    "Replace an earlier output of this command at the same path (a file, or a folder holding "
    "only what causalpref wrote there); without it an existing path is an error."
)

Owned = Callable[[Path], "set[str] | None"]
PathLike = str | os.PathLike


def check_output(
    path: PathLike,
    *,
    kind: str,
    overwrite: bool = False,
    inputs: Iterable[PathLike | None] = (),
    option: str | None = None,
    owned: Owned | None = None,
) -> Path:
    """ConfigError, before any work, if writing output `kind` ("file", or a folder kind such as
    "audit") at `path` could lose data or would fail; returns `path`.

    `inputs` are the command's input files (an output may not be one of them); `owned(folder)`
    names the files an earlier output of this kind holds (default: from its marker). Nothing is
    created, except a probe file that is removed at once (we may run as root: os.access says
    yes to everything).
    """
    path = Path(path)
    where = f"{option} {path}" if option else str(path)
    _check_not_an_input(path, inputs, where, folder=kind != FILE)
    if os.path.lexists(path):
        if kind == FILE:
            _check_file(path, overwrite, where)
        else:
            owned = owned or partial(marker_files, kind=kind)
            problem = folder_problem(path, kind, owned)
            if problem:
                raise ConfigError(f"{where}: {problem}")
            if any(path.iterdir()) and not overwrite:
                raise ConfigError(
                    f"{where}: holds an earlier {kind} output; nothing was changed: pass "
                    "--overwrite to replace it, or choose a new path"
                )
    check_writable(path, where)
    return path


def check_folder_writable(path: PathLike, *, option: str | None = None) -> Path:
    """ConfigError, before any work, if `path` cannot be used as a folder to write into (it is
    a file, lies below one, or is in a place we cannot write); creates nothing."""
    path = Path(path)
    where = f"{option} {path}" if option else str(path)
    if os.path.lexists(path) and not path.is_dir():
        raise ConfigError(f"{where}: is a file, not a folder; pass a folder path")
    if path.is_dir():
        _probe(path, where)
    else:
        check_writable(path, where)
    return path


@contextlib.contextmanager
def output_folder(path: PathLike, kind: str, *, overwrite: bool = False) -> Iterator[Path]:
    """Check `path`, then yield a new empty folder to write the whole output into; on success it
    gets its marker and replaces `path` in one rename (a kill leaves the old or the new output,
    never a mix)."""
    check_output(path, kind=kind, overwrite=overwrite)
    owned = partial(marker_files, kind=kind)
    with atomic_path(
        path, replaces=lambda folder: folder_problem(folder, kind, owned) is None
    ) as tmp:
        tmp.mkdir()
        yield tmp
        write_marker(tmp, kind)


def write_marker(folder: Path, kind: str) -> Path:
    """Write the marker of output `kind` into `folder`, listing every file under it."""
    from causalpref import __version__
    from causalpref._json import dumps

    record = {
        "format": MARKER_FORMAT,
        "kind": kind,
        "library_version": __version__,
        "files": sorted(name for name in files_under(folder) if name != MARKER),
    }
    marker = folder / MARKER
    marker.write_text(dumps(record, indent=2) + "\n", encoding="utf-8")
    return marker


def marker_kind(folder: Path) -> str | None:
    """The output kind the marker in `folder` records ("model" for a saved model), or None
    without a readable marker."""
    try:
        record = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "model" if _is_model_config(folder / "config.json") else None
    if not isinstance(record, dict) or record.get("format") != MARKER_FORMAT:
        return None
    kind = record.get("kind")
    return kind if isinstance(kind, str) else None


def marker_files(folder: Path, *, kind: str) -> set[str] | None:
    """The files (marker included) that the `kind` output in `folder` wrote, from its marker;
    None when there is no readable marker of that kind."""
    if marker_kind(folder) != kind:
        return None
    files = json.loads((folder / MARKER).read_text(encoding="utf-8")).get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return {*files, MARKER}


def _is_model_config(path: Path) -> bool:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("format") == MODEL_FORMAT


def folder_problem(folder: Path, kind: str, owned: Owned) -> str | None:
    """Why the `kind` output may not replace `folder` (even with overwrite), or None when it may:
    it is empty, or holds an earlier output of that kind and nothing else."""
    if folder.is_symlink() or not folder.is_dir():
        what = "a symbolic link" if folder.is_symlink() else "a file"
        return (
            f"is {what}, and the {kind} output is a folder that would replace it; nothing "
            "was changed: choose a new path"
        )
    if _contains_cwd(folder):
        return (
            "is the current folder (or holds it), which an output never replaces; nothing was "
            f"changed: choose a new folder, e.g. {folder / kind}"
        )
    if not any(folder.iterdir()):
        return None
    names = owned(folder)
    if names is None:
        other = marker_kind(folder)
        found = (
            f"is a causalpref {other} output, not a {kind} output"
            if other
            else f"is a folder that causalpref did not write (it holds {_sample(folder)})"
        )
        return f"{found}; nothing was changed: choose a new path, or move the folder away yourself"
    extras = [name for name in files_under(folder) if name not in names]
    if extras:
        return (
            f"holds files that the earlier {kind} output did not write ({_listed(extras)}); "
            "causalpref never deletes them, even with --overwrite; nothing was changed: move "
            "them away or choose a new path"
        )
    return None


def files_under(folder: Path) -> list[str]:
    """Relative POSIX paths of the files (and empty folders) under `folder`, sorted."""
    out = []
    for item in sorted(folder.rglob("*")):
        if item.is_dir() and not item.is_symlink() and any(item.iterdir()):
            continue
        out.append(item.relative_to(folder).as_posix())
    return out


def check_writable(path: Path, where: str) -> None:
    """ConfigError unless `path` can be created: its nearest existing ancestor is a folder we
    can write in."""
    place = Path(os.path.abspath(path)).parent
    while not os.path.lexists(place):
        place = place.parent
    if not place.is_dir():
        raise ConfigError(
            f"{where}: {place} is a file, so nothing can be created below it; choose a path "
            "inside a folder"
        )
    _probe(place, where)


def _probe(folder: Path, where: str) -> None:
    """Create and remove a file in `folder`: the only sure test of writing there."""
    try:
        handle, name = tempfile.mkstemp(prefix=".causalpref-probe-", dir=folder)
    except OSError as err:
        raise ConfigError(
            f"{where}: cannot write in {folder} ({err.strerror or err}); choose a writable place"
        ) from None
    os.close(handle)
    os.unlink(name)


def _check_file(path: Path, overwrite: bool, where: str) -> None:
    """A file output replaces only a regular file, and only with overwrite."""
    if path.is_symlink() or not path.is_file():
        what = (
            "a symbolic link"
            if path.is_symlink()
            else "a folder"
            if path.is_dir()
            else "not a regular file"
        )
        raise ConfigError(
            f"{where}: is {what}, which a file output never replaces; nothing was changed: "
            "choose a file path"
        )
    if not overwrite:
        raise ConfigError(
            f"{where}: already exists; nothing was changed: pass --overwrite to replace it, or "
            "choose a new path"
        )


def _check_not_an_input(
    path: Path, inputs: Iterable[PathLike | None], where: str, *, folder: bool
) -> None:
    """An output may be neither one of the command's inputs nor (a folder output) a folder
    holding one."""
    if not os.path.lexists(path):
        return
    for item in inputs:
        if item is None or not os.path.exists(item):
            continue
        inside = folder and path.is_dir() and Path(item).resolve().is_relative_to(path.resolve())
        if inside or os.path.samefile(path, item):
            raise ConfigError(
                f"{where}: would overwrite {item}, an input of this command; nothing was "
                "changed: choose a new path"
            )


def _contains_cwd(folder: Path) -> bool:
    try:
        return Path.cwd().resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def _sample(folder: Path, limit: int = 5) -> str:
    """A few of the names under `folder` (a user's folder may hold very many)."""
    names = sorted(item.name for item in itertools.islice(folder.iterdir(), 100))
    return _listed(names, limit) + (", ..." if len(names) == 100 else "")


def _listed(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
