"""Reports of the paper replications (the demo's Tables 1 and 2, the HH case study): results.json,
report.md and figures, and which of the paper's findings reproduce."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from causalpref._atomic import write_text
from causalpref._json import dumps
from causalpref.metrics import mean_se
from causalpref.report.paper_tables import (
    paper_table2_markdown,
    table1,
    table2,
    write_confounding_figure,
    write_figures,
)
from causalpref.report.summary import config_section


def paired_difference(
    rows: Sequence[dict], key: str, model: str, baseline: str, **where
) -> tuple[float, float]:
    """Mean +- s.e. over seeds of `key`(model) - `key`(baseline), paired on the same data set."""
    sel = [r for r in rows if all(r.get(k) == v for k, v in where.items())]
    by_seed: dict[int, dict[str, float]] = {}
    for r in sel:
        by_seed.setdefault(r["seed"], {})[r["method"]] = r[key]
    diffs = [m[model] - m[baseline] for m in by_seed.values() if model in m and baseline in m]
    return mean_se(diffs)


def findings(rows: Sequence[dict]) -> list[str]:
    """The paper's theory-backed findings, each checked against the measured numbers."""
    out = []
    t1 = [r for r in rows if r["study"] == "table1"]
    if t1:
        rhos = sorted({r["rho"] for r in t1})
        lo, hi = rhos[0], rhos[-1]
        ood = {rho: mean_se(r["ood_accuracy"] for r in t1 if r["rho"] == rho) for rho in rhos}
        idm = {rho: mean_se(r["id_accuracy"] for r in t1 if r["rho"] == rho)[0] for rho in rhos}
        falls = all(ood[a][0] > ood[b][0] for a, b in zip(rhos, rhos[1:], strict=False))
        spread = (max(idm.values()) - min(idm.values())) * 100
        out.append(
            f"Table 1: OOD accuracy {'falls' if falls else 'does NOT fall'} monotonically as "
            "rho_tr "
            f"rises ({ood[lo][0] * 100:.1f} at rho_tr={lo} to {ood[hi][0] * 100:.1f} at {hi}); ID "
            f"accuracy moves by {spread:.1f} points ({'within' if spread <= 2 else 'MORE than'} 2)."
        )
    for regime in ("shared", "type_specific"):
        t2 = [r for r in rows if r["study"] == "table2" and r.get("features") == regime]
        if t2:
            out += confounding_findings(t2, f"Table 2 ({regime})")
    return out


def confounding_findings(rows: Sequence[dict], label: str) -> list[str]:
    """Base's inconsistent-row trend, the paired gains over Base at rho 0.8 and 0.9, and rho = 1."""
    rhos = sorted({r["rho"] for r in rows})
    base = {
        rho: mean_se(
            r["inconsistent_accuracy"] for r in rows if r["rho"] == rho and r["method"] == "base"
        )[0]
        for rho in rhos
    }
    out = [
        f"{label}: Base inconsistent accuracy "
        + " -> ".join(f"{base[rho] * 100:.1f}" for rho in rhos)
        + f" for rho = {rhos}."
    ]
    for rho in (0.8, 0.9):
        if rho not in rhos:
            continue
        for model in ("multihead", "adversarial"):
            d, se = paired_difference(rows, "inconsistent_accuracy", model, "base", rho=rho)
            verdict = "beats" if d > 2 * se else "does NOT beat"
            out.append(
                f"  rho={rho}: {model} {verdict} Base on inconsistent rows by > 2 s.e. "
                f"({d * 100:+.1f} +- {se * 100:.1f} points, paired over seeds)"
            )
        d, se = paired_difference(
            rows, "inconsistent_accuracy", "adversarial", "multihead", rho=rho
        )
        out.append(
            f"  rho={rho}: adversarial - multihead on inconsistent rows: "
            f"{d * 100:+.1f} +- {se * 100:.1f} points (reported as measured)"
        )
    if 1.0 in rhos:
        at1 = {
            m: mean_se(
                r["inconsistent_accuracy"] for r in rows if r["rho"] == 1.0 and r["method"] == m
            )
            for m in dict.fromkeys(r["method"] for r in rows)
        }
        out.append(
            "  rho=1.0 (no overlap) inconsistent accuracy: "
            + ", ".join(f"{m} {v[0] * 100:.1f} +- {v[1] * 100:.1f}" for m, v in at1.items())
        )
    return out


def write_demo_outputs(rows: list[dict], config: dict, out: Path) -> str:
    """Write results.json, report.md, table1.png and table2.png under `out`; return the text."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "results.json", dumps(_jsonable(rows), indent=1))
    figures = write_figures(rows, out)
    text = _console(rows)
    write_text(out / "report.md", _markdown(rows, config, figures))
    note = (
        ""
        if figures
        else "\n(figures skipped: install matplotlib, e.g. pip install 'causalpref[plot]')"
    )
    return (
        text
        + f"\n\nwrote {out / 'results.json'}, {out / 'report.md'}"
        + "".join(f", {p}" for p in figures)
        + note
    )


def _console(rows: list[dict]) -> str:
    parts = []
    if any(r["study"] == "table1" for r in rows):
        parts += ["Table 1 - latent_overlap (accuracy %, mean +- s.e. over seeds)", table1(rows)]
    for regime in ("shared", "type_specific"):
        if any(r.get("features") == regime for r in rows):
            parts += [
                f"\nTable 2 - user_confounding, {regime} features "
                "(inconsistent | consistent accuracy %)",
                table2(rows, regime),
            ]
    parts += ["\nFindings:", *findings(rows)]
    return "\n".join(parts)


def _markdown(rows: list[dict], config: dict, figures: list[Path]) -> str:
    lines = [
        "# causalpref demo: the founding paper's two failure modes in simulation",
        "",
        "Produced by `causalpref demo`; every number below is computed from `results.json` in "
        "this folder. Accuracy in %, mean +- standard error over seeds.",
        "",
        "## Findings",
        "",
        *[f"- {f}" if not f.startswith("  ") else f"  - {f.strip()}" for f in findings(rows)],
        "",
        "## Table 1: limited latent overlap (`latent_overlap`)",
        "",
        table1(rows, markdown=True),
        "",
    ]
    if any(p.name == "table1.png" for p in figures):
        lines += ["![Table 1](table1.png)", ""]
    for regime in ("shared", "type_specific"):
        if any(r.get("features") == regime for r in rows):
            lines += [
                f"## Table 2: confounding by labeller objective (`user_confounding`, "
                f"{regime} features)",
                "",
                table2(rows, regime, markdown=True),
                "",
            ]
    if any(p.name == "table2.png" for p in figures):
        lines += ["![Table 2](table2.png)", ""]
    lines += _paper_and_config(
        "## The paper's Table 2 (relabelled HH-RLHF, Llama-3-8B embeddings)", config
    )
    return "\n".join(lines)


def _paper_and_config(heading: str, config: dict) -> list[str]:
    """Closing Markdown lines of a report: the paper's Table 2, then the run's configuration."""
    return [heading, "", paper_table2_markdown(), "", *config_section(config)]


def _jsonable(rows: list[dict]) -> list[dict]:
    return [
        {k: (float(v) if isinstance(v, np.floating) else v) for k, v in r.items()} for r in rows
    ]


def write_hh_outputs(rows: list[dict], config_dict: dict, out: Path, source: str) -> str:
    """results.json, report.md and hh_confounding.png of the HH case study; returns the text."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    encoder = config_dict["encoder"]
    write_text(out / "results.json", dumps(_jsonable(rows), indent=1))
    figures = write_confounding_figure(
        rows,
        out / "hh_confounding.png",
        table="hh_confounding",
        title="relabelled HH-RLHF",
        panel=f"{{regime}} embeddings, {config_dict['n_train']} train",
    )
    table = table2(rows, encoder, table="hh_confounding")
    found = confounding_findings(rows, f"HH-RLHF ({encoder})")
    lines = [
        "# The paper's confounding case study on relabelled HH-RLHF",
        "",
        f"Produced by `causalpref replicate hh-confounding --data {source}`. Accuracy in %, mean "
        "+- s.e. over seeds; every number is computed from `results.json` in this folder.",
        "",
        "## Findings",
        "",
        *[f"- {f}" if not f.startswith("  ") else f"  - {f.strip()}" for f in found],
        "",
        f"## Our table ({encoder} embeddings)",
        "",
        table2(rows, encoder, True, "hh_confounding"),
        "",
        *(["![HH confounding](hh_confounding.png)", ""] if figures else []),
        *_paper_and_config(
            "## The paper's Table 2 (30,000 training pairs, Llama-3-8B embeddings)", config_dict
        ),
    ]
    write_text(out / "report.md", "\n".join(lines))
    text = "\n".join(
        [
            f"HH-RLHF confounding ({encoder}): inconsistent | consistent accuracy %",
            table,
            "",
            "Findings:",
            *found,
        ]
    )
    return (
        text
        + f"\n\nwrote {out / 'results.json'}, {out / 'report.md'}"
        + "".join(f", {p}" for p in figures)
    )
