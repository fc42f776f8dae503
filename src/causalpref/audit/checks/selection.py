"""Check 6, selection: which rows made it into the data, and what re-weighting them would cost.

Inverse propensity weights undo selection only where the propensities are not tiny. The check
uses a `propensity` column (P(row shown), e.g. from the logging policy) when there is one, and
with an `observed` / `shown` 0/1 exposure column (unshown rows kept) it fits a cross-fitted
propensity model on the response vectors. It reports the model's AUC, the effective sample
size of the inverse weights and the share of weights a usual clip would cut. Without either
column it is skipped and says what it would need.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from causalpref.audit.checks._evidence import first_rows, rounded
from causalpref.audit.context import AuditContext
from causalpref.audit.findings import CheckResult, FigureSpec, Finding
from causalpref.audit.stats import (
    delong_auc,
    kfold,
    logistic_l2,
    logistic_predict,
    normal_interval,
    principal_components,
)
from causalpref.data.schema import PROPENSITY

NAME = "selection"
TITLE = "Selection into the data"

INDICATORS = ("observed", "shown")  # 0/1 exposure columns the check recognises, in this order
CLIP_PROPENSITY = 0.05  # weights above 1/0.05 = 20 are usually clipped (bias traded for variance)
CLIP_NOTICE = 0.01  # from 1% of rows clipped, the clipped estimate is biased there: a notice
CLIP_WARN = 0.10  # from 10%, clipping changes the estimand for a large part of the data
ESS_NOTICE = 0.3  # weighted estimates resting on < 30% of the rows are noticeably noisier
ESS_WARN = 0.1  # < 10%: a few rows decide every weighted estimate
AUC_STRONG = 0.8  # exposure this predictable from content: strong selection, overlap at risk
MIN_ROWS_MODEL = 100  # fewer rows (or fewer of either class) and no propensity model is fitted
N_FOLDS = 5  # cross-fitting folds of the propensity model
MAX_DIMS = 32  # principal components of the pair features used by the propensity model
PENALTY = 1.0  # L2 penalty of the propensity model on standardised components
N_BINS = 20  # histogram bins of the propensities on [0, 1]


def run(ctx: AuditContext) -> CheckResult:
    """Propensity model (with an exposure column), effective sample size and clipped weights."""
    indicator = next((c for c in INDICATORS if ctx.has(c)), None)
    if indicator is None and not ctx.has(PROPENSITY):
        return CheckResult(NAME, TITLE, skipped=SKIP_REASON)
    findings: list[Finding] = []
    stats: dict[str, Any] = {"propensity_column": ctx.has(PROPENSITY), "indicator": indicator}
    figures: list[FigureSpec] = []
    observed = np.ones(ctx.n, dtype=bool)
    propensity, source = None, "fitted propensity model"
    if indicator is not None:
        observed, bad = exposure(ctx.data.column(indicator))
        if bad.any():
            return CheckResult(NAME, TITLE, findings=[_bad_indicator(indicator, bad)], stats=stats)
        stats.update({"rows": ctx.n, "observed": int(observed.sum())})
        model = propensity_model(ctx, observed)
        stats["propensity_model"] = model["stats"]
        findings += model["findings"]
        propensity = model.get("propensity")
    if ctx.has(PROPENSITY):
        propensity = ctx.data.column(PROPENSITY).astype(np.float64)
        source = "propensity column"
    if propensity is None:
        return CheckResult(NAME, TITLE, findings=findings, stats=stats)
    weights = weight_summary(propensity[observed])
    stats["weights"] = {"source": source, **_weight_stats(weights)}
    findings += _weight_findings(weights, source, propensity[observed], np.flatnonzero(observed))
    figures.append(_propensity_figure(propensity[observed], source))
    return CheckResult(NAME, TITLE, findings=findings, stats=stats, figures=figures)


SKIP_REASON = (
    "needs a 'propensity' column (the probability that each row was shown, e.g. from the "
    "logging policy) or an 'observed'/'shown' 0/1 exposure column with the unshown rows kept; "
    "this data has neither, so selection into it cannot be assessed from the data alone. "
    "Pointwise feedback tables (one response per row) are not supported by the audit yet."
)


# -- exposure and the propensity model -------------------------------------------------------
def exposure(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(observed as bool, rows whose value is not 0/1/true/false) for an exposure column."""
    out = np.zeros(len(values), dtype=bool)
    bad = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values.tolist()):
        if isinstance(v, bool) or v in (0, 1):
            out[i] = bool(v)
        elif isinstance(v, str) and v.strip().lower() in ("0", "1", "true", "false"):
            out[i] = v.strip().lower() in ("1", "true")
        else:
            bad[i] = True
    return out, bad


def _bad_indicator(column: str, bad: np.ndarray) -> Finding:
    return Finding(
        "selection.bad_indicator",
        NAME,
        "error",
        f"Column '{column}' should hold 0/1 (or true/false) exposure flags, but {int(bad.sum())} "
        "row(s) hold something else; the selection check did not run.",
        {"column": column, "bad_rows": int(bad.sum()), "first_rows": first_rows(bad)},
        f"Fix or drop those rows, or rename '{column}' if it is not an exposure flag.",
    )


def _pair_features(ctx: AuditContext) -> np.ndarray | None:
    a, b = ctx.vectors("a"), ctx.vectors("b")
    if a is None:
        return None
    x = np.hstack([(a + b) / 2.0, np.abs(a - b)]).astype(np.float64)
    return principal_components(x, MAX_DIMS)


def propensity_model(ctx: AuditContext, observed: np.ndarray) -> dict[str, Any]:
    """Cross-fitted P(observed | pair features): out-of-fold propensities, AUC, findings."""
    n_obs, n_un = int(observed.sum()), int((~observed).sum())
    if min(n_obs, n_un) < MIN_ROWS_MODEL // 10 or ctx.n < MIN_ROWS_MODEL:
        return {
            "stats": f"not fitted: {n_obs} observed and {n_un} unobserved rows (needs "
            f"{MIN_ROWS_MODEL} rows with at least {MIN_ROWS_MODEL // 10} of each)",
            "findings": [],
        }
    x = _pair_features(ctx)
    if x is None:
        return {
            "stats": "not fitted: no response vectors and no encoder to compute them",
            "findings": [],
        }
    y = observed.astype(np.float64)
    propensity = np.empty(ctx.n)
    for train, test in kfold(ctx.n, N_FOLDS, ctx.seed):
        beta = logistic_l2(x[train], y[train], penalty=PENALTY)
        propensity[test] = logistic_predict(beta, x[test])
    value, se = delong_auc(propensity, observed)
    low, high = normal_interval(value, se) if math.isfinite(se) else (math.nan, math.nan)
    stats = {
        "auc": rounded(value),
        "auc_ci95": [rounded(low), rounded(high)],
        "features": f"{x.shape[1]} principal components of (a + b) / 2 and |a - b|",
    }
    return {
        "stats": stats,
        "findings": [_auc_finding(value, low, high, n_obs, ctx.n)],
        "propensity": np.clip(propensity, 1e-6, 1.0),
    }


def _auc_finding(value: float, low: float, high: float, n_obs: int, n: int) -> Finding:
    evidence = {
        "auc": rounded(value),
        "ci95": [rounded(low), rounded(high)],
        "observed": n_obs,
        "rows": n,
        "strong_at": AUC_STRONG,
    }
    if low > AUC_STRONG:
        return Finding(
            "selection.predictable_exposure",
            NAME,
            "notice",
            f"Which pairs were shown is strongly predictable from their content (cross-fitted "
            f"AUC {value:.2f}, 95% CI {low:.2f} to {high:.2f}): the labelled pairs are a "
            "selected sample, and some kinds of pairs are rarely labelled (overlap, A3).",
            evidence,
            "Weight by inverse propensity (see effective sample size below) or collect labels "
            "for the kinds of pairs that are rarely shown.",
        )
    random_like = low <= 0.5 <= high
    return Finding(
        "selection.exposure_model",
        NAME,
        "info",
        f"A cross-fitted propensity model predicts which pairs were shown with AUC {value:.2f} "
        f"(95% CI {low:.2f} to {high:.2f})"
        + ("; exposure looks unrelated to the content." if random_like else "."),
        evidence,
    )


# -- inverse weights -------------------------------------------------------------------------
def weight_summary(propensity: np.ndarray) -> dict[str, float]:
    """Kish effective sample size of 1/propensity and the share a clip at CLIP_PROPENSITY cuts."""
    p = np.asarray(propensity, dtype=np.float64)
    w = 1.0 / np.clip(p, 1e-12, None)
    ess = float(w.sum() ** 2 / np.sum(w**2)) if len(w) else math.nan
    return {
        "n": len(p),
        "ess": ess,
        "ess_share": ess / len(p) if len(p) else math.nan,
        "clipped": int(np.sum(p < CLIP_PROPENSITY)),
        "clipped_share": float(np.mean(p < CLIP_PROPENSITY)) if len(p) else math.nan,
        "max_weight": float(w.max()) if len(w) else math.nan,
        "min_propensity": float(p.min()) if len(p) else math.nan,
    }


def _weight_stats(s: dict[str, float]) -> dict[str, Any]:
    return {
        "rows": s["n"],
        "effective_sample_size": rounded(s["ess"], 1),
        "ess_share": rounded(s["ess_share"]),
        "clipped_rows": s["clipped"],
        "clipped_share": rounded(s["clipped_share"]),
        "max_weight": rounded(s["max_weight"], 2),
        "clip_propensity": CLIP_PROPENSITY,
    }


def _weight_findings(s: dict[str, float], source: str, p: np.ndarray, rows: np.ndarray):
    """ESS and clipping findings: info when both are comfortable, notice or warning otherwise."""
    out = []
    ess_sev = (
        "warning"
        if s["ess_share"] < ESS_WARN
        else ("notice" if s["ess_share"] < ESS_NOTICE else "info")
    )
    out.append(
        Finding(
            "selection.effective_sample_size",
            NAME,
            ess_sev,
            f"Inverse propensity weights ({source}) leave an effective sample size of "
            f"{s['ess']:.0f} of {s['n']} rows ({s['ess_share']:.1%})"
            + (
                "; a few heavily weighted rows decide every weighted estimate."
                if ess_sev == "warning"
                else "."
            ),
            {
                "ess": rounded(s["ess"], 1),
                "rows": s["n"],
                "ess_share": rounded(s["ess_share"]),
                "max_weight": rounded(s["max_weight"], 2),
                "notice_below": ESS_NOTICE,
                "warn_below": ESS_WARN,
            },
            ""
            if ess_sev == "info"
            else "Use self-normalised or doubly robust estimators, stabilise "
            "or clip the weights, or collect more of the rarely shown pairs.",
        )
    )
    if s["clipped_share"] >= CLIP_NOTICE:
        strong = s["clipped_share"] >= CLIP_WARN
        out.append(
            Finding(
                "selection.clipped_weights",
                NAME,
                "warning" if strong else "notice",
                f"{s['clipped']} row(s) ({s['clipped_share']:.1%}) have a propensity below "
                f"{CLIP_PROPENSITY} (weight above {1 / CLIP_PROPENSITY:.0f}); clipping them biases "
                "the weighted estimate toward the often-shown pairs"
                + (", and here that is a large part of the data." if strong else "."),
                {
                    "clipped": s["clipped"],
                    "share": rounded(s["clipped_share"]),
                    "min_propensity": rounded(s["min_propensity"], 6),
                    "first_rows": first_rows(rows[p < CLIP_PROPENSITY]),
                    "clip_propensity": CLIP_PROPENSITY,
                },
                "Report results with and without clipping; collect labels where propensities are "
                "small rather than relying on large weights.",
            )
        )
    return out


def _propensity_figure(p: np.ndarray, source: str) -> FigureSpec:
    edges = np.linspace(0.0, 1.0, N_BINS + 1)
    counts, _ = np.histogram(np.clip(p, 0.0, 1.0), bins=edges)
    return FigureSpec(
        "propensities",
        "Propensities of the labelled rows",
        "histogram",
        {"edges": edges.round(4).tolist(), "counts": counts.tolist(), "reference": CLIP_PROPENSITY},
        xlabel=f"propensity ({source})",
        ylabel="rows",
        caption=f"Rows left of the dashed line (propensity {CLIP_PROPENSITY}) get weights above "
        f"{1 / CLIP_PROPENSITY:.0f}; usual estimators clip them.",
    )
