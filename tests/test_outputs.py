"""Output paths are checked before any work, and never replace what causalpref did not write."""

import json
import os

import pyarrow as pa
import pytest

from causalpref.errors import ConfigError
from causalpref.outputs import (
    FILE,
    MARKER,
    check_folder_writable,
    check_output,
    output_folder,
)


def tree(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def write_audit(folder, text, *, overwrite=False):
    with output_folder(folder, "audit", overwrite=overwrite) as tmp:
        (tmp / "audit.json").write_text(text)
        (tmp / "audit.html").write_text(text)


def test_a_new_path_passes_and_nothing_is_created(tmp_path):
    assert check_output(tmp_path / "a" / "b" / "out.json", kind=FILE) == tmp_path / "a/b/out.json"
    check_output(tmp_path / "new", kind="audit")
    assert tree(tmp_path) == []


def test_an_existing_file_needs_overwrite(tmp_path):
    target = tmp_path / "scores.jsonl"
    target.write_text("old")
    with pytest.raises(ConfigError, match=r"--out .*scores.jsonl: already exists.*--overwrite"):
        check_output(target, kind=FILE, option="--out")
    check_output(target, kind=FILE, overwrite=True)  # negative control
    assert target.read_text() == "old"


def test_a_file_output_never_replaces_a_folder_and_a_folder_output_never_a_file(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is a folder, which a file output never replaces"):
        check_output(folder, kind=FILE, overwrite=True)
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    with pytest.raises(ConfigError, match="is a file, and the audit output is a folder"):
        check_output(notes, kind="audit", overwrite=True)


def test_a_folder_causalpref_did_not_write_is_never_replaced_even_with_overwrite(tmp_path):
    folder = tmp_path / "p"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "pairs.jsonl").write_text("{}")
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match=r"did not write \(it holds data, notes.txt\)"):
        write_audit(folder, "new", overwrite=True)
    assert tree(folder) == ["data", "data/pairs.jsonl", "notes.txt"]


def test_an_earlier_output_is_replaced_only_with_overwrite_and_only_whole(tmp_path):
    folder = tmp_path / "audit"
    write_audit(folder, "old")
    marker = json.loads((folder / MARKER).read_text())
    assert marker["kind"] == "audit" and marker["files"] == ["audit.html", "audit.json"]
    with pytest.raises(ConfigError, match="holds an earlier audit output.*--overwrite"):
        write_audit(folder, "new")
    write_audit(folder, "new", overwrite=True)
    assert (folder / "audit.json").read_text() == "new"
    (folder / "mine.txt").write_text("keep")
    with pytest.raises(ConfigError, match=r"did not write \(mine.txt\).*even with --overwrite"):
        write_audit(folder, "newer", overwrite=True)
    assert (folder / "mine.txt").read_text() == "keep"


def test_an_output_of_another_kind_is_not_replaced(tmp_path):
    folder = tmp_path / "out"
    write_audit(folder, "old")
    with pytest.raises(ConfigError, match="is a causalpref audit output, not a study output"):
        check_output(folder, kind="study", overwrite=True)


def test_a_failure_while_writing_leaves_the_old_output_whole(tmp_path):
    """One folder swap: never a new audit.json beside an old audit.html."""
    folder = tmp_path / "audit"
    write_audit(folder, "old")
    with pytest.raises(RuntimeError), output_folder(folder, "audit", overwrite=True) as tmp:
        (tmp / "audit.json").write_text("new")
        raise RuntimeError("killed between the two files")
    assert {p.name: p.read_text() for p in folder.iterdir() if p.name != MARKER} == {
        "audit.json": "old",
        "audit.html": "old",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit"], "no temporary left"


def test_an_empty_folder_may_be_used(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    write_audit(folder, "new")
    assert (folder / "audit.json").read_text() == "new"


def test_the_current_folder_is_never_replaced(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="is the current folder"):
        check_output(".", kind="audit", overwrite=True)


def test_an_output_may_not_be_an_input(tmp_path):
    data = tmp_path / "pairs.jsonl"
    data.write_text("{}")
    with pytest.raises(ConfigError, match="would overwrite .*pairs.jsonl, an input"):
        check_output(data, kind=FILE, overwrite=True, inputs=[None, data])
    with pytest.raises(ConfigError, match="an input of this command"):
        check_output(tmp_path, kind="audit", overwrite=True, inputs=[data])


@pytest.mark.parametrize("below", ["notes.txt/out", "notes.txt/a/b/out"])
def test_a_path_below_a_file_fails_before_any_work(tmp_path, below):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="notes.txt is a file, so nothing can be created"):
        check_output(tmp_path / below, kind="audit")
    with pytest.raises(ConfigError, match="--cache-dir .*notes.txt is a file"):
        check_folder_writable(tmp_path / below, option="--cache-dir")


def test_an_unwritable_place_fails_before_any_work():
    with pytest.raises(ConfigError, match="cannot write in /proc"):
        check_output("/proc/causalpref-test/out.json", kind=FILE)


def test_a_cache_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "cache").write_text("x")
    with pytest.raises(ConfigError, match="--cache-dir .*cache: is a file, not a folder"):
        check_folder_writable(tmp_path / "cache", option="--cache-dir")
    check_folder_writable(tmp_path / "new-cache")  # negative control
    assert not (tmp_path / "new-cache").exists()


def test_data_writers_replace_a_file_only_with_overwrite(tmp_path):
    from causalpref.data.files import write_table

    path = tmp_path / "rows.jsonl"
    write_table(pa.table({"x": [1.0, float("nan")]}), path)
    assert path.read_text().splitlines()[1] == '{"x": null}', "strict JSON: NaN as null"
    with pytest.raises(ConfigError, match="already exists"):
        write_table(pa.table({"x": [2.0]}), path)
    write_table(pa.table({"x": [2.0]}), path, overwrite=True)
    assert path.read_text() == '{"x": 2.0}\n'


def test_a_saved_model_is_replaced_only_with_overwrite(tmp_path):
    import numpy as np

    from causalpref import simulate
    from causalpref.methods import load_model, make_method

    data = simulate.make("latent_overlap", seed=0, n_train=80, n_validation=20, n_test=20)
    model = make_method("bt", epochs=1, hidden_dim=4).fit(data.train)
    folder = tmp_path / "m"
    model.save(folder)
    with pytest.raises(ConfigError, match="holds an earlier model output.*--overwrite"):
        model.save(folder)
    model.save(folder, overwrite=True)
    assert np.allclose(load_model(folder).predict_proba(data.test), model.predict_proba(data.test))
    assert not (folder / MARKER).exists(), "a model's config.json is its marker"
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match=r"\(notes.txt\)"):
        model.save(folder, overwrite=True)
    assert sorted(os.listdir(folder)) == ["config.json", "model.safetensors", "notes.txt"]
