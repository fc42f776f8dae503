"""Atomic writes never delete what causalpref did not write."""

import pytest

from causalpref._atomic import atomic_path, write_text
from causalpref.errors import ConfigError


def test_a_file_replaces_a_file(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    write_text(target, "new")
    assert target.read_text() == "new"


def test_a_file_never_replaces_a_folder(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="did not write it; nothing was changed"):
        write_text(folder, "x")
    assert (folder / "keep.txt").read_text() == "mine"


def test_a_folder_replaces_only_a_folder_it_recognises(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")

    def write(recognised: bool) -> None:
        with atomic_path(folder, replaces=lambda _: recognised) as tmp:
            tmp.mkdir()
            (tmp / "model").write_text("new")

    with pytest.raises(ConfigError):
        write(False)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    write(True)  # negative control: a recognised earlier output is replaced whole
    assert sorted(p.name for p in folder.iterdir()) == ["model"]
