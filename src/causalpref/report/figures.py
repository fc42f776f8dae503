"""Matplotlib figures of the demo's tables; callers pass pyplot in, so importing this is cheap."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from causalpref.report.plotting import pyplot, save_png  # noqa: F401 (pyplot: re-exported)
from causalpref.report.summary import summarize

MODEL_COLORS = {
    "bt": "#333333",
    "base": "#d95f02",
    "multihead": "#1b9e77",
    "adversarial": "#7570b3",
}


def _series(cells, key):
    return np.array([c[key][0] for c in cells]) * 100, np.nan_to_num(
        np.array([c[key][1] for c in cells]) * 100
    )


def plot_table1(plt, rows: Sequence[dict], path: Path) -> Path:
    """ID and OOD accuracy against rho_tr; dotted: the best predictor of the training
    distribution (ID-optimal); bars: the informative mass."""
    cells = summarize(
        [r for r in rows if r["study"] == "table1"],
        ["rho"],
        [
            "id_accuracy",
            "ood_accuracy",
            "id_optimal_id_accuracy",
            "id_optimal_ood_accuracy",
            "informative_mass",
        ],
    )
    rho = np.array([c["rho"] for c in cells])
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for key, label, color in (
        ("id_accuracy", "ID (same rho as training)", "#1f77b4"),
        ("ood_accuracy", "OOD (quadrants 2 and 4)", "#d62728"),
    ):
        mean, se = _series(cells, key)
        ax.errorbar(rho, mean, yerr=se, marker="o", capsize=3, color=color, label=label)
        best, _ = _series(cells, f"id_optimal_{key}")
        ax.plot(
            rho, best, linestyle=":", color=color, label=f"ID-optimal predictor, {label.split()[0]}"
        )
    ax.set_xlabel("rho_tr: correlation of factor differences in training")
    ax.set_ylabel("pairwise accuracy (%)")
    ax.set_title("Table 1: limited latent overlap (latent_overlap)")
    ax.grid(alpha=0.3)
    mass = ax.twinx()
    mass.bar(
        rho,
        [c["informative_mass"][0] for c in cells],
        width=0.06,
        alpha=0.15,
        color="gray",
        label="informative mass",
    )
    mass.set_ylabel("informative mass 1/2 - arcsin(rho)/pi (bars)")
    mass.set_ylim(0, 1)
    ax.set_zorder(mass.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.legend(loc="lower left", fontsize=8)
    save_png(fig, path)
    plt.close(fig)
    return path


def plot_table2(
    plt,
    rows: Sequence[dict],
    path: Path,
    *,
    table: str = "table2",
    title: str = "user_confounding",
    panel: str = "Table 2, {regime} features",
) -> Path:
    """Inconsistent (solid) and consistent (dashed) accuracy per model, one panel per regime."""
    sel = [r for r in rows if r["study"] == table]
    regimes = list(dict.fromkeys(r["features"] for r in sel))
    fig, axes = plt.subplots(
        1, len(regimes), figsize=(5.6 * len(regimes), 4.4), sharey=True, squeeze=False
    )
    for ax, regime in zip(axes[0], regimes, strict=True):
        cells = summarize(
            [r for r in sel if r["features"] == regime],
            ["method", "rho"],
            ["inconsistent_accuracy", "consistent_accuracy", "oracle_inconsistent_accuracy"],
        )
        for model in dict.fromkeys(c["method"] for c in cells):
            mc = [c for c in cells if c["method"] == model]
            rho = np.array([c["rho"] for c in mc])
            color = MODEL_COLORS.get(model)
            for key, style in (("inconsistent_accuracy", "-"), ("consistent_accuracy", "--")):
                mean, se = _series(mc, key)
                ax.errorbar(
                    rho,
                    mean,
                    yerr=se,
                    marker="o",
                    ms=4,
                    capsize=3,
                    linestyle=style,
                    color=color,
                    label=f"{model}, {key.split('_')[0]}",
                )
        oracle = [c for c in cells if c["method"] == cells[0]["method"]]
        oracle_acc = [c["oracle_inconsistent_accuracy"][0] * 100 for c in oracle]
        if np.isfinite(oracle_acc).all():  # real data has no oracle
            ax.plot(
                [c["rho"] for c in oracle], oracle_acc, linestyle=":", color="gray", label="oracle"
            )
        ax.axhline(50, color="black", linewidth=0.6)
        ax.set_title(panel.format(regime=regime.replace("_", "-")))
        ax.set_xlabel("rho = P(prompt type = labeller objective) in training")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("pairwise accuracy (%)")
    handles, labels = axes[0][-1].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=4,
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, -0.1),
    )
    fig.suptitle(f"{title}: solid = inconsistent rows (t != c), dashed = consistent")
    save_png(fig, path)
    plt.close(fig)
    return path
