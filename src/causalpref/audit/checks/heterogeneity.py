"""Check 4, heterogeneity: do contexts (labeller objectives, user groups) want different things?

Pooled training fits one reward to every context: a Borda-style average (paper, section 2) in
which the largest context has the most votes. Per context the check reports E[L | C = c], then
compares held-out accuracy of a pooled linear Bradley-Terry model on the pair differences with a
model fitted on that context alone (cross-fitted, paired per row), and measures how often
contexts label similar pairs the same way (nearest neighbours on pair differences).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from causalpref.audit.checks._evidence import rounded
from causalpref.audit.context import AuditContext
from causalpref.audit.findings import CheckResult, FigureSpec, Finding
from causalpref.audit.stats import (
    Z95,
    logistic_l2,
    principal_components,
    stratified_kfold,
    wilson_interval,
)

NAME = "heterogeneity"
TITLE = "Heterogeneity across contexts"

MAX_CONTEXTS = 30  # more distinct values than this look like an id column, not a context
MIN_CONTEXT_ROWS = 100  # fewer decided rows: a per-context model's accuracy is too noisy to compare
MINORITY_RATIO = 0.5  # a context with at most half the rows of the largest is outvoted 2:1 pooled
GAP_SE = 3.0  # an accuracy gap counts beyond 3 paired s.e.: few false alarms over many contexts
MIN_GAP = 0.02  # and only from 2 accuracy points, so huge data does not flag negligible gaps
RATE_SE = 4.0  # E[L | c] differences count beyond 4 s.e. (one test per context, no model)
MIN_RATE_GAP = 0.05  # and only when the mean label moves by 5 points or more
N_FOLDS = 5  # cross-fitting folds for the pooled and per-context models
MAX_FIT_ROWS = 30_000  # uniform subsample (seeded) for the model fits: keeps context shares
MAX_DIMS = 64  # pair differences are reduced to their top principal components above this
BT_PENALTY = 1.0  # L2 penalty on standardised features; mild at the row counts compared here
NN_QUERIES = 500  # query pairs per context for the neighbour agreement
NN_REFERENCE = 2000  # reference pairs per context (equal across contexts: comparable distances)
NN_MIN = 50  # fewer decided rows per context: neighbour agreement is not measured
MAX_NN_CONTEXTS = 8  # neighbour agreement on the largest contexts only (cost grows as k^2)
AGREE_SE = 3.0  # within- minus cross-context agreement counts beyond 3 s.e.
MIN_AGREE_GAP = 0.05  # and only from 5 points


def run(ctx: AuditContext) -> CheckResult:
    """Per-context label rates, pooled vs own-model accuracy, and agreement on similar pairs."""
    values = ctx.context_values()
    if values is None:
        return _skip(
            "no context column: pass --context COL naming the labeller's objective or user "
            "group; heterogeneity compares groups, so it needs one"
        )
    names, codes = np.unique(values, return_inverse=True)
    if len(names) < 2:
        return _skip(f"context column {ctx.context!r} has a single value ({names[0]!r})")
    if len(names) > MAX_CONTEXTS:
        return _skip(
            f"context column {ctx.context!r} has {len(names)} distinct values (more than "
            f"{MAX_CONTEXTS}): that looks like an id, not a context; pass a grouping column"
        )
    labels = ctx.labels
    rates = label_rates(labels, codes, names)
    findings = _rate_findings(rates, ctx.context)
    stats: dict[str, Any] = {"context_column": ctx.context, "contexts": len(names)}
    stats["per_context"] = {r["context"]: _rate_stats(r) for r in rates}
    figures = [_rates_figure(rates, ctx.context)]
    diff = ctx.pair_difference()
    if diff is None:
        stats["pooled_vs_own"] = "not run: no response vectors and no encoder to compute them"
        return _result(findings, stats, figures)
    x, rows = _features(diff, ctx.seed)
    comparison = pooled_vs_own(x, labels[rows], codes[rows], names, ctx.seed)
    findings += _borda_findings(comparison, ctx.context)
    stats["pooled_vs_own"] = {c["context"]: _comparison_stats(c) for c in comparison}
    figures.append(_comparison_figure(comparison))
    agreement = neighbour_agreement(x, labels[rows], codes[rows], names, ctx.seed)
    if agreement is not None:
        findings += _agreement_findings(agreement, ctx.context)
        stats["similar_pair_agreement"] = _agreement_stats(agreement)
        figures.append(_agreement_figure(agreement))
    return _result(findings, stats, figures)


def _skip(reason: str) -> CheckResult:
    return CheckResult(NAME, TITLE, skipped=reason)


def _result(findings: list[Finding], stats: dict[str, Any], figures: list[FigureSpec]):
    return CheckResult(NAME, TITLE, findings=findings, stats=stats, figures=figures)


# -- E[L | c] --------------------------------------------------------------------------------
def label_rates(labels: np.ndarray, codes: np.ndarray, names: np.ndarray) -> list[dict]:
    """Per context: rows, share of rows, mean label with a normal 95% interval, share a > b."""
    out = []
    for k, name in enumerate(names):
        y = labels[codes == k]
        n = len(y)
        se = float(y.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        decided = y[y != 0.5]
        out.append(
            {
                "context": str(name),
                "n": int(n),
                "share": n / len(labels),
                "mean": float(y.mean()),
                "se": se,
                "low": float(y.mean() - Z95 * se),
                "high": float(y.mean() + Z95 * se),
                "prefers_a": float(np.mean(decided > 0.5)) if len(decided) else math.nan,
                "prefers_a_ci": wilson_interval(float(np.sum(decided > 0.5)), len(decided)),
            }
        )
    return out


def _rate_stats(rate: dict) -> dict[str, Any]:
    return {
        "rows": rate["n"],
        "share": rounded(rate["share"]),
        "mean_label": rounded(rate["mean"]),
        "ci95": [rounded(rate["low"]), rounded(rate["high"])],
    }


def _rate_findings(rates: list[dict], column: str | None) -> list[Finding]:
    """Contexts whose mean label differs from the other rows' by > RATE_SE s.e. and 5 points."""
    total_n = sum(r["n"] for r in rates)
    total = sum(r["mean"] * r["n"] for r in rates)
    flagged = []
    for r in rates:
        rest_n = total_n - r["n"]
        if r["n"] < 2 or rest_n < 2 or not np.isfinite(r["se"]):
            continue
        rest = (total - r["mean"] * r["n"]) / rest_n
        se_rest = _pooled_se(rates, r["context"])
        se = math.hypot(r["se"], se_rest)
        gap = r["mean"] - rest
        if se > 0 and abs(gap) > RATE_SE * se and abs(gap) >= MIN_RATE_GAP:
            flagged.append(
                {
                    "context": r["context"],
                    "mean_label": rounded(r["mean"]),
                    "others": rounded(rest),
                    "z": rounded(gap / se, 2),
                }
            )
    if not flagged:
        return []
    names = ", ".join(repr(f["context"]) for f in flagged)
    return [
        Finding(
            "heterogeneity.label_rates_differ",
            NAME,
            "notice",
            f"E[L | {column}] differs between contexts: {names} prefer response a at a "
            "different rate than the other rows. With a and b in random order this is a "
            "difference in position bias (label noise for a reward difference r(a) - r(b), "
            "which cannot learn the order) or in the pairs each context saw; with a fixed "
            "orientation (a = one system) it is a different win rate per group.",
            {"contexts": flagged, "threshold_se": RATE_SE, "min_gap": MIN_RATE_GAP},
            "Report results per context; if a/b order was randomised, check the position-bias "
            "finding per context.",
        )
    ]


def _pooled_se(rates: list[dict], leave_out: str) -> float:
    """Standard error of the mean label of every row outside context `leave_out` (approx.)."""
    rest = [r for r in rates if r["context"] != leave_out and np.isfinite(r["se"])]
    n = sum(r["n"] for r in rest)
    if n == 0:
        return math.nan
    var = sum((r["se"] ** 2) * r["n"] ** 2 for r in rest) / n**2
    return math.sqrt(var)


def _rates_figure(rates: list[dict], column: str | None) -> FigureSpec:
    rows = [
        {
            "label": f"{r['context']} (n={r['n']})",
            "value": r["mean"],
            "low": r["low"],
            "high": r["high"],
        }
        for r in rates
    ]
    return FigureSpec(
        "label_rates",
        f"Mean label per {column}",
        "intervals",
        {"rows": rows, "reference": 0.5},
        xlabel="mean label = P(a preferred)",
        caption="E[L | C = c] with 95% intervals; the dashed line is 0.5. With a and b in random "
        "order every context should sit near it.",
    )


# -- pooled vs own model ---------------------------------------------------------------------
def _features(diff: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standardised pair differences (reduced to MAX_DIMS components) and the rows used."""
    n = len(diff)
    rows = np.arange(n)
    if n > MAX_FIT_ROWS:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(n, size=MAX_FIT_ROWS, replace=False))
    x = np.asarray(diff[rows], dtype=np.float64)
    if x.shape[1] > MAX_DIMS:
        return principal_components(x, MAX_DIMS), rows
    scale = np.sqrt(np.mean(x**2, axis=0))
    keep = scale > 1e-12
    return x[:, keep] / scale[keep], rows


def _correct(margin: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per decided row: 1 if sign(margin) matches the label's side, 0.5 for a zero margin."""
    return np.where(margin == 0, 0.5, ((margin > 0) == (labels > 0.5)).astype(np.float64))


def _margin(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    beta = logistic_l2(x_train, y_train, penalty=BT_PENALTY)
    return beta[0] + x_test @ beta[1:]


def pooled_vs_own(
    x: np.ndarray, labels: np.ndarray, codes: np.ndarray, names: np.ndarray, seed: int
) -> list[dict]:
    """Cross-fitted held-out accuracy per context of a pooled and an own-context BT model.

    Both models see the same held-out rows, so the gap's s.e. is that of paired differences.
    """
    decided = labels != 0.5
    big = [k for k in range(len(names)) if np.sum(decided & (codes == k)) >= MIN_CONTEXT_ROWS]
    pooled: dict[int, list[np.ndarray]] = {k: [] for k in big}
    own: dict[int, list[np.ndarray]] = {k: [] for k in big}
    for train, test in stratified_kfold(codes, N_FOLDS, seed):
        pooled_margin = _margin(x[train], labels[train], x[test])
        for k in big:
            tr, te = train[codes[train] == k], codes[test] == k
            keep = te & decided[test]
            y_te = labels[test][keep]
            pooled[k].append(_correct(pooled_margin[keep], y_te))
            own[k].append(_correct(_margin(x[tr], labels[tr], x[test][keep]), y_te))
    largest = max(int(np.sum(codes == k)) for k in range(len(names)))
    out = []
    for k, name in enumerate(names):
        n_rows = int(np.sum(codes == k))
        row: dict[str, Any] = {
            "context": str(name),
            "n": n_rows,
            "minority": n_rows <= MINORITY_RATIO * largest,
        }
        if k in pooled:
            row.update(_paired(np.concatenate(pooled[k]), np.concatenate(own[k])))
        out.append(row)
    return out


def _paired(pooled: np.ndarray, own: np.ndarray) -> dict[str, float]:
    diff = own - pooled
    n = len(diff)
    se = float(diff.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return {
        "n_test": n,
        "pooled": float(pooled.mean()),
        "own": float(own.mean()),
        "gap": float(diff.mean()),
        "se": se,
        "pooled_se": float(pooled.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
        "own_se": float(own.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
    }


def overruled(row: dict) -> bool:
    """True when a context's own model beats the pooled one by > GAP_SE s.e. and MIN_GAP."""
    if "gap" not in row or not np.isfinite(row["se"]):
        return False
    return row["gap"] > max(GAP_SE * row["se"], MIN_GAP)


def _comparison_stats(row: dict) -> dict[str, Any]:
    if "gap" not in row:
        return {"rows": row["n"], "compared": False}
    return {"rows": row["n"], "minority": row["minority"], **_gap_fields(row)}


def _gap_fields(row: dict) -> dict[str, Any]:
    """Pooled and own-context accuracy of one compared context, and their gap with its s.e."""
    return {
        "pooled_accuracy": rounded(row["pooled"]),
        "own_accuracy": rounded(row["own"]),
        "gap": rounded(row["gap"]),
        "gap_se": rounded(row["se"]),
    }


def _borda_findings(comparison: list[dict], column: str | None) -> list[Finding]:
    hit = [r for r in comparison if overruled(r)]
    minority = [r for r in hit if r["minority"]]
    others = [r for r in hit if not r["minority"]]
    small = [r["context"] for r in comparison if "gap" not in r]
    out = []
    if minority:
        out.append(_overruled_finding(minority, column))
    if others:
        out.append(_disagree_finding(others, column))
    if small:
        out.append(
            Finding(
                "heterogeneity.small_contexts",
                NAME,
                "info",
                f"{len(small)} context(s) have fewer than {MIN_CONTEXT_ROWS} decided rows and were "
                "not compared with the pooled model.",
                {"contexts": small[:20], "min_rows": MIN_CONTEXT_ROWS},
            )
        )
    return out


def _gap_evidence(rows: list[dict]) -> list[dict[str, Any]]:
    return [{"context": r["context"], "rows": r["n"], **_gap_fields(r)} for r in rows]


def _overruled_finding(rows: list[dict], column: str | None) -> Finding:
    worst = max(rows, key=lambda r: r["gap"])
    return Finding(
        "heterogeneity.minority_overruled",
        NAME,
        "warning",
        f"Pooled training would overrule minority {column} {worst['context']!r}: on its held-out "
        f"pairs a pooled model is right {worst['pooled']:.1%} of the time, a model of its own "
        f"{worst['own']:.1%} (gap {worst['gap']:.3f} = {worst['gap'] / worst['se']:.1f} s.e.). "
        "A single reward is a Borda-style average that the larger contexts dominate.",
        {
            "contexts": _gap_evidence(rows),
            "threshold_se": GAP_SE,
            "min_gap": MIN_GAP,
            "minority_ratio": MINORITY_RATIO,
        },
        f"Condition the reward on {column} (user-conditioned or multi-head model), reweight the "
        "contexts, or report accuracy per context rather than pooled.",
    )


def _disagree_finding(rows: list[dict], column: str | None) -> Finding:
    names = ", ".join(repr(r["context"]) for r in rows)
    return Finding(
        "heterogeneity.contexts_disagree",
        NAME,
        "notice",
        f"Contexts want different things: for {names} a model fitted on the context alone "
        "predicts its held-out labels better than a pooled model. The contexts are of similar "
        "size, so a pooled reward is a compromise that fits none of them well.",
        {"contexts": _gap_evidence(rows), "threshold_se": GAP_SE, "min_gap": MIN_GAP},
        f"Condition the reward on {column}, or train and report per context.",
    )


def _comparison_figure(comparison: list[dict]) -> FigureSpec:
    rows = []
    for r in comparison:
        if "gap" not in r:
            continue
        for kind in ("pooled", "own"):
            half = Z95 * r[f"{kind}_se"]
            rows.append(
                {
                    "label": f"{r['context']}: {kind} model",
                    "value": r[kind],
                    "low": r[kind] - half,
                    "high": r[kind] + half,
                }
            )
    return FigureSpec(
        "pooled_vs_own",
        "Held-out accuracy: pooled model vs each context's own model",
        "intervals",
        {"rows": rows, "reference": 0.5},
        xlabel="pairwise accuracy on held-out pairs of the context",
        caption="Cross-fitted linear Bradley-Terry models on pair differences, 95% intervals. "
        "An own model well above the pooled one means pooling overrules that context.",
    )


# -- agreement on similar pairs --------------------------------------------------------------
def neighbour_agreement(
    x: np.ndarray, labels: np.ndarray, codes: np.ndarray, names: np.ndarray, seed: int
) -> dict[str, Any] | None:
    """How often a context's pair and its nearest neighbour in context c' get the same label.

    Neighbours are searched among c' pairs in both orientations (the swapped copy carries the
    flipped label). Returns None when fewer than two contexts have NN_MIN decided rows.
    """
    rng = np.random.default_rng(seed + 1)
    decided = labels != 0.5
    sizes = {k: int(np.sum(decided & (codes == k))) for k in range(len(names))}
    usable = sorted((k for k in sizes if sizes[k] >= NN_MIN), key=lambda k: -sizes[k])
    usable = usable[:MAX_NN_CONTEXTS]
    if len(usable) < 2:
        return None
    split = {}
    for k in usable:
        rows = rng.permutation(np.flatnonzero(decided & (codes == k)))
        q = min(NN_QUERIES, len(rows) // 2)
        split[k] = (rows[:q], rows[q:])
    m = min(NN_REFERENCE, min(len(ref) for _, ref in split.values()))
    refs = {k: ref[:m] for k, (_, ref) in split.items()}
    agree = np.full((len(usable), len(usable)), np.nan)
    n_query = np.zeros(len(usable), dtype=np.int64)
    for i, k in enumerate(usable):
        query = split[k][0]
        n_query[i] = len(query)
        for j, k2 in enumerate(usable):
            agree[i, j] = _agreement(
                x[query], labels[query] > 0.5, x[refs[k2]], labels[refs[k2]] > 0.5
            )
    return {
        "contexts": [str(names[k]) for k in usable],
        "agree": agree,
        "n_query": n_query,
        "n_reference": m,
    }


def _agreement(xq: np.ndarray, yq: np.ndarray, xr: np.ndarray, yr: np.ndarray) -> float:
    both = np.vstack([xr, -xr])
    y_both = np.concatenate([yr, ~yr])
    dist = (xq**2).sum(1)[:, None] + (both**2).sum(1)[None, :] - 2 * xq @ both.T
    nearest = np.argmin(dist, axis=1)
    return float(np.mean(y_both[nearest] == yq))


def _agreement_gaps(agreement: dict[str, Any]) -> list[dict[str, Any]]:
    agree, n = agreement["agree"], agreement["n_query"]
    out = []
    for i, c in enumerate(agreement["contexts"]):
        within = agree[i, i]
        for j, c2 in enumerate(agreement["contexts"]):
            if i == j:
                continue
            cross = agree[i, j]
            se = math.sqrt((within * (1 - within) + cross * (1 - cross)) / n[i])
            gap = within - cross
            if se > 0 and gap > AGREE_SE * se and gap >= MIN_AGREE_GAP:
                out.append(
                    {
                        "context": c,
                        "other": c2,
                        "within": rounded(within),
                        "cross": rounded(cross),
                        "gap": rounded(gap),
                        "se": rounded(se),
                    }
                )
    return out


def _agreement_findings(agreement: dict[str, Any], column: str | None) -> list[Finding]:
    gaps = _agreement_gaps(agreement)
    if not gaps:
        return []
    worst = max(gaps, key=lambda g: g["gap"])
    return [
        Finding(
            "heterogeneity.similar_pairs_disagree",
            NAME,
            "notice",
            f"Similar pairs get different labels in different contexts: a pair from "
            f"{worst['context']!r} agrees with its nearest {worst['context']!r} pair "
            f"{worst['within']:.1%} of the time but with its nearest {worst['other']!r} pair "
            f"{worst['cross']:.1%}. Neighbours are similar, not identical, so contexts that see "
            "different kinds of pairs also lower the cross-context figure.",
            {
                "pairs": gaps[:20],
                "queries_per_context": int(agreement["n_query"].min()),
                "reference_per_context": agreement["n_reference"],
                "threshold_se": AGREE_SE,
            },
            f"Treat {column} as a cause of the label: condition the reward on it.",
        )
    ]


def _agreement_stats(agreement: dict[str, Any]) -> dict[str, Any]:
    names = agreement["contexts"]
    return {
        f"{a} vs {b}": rounded(agreement["agree"][i, j])
        for i, a in enumerate(names)
        for j, b in enumerate(names)
    }


def _agreement_figure(agreement: dict[str, Any]) -> FigureSpec:
    values = [[rounded(v) for v in row] for row in agreement["agree"]]
    return FigureSpec(
        "similar_pair_agreement",
        "Agreement on similar pairs",
        "heatmap",
        {
            "rows": agreement["contexts"],
            "columns": agreement["contexts"],
            "values": values,
            "vmin": 0.5,
            "vmax": 1.0,
        },
        xlabel="context of the neighbour",
        ylabel="context of the pair",
        caption="Share of pairs whose nearest neighbour (pair differences, either orientation) "
        "in the column's context has the same label. The diagonal is agreement within a "
        "context; lower off-diagonal cells mean contexts label alike pairs differently.",
    )
