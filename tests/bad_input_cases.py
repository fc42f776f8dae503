"""The bad-input corpus: each case writes its inputs into a folder and returns the CLI arguments.

Every case must end in exit code 2, no traceback, a message holding each of its `names`, and an
unchanged folder (tests/test_bad_input.py checks all four). The folder starts with the kit:
pairs.jsonl (20 TRL rows with context, split and user_id), vectors.jsonl (20 4-d vector pairs),
users.csv, notes.txt (a user's own file), model/ (a fitted `bt`, hashing encoder), mh_model/ (a
fitted `multihead`) and cache/ (the embedding cache, already holding every kit text).

A case is data: `case(id, build, *names)`, where `build(folder)` returns the argv. Builders are
put together from sources (`jsonl`, `raw`, `csv_file`, ...: a file or folder a case writes, or a
plain string for a kit path) and commands (`fit`, `evaluate`, ...).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from safetensors.numpy import load_file, save_file

Build = Callable[[Path], list[str]]
Source = str | Callable[[Path], str]


@dataclass(frozen=True)
class Case:
    """One kind of bad input: `build(folder)` writes its files and returns the argv."""

    id: str
    build: Build
    names: tuple[str, ...]


def case(case_id: str, build: Build, *names: str) -> Case:
    return Case(case_id, build, names)


# ---------------------------------------------------------------------------- kit rows

GOOD = ["A careful, correct and complete answer with details.", "Here is a clear explanation."]
BAD = ["no", "idk!!!"]
N_ROWS = 20
USERS = [{"user_id": f"u{i}", "age": 20 + i} for i in range(5)]


def trl_rows(n: int = N_ROWS) -> list[dict]:
    """The kit's TRL rows: 4/5 train and 1/5 validation, two contexts, five users."""
    return [
        {
            "prompt": f"Question {i}?",
            "chosen": f"{GOOD[i % 2]} ({i})",
            "rejected": BAD[i % 2],
            "context": "ab"[i % 2],
            "split": "train" if i < n * 4 // 5 else "validation",
            "user_id": f"u{i % 5}",
        }
        for i in range(n)
    ]


def canonical_rows(n: int = N_ROWS) -> list[dict]:
    """The kit's rows in the canonical layout (response_a / response_b / label)."""
    return [
        {
            "prompt": r["prompt"],
            "response_a": r["chosen"],
            "response_b": r["rejected"],
            "label": 1.0,
            "context": r["context"],
            "split": r["split"],
        }
        for r in trl_rows(n)
    ]


def vector_rows(n: int = N_ROWS) -> list[dict]:
    """Canonical 4-d vector pairs with labels, contexts and splits."""
    rng = np.random.default_rng(0)
    return [
        {
            "vector.a": [round(float(x), 4) for x in rng.normal(size=4)],
            "vector.b": [round(float(x), 4) for x in rng.normal(size=4)],
            "label": float(i % 2),
            "context": "ab"[i % 2],
            "split": "train" if i < n * 4 // 5 else "validation",
        }
        for i in range(n)
    ]


def changed(rows: list[dict], index: int, **values) -> list[dict]:
    """`rows` with row `index` updated by `values`."""
    rows[index] = {**rows[index], **values}
    return rows


def each(rows: list[dict], **values) -> list[dict]:
    """`rows` with every row updated by `values`."""
    return [{**r, **values} for r in rows]


def dropped(rows: list[dict], column: str) -> list[dict]:
    """`rows` without `column`."""
    return [{k: v for k, v in r.items() if k != column} for r in rows]


def lines(rows: list) -> str:
    """Rows as JSON lines (any JSON value per line)."""
    return "".join(json.dumps(r) + "\n" for r in rows)


def with_line(rows: list[dict], index: int, line: str) -> str:
    """`rows` as JSON lines, line `index` (0-based) replaced by `line` verbatim."""
    text = [json.dumps(r) for r in rows]
    text[index] = line
    return "\n".join(text) + "\n"


def with_value(rows: list[dict], index: int, column: str, value: float) -> str:
    """JSON lines where row `index` holds `value` (NaN, inf) as Python's json writes it."""
    return with_line(rows, index, json.dumps({**rows[index], column: value}))


def surrogate_line(column: str) -> str:
    """A JSON line whose `column` holds a lone surrogate: valid JSON, not encodable text."""
    return json.dumps({**trl_rows(1)[0], column: "@"}).replace('"@"', '"bad \\ud800 text"')


def deep(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


# ---------------------------------------------------------------------------- writers


def write_jsonl(path: Path, rows: list) -> str:
    path.write_text(lines(rows))
    return str(path)


def write_csv(path: Path, rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue())
    return str(path)


# ---------------------------------------------------------------------------- sources


def resolve(source: Source, folder: Path) -> str:
    return source if isinstance(source, str) else source(folder)


def jsonl(name: str, rows: list) -> Source:
    return lambda d: write_jsonl(d / name, rows)


def raw(name: str, content: str | bytes) -> Source:
    """A file holding exactly `content` (text is written as UTF-8)."""
    data = content.encode() if isinstance(content, str) else content

    def write(d: Path) -> str:
        (d / name).write_bytes(data)
        return name

    return write


def csv_file(name: str, rows: list[dict]) -> Source:
    return lambda d: write_csv(d / name, rows)


def parquet(name: str, columns: dict) -> Source:
    def write(d: Path) -> str:
        pq.write_table(pa.table(columns), d / name)
        return name

    return write


def folder(name: str) -> Source:
    """A folder holding a user's file (causalpref did not write it)."""

    def make(d: Path) -> str:
        (d / name).mkdir()
        (d / name / "keep.txt").write_text("mine\n")
        return name

    return make


def project(d: Path) -> str:
    """The issue's reproduction: proj/data/pairs.jsonl beside proj/notes.txt."""
    (d / "proj" / "data").mkdir(parents=True)
    (d / "proj" / "data" / "pairs.jsonl").write_text(lines(trl_rows()))
    (d / "proj" / "notes.txt").write_text("x\n")
    return "proj/data/pairs.jsonl"


def previous_model(d: Path) -> str:
    """A copy of the kit's model: an earlier causalpref output of the same kind."""
    (d / "prev_model").mkdir()
    for item in (d / "model").iterdir():
        (d / "prev_model" / item.name).write_bytes(item.read_bytes())
    return "prev_model"


def symlink_loop(d: Path) -> str:
    os.symlink("loop.jsonl", d / "loop.jsonl")
    return "loop.jsonl"


# ---------------------------------------------------------------------------- commands

FIT_FAST = ["--epochs", "1", "--hidden-dim", "8", "--quiet"]


def argv(*parts: Source) -> Build:
    return lambda d: [resolve(p, d) for p in parts]


def fit(data: Source = "pairs.jsonl", *extra: Source, method="bt", out: Source = "fitted"):
    """`fit` with the hashing encoder, tiny and quick."""
    return argv(
        "fit", data, "--method", method, "--encoder", "hashing", "--out", out, *FIT_FAST, *extra
    )


def fit_vectors(data: Source, *extra: Source, method: str = "bt") -> Build:
    """`fit` on vector pairs (the method's own encoder: precomputed)."""
    return argv("fit", data, "--method", method, "--out", "fitted", *FIT_FAST, *extra)


def evaluate(data: Source = "pairs.jsonl", *extra: Source, model: Source = "model") -> Build:
    """`evaluate` of every row (the kit's files have no test rows)."""
    return argv("evaluate", model, data, "--rows", "all", *extra)


def score(data: Source = "pairs.jsonl", *extra: Source, out: Source = "scores.jsonl") -> Build:
    return argv("score", "model", data, "--out", out, *extra)


def audit(data: Source = "pairs.jsonl", *extra: Source, out: Source = "audit_out") -> Build:
    return argv("audit", data, "--out", out, "--quiet", *extra)


def attributes(data: Source = "pairs.jsonl", *extra: Source) -> Build:
    return argv("attributes", data, *extra)


SMALL = {  # sizes that keep a knob slipping through cheap
    "latent_overlap": ["n_train=20", "n_validation=10", "n_test=10", "n_ood=10", "dim=4"],
    "user_confounding": ["n_train=20", "n_validation=10", "n_test=10", "dim=4"],
    "spurious_attribute": ["n_train=20", "n_validation=10", "n_test=10", "dim=4"],
}


def simulate(name: str, *knobs: str, out: Source = "sim.jsonl") -> Build:
    sets = [a for k in [*SMALL[name], *knobs] for a in ("--set", k)]
    return argv("simulate", name, "--out", out, *sets)


def bench(*extra: Source) -> Build:
    return argv("bench", "--quick", "--out", "bench_out", "--methods", "bt", *extra)


def study(spec: Source, *extra: Source, out: Source = "st_out") -> Build:
    return argv("study", spec, "--out", out, *extra)


def replicate(*extra: Source, data: Source = "pairs.jsonl", out: Source = "rep_out") -> Build:
    return argv(
        "replicate", "hh-confounding", "--data", data, "--out", out, "--encoder", "hashing", *extra
    )


# ---------------------------------------------------------------------------- damaged models


def damaged(change: Callable[[Path], None], command: Build | None = None) -> Build:
    """`command` (default: evaluate the kit data) after `change(model folder)`."""

    def build(d: Path) -> list[str]:
        change(d / "model")
        return (command or evaluate())(d)

    return build


def truncated(name: str, keep: float) -> Callable[[Path], None]:
    def cut(model: Path) -> None:
        data = (model / name).read_bytes()
        (model / name).write_bytes(data[: int(len(data) * keep)])

    return cut


def replaced(name: str, content: str | bytes) -> Callable[[Path], None]:
    data = content.encode() if isinstance(content, str) else content
    return lambda model: (model / name).write_bytes(data)


def removed(name: str) -> Callable[[Path], None]:
    return lambda model: (model / name).unlink()


def config_edit(change: Callable[[dict], object]) -> Callable[[Path], None]:
    def edit(model: Path) -> None:
        path = model / "config.json"
        path.write_text(json.dumps(change(json.loads(path.read_text()))))

    return edit


def tensors_edit(change: Callable[[dict, str], None]) -> Callable[[Path], None]:
    """Rewrite model.safetensors after `change(tensors, name of the first weight matrix)`."""

    def edit(model: Path) -> None:
        tensors = load_file(model / "model.safetensors")
        change(tensors, next(k for k, v in sorted(tensors.items()) if v.ndim == 2))
        save_file(tensors, str(model / "model.safetensors"))

    return edit


def set_nan(tensors: dict, key: str) -> None:
    tensors[key] = np.full_like(tensors[key], np.nan)


def set_inf(tensors: dict, key: str) -> None:
    tensors[key] = tensors[key].copy()
    tensors[key][0, 0] = np.inf


def grow(tensors: dict, key: str) -> None:
    rows, cols = tensors[key].shape
    tensors[key] = np.zeros((rows + 3, cols), np.float32)


def drop(tensors: dict, key: str) -> None:
    del tensors[key]


def as_integers(tensors: dict, key: str) -> None:
    for name in tensors:
        tensors[name] = tensors[name].astype(np.int64)


def without(section: str) -> Callable[[dict], dict]:
    return lambda config: {k: v for k, v in config.items() if k != section}


def with_key(key: str, value) -> Callable[[dict], dict]:
    return lambda config: {**config, key: value}


def with_setting(key: str, value) -> Callable[[dict], dict]:
    return lambda config: {**config, "settings": {**config["settings"], key: value}}


# ---------------------------------------------------------------------------- the corpus

TRL_TEXT = lines(trl_rows())
NO_SPLIT = dropped(trl_rows(), "split")
CSV_HEAD = "prompt,chosen,rejected\n"
CSV_BODY = "".join(f"q{i},good {i},bad\n" for i in range(5))
CONTEXT_NULLS = [
    {**r, "context": None if i % 4 == 0 else r["context"]} for i, r in enumerate(trl_rows())
]
CONTEXT_ONLY_IN_VALIDATION = [
    {**r, "context": "c_val_only" if r["split"] == "validation" else r["context"]}
    for r in trl_rows()
]
WEIGHTED = each(trl_rows(), weight=1.0)

CASES: list[Case] = [
    # ------------------------------------------------------------------ file encodings
    case("enc_utf16_bom_jsonl", fit(raw("utf16.jsonl", TRL_TEXT.encode("utf-16"))), "utf16.jsonl"),
    case(
        "enc_bom_mid_file_jsonl",
        fit(raw("midbom.jsonl", with_line(trl_rows(), 3, "\ufeff" + json.dumps(trl_rows()[3])))),
        "midbom.jsonl",
        "4",
    ),
    case(
        "enc_latin1_jsonl",
        fit(
            raw(
                "latin1.jsonl",
                with_line(trl_rows(), 5, '{"prompt": "Qu\u00e9stion"}').encode("latin-1"),
            )
        ),
        "latin1.jsonl",
        "6",
    ),
    case(
        "enc_latin1_csv",
        fit(raw("latin1.csv", (CSV_HEAD + "Caf\u00e9,good answer,bad\n" * 20).encode("latin-1"))),
        "latin1.csv",
    ),
    case("enc_binary_jsonl", fit(raw("binary.jsonl", bytes(range(256)) * 8)), "binary.jsonl"),
    case("enc_binary_csv", fit(raw("binary.csv", bytes(range(255, -1, -1)) * 8)), "binary.csv"),
    case(
        "enc_binary_parquet",
        fit(raw("binary.parquet", b"PAR1" + bytes(range(256)) * 4 + b"PAR1")),
        "binary.parquet",
    ),
    case("enc_binary_json", fit(raw("binary.json", b"\x00\x01\xff\xfe" * 100)), "binary.json"),
    case(
        "enc_nul_bytes_jsonl",
        fit(raw("nul.jsonl", with_line(trl_rows(), 2, "\x00\x00\x00"))),
        "nul.jsonl",
        "3",
    ),
    case(
        "enc_surrogate_fit",
        fit(raw("surr.jsonl", with_line(trl_rows(), 4, surrogate_line("chosen")))),
        "surr.jsonl",
    ),
    case(
        "enc_surrogate_prompt_score",
        score(raw("surr.jsonl", with_line(trl_rows(), 4, surrogate_line("prompt")))),
        "surr.jsonl",
    ),
    case(
        "enc_surrogate_evaluate",
        evaluate(raw("surr.jsonl", with_line(trl_rows(), 4, surrogate_line("rejected")))),
        "surr.jsonl",
    ),
    case(
        "enc_surrogate_attributes",
        attributes(raw("surr.jsonl", with_line(trl_rows(), 4, surrogate_line("chosen")))),
        "surr.jsonl",
    ),
    case(
        "enc_surrogate_audit",
        audit(raw("surr.jsonl", with_line(trl_rows(), 4, surrogate_line("chosen")))),
        "surr.jsonl",
    ),
    case(
        "enc_surrogate_context_fit",
        fit(
            raw("surr.jsonl", with_line(trl_rows(), 4, surrogate_line("context"))),
            method="multihead",
        ),
        "surr.jsonl",
    ),
    case(
        "enc_surrogate_raw_bytes",
        fit(
            raw(
                "rawsurr.jsonl",
                with_line(trl_rows(), 1, '{"prompt": "q", "chosen": "@", "rejected": "r"}')
                .encode()
                .replace(b"@", b"\xed\xa0\x80"),
            )
        ),
        "rawsurr.jsonl",
    ),
    case(
        "enc_gzip_garbage",
        fit(raw("garbage.jsonl.gz", b"this is not gzip at all\n" * 10)),
        "garbage.jsonl.gz",
    ),
    case(
        "enc_gzip_truncated",
        fit(raw("cut.jsonl.gz", gzip.compress(TRL_TEXT.encode())[:60])),
        "cut.jsonl.gz",
    ),
    case(
        "enc_gzip_of_binary",
        fit(raw("gzbin.jsonl.gz", gzip.compress(bytes(range(256)) * 16))),
        "gzbin.jsonl.gz",
    ),
    # ------------------------------------------------------------------ file formats and layouts
    case("fmt_empty_jsonl", fit(raw("empty.jsonl", b"")), "empty.jsonl", "no rows"),
    case("fmt_blank_lines_jsonl", fit(raw("blank.jsonl", "\n\n  \n\n")), "blank.jsonl", "no rows"),
    case("fmt_empty_csv", fit(raw("empty.csv", b"")), "empty.csv"),
    case("fmt_header_only_csv", fit(raw("header.csv", CSV_HEAD)), "header.csv", "no rows"),
    case(
        "fmt_zero_row_parquet",
        fit(
            parquet(
                "zero.parquet",
                {c: pa.array([], pa.string()) for c in ("prompt", "chosen", "rejected")},
            )
        ),
        "zero.parquet",
        "no rows",
    ),
    case("fmt_empty_json_list", fit(raw("empty.json", "[]")), "empty.json", "no rows"),
    case(
        "fmt_empty_gzip",
        fit(raw("empty.jsonl.gz", gzip.compress(b""))),
        "empty.jsonl.gz",
        "no rows",
    ),
    case(
        "fmt_json_object_not_list",
        fit(raw("obj.json", json.dumps({"rows": trl_rows()}))),
        "obj.json",
    ),
    case("fmt_json_list_of_numbers", fit(raw("nums.json", "[1, 2, 3]")), "nums.json"),
    case(
        "fmt_jsonl_list_line",
        fit(raw("listline.jsonl", with_line(trl_rows(), 6, "[1, 2, 3]"))),
        "listline.jsonl",
        "7",
    ),
    case(
        "fmt_jsonl_lists_instead_of_objects",
        fit(jsonl("lists.jsonl", [list(r.values()) for r in trl_rows()])),
        "lists.jsonl",
    ),
    case(
        "fmt_jsonl_truncated_last_line",
        fit(raw("cut.jsonl", TRL_TEXT[:-25])),
        "cut.jsonl",
        "20",
    ),
    case(
        "fmt_jsonl_invalid_line",
        fit(raw("badline.jsonl", with_line(trl_rows(), 8, "{not json"))),
        "badline.jsonl",
        "9",
    ),
    case(
        "fmt_jsonl_nested_100k",
        fit(raw("deep.jsonl", with_line(trl_rows(), 2, deep()))),
        "deep.jsonl",
    ),
    case("fmt_json_nested_100k", fit(raw("deep.json", deep())), "deep.json"),
    case(
        "fmt_nested_100k_in_field",
        fit(
            raw(
                "deepfield.jsonl",
                with_line(trl_rows(), 2, f'{{"prompt": "q", "chosen": {deep()}, "rejected": "r"}}'),
            )
        ),
        "deepfield.jsonl",
    ),
    case(
        "fmt_csv_duplicate_header_label",
        fit(
            raw(
                "duplabel.csv",
                "prompt,response_a,response_b,label,label\n" + "q,good,bad,1,0\n" * 20,
            )
        ),
        "duplabel.csv",
        "label",
    ),
    case(
        "fmt_csv_duplicate_header_chosen",
        fit(raw("dupchosen.csv", "prompt,chosen,rejected,chosen\n" + "q,good,bad,other\n" * 20)),
        "dupchosen.csv",
        "chosen",
    ),
    case(
        "fmt_csv_ragged_rows",
        fit(raw("ragged.csv", CSV_HEAD + CSV_BODY + "q5,good,bad,extra,fields\n")),
        "ragged.csv",
    ),
    case(
        "fmt_csv_unclosed_quote",
        fit(raw("quote.csv", CSV_HEAD + CSV_BODY + 'q5,"good,bad\n')),
        "quote.csv",
    ),
    case(
        "fmt_unknown_columns_auto",
        fit(jsonl("foobar.jsonl", [{"foo": i, "bar": "x"} for i in range(10)])),
        "foo",
    ),
    case(
        "fmt_trl_layout_missing_rejected",
        fit(jsonl("norej.jsonl", [{"prompt": "q", "chosen": "c"}] * 10), "--layout", "trl"),
        "rejected",
    ),
    case("fmt_arena_layout_on_trl", fit("pairs.jsonl", "--layout", "arena"), "winner"),
    case(
        "fmt_arena_unknown_winner",
        fit(
            jsonl(
                "arena.jsonl",
                [{"prompt": "q", "response_a": "x", "response_b": "y", "winner": "model_c"}] * 10,
            )
        ),
        "model_c",
    ),
    case(
        "fmt_hh_no_assistant_marker",
        fit(
            jsonl(
                "hh.jsonl",
                [
                    {"chosen": f"Human: hi {i} yes", "rejected": f"Human: hi {i} no"}
                    for i in range(10)
                ],
            )
        ),
        "hh.jsonl",
    ),
    case(
        "fmt_chat_content_not_text",
        fit(
            jsonl(
                "chat.jsonl",
                [
                    {
                        "chosen": [
                            {"role": "user", "content": "hi"},
                            {"role": "assistant", "content": 5},
                        ],
                        "rejected": [
                            {"role": "user", "content": "hi"},
                            {"role": "assistant", "content": 7},
                        ],
                    }
                ]
                * 10,
            )
        ),
        "chat.jsonl",
    ),
    case(
        "fmt_relabeled_three_responses",
        fit(
            jsonl(
                "rel.jsonl",
                [{"prompt": "q", "responses": ["a", "b", "c"], "label": 0, "objective": "helpful"}]
                * 10,
            )
        ),
        "responses",
    ),
    case(
        "fmt_label_column_in_trl",
        fit(jsonl("trllabel.jsonl", each(trl_rows(), label=0.3)), "--layout", "trl"),
        "label",
    ),
    case("fmt_directory_as_data", fit(folder("datadir")), "datadir", "folder"),
    case("fmt_directory_with_data_suffix", fit(folder("dir.jsonl")), "dir.jsonl", "folder"),
    case("fmt_missing_file", fit("nope.jsonl"), "nope.jsonl"),
    case("fmt_missing_file_evaluate", evaluate("nope.jsonl"), "nope.jsonl"),
    case("fmt_unknown_suffix", fit(raw("pairs.txt", TRL_TEXT)), "pairs.txt"),
    case("fmt_format_mismatch_parquet", fit("pairs.jsonl", "--format", "parquet"), "pairs.jsonl"),
    case(
        "fmt_format_mismatch_csv_as_json",
        fit(csv_file("pairs.csv", trl_rows()), "--format", "json"),
        "pairs.csv",
    ),
    case(
        "fmt_parquet_label_strings",
        fit(
            parquet(
                "strlabel.parquet",
                {
                    "prompt": ["q"] * 10,
                    "response_a": ["x"] * 10,
                    "response_b": ["y"] * 10,
                    "label": ["yes"] * 10,
                },
            )
        ),
        "label",
    ),
    case("fmt_symlink_loop", fit(symlink_loop), "loop.jsonl"),
    case(
        "fmt_mixed_kinds_in_column",
        fit(jsonl("mixed.jsonl", changed(trl_rows(), 3, chosen=["not", "text"]))),
        "chosen",
    ),
    # ------------------------------------------------------------------ labels
    case(
        "lab_non_numeric",
        fit(jsonl("lab.jsonl", changed(canonical_rows(), 2, label="yes"))),
        "label",
    ),
    case(
        "lab_out_of_range_high",
        fit(jsonl("lab.jsonl", changed(canonical_rows(), 2, label=2.0))),
        "label",
        "2",
    ),
    case(
        "lab_out_of_range_negative",
        fit(jsonl("lab.jsonl", changed(canonical_rows(), 3, label=-1))),
        "label",
        "3",
    ),
    case(
        "lab_nan",
        fit(raw("lab.jsonl", with_value(canonical_rows(), 4, "label", float("nan")))),
        "label",
        "4",
    ),
    case(
        "lab_nan_csv",
        fit(csv_file("lab.csv", changed(canonical_rows(), 5, label="nan"))),
        "label",
        "5",
    ),
    case(
        "lab_infinite",
        fit(raw("lab.jsonl", with_value(canonical_rows(), 6, "label", float("inf")))),
        "label",
        "6",
    ),
    case(
        "lab_null",
        fit(jsonl("lab.jsonl", changed(canonical_rows(), 7, label=None))),
        "label",
        "7",
    ),
    case("lab_list", fit(jsonl("lab.jsonl", changed(canonical_rows(), 8, label=[1, 0]))), "label"),
    case("lab_all_ties", fit(jsonl("ties.jsonl", each(canonical_rows(), label=0.5))), "label"),
    case(
        "lab_all_ties_multihead",
        fit(jsonl("ties.jsonl", each(canonical_rows(), label=0.5)), method="multihead"),
        "label",
    ),
    case(
        "lab_all_ties_vectors",
        fit_vectors(jsonl("ties.jsonl", each(vector_rows(), label=0.5))),
        "label",
    ),
    case("lab_all_ties_csv", fit(csv_file("ties.csv", each(canonical_rows(), label=0.5))), "label"),
    # ------------------------------------------------------------------ vectors
    case(
        "vec_ragged",
        fit_vectors(jsonl("vec.jsonl", changed(vector_rows(), 3, **{"vector.a": [1.0, 2.0, 3.0]}))),
        "vector.a",
    ),
    case(
        "vec_a_b_size_mismatch",
        fit_vectors(
            jsonl("vec.jsonl", [{**r, "vector.b": [*r["vector.b"], 0.0]} for r in vector_rows()])
        ),
        "vector.b",
    ),
    case(
        "vec_nan",
        fit_vectors(raw("vec.jsonl", with_value(vector_rows(), 5, "vector.a", [float("nan")] * 4))),
        "vector.a",
        "5",
    ),
    case(
        "vec_infinite",
        fit_vectors(raw("vec.jsonl", with_value(vector_rows(), 6, "vector.b", [float("inf")] * 4))),
        "vector.b",
        "6",
    ),
    case(
        "vec_strings",
        fit_vectors(jsonl("vec.jsonl", changed(vector_rows(), 2, **{"vector.a": list("abcd")}))),
        "vector.a",
    ),
    case(
        "vec_null",
        fit_vectors(jsonl("vec.jsonl", changed(vector_rows(), 2, **{"vector.b": None}))),
        "vector.b",
    ),
    case(
        "vec_empty",
        fit_vectors(jsonl("vec.jsonl", each(vector_rows(), **{"vector.a": [], "vector.b": []}))),
        "vector.a",
    ),
    case(
        "vec_scalar",
        fit_vectors(jsonl("vec.jsonl", changed(vector_rows(), 2, **{"vector.a": 3.0}))),
        "vector.a",
    ),
    case(
        "vec_nested",
        fit_vectors(
            jsonl("vec.jsonl", changed(vector_rows(), 2, **{"vector.a": [[1.0, 2.0], [3.0, 4.0]]}))
        ),
        "vector.a",
    ),
    case(
        "vec_only_a",
        fit_vectors(jsonl("vec.jsonl", dropped(vector_rows(), "vector.b"))),
        "vector.b",
    ),
    case("vec_attributes_without_text", attributes("vectors.jsonl"), "response"),
    case("vec_evaluate_dim_mismatch", evaluate("vectors.jsonl"), "vector"),
    case("vec_score_dim_mismatch", score("vectors.jsonl"), "vector"),
    # ------------------------------------------------------------------ splits
    case(
        "split_unknown_names",
        fit(
            jsonl(
                "sp.jsonl",
                [{**r, "split": "foo" if i % 2 else "bar"} for i, r in enumerate(trl_rows())],
            )
        ),
        "split",
    ),
    case(
        "split_no_train_rows", fit(jsonl("sp.jsonl", each(trl_rows(), split="validation"))), "train"
    ),
    case(
        "split_typo_validaton",
        fit(
            jsonl(
                "sp.jsonl",
                [
                    {**r, "split": "train" if i < 16 else "validaton"}
                    for i, r in enumerate(trl_rows())
                ],
            )
        ),
        "validaton",
    ),
    case(
        "split_capitalised_train", fit(jsonl("sp.jsonl", each(trl_rows(), split="Train"))), "Train"
    ),
    case(
        "split_ties_only_train",
        fit(
            jsonl(
                "sp.jsonl",
                [{**r, "label": 0.5 if r["split"] == "train" else 1.0} for r in canonical_rows()],
            )
        ),
        "train",
    ),
    case(
        "split_null_values",
        fit(
            jsonl(
                "sp.jsonl",
                [
                    {**r, "split": None if i % 3 == 0 else r["split"]}
                    for i, r in enumerate(trl_rows())
                ],
            )
        ),
        "split",
    ),
    case(
        "split_train_one_row",
        fit(
            jsonl(
                "sp.jsonl",
                [
                    {**r, "split": "train" if i == 0 else "validation"}
                    for i, r in enumerate(trl_rows())
                ],
            )
        ),
        "train",
    ),
    case(
        "split_evaluate_split_by_unknown",
        evaluate("pairs.jsonl", "--split-by", "nosuchcol"),
        "nosuchcol",
    ),
    # ------------------------------------------------------------------ contexts
    case(
        "ctx_nulls_multihead", fit(jsonl("ctx.jsonl", CONTEXT_NULLS), method="multihead"), "context"
    ),
    case("ctx_nulls_base", fit(jsonl("ctx.jsonl", CONTEXT_NULLS), method="base"), "context"),
    case(
        "ctx_only_in_validation",
        fit(jsonl("ctx.jsonl", CONTEXT_ONLY_IN_VALIDATION), method="multihead"),
        "c_val_only",
    ),
    case(
        "ctx_only_in_validation_adversarial",
        fit(jsonl("ctx.jsonl", CONTEXT_ONLY_IN_VALIDATION), method="adversarial"),
        "c_val_only",
    ),
    case(
        "ctx_unknown_column_multihead",
        fit("pairs.jsonl", "--context", "nosuchctx", method="multihead"),
        "nosuchctx",
    ),
    case(
        "ctx_unknown_column_audit",
        audit("pairs.jsonl", "--context", "nosuchctx"),
        "nosuchctx",
    ),
    case(
        "ctx_lists_as_values",
        fit(jsonl("ctx.jsonl", changed(trl_rows(), 2, context=["a", "b"])), method="multihead"),
        "context",
    ),
    case(
        "ctx_evaluate_unseen_context",
        evaluate(jsonl("ctx.jsonl", each(trl_rows(), context="zzz")), model="mh_model"),
        "zzz",
    ),
    # ------------------------------------------------------------------ users tables
    case(
        "usr_missing_user_id_column",
        audit(
            "pairs.jsonl",
            "--users",
            csv_file("u.csv", [{"id": u["user_id"], "age": u["age"]} for u in USERS]),
        ),
        "user_id",
    ),
    case(
        "usr_duplicate_ids",
        audit("pairs.jsonl", "--users", csv_file("u.csv", [*USERS, USERS[0]])),
        "u0",
    ),
    case("usr_unknown_users", audit("pairs.jsonl", "--users", csv_file("u.csv", USERS[:3])), "u3"),
    case(
        "usr_null_id",
        audit("pairs.jsonl", "--users", jsonl("u.jsonl", [*USERS, {"user_id": None, "age": 3}])),
        "user_id",
    ),
    case(
        "usr_duplicate_header",
        audit("pairs.jsonl", "--users", raw("udup.csv", "user_id,age,age\n" + "u0,1,2\n")),
        "age",
    ),
    case("usr_file_missing", audit("pairs.jsonl", "--users", "nousers.csv"), "nousers.csv"),
    case("usr_is_directory", audit("pairs.jsonl", "--users", folder("udir")), "udir"),
    case("usr_empty_file", audit("pairs.jsonl", "--users", raw("uempty.csv", b"")), "uempty.csv"),
    case(
        "usr_binary_file",
        audit("pairs.jsonl", "--users", raw("ubin.csv", bytes(range(256)) * 4)),
        "ubin.csv",
    ),
    case(
        "usr_data_without_user_id",
        audit(jsonl("nouid.jsonl", dropped(trl_rows(), "user_id")), "--users", "users.csv"),
        "user_id",
    ),
    case(
        "usr_column_clash",
        audit(jsonl("clash.jsonl", each(trl_rows(), **{"user.age": 3})), "--users", "users.csv"),
        "user.age",
    ),
    # ------------------------------------------------------------------ options
    case("opt_epochs_zero", fit("pairs.jsonl", "--epochs", "0"), "epochs"),
    case("opt_epochs_negative", fit("pairs.jsonl", "--epochs", "-3"), "epochs"),
    case("opt_epochs_not_int", fit("pairs.jsonl", "--epochs", "abc"), "--epochs"),
    case("opt_hidden_dim_zero", fit("pairs.jsonl", "--hidden-dim", "0"), "hidden"),
    case("opt_hidden_dim_negative", fit("pairs.jsonl", "--hidden-dim", "-8"), "hidden"),
    case("opt_hidden_dim_1e8_text", fit("pairs.jsonl", "--hidden-dim", "1e8"), "--hidden-dim"),
    case("opt_hidden_dim_huge", fit("pairs.jsonl", "--hidden-dim", "100000000"), "hidden"),
    case("opt_lr_negative", fit("pairs.jsonl", "--lr", "-0.1"), "lr"),
    case("opt_lr_zero", fit("pairs.jsonl", "--lr", "0"), "lr"),
    case("opt_lr_nan", fit("pairs.jsonl", "--lr", "nan"), "lr"),
    case("opt_lr_inf", fit("pairs.jsonl", "--lr", "inf"), "lr"),
    case("opt_batch_size_zero", fit("pairs.jsonl", "--batch-size", "0"), "batch"),
    case("opt_batch_size_negative", fit("pairs.jsonl", "--batch-size", "-5"), "batch"),
    case("opt_unknown_option", fit("pairs.jsonl", "--epoch", "2"), "--epoch"),
    case("opt_unknown_method", fit("pairs.jsonl", method="nosuchmethod"), "nosuchmethod"),
    case(
        "opt_unknown_encoder",
        argv(
            "fit",
            "pairs.jsonl",
            "--method",
            "bt",
            "--encoder",
            "nosuchenc",
            "--out",
            "fitted",
            *FIT_FAST,
        ),
        "nosuchenc",
    ),
    case(
        "opt_hf_encoder_missing_path",
        argv(
            "fit",
            "pairs.jsonl",
            "--method",
            "bt",
            "--encoder",
            "hf:no_model_dir",
            "--out",
            "fitted",
            *FIT_FAST,
        ),
        "no_model_dir",
    ),
    case(
        "opt_precomputed_on_text",
        argv(
            "fit",
            "pairs.jsonl",
            "--method",
            "bt",
            "--encoder",
            "precomputed",
            "--out",
            "fitted",
            *FIT_FAST,
        ),
        "vector.a",
    ),
    case("opt_unknown_layout", fit("pairs.jsonl", "--layout", "nosuchlayout"), "nosuchlayout"),
    case("opt_unknown_format", fit("pairs.jsonl", "--format", "xlsx"), "xlsx"),
    case("opt_unknown_precision", fit("pairs.jsonl", "--precision", "fp16"), "fp16"),
    case("opt_fit_set_without_equals", fit("pairs.jsonl", "--set", "penalty"), "penalty"),
    case("opt_fit_set_empty_key", fit("pairs.jsonl", "--set", "=3"), "--set"),
    case("opt_fit_set_unknown_setting", fit("pairs.jsonl", "--set", "nosuchknob=1"), "nosuchknob"),
    case(
        "opt_fit_set_penalty_text",
        fit("pairs.jsonl", "--set", "penalty=abc", method="vrex"),
        "penalty",
    ),
    case(
        "opt_fit_validation_fraction_above_one",
        fit(jsonl("nosplit.jsonl", NO_SPLIT), "--set", "validation_fraction=1.5"),
        "validation_fraction",
    ),
    case("opt_fit_patience_negative", fit("pairs.jsonl", "--set", "patience=-1"), "patience"),
    case(
        "opt_simulate_unknown_scenario",
        argv("simulate", "nosuchscenario", "--out", "sim.jsonl"),
        "nosuchscenario",
    ),
    case("opt_simulate_set_without_equals", simulate("latent_overlap", "rho"), "rho"),
    case("opt_simulate_unknown_knob", simulate("latent_overlap", "rhoo=1"), "rhoo"),
    case("opt_simulate_rho_text", simulate("latent_overlap", "rho=abc"), "rho"),
    case("opt_simulate_rho_2", simulate("latent_overlap", "rho=2"), "rho"),
    case("opt_simulate_rho_negative", simulate("latent_overlap", "rho=-1.5"), "rho"),
    case("opt_simulate_n_train_zero", simulate("latent_overlap", "n_train=0"), "n_train"),
    case("opt_simulate_n_train_negative", simulate("latent_overlap", "n_train=-5"), "n_train"),
    case("opt_simulate_dim_zero", simulate("latent_overlap", "dim=0"), "dim"),
    case("opt_simulate_n_train_text", simulate("latent_overlap", "n_train=many"), "n_train"),
    case("opt_simulate_uc_rho_above_one", simulate("user_confounding", "rho=1.5"), "rho"),
    case(
        "opt_simulate_sa_strength_text",
        simulate("spurious_attribute", "strength=high"),
        "strength",
    ),
    case("opt_simulate_unknown_suffix", simulate("latent_overlap", out="sim.txt"), "sim.txt"),
    case("opt_bench_jobs_zero", bench("--jobs", "0"), "--jobs"),
    case("opt_bench_jobs_negative", bench("--jobs", "-2"), "--jobs"),
    case("opt_bench_seeds_one", bench("--seeds", "1"), "--seeds"),
    case("opt_bench_seeds_zero", bench("--seeds", "0"), "--seeds"),
    case("opt_bench_unknown_scenario", bench("--scenarios", "nosuchscen"), "nosuchscen"),
    case("opt_bench_unknown_method", bench("--methods", "nosuchmeth"), "nosuchmeth"),
    case(
        "opt_demo_jobs_zero", argv("demo", "--quick", "--out", "demo_out", "--jobs", "0"), "--jobs"
    ),
    case(
        "opt_demo_precision",
        argv("demo", "--quick", "--out", "demo_out", "--precision", "fp8"),
        "fp8",
    ),
    case(
        "opt_study_missing_data_file",
        study(raw("spec.toml", '[study.s]\ndata = "missing.jsonl"\nmethods = ["bt"]\nseeds = 2\n')),
        "missing.jsonl",
    ),
    case("opt_study_unknown_spec", study("nosuchspec"), "nosuchspec"),
    case("opt_study_missing_toml", study("nosuch.toml"), "nosuch.toml"),
    case(
        "opt_study_invalid_toml",
        study(raw("broken.toml", "[study.x\nscenario = ")),
        "broken.toml",
    ),
    case(
        "opt_study_unknown_method_in_toml",
        study(
            raw(
                "spec.toml",
                '[study.s]\nscenario = "latent_overlap"\nmethods = ["nosuchm"]\nseeds = 2\n',
            )
        ),
        "nosuchm",
    ),
    case(
        "opt_study_set_without_equals",
        study("demo-quick", "--set", "defaults.seeds"),
        "defaults.seeds",
    ),
    case(
        "opt_study_set_unknown_key",
        study("demo-quick", "--set", "defaults.nosuchkey=1"),
        "nosuchkey",
    ),
    case("opt_study_jobs_zero", study("demo-quick", "--jobs", "0"), "--jobs"),
    case("opt_replicate_missing_data", replicate(data="nohh.jsonl.gz"), "nohh.jsonl.gz"),
    case("opt_replicate_seeds_zero", replicate("--seeds", "0"), "seeds"),
    case(
        "opt_attributes_unknown_name",
        attributes("pairs.jsonl", "--name", "nosuchattr"),
        "nosuchattr",
    ),
    case("opt_attributes_bad_regex", attributes("pairs.jsonl", "--name", "regex:("), "regex:("),
    case(
        "opt_audit_unknown_attribute",
        audit("pairs.jsonl", "--attributes", "nosuchat"),
        "nosuchat",
    ),
    case("opt_audit_bad_regex", audit("pairs.jsonl", "--attributes", "regex:[a"), "regex:[a"),
    case("opt_audit_unknown_encoder", audit("pairs.jsonl", "--encoder", "nosuchenc"), "nosuchenc"),
    case(
        "opt_evaluate_unknown_layout",
        evaluate("pairs.jsonl", "--layout", "nolayout"),
        "nolayout",
    ),
    case("opt_score_unknown_format", score("pairs.jsonl", "--format", "xml"), "xml"),
    # ------------------------------------------------------------------ output paths
    case("out_fit_into_folder_with_user_files", fit(project, out="proj"), "proj"),
    case("out_fit_into_existing_user_folder", fit(out=folder("mine")), "mine"),
    case(
        "out_fit_overwrite_user_folder",
        fit("pairs.jsonl", "--overwrite", out=folder("mine")),
        "mine",
    ),
    case(
        "out_fit_overwrite_input_folder", fit("pairs.jsonl", "--overwrite", out="."), "pairs.jsonl"
    ),
    case("out_fit_into_cwd", fit(out="."), "--out"),
    case("out_fit_to_existing_file", fit(out="notes.txt"), "notes.txt"),
    case("out_fit_below_a_file", fit(out="notes.txt/m"), "notes.txt"),
    case("out_fit_equal_to_input", fit(out="pairs.jsonl"), "pairs.jsonl"),
    case("out_fit_existing_model_no_overwrite", fit(out=previous_model), "--overwrite"),
    case("out_fit_unwritable_proc", fit(out="/proc/causalpref_m"), "/proc/causalpref_m"),
    case("out_score_into_user_folder", score(out=folder("sdir")), "sdir"),
    case("out_score_below_a_file", score(out="notes.txt/s.jsonl"), "notes.txt"),
    case("out_score_equal_to_input", score(out="pairs.jsonl"), "pairs.jsonl"),
    case(
        "out_score_over_user_file",
        score(out=raw("old_scores.jsonl", "my own file\n")),
        "old_scores.jsonl",
    ),
    case("out_score_into_model_folder", score(out="model"), "model"),
    case(
        "out_evaluate_json_user_folder", evaluate("pairs.jsonl", "--json", folder("jdir")), "jdir"
    ),
    case(
        "out_evaluate_json_over_user_file",
        evaluate("pairs.jsonl", "--json", "notes.txt"),
        "notes.txt",
    ),
    case(
        "out_evaluate_json_below_a_file",
        evaluate("pairs.jsonl", "--json", "notes.txt/m.json"),
        "notes.txt",
    ),
    case(
        "out_evaluate_json_over_model_config",
        evaluate("pairs.jsonl", "--json", "model/config.json"),
        "config.json",
    ),
    case(
        "out_attributes_json_user_folder",
        attributes("pairs.jsonl", "--json", lambda d: folder("adir")(d) + "/"),
        "adir",
    ),
    case(
        "out_attributes_json_over_input",
        attributes("pairs.jsonl", "--json", "pairs.jsonl"),
        "pairs.jsonl",
    ),
    case("out_audit_is_a_file", audit(out="notes.txt"), "notes.txt"),
    case("out_audit_user_folder", audit(out=folder("audir")), "audir"),
    case(
        "out_audit_overwrite_model_folder",
        audit("pairs.jsonl", "--overwrite", out="model"),
        "model",
    ),
    case("out_audit_below_a_file", audit(out="notes.txt/audit"), "notes.txt"),
    case(
        "out_audit_unwritable_proc",
        audit(out="/proc/causalpref_audit"),
        "/proc/causalpref_audit",
    ),
    case(
        "out_simulate_over_user_file", simulate("latent_overlap", out="pairs.jsonl"), "pairs.jsonl"
    ),
    case("out_simulate_to_folder", simulate("latent_overlap", out=folder("simdir")), "simdir"),
    case(
        "out_simulate_below_a_file",
        simulate("latent_overlap", out="notes.txt/s.jsonl"),
        "notes.txt",
    ),
    case(
        "out_bench_user_folder",
        argv("bench", "--quick", "--out", folder("bdir"), "--methods", "bt"),
        "bdir",
    ),
    case("out_demo_is_a_file", argv("demo", "--quick", "--out", "notes.txt"), "notes.txt"),
    case("out_study_below_a_file", study("demo-quick", out="notes.txt/st"), "notes.txt"),
    case("out_replicate_user_folder", replicate(out=folder("rdir")), "rdir"),
    # ------------------------------------------------------------------ saved models
    case("mdl_missing_folder", evaluate(model="nomodel"), "nomodel"),
    case("mdl_folder_is_a_file", evaluate(model="notes.txt"), "notes.txt"),
    case("mdl_empty_folder", evaluate(model=folder("emptymodel")), "emptymodel"),
    case("mdl_data_folder_as_model", evaluate(model="cache"), "cache"),
    case("mdl_missing_weights", damaged(removed("model.safetensors")), "model.safetensors"),
    case("mdl_missing_config", damaged(removed("config.json")), "config.json"),
    case(
        "mdl_truncated_weights",
        damaged(truncated("model.safetensors", 0.5)),
        "model.safetensors",
    ),
    case(
        "mdl_truncated_weights_score",
        damaged(truncated("model.safetensors", 0.9), score()),
        "model.safetensors",
    ),
    case("mdl_empty_weights", damaged(truncated("model.safetensors", 0.0)), "model.safetensors"),
    case(
        "mdl_pickle_weights",
        damaged(replaced("model.safetensors", pickle.dumps({"w": [1.0, 2.0]}))),
        "model.safetensors",
    ),
    case(
        "mdl_header_only_weights",
        damaged(truncated("model.safetensors", 0.02)),
        "model.safetensors",
    ),
    case("mdl_config_a_list", damaged(replaced("config.json", "[1, 2]")), "config.json"),
    case("mdl_config_invalid_json", damaged(replaced("config.json", "{oops")), "config.json"),
    case("mdl_config_empty", damaged(replaced("config.json", "")), "config.json"),
    case("mdl_config_binary", damaged(replaced("config.json", bytes(range(256)))), "config.json"),
    case("mdl_config_missing_fitted", damaged(config_edit(without("fitted"))), "fitted"),
    case("mdl_config_missing_settings", damaged(config_edit(without("settings"))), "settings"),
    case(
        "mdl_config_encoder_a_string",
        damaged(config_edit(with_key("encoder", "hashing"))),
        "encoder",
    ),
    case(
        "mdl_config_wrong_format",
        damaged(config_edit(with_key("format", "something.else"))),
        "format",
    ),
    case("mdl_config_future_version", damaged(config_edit(with_key("format_version", 99))), "99"),
    case(
        "mdl_config_unknown_method",
        damaged(config_edit(with_key("method", "nosuchsaved"))),
        "nosuchsaved",
    ),
    case(
        "mdl_config_hidden_dim_mismatch",
        damaged(config_edit(with_setting("hidden_dim", 32))),
        "model",
    ),
    case(
        "mdl_config_settings_a_string",
        damaged(config_edit(with_key("settings", "oops"))),
        "settings",
    ),
    case("mdl_nan_weights", damaged(tensors_edit(set_nan)), "model.safetensors"),
    case("mdl_nan_weights_score", damaged(tensors_edit(set_nan), score()), "model.safetensors"),
    case("mdl_inf_weights", damaged(tensors_edit(set_inf)), "model.safetensors"),
    case("mdl_wrong_shape", damaged(tensors_edit(grow)), "model.safetensors"),
    case("mdl_missing_tensor", damaged(tensors_edit(drop)), "model.safetensors"),
    case("mdl_integer_tensors", damaged(tensors_edit(as_integers)), "model.safetensors"),
    # ------------------------------------------------------------------ caches
    case("cache_fit_dir_is_a_file", fit("pairs.jsonl", "--cache-dir", "notes.txt"), "notes.txt"),
    case(
        "cache_fit_dir_below_a_file",
        fit("pairs.jsonl", "--cache-dir", "notes.txt/cache"),
        "notes.txt",
    ),
    case(
        "cache_audit_dir_is_a_file",
        audit("pairs.jsonl", "--cache-dir", "notes.txt"),
        "notes.txt",
    ),
    case(
        "cache_evaluate_dir_is_a_file",
        evaluate("pairs.jsonl", "--cache-dir", "notes.txt"),
        "notes.txt",
    ),
    case(
        "cache_score_dir_below_a_file",
        score("pairs.jsonl", "--cache-dir", "notes.txt/c"),
        "notes.txt",
    ),
    case(
        "cache_fit_dir_in_proc",
        fit("pairs.jsonl", "--cache-dir", "/proc/causalpref_cache"),
        "/proc/causalpref_cache",
    ),
    # ------------------------------------------------------------------ degenerate data
    case(
        "deg_identical_responses",
        fit(jsonl("same.jsonl", [{**r, "rejected": r["chosen"]} for r in trl_rows()])),
        "response",
    ),
    case(
        "deg_identical_responses_vectors",
        fit_vectors(jsonl("same.jsonl", [{**r, "vector.b": r["vector.a"]} for r in vector_rows()])),
        "response",
    ),
    case(
        "deg_all_empty_responses",
        fit(jsonl("blank.jsonl", each(trl_rows(), chosen="", rejected=""))),
        "response",
    ),
    case(
        "deg_all_whitespace_responses",
        fit(jsonl("ws.jsonl", each(trl_rows(), chosen="  ", rejected="\n"))),
        "response",
    ),
    case("deg_zero_total_weight", fit(jsonl("w.jsonl", each(trl_rows(), weight=0.0))), "weight"),
    case(
        "deg_zero_weight_in_train",
        fit(
            jsonl(
                "w.jsonl",
                [{**r, "weight": 0.0 if r["split"] == "train" else 1.0} for r in trl_rows()],
            )
        ),
        "weight",
    ),
    case(
        "deg_negative_weight",
        fit(jsonl("w.jsonl", changed(each(trl_rows(), weight=1.0), 3, weight=-1.0))),
        "weight",
        "3",
    ),
    case(
        "deg_nan_weight",
        fit(raw("w.jsonl", with_value(WEIGHTED, 3, "weight", float("nan")))),
        "weight",
        "3",
    ),
    case("deg_one_row", fit(jsonl("one.jsonl", NO_SPLIT[:1])), "row"),
    case("deg_two_rows", fit(jsonl("two.jsonl", NO_SPLIT[:2])), "row"),
    case("deg_one_row_multihead", fit(jsonl("one.jsonl", NO_SPLIT[:1]), method="multihead"), "row"),
    case(
        "deg_identical_and_ties",
        fit(
            jsonl(
                "both.jsonl",
                [{**r, "response_b": r["response_a"], "label": 0.5} for r in canonical_rows()],
            )
        ),
        "label",
    ),
]
