"""Check 1, spurious attributes: how well each attribute alone predicts the label (a null ruler),
and its effect on the label once content is controlled for (a cross-fitted AMCE).

Null ruler: "prefer the response with more of the attribute" (or less: the better of the two),
scored on decided pairs with attribute ties counting half, with a Wilson interval.

Controlled effect (partially linear model, double-ML style): with Y = P(a preferred) - 1/2,
A = attribute difference (a - b) in units of its root mean square and X = the pair difference
of content vectors, K-fold ridge (penalty by GCV) predicts Y and A from X; the effect is the
regression of residual Y on residual A, with a sandwich standard error. When X predicts A almost
fully (the content encodes the attribute), A's own best linear direction is projected out of X
and the fit repeated; that fallback also removes content A is confounded with, so its estimate
is marked at risk (docs/audit.md shows both failure modes on negative controls). Raw and
controlled effects share one unit: change in P(a preferred) per s.d. of the attribute difference.
Every fit is through the origin, which keeps the model antisymmetric in a and b.

`position` (which response was shown first) is not tested here: a reward difference r(a) - r(b)
cannot learn it, so for a reward model position bias is label noise, not a shortcut; the hygiene
check reports it as such (`hygiene.position_bias`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from causalpref.audit.context import AuditContext
from causalpref.audit.findings import CheckResult, FigureSpec, Finding
from causalpref.audit.stats import FoldGrams, kfold, normal_interval, wilson_interval

NAME = "spurious"
TITLE = "Spurious attributes"
MIN_DECIDED = 30  # fewer decided pairs give intervals too wide to say anything
MIN_VARYING_SHARE = 0.01  # an attribute that differs in < 1% of pairs cannot act as a shortcut
WARN_RULER_LOW = 0.55  # a content-blind rule right >= 55% of the time is a usable shortcut
NOTICE_RULER_LOW = 0.5  # CI excludes chance: a real but small association
MIN_RESIDUAL_SHARE = 0.05  # < 5% of the attribute's variance is free of content: not identified
LOW_RESIDUAL_SHARE = 0.2  # < 20%: identified from little independent variation (at risk)
SMALL_RATIO = 0.5  # controlled effect under half the raw one: "largely explained by content"
FOLDS = 5
PROJECTED = "content minus the attribute's own linear direction"
POSITION_SKIPPED = (
    "the order a and b were shown in: a reward difference r(a) - r(b) cannot learn it, so for a "
    "reward model it is label noise, not a shortcut (see hygiene.position_bias)"
)


def run(ctx: AuditContext) -> CheckResult:
    """Null ruler and raw / controlled effect of every attribute on the label."""
    labels = ctx.labels
    decided = labels != 0.5
    if not ctx.attributes:
        return CheckResult(NAME, TITLE, skipped="no attributes: the data has no text and no attr.*")
    if decided.sum() < MIN_DECIDED:
        return CheckResult(
            NAME, TITLE, skipped=f"only {int(decided.sum())} decided pairs (< {MIN_DECIDED})"
        )
    diffs, skipped = _usable_differences(ctx)
    rows = {name: _null_ruler(diff, labels, decided) for name, diff in diffs.items()}
    for name, diff in diffs.items():
        rows[name]["raw"] = _raw_effect(diff, labels)
    content = ctx.pair_difference()
    controlled = (
        _controlled_effects(content, diffs, labels, ctx.seed) if content is not None else {}
    )
    for name in diffs:
        rows[name]["controlled"] = controlled.get(name, {"status": "no_content"})
        rows[name]["reading"] = _reading(rows[name])
    findings = [f for name, row in rows.items() if (f := _finding(name, row)) is not None]
    stats = {
        "attributes": rows,
        "skipped_attributes": skipped,
        "content": "pair difference of response vectors" if content is not None else None,
        "content_dim": None if content is None else int(content.shape[1]),
        "folds": FOLDS,
        "thresholds": {"warn_ruler_low": WARN_RULER_LOW, "min_residual_share": MIN_RESIDUAL_SHARE},
    }
    return CheckResult(NAME, TITLE, findings, stats, _figures(rows))


def _usable_differences(ctx: AuditContext) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Attribute differences worth testing, and why the others were left out."""
    diffs, skipped = {}, {}
    for name in ctx.attributes or []:
        if name == "position":
            skipped[name] = POSITION_SKIPPED
            continue
        diff = ctx.attribute_difference(name)
        varying = float(np.mean(diff != 0))
        if varying < MIN_VARYING_SHARE:
            skipped[name] = f"differs between the responses in only {varying:.2%} of pairs"
        else:
            diffs[name] = diff
    return diffs, skipped


def _null_ruler(diff: np.ndarray, labels: np.ndarray, decided: np.ndarray) -> dict[str, Any]:
    """Accuracy of 'prefer more' / 'prefer less' on decided pairs, ties counting half."""
    signed = np.where(labels[decided] > 0.5, diff[decided], -diff[decided])
    n = len(signed)
    higher, lower = float(np.mean(signed > 0)), float(np.mean(signed < 0))
    equal = float(np.mean(signed == 0))  # counted, not 1 - higher - lower (rounding gives -0%)
    more_wins = higher + equal / 2
    direction = "more" if more_wins >= 0.5 else "less"
    accuracy = max(more_wins, 1 - more_wins)
    low, high = wilson_interval(accuracy * n, n)
    return {
        "n_decided": n,
        "share_preferred_higher": higher,
        "share_preferred_lower": lower,
        "share_equal": equal,
        "direction": direction,
        "ruler_accuracy": accuracy,
        "ruler_low": low,
        "ruler_high": high,
    }


def _standardise(diff: np.ndarray) -> np.ndarray:
    """Difference in units of its root mean square (its s.d. around 0, the symmetric centre)."""
    rms = math.sqrt(float(np.mean(diff**2)))
    return diff / rms if rms > 0 else diff


def _slope(y: np.ndarray, a: np.ndarray) -> dict[str, float]:
    """Least-squares slope of y on a through the origin, with a sandwich s.e. and 95% CI."""
    saa = float(a @ a)
    theta = float(a @ y) / saa
    resid = y - theta * a
    se = math.sqrt(float(np.sum(a**2 * resid**2))) / saa
    low, high = normal_interval(theta, se)
    return {"effect": theta, "se": se, "low": low, "high": high}


def _raw_effect(diff: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Change in P(a preferred) per s.d. of the attribute difference, nothing controlled."""
    return _slope(labels - 0.5, _standardise(diff))


def _controlled_effects(
    content: np.ndarray, diffs: dict[str, np.ndarray], labels: np.ndarray, seed: int
) -> dict[str, dict[str, Any]]:
    """Cross-fitted partially linear effect of each attribute given content (see module doc).

    The control is the full content. Only when the content determines the attribute does the
    estimate fall back to content with the attribute's own linear direction projected out; that
    fallback also removes any content the attribute is confounded with, so it is "at risk".
    """
    names = list(diffs)
    if not names:
        return {}
    x = np.asarray(content, dtype=np.float64)
    targets = np.column_stack([labels - 0.5] + [_standardise(diffs[n]) for n in names])
    folds = kfold(len(x), FOLDS, seed)
    grams = FoldGrams.of(x, targets, folds)
    shape = targets[:, 1:].shape
    resid = {key: (np.zeros(shape), np.zeros(shape)) for key in ("full", "projected")}
    for i, (_, test) in enumerate(folds):
        eigen, xty, yty = grams.training(i)
        lam_y = eigen.gcv_penalty(xty[:, 0], float(yty[0]))
        beta_y = eigen.solve(xty[:, 0], lam_y)
        for j in range(len(names)):
            lam_a = eigen.gcv_penalty(xty[:, j + 1], float(yty[j + 1]))
            beta_a = eigen.solve(xty[:, j + 1], lam_a)
            fits = {
                "full": (beta_a, beta_y),
                "projected": (
                    eigen.solve(xty[:, j + 1], lam_a, avoid=beta_a),
                    eigen.solve(xty[:, 0], lam_y, avoid=beta_a),
                ),
            }
            for key, (b_a, b_y) in fits.items():
                resid[key][0][test, j] = targets[test, j + 1] - x[test] @ b_a
                resid[key][1][test, j] = targets[test, 0] - x[test] @ b_y
    out = {}
    for j, name in enumerate(names):
        a = targets[:, j + 1]
        row = _controlled_row(resid["full"][1][:, j], resid["full"][0][:, j], a, "content")
        if row["status"] == "not_identified":
            fallback = _controlled_row(
                resid["projected"][1][:, j], resid["projected"][0][:, j], a, PROJECTED
            )
            if fallback["status"] != "not_identified":
                fallback["status"] = "at_risk"
                fallback["full_content_residual_share"] = row["residual_share"]
                row = fallback
        out[name] = row
    return out


def _controlled_row(
    y_res: np.ndarray, a_res: np.ndarray, a: np.ndarray, control: str
) -> dict[str, Any]:
    share = free_share(a, a_res)
    row: dict[str, Any] = {"residual_share": share, "control": control}
    if share < MIN_RESIDUAL_SHARE:
        row["status"] = "not_identified"
        return row
    row.update(_slope(y_res, a_res))
    row["status"] = "identified" if share >= LOW_RESIDUAL_SHARE else "at_risk"
    return row


def free_share(a: np.ndarray, a_res: np.ndarray) -> float:
    """Share of the attribute's variation its cross-fitted content prediction a - a_res cannot
    explain, after the best rescaling of that prediction: 1 - cos^2(a, prediction), in [0, 1].

    Plain |a_res|^2 / |a|^2 exceeds 1 when out-of-fold predictions are noise (they add variance
    instead of removing it); rescaling the prediction, which can only explain more, avoids that
    and reads 1 for content that predicts nothing and 0 for content that determines the attribute.
    """
    pred = a - a_res
    norms = float(a @ a) * float(pred @ pred)
    return 1.0 - float(a @ pred) ** 2 / norms if norms > 0 else 1.0


def _reading(row: dict[str, Any]) -> str:
    """How raw and controlled effects compare, in a few words (also a stable key)."""
    raw, ctrl = row["raw"], row["controlled"]
    raw_sig = raw["low"] > 0 or raw["high"] < 0
    if ctrl["status"] == "no_content":
        return "no content features to control for"
    if ctrl["status"] == "not_identified":
        return "not identified: no variation of the attribute independent of content"
    ctrl_sig = ctrl["low"] > 0 or ctrl["high"] < 0
    if raw_sig and (not ctrl_sig or abs(ctrl["effect"]) < SMALL_RATIO * abs(raw["effect"])):
        return "big raw, small controlled: the association is largely explained by content"
    if raw_sig and ctrl_sig:
        return "persists controlling for content"
    if ctrl_sig:
        return "small raw, big controlled: content masks an effect of the attribute"
    return "no effect detected, raw or controlled"


def _describe(name: str, direction: str) -> str:
    if name.startswith("length"):
        return "longer" if direction == "more" else "shorter"
    return f"{'more' if direction == 'more' else 'less'} {name}"


def _finding(name: str, row: dict[str, Any]) -> Finding | None:
    """A finding when the null ruler beats chance, or content masks an effect."""
    low = row["ruler_low"]
    masked = row["reading"].startswith("small raw")
    if low <= NOTICE_RULER_LOW and not masked:
        return None
    severity = "warning" if low > WARN_RULER_LOW else "notice"
    share = row["share_preferred_higher" if row["direction"] == "more" else "share_preferred_lower"]
    message = (
        f"{name}: preferred responses are {_describe(name, row['direction'])} in {share:.0%} of "
        f"{row['n_decided']} decided pairs (equal in {row['share_equal']:.0%}); the rule 'prefer "
        f"the {_describe(name, row['direction'])} response' is right in "
        f"{row['ruler_accuracy']:.1%} (95% CI {low:.1%}-{row['ruler_high']:.1%}). "
        f"{_effect_sentence(row)}"
    )
    evidence = {k: v for k, v in row.items() if k not in ("raw", "controlled")}
    evidence["raw_effect"] = row["raw"]
    evidence["controlled_effect"] = row["controlled"]
    rule = f"prefer the {_describe(name, row['direction'])} response"
    advice = (
        f"A reward model can learn '{rule}' as a shortcut (right in {row['ruler_accuracy']:.1%} "
        f"of these pairs). Collect pairs where {name} varies independently of quality (e.g. "
        f"rewrites of one response that change only {name}) and score every reward model "
        "against this null ruler."
    )
    code = f"{NAME}.{name}" + (".masked" if masked and low <= NOTICE_RULER_LOW else "")
    return Finding(code, NAME, severity, message, evidence, advice)


def _effect_sentence(row: dict[str, Any]) -> str:
    raw, ctrl = row["raw"], row["controlled"]
    text = f"Raw effect {raw['effect']:+.3f} P(preferred) per s.d. [{raw['low']:+.3f}, "
    text += f"{raw['high']:+.3f}]"
    if "effect" in ctrl:
        text += (
            f"; controlling for {ctrl['control']} {ctrl['effect']:+.3f} [{ctrl['low']:+.3f}, "
            f"{ctrl['high']:+.3f}] ({ctrl['residual_share']:.0%} of its variation is free of "
            "that control)"
        )
    return f"{text}: {row['reading']}."


def _figures(rows: dict[str, dict[str, Any]]) -> list[FigureSpec]:
    ruler = [
        {
            "label": f"{name} ({row['direction']})",
            "value": row["ruler_accuracy"],
            "low": row["ruler_low"],
            "high": row["ruler_high"],
        }
        for name, row in rows.items()
    ]
    effects = []
    for name, row in rows.items():
        effects.append({"label": f"{name} raw", **_interval(row["raw"])})
        if "effect" in row["controlled"]:
            effects.append({"label": f"{name} controlled", **_interval(row["controlled"])})
    if not ruler:
        return []
    return [
        FigureSpec(
            "null_rulers",
            "Null rulers: accuracy of content-blind rules",
            "intervals",
            {"rows": ruler, "reference": 0.5},
            xlabel="accuracy on decided pairs (95% Wilson CI)",
            caption="A rule that only looks at one attribute; right of 0.5 means a shortcut "
            f"exists (warning when the interval's low end exceeds {WARN_RULER_LOW}).",
        ),
        FigureSpec(
            "amce",
            "Effect of each attribute, raw and controlling for content",
            "intervals",
            {"rows": effects, "reference": 0.0},
            xlabel="change in P(preferred) per s.d. of the attribute difference (95% CI)",
            caption="Raw: association alone. Controlled: cross-fitted effect with the rest of "
            "the content held fixed. A big raw and small controlled effect points to a proxy.",
        ),
    ]


def _interval(effect: dict[str, float]) -> dict[str, float]:
    return {"value": effect["effect"], "low": effect["low"], "high": effect["high"]}
