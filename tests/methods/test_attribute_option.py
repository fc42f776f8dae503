"""`fit --attribute NAME` and the attribute setting of invariant_mmd and odin.

The default names a registered attribute; --attribute computes one from the texts; a wrong
method, an unknown name, a bad pattern or a missing tokenizer is refused before any data is read
where it can be; and every fix an error message of this area suggests is applied here: taken out
of the message, put into the command, and the fit must then succeed.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from causalpref import simulate
from causalpref.cli import main
from causalpref.data import read_preferences, write_preferences
from causalpref.errors import ConfigError
from causalpref.features.attributes import add_attributes, available_attributes
from causalpref.methods import load_model, make_method
from causalpref.methods.attribute_reward import attribute_methods
from causalpref.methods.invariance import attribute_bin_edges

USERS = attribute_methods()
FAST = ["--epochs", "1", "--hidden-dim", "8", "--batch-size", "64", "--quiet"]
SIZES = {"n_train": 120, "n_validation": 40, "n_test": 40}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Pair files: text only, text beside hashing vectors, vectors with the simulation's
    attr.length columns, vectors with no attribute columns; and a file that is not data."""
    folder = tmp_path_factory.mktemp("attribute-files")
    text = simulate.make("spurious_text", seed=0, encoder=None, **SIZES).all_rows()
    both = simulate.make("spurious_text", seed=0, **SIZES).all_rows()
    vectors = simulate.make("spurious_attribute", seed=0, dim=8, **SIZES).all_rows()
    attr = ["attr.length.a", "attr.length.b"]
    tables = {"text": text.drop(attr), "both": both.drop(attr), "vectors": vectors}
    tables["bare"] = vectors.drop(attr)
    paths = {name: folder / f"{name}.jsonl" for name in tables}
    for name, table in tables.items():
        write_preferences(table, paths[name])
    paths["garbage"] = folder / "garbage.jsonl"
    paths["garbage"].write_text("this is not a pairs file\n")
    return paths


def run(monkeypatch, capsys, *argv) -> tuple[int, str]:
    """(exit code, stderr) of `causalpref argv` through the installed entry point."""
    monkeypatch.setattr("sys.argv", ["causalpref", *[str(a) for a in argv]])
    try:
        main()
    except SystemExit as ended:
        return (0 if ended.code is None else ended.code), capsys.readouterr().err
    return 0, capsys.readouterr().err


def succeeds(monkeypatch, capsys, *argv) -> bool:
    """Whether `causalpref argv` exits 0 (the fit it runs saved a model)."""
    code, err = run(monkeypatch, capsys, *argv)
    assert code == 0, f"{[str(a) for a in argv]} failed: {err}"
    return True


def fit_args(data, method, out, *extra):
    return ["fit", data, "--method", method, "--out", out, "--overwrite", *FAST, *extra]


def suggested(pattern: str, message: str) -> str:
    """The first match of `pattern`'s group in the error message (the test fails without it)."""
    found = re.search(pattern, message)
    assert found, f"no suggestion matching {pattern!r} in: {message}"
    return found.group(1)


def fails_then_fix_works(monkeypatch, capsys, args, apply) -> str:
    """Run `args` (must exit 2 with a message), apply the message's fix, and run that (must
    succeed); returns the message."""
    code, err = run(monkeypatch, capsys, *args)
    assert code == 2 and "error:" in err, err
    assert succeeds(monkeypatch, capsys, *apply(list(args), err))
    return err


def replace(args: list, old: list, new: list) -> list:
    """`args` with the consecutive items `old` replaced by `new`."""
    strings = [str(a) for a in args]
    for i in range(len(strings) - len(old) + 1):
        if strings[i : i + len(old)] == [str(o) for o in old]:
            return [*args[:i], *new, *args[i + len(old) :]]
    raise AssertionError(f"{old} not in {strings}")


# -- defaults and the option ---------------------------------------------------------------------
def test_the_attribute_methods_are_found_by_their_setting():
    assert USERS == ["invariant_mmd", "odin"]
    assert all(make_method(m).get_params().get("attribute") is None for m in ("bt", "vrex"))


@pytest.mark.parametrize("method", USERS)
def test_the_default_attribute_is_registered(method):
    assert make_method(method).attribute in available_attributes()


@pytest.mark.parametrize("method", USERS)
def test_fit_attribute_computes_the_named_attribute_from_the_text(
    method, files, tmp_path, monkeypatch, capsys
):
    args = fit_args(files["text"], method, tmp_path / "m", "--encoder", "hashing")
    assert succeeds(monkeypatch, capsys, *args, "--attribute", "length_chars")
    assert load_model(tmp_path / "m").attribute == "length_chars"


def test_invariant_mmd_bins_the_attribute_it_was_given(files):
    """The bin edges are the quantiles of the characters, not of the words: the attribute
    named was the one computed."""
    parts = read_preferences(files["text"]).by("split")
    fitted = {}
    for name in ("length_chars", "length_words"):
        model = make_method("invariant_mmd", encoder="hashing", attribute=name, epochs=1)
        model.set_params(hidden_dim=8).fit(parts["train"], validation=parts["validation"])
        fitted[name] = model.bin_edges_
        train = add_attributes(parts["train"], name)
        values = np.concatenate([train.column(f"attr.{name}.{s}") for s in "ab"])
        assert fitted[name] == attribute_bin_edges(values, model.n_bins)
    assert fitted["length_chars"] != fitted["length_words"]


# -- errors and their fixes -------------------------------------------------------------------
@pytest.mark.parametrize("method", ["bt", "vrex", "rrm_augment"])
def test_attribute_on_a_method_that_uses_none_names_those_that_do(
    method, files, tmp_path, monkeypatch, capsys
):
    args = fit_args(files["garbage"], method, tmp_path / "m", "--attribute", "length_words")
    code, err = run(monkeypatch, capsys, *args)
    assert code == 2 and f"method '{method}' uses no attribute" in err and str(USERS) in err
    # Refused before the file was read: the file is not data at all.
    good = replace(args, [files["garbage"]], [files["both"]])
    other = suggested(r"--method (\w+)", err)
    assert succeeds(monkeypatch, capsys, *replace(good, ["--method", method], ["--method", other]))
    assert "drop --attribute" in err
    dropped = replace(good, ["--attribute", "length_words"], [])
    encoder = ["--encoder", "hashing"] if "augment" in method else []
    assert succeeds(monkeypatch, capsys, *dropped + encoder)


@pytest.mark.parametrize("method", USERS)
def test_an_unknown_attribute_lists_the_registered_ones_before_reading(
    method, files, tmp_path, monkeypatch, capsys
):
    args = fit_args(files["garbage"], method, tmp_path / "m", "--attribute", "lenght")
    code, err = run(monkeypatch, capsys, *args)
    assert code == 2 and "lenght" in err
    assert all(name in err for name in available_attributes())
    fix = suggested(r"e\.g\. --attribute (\S+)", err)
    good = replace(args, [files["garbage"]], [files["text"]]) + ["--encoder", "hashing"]
    assert succeeds(
        monkeypatch, capsys, *replace(good, ["--attribute", "lenght"], ["--attribute", fix])
    )


@pytest.mark.parametrize("method", USERS)
@pytest.mark.parametrize("option", [["--attribute", "regex:("], ["--set", "attribute=regex:("]])
def test_a_pattern_that_does_not_compile_is_refused_before_reading(
    method, option, files, tmp_path, monkeypatch, capsys
):
    args = fit_args(files["garbage"], method, tmp_path / "m", *option)
    code, err = run(monkeypatch, capsys, *args)
    assert code == 2 and "invalid regular expression" in err, err


@pytest.mark.parametrize("method", USERS)
def test_a_misspelt_setting_on_text_suggests_the_option_that_computes_one(
    method, files, tmp_path, monkeypatch, capsys
):
    args = fit_args(
        files["text"], method, tmp_path / "m", "--encoder", "hashing", "--set", "attribute=lenght"
    )

    def apply(args, err):
        old = suggested(r"in place of (--set attribute=\S+?)\)", err).split(" ")
        new = suggested(r"(--attribute \S+) in place of", err).split(" ")
        return replace(args, old, new)

    err = fails_then_fix_works(monkeypatch, capsys, args, apply)
    assert all(name in err for name in available_attributes())


@pytest.mark.parametrize("method", USERS)
def test_the_default_on_vectors_without_text_offers_the_columns_the_data_has(
    method, files, tmp_path, monkeypatch, capsys
):
    """The trial's case: the default attribute on a vectors file (here the simulation's
    attr.length columns are there to name)."""
    args = fit_args(files["vectors"], method, tmp_path / "m")

    def apply(args, err):
        return args + suggested(r"\((--set attribute=\S+)\)", err).split(" ")

    err = fails_then_fix_works(monkeypatch, capsys, args, apply)
    assert "attribute='length_words'" in err and "['length']" in err


@pytest.mark.parametrize("method", USERS)
def test_the_default_on_vectors_without_text_is_fixed_by_keeping_the_texts(
    method, files, tmp_path, monkeypatch, capsys
):
    args = fit_args(files["bare"], method, tmp_path / "m")
    code, err = run(monkeypatch, capsys, *args)
    assert code == 2 and "no attr.<name>.a / .b columns" in err
    assert "keeps the texts beside the vectors" in err
    assert succeeds(monkeypatch, capsys, *replace(args, [files["bare"]], [files["both"]]))
    # The other fix: add the columns while the texts are at hand, then fit without the texts.
    name = suggested(r"add_attributes\(data, '(\w+)'\)", err)
    data = add_attributes(read_preferences(files["both"]), name)
    bare = data.drop(["prompt", "response_a", "response_b"])
    parts = bare.by("split")
    make_method(method, epochs=1, hidden_dim=8).fit(parts["train"], parts["validation"])


@pytest.mark.parametrize("method", USERS)
def test_an_unknown_name_on_vectors_offers_both_remedies(
    method, files, tmp_path, monkeypatch, capsys
):
    args = fit_args(files["vectors"], method, tmp_path / "m", "--set", "attribute=lenght")

    def keep_texts(args, err):
        new = suggested(r"(--attribute \S+) in place of", err).split(" ")
        args = replace(args, ["--set", "attribute=lenght"], new)
        return replace(args, [files["vectors"]], [files["both"]])

    def name_columns(args, err):
        new = suggested(r"\((--set attribute=\S+)\)", err).split(" ")
        return replace(args, ["--set", "attribute=lenght"], new)

    err = fails_then_fix_works(monkeypatch, capsys, args, keep_texts)
    assert "no response texts" in err
    fails_then_fix_works(monkeypatch, capsys, args, name_columns)


@pytest.mark.parametrize("method", USERS)
def test_counting_tokens_without_a_tokenizer_names_both_remedies(
    method, files, tmp_path, monkeypatch, capsys
):
    args = fit_args(files["both"], method, tmp_path / "m", "--attribute", "length_tokens")

    def with_encoder(args, err):
        return args + suggested(r"\((--encoder \S+),", err).split(" ")

    def count_words(args, err):
        return replace(args, ["--attribute", "length_tokens"], ["--attribute", "length_words"])

    err = fails_then_fix_works(monkeypatch, capsys, args, with_encoder)
    assert "count words instead with --attribute length_words" in err
    fails_then_fix_works(monkeypatch, capsys, args, count_words)


@pytest.mark.parametrize("method", USERS)
def test_the_option_and_the_setting_must_agree(method, files, tmp_path, monkeypatch, capsys):
    args = fit_args(
        files["garbage"], method, tmp_path / "m", "--attribute", "length_words",
        "--set", "attribute=length",
    )  # fmt: skip
    code, err = run(monkeypatch, capsys, *args)
    assert code == 2 and "give the attribute once" in err
    good = replace(args, [files["garbage"]], [files["both"]])
    assert succeeds(monkeypatch, capsys, *replace(good, ["--set", "attribute=length"], []))


@pytest.mark.parametrize("method", USERS)
def test_missing_attribute_values_name_the_rows_to_drop(method, files):
    data = read_preferences(files["vectors"]).by("split")["train"]
    values = data.column("attr.length.a").copy()
    values[:5] = np.nan
    holed = data.with_columns({"attr.length.a": values}, validate=False)
    model = make_method(method, attribute="length", epochs=1, hidden_dim=8)
    validation = read_preferences(files["vectors"]).by("split")["validation"]
    with pytest.raises(ConfigError, match=r"non-finite.*'attr\.length\.a': 5.*drop or impute"):
        model.fit(holed, validation=validation)
    model.fit(holed.take(np.arange(5, len(holed))), validation=validation)  # dropped
