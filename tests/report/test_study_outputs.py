"""A study's report folder appears in one swap, with its marker, and replaces only our own."""

import json

import pytest

from causalpref.errors import ConfigError
from causalpref.evaluate import load_spec
from causalpref.outputs import MARKER
from causalpref.report import study as study_report
from causalpref.report.study import write_study_outputs

SPEC = '[study.s]\nscenario = "latent_overlap"\nmethods = ["bt"]\nseeds = 2\n'


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SPEC)
    return load_spec(path)


def test_the_report_folder_has_a_marker_and_is_replaced_only_with_overwrite(spec, tmp_path):
    out = tmp_path / "out"
    text = write_study_outputs(spec, [], out)
    assert f"wrote {out / 'results.json'}" in text and ".tmp" not in text
    marker = json.loads((out / MARKER).read_text())
    assert marker["kind"] == "study"
    assert marker["files"] == ["report.html", "report.md", "results.json"]
    with pytest.raises(ConfigError, match="pass --overwrite"):
        write_study_outputs(spec, [], out)
    write_study_outputs(spec, [], out, overwrite=True)
    (out / "notes.md").write_text("mine")
    with pytest.raises(ConfigError, match=r"\(notes.md\)"):
        write_study_outputs(spec, [], out, overwrite=True)
    assert (out / "notes.md").read_text() == "mine"


def test_a_failure_while_writing_leaves_the_earlier_report_whole(spec, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_study_outputs(spec, [], out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("killed after results.json and report.md")

    monkeypatch.setattr(study_report, "study_html", broken)
    with pytest.raises(RuntimeError):
        write_study_outputs(spec, [], out, overwrite=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "s.toml"]
