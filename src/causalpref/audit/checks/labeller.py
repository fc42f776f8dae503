"""Check 3, confounding by the labeller: can the context be predicted from the prompt alone?

If labellers wrote or chose their own prompts, the context C (objective, user group) and the
prompt X are dependent, and per-context comparisons mix the context's effect with the prompt's
(founding paper, section 4; assumption A2'). The check fits an L2 logistic regression of the
context on prompt features (top principal components), out of fold over K stratified folds, and
reports the AUC (macro one-vs-rest for more than two contexts) with a 95% interval: DeLong for two
contexts, a seeded bootstrap otherwise. Out-of-fold propensities P(c | prompt) near 0 mark
prompts that (almost) never occur under c: the per-context overlap of prompt features.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from causalpref.audit.context import PROMPT_PROXY_NOTE, AuditContext
from causalpref.audit.findings import CheckResult, FigureSpec, Finding
from causalpref.audit.stats import (
    bootstrap_interval,
    delong_auc,
    logistic_l2,
    logistic_predict,
    macro_auc,
    normal_interval,
    principal_components,
    stratified_kfold,
)

NAME = "labeller"
TITLE = "Confounding by the labeller"
FOLDS = 5
PCA_DIM = 128  # prompt features are reduced to this many components (speed; AUC stays honest)
PENALTY = 1.0  # L2 penalty on unit-variance components: mild; out-of-fold AUC is honest anyway
MIN_PER_CONTEXT = 20  # a context with fewer rows is left out (too few to fit or score)
# With the prompt type decoded perfectly, AUC = P(prompt type = context): 0.6 means labellers
# saw prompts of "their own" kind 60% of the time, against 50% under random assignment.
WARN_AUC_LOW = 0.6
NOTICE_AUC_LOW = 0.55
ERROR_AUC_LOW = 0.95  # the context is (almost) a function of the prompt: no overlap at all
PROPENSITY_FLOOR = 0.05  # P(c | prompt) below this: the prompt is practically never seen under c
WARN_EXTREME_SHARE = 0.2  # a fifth of the prompts practically unseen under some context
BOOTSTRAP_REPS = 200


def run(ctx: AuditContext) -> CheckResult:
    """Cross-validated AUC of context-from-prompt, per-context AUC and propensity overlap."""
    values = ctx.context_values()
    if values is None:
        return CheckResult(NAME, TITLE, skipped="no context column (pass --context COLUMN)")
    names, counts = np.unique(values, return_counts=True)
    kept = names[counts >= MIN_PER_CONTEXT]
    if len(kept) < 2:
        return CheckResult(
            NAME, TITLE, skipped=f"fewer than two contexts with >= {MIN_PER_CONTEXT} rows"
        )
    features, source = ctx.prompt_features()
    if features is None:
        return CheckResult(NAME, TITLE, skipped=f"no prompt features: {source}")
    rows = np.flatnonzero(np.isin(values, kept))
    codes = np.searchsorted(kept, values[rows])
    x = principal_components(features[rows], PCA_DIM)
    probs = _out_of_fold(x, codes, len(kept), ctx.seed)
    stats = _summary(probs, codes, list(kept), ctx.seed)
    stats.update(
        {
            "features": source,
            "n_rows": int(len(rows)),
            "left_out_contexts": {
                str(n): int(c) for n, c in zip(names, counts, strict=True) if n not in kept
            },  # fmt: skip
            "components": int(x.shape[1]),
            "folds": FOLDS,
            "thresholds": {"warn_auc_low": WARN_AUC_LOW, "propensity_floor": PROPENSITY_FLOOR},
        }
    )
    findings = [f for f in (_auc_finding(ctx, stats), _overlap_finding(ctx, stats)) if f]
    return CheckResult(NAME, TITLE, findings, stats, _figures(stats, probs, codes, list(kept)))


def _out_of_fold(x: np.ndarray, codes: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Out-of-fold P(context | prompt), (n, k); one-vs-rest fits normalised to sum to 1."""
    probs = np.zeros((len(x), k))
    for train, test in stratified_kfold(codes, FOLDS, seed):
        classes = [1] if k == 2 else range(k)
        for c in classes:
            beta = logistic_l2(x[train], (codes[train] == c).astype(float), penalty=PENALTY)
            probs[test, c] = logistic_predict(beta, x[test])
    if k == 2:
        probs[:, 0] = 1 - probs[:, 1]
    else:
        probs /= probs.sum(1, keepdims=True)
    return probs


def _summary(probs: np.ndarray, codes: np.ndarray, names: list[str], seed: int) -> dict[str, Any]:
    k = len(names)
    per_context = {}
    for c, name in enumerate(names):
        value, se = delong_auc(probs[:, c], codes == c)
        low, high = normal_interval(value, se)
        per_context[name] = {
            "auc": value,
            "low": low,
            "high": high,
            "n": int(np.sum(codes == c)),
            "share_unseen": float(np.mean(probs[:, c] < PROPENSITY_FLOOR)),
        }
    if k == 2:
        overall = per_context[names[1]]
        auc, low, high = overall["auc"], overall["low"], overall["high"]
        method = "DeLong"
    else:
        auc = macro_auc(probs, codes)
        low, high = bootstrap_interval(
            lambda i: macro_auc(probs[i], codes[i]), len(codes), reps=BOOTSTRAP_REPS, seed=seed
        )
        method = f"bootstrap ({BOOTSTRAP_REPS} resamples)"
    return {
        "contexts": names,
        "auc": auc,
        "auc_low": low,
        "auc_high": high,
        "interval_method": method,
        "per_context": per_context,
        "max_share_unseen": max(r["share_unseen"] for r in per_context.values()),
    }


def _auc_finding(ctx: AuditContext, stats: dict[str, Any]) -> Finding | None:
    low = stats["auc_low"]
    if low <= NOTICE_AUC_LOW:
        return None
    severity = "error" if low > ERROR_AUC_LOW else "warning" if low > WARN_AUC_LOW else "notice"
    proxy = stats["features"] == PROMPT_PROXY_NOTE
    message = (
        f"The context ({ctx.context}) can be predicted from the "
        f"{'responses (no prompt available)' if proxy else 'prompt'} alone: cross-validated "
        f"AUC {stats['auc']:.3f} (95% CI {low:.3f}-{stats['auc_high']:.3f}; 0.5 = no "
        "information). Labellers of different contexts saw different prompts (they likely "
        "chose or wrote their own), so comparisons across contexts mix the context's effect "
        "with the prompt's."
    )
    evidence = {k: stats[k] for k in ("auc", "auc_low", "auc_high", "interval_method", "features")}
    evidence["per_context_auc"] = {k: v["auc"] for k, v in stats["per_context"].items()}
    advice = (
        "Collect comparisons where prompts are assigned to labellers at random, or where the "
        "same prompts are judged under every context; until then, report results separately "
        "for prompts typical and atypical of each context."
    )
    return Finding(f"{NAME}.context_predictable", NAME, severity, message, evidence, advice)


def _overlap_finding(ctx: AuditContext, stats: dict[str, Any]) -> Finding | None:
    share = stats["max_share_unseen"]
    if share <= WARN_EXTREME_SHARE:
        return None
    worst = max(stats["per_context"], key=lambda c: stats["per_context"][c]["share_unseen"])
    message = (
        f"{share:.0%} of prompts are practically never seen under {ctx.context}={worst!r} "
        f"(out-of-fold P(context | prompt) < {PROPENSITY_FLOOR}): for those prompts the "
        "per-context reward cannot be compared with other contexts."
    )
    evidence = {c: v["share_unseen"] for c, v in stats["per_context"].items()}
    advice = f"Collect judgements under {ctx.context}={worst!r} for the prompts it lacks."
    return Finding(f"{NAME}.overlap", NAME, "warning", message, evidence, advice)


def _figures(
    stats: dict[str, Any], probs: np.ndarray, codes: np.ndarray, names: list[str]
) -> list[FigureSpec]:
    bars = [
        {"label": name, "value": r["auc"], "low": r["low"], "high": r["high"]}
        for name, r in stats["per_context"].items()
    ]
    target = names[-1]
    counts, edges = np.histogram(probs[:, -1], bins=20, range=(0.0, 1.0))
    return [
        FigureSpec(
            "context_auc",
            "How well the prompt predicts each context",
            "bars",
            {"rows": bars, "reference": 0.5},
            ylabel="one-vs-rest AUC (95% CI)",
            caption=f"0.5 = the prompt says nothing about the context; warning when the overall "
            f"interval's low end exceeds {WARN_AUC_LOW}.",
        ),
        FigureSpec(
            "propensity",
            f"Out-of-fold P(context = {target} | prompt)",
            "histogram",
            {"edges": edges.tolist(), "counts": counts.tolist(), "reference": None},
            xlabel=f"P({target} | prompt)",
            ylabel="pairs",
            caption="Mass near 0 or 1: prompts seen under one context only (no overlap).",
        ),
    ]
