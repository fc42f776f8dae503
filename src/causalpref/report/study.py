"""Render study results: Markdown tables per study (and the demo, bench and HH reports for the
specs that ask for them), results.json and report.md under the output folder."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from causalpref._atomic import write_text
from causalpref._json import dumps
from causalpref.evaluate.padding_probe import PADDING_RISE
from causalpref.evaluate.selection import CHOSEN
from causalpref.evaluate.spec import StudySpec
from causalpref.evaluate.study import WARNINGS, StudyResult
from causalpref.outputs import output_folder
from causalpref.report.summary import config_section, format_mean_se, render_table


def write_study_outputs(
    spec: StudySpec, results: Sequence[StudyResult], out: Path, *, overwrite: bool = False
) -> str:
    """Write the spec's report to folder `out` as one folder swap (its `report` kind picks the
    layout); return the console text.

    An existing `out` is replaced only with `overwrite`, and only when it holds an earlier study
    output and nothing else (ConfigError otherwise, before anything is written).
    """
    out = Path(out)
    with output_folder(out, "study", overwrite=overwrite) as folder:
        text = _write_report(spec, results, folder)
    return text.replace(str(folder), str(out))  # the writers named the temporary folder


def _write_report(spec: StudySpec, results: Sequence[StudyResult], out: Path) -> str:
    """Write the report files into folder `out`; return the console text."""
    rows = [_plain(r) for result in results for r in result.rows]
    every_row = [_plain(r) for result in results for r in result.all_rows()]
    if spec.report == "demo":
        from causalpref.report.replication import write_demo_outputs

        return write_demo_outputs(rows, spec.raw, out)
    if spec.report == "bench":
        from causalpref.report.bench import write_bench_outputs

        return write_bench_outputs(results, spec.raw, out)
    if spec.report == "hh-confounding":
        return _write_hh(spec, rows, out)
    return _write_generic(spec, results, every_row, out)


def study_table(result: StudyResult, markdown: bool = False) -> str:
    """Per method (and grid point): the settings chosen on validation (under `select`), the
    shift metric, gain over the baseline, gap closed to the oracle and to the clean-data
    ceiling, accuracy on every test split, the padding rise (with the probe), seeds."""
    cells = [c for c in result.summary() if "skipped" not in c]
    if not cells:
        return "(every method was skipped)"
    return render_table(*_table_rows(result, cells), markdown)


def _table_rows(result: StudyResult, cells: list[dict]) -> tuple[list[str], list[list[str]]]:
    """(header, body) of the study table, shared by the text, Markdown and HTML reports."""
    splits = [k for k in cells[0] if k.endswith("_accuracy") and _is_split_metric(k)]
    has_oracle = any(not math.isnan(c["oracle"][0]) for c in cells)
    has_clean = any("clean" in c for c in cells)
    has_chosen = any(c.get(CHOSEN) for c in cells)
    has_probe = any(PADDING_RISE in c for c in cells)
    header = [*result.grid_keys, "method"] + ["chosen on validation (seeds)"] * has_chosen
    header += ["shift metric %", f"gain over {result.baseline} (pts)"]
    header += ["gap closed (oracle)"] * has_oracle
    header += ["clean ceiling %", "gap closed (clean)"] * has_clean
    header += [f"{s.removesuffix('_accuracy')} %" for s in splits]
    costs = [s for s in splits if s != f"{result.shift_split}_accuracy" and f"gain_{s}" in cells[0]]
    header += [f"gain on {s.removesuffix('_accuracy')} (pts)" for s in costs]
    header += ["padding rise %"] * has_probe + ["fit s", "seeds"]
    body = []
    for c in cells:
        line = [str(c[k]) for k in result.grid_keys] + [c["method"]]
        line += [c.get(CHOSEN) or "-"] * has_chosen
        line += [format_mean_se(c["shift_metric"]), format_mean_se(c["gain"])]
        line += [_percent(c["gap_closed"])] * has_oracle
        if has_clean:
            line += [format_mean_se(c.get("clean", (math.nan, math.nan)))]
            line += [_percent(c.get("clean_gap_closed", math.nan))]
        line += [format_mean_se(c.get(s, (math.nan, math.nan))) for s in splits]
        line += [format_mean_se(c[f"gain_{s}"]) for s in costs]
        line += [format_mean_se(c.get(PADDING_RISE, (math.nan, math.nan)))] * has_probe
        seconds = c.get("seconds", (math.nan, math.nan))[0]
        body.append([*line, "-" if math.isnan(seconds) else f"{seconds:.1f}", str(c["seeds"])])
    if has_oracle:
        oracle = next(c["oracle"] for c in cells)
        blank = [""] * len(result.grid_keys)
        start = [*blank, "oracle"] + [""] * has_chosen + [format_mean_se(oracle), "", "100%"]
        body.append(start + [""] * (len(header) - len(start)))
    return header, body


def _is_split_metric(key: str) -> bool:
    return not key.startswith(("oracle_", "id_optimal_", "clean_", "train_", "gain_"))


def _percent(share: float) -> str:
    return "-" if math.isnan(share) else f"{100 * share:.0f}%"


def _write_generic(
    spec: StudySpec, results: Sequence[StudyResult], rows: list[dict], out: Path
) -> str:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "results.json", dumps(rows, indent=1))
    text, lines = [], [f"# {spec.title}", "", _EXPLAIN, ""]
    for result in results:
        title = f"{result.study}: shift metric = {result.shift_name}"
        skipped = [f"{c['method']} ({c['skipped']})" for c in result.summary() if "skipped" in c]
        note = ["skipped: " + "; ".join(dict.fromkeys(skipped))] if skipped else []
        text += [title, "", study_table(result), *note, ""]
        lines += [f"## {title}", "", study_table(result, markdown=True), "", *note, ""]
    warned = _warned_note(rows)
    text += warned
    if warned:
        lines += [*warned, ""]
    lines += config_section(spec.raw)
    write_text(out / "report.md", "\n".join(lines))
    write_text(out / "report.html", study_html(spec, results))
    written = ", ".join(str(out / f) for f in ("results.json", "report.md", "report.html"))
    return "\n".join(text) + f"\nwrote {written}"


def _warned_note(rows: Sequence[dict]) -> list[str]:
    """One line saying how many fits warned (did not train, ...), or nothing when none did."""
    warned = sum(bool(r.get(WARNINGS)) for r in rows)
    if not warned:
        return []
    return [
        f"{warned} of {len(rows)} fits warned (e.g. a model at chance); each row of results.json "
        f"lists its fit's warnings under '{WARNINGS}'."
    ]


def study_html(spec: StudySpec, results: Sequence[StudyResult]) -> str:
    """A self-contained page: per study, the gain figure and the table, then the spec."""
    from causalpref.report.html import render_page
    from causalpref.report.study_figures import PLOT_NOTE, gain_figure

    sections = []
    for i, result in enumerate(results):
        cells = [c for c in result.summary() if "skipped" not in c]
        header, body = _table_rows(result, cells) if cells else ([], [])
        figure = gain_figure(cells, result.baseline, result.grid_keys, f"g{i}") if cells else None
        skipped = [f"{c['method']} ({c['skipped']})" for c in result.summary() if "skipped" in c]
        sections.append(
            {
                "name": result.study,
                "shift_name": result.shift_name,
                "header": header,
                "body": body,
                "figure": figure,
                "skipped": list(dict.fromkeys(skipped)),
            }
        )
    return render_page(
        "study.html.j2",
        title=spec.title,
        explain=_EXPLAIN,
        sections=sections,
        plot_note=PLOT_NOTE,
        spec_text=dumps(spec.raw, indent=2, default=str),
    )


_EXPLAIN = (
    "Produced by `causalpref study`. Accuracy in %, mean +- s.e. over seeds. `gain` is paired "
    "over seeds (same data per seed); `gap closed (oracle)` is that gain as a share of the gap "
    "between the baseline and the true reward; `clean ceiling` is the same method fitted on the "
    "same amount of data with the scenario's problem switched off, and `gap closed (clean)` the "
    "gain as a share of the gap between the baseline and that ceiling. `chosen on validation` "
    "names the settings a study with `select` kept per seed (best validation score; test rows "
    "never seen) and `padding rise` is the share of test responses whose reward rises when "
    "content-free padding is appended. Every number is computed from `results.json` in this "
    "folder (under `select`, its rows with `selected` true)."
)


def _write_hh(spec: StudySpec, rows: list[dict], out: Path) -> str:
    from causalpref.report.replication import write_hh_outputs

    study = spec.studies[0]
    encoder = study.source.encoder
    rows = [{**r, "features": encoder} for r in rows]
    config = {"encoder": encoder, **study.source.resample_settings, **spec.raw}
    return write_hh_outputs(rows, config, out, str(study.source.path))


def _plain(row: dict) -> dict:
    return {k: (float(v) if isinstance(v, np.floating) else v) for k, v in row.items()}
