"""Check 2, latent overlap: do the factors (factor scores, attributes) vary independently?

For every two factors k, l with pair differences d_k, d_l: the correlation of the differences and
the informative mass, the share of pairs (among those where both differ) in the minority sign
quadrant. For rho >= 0 that is the share where the factors disagree, the pairs that tell the
factors' weights apart (founding paper, section 3; for Gaussian differences 1/2 - arcsin(rho)/pi).
Factors are `latent.*`, `factor.*` and `score.*` per-response columns (scores of the things a
reward should depend on) and the audit's attributes (interpretable features of the text).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from causalpref.audit.context import AuditContext
from causalpref.audit.findings import CheckResult, FigureSpec, Finding
from causalpref.audit.stats import wilson_interval

NAME = "overlap"
TITLE = "Latent overlap"
FACTOR_PREFIXES = ("latent.", "factor.", "score.")
MIN_VARYING_SHARE = 0.01  # a factor that differs in < 1% of pairs has no overlap to measure
WARN_MASS = 0.25  # half the 0.5 of independent factors (Gaussian rho ~ 0.71): OOD weights unsure
ERROR_MASS = 0.02  # under 2% of pairs tell the factors apart: their weights are not identified
MIN_INFORMATIVE = 10  # fewer informative pairs than this: "never vary independently"


def factor_columns(ctx: AuditContext) -> list[str]:
    """Stems of per-response factor-score columns (e.g. 'latent.z1' for latent.z1.a/.b)."""
    stems = []
    for column in ctx.data.columns:
        if column.startswith(FACTOR_PREFIXES) and column.endswith(".a"):
            stem = column[:-2]
            if ctx.has(f"{stem}.b"):
                stems.append(stem)
    return stems


def run(ctx: AuditContext) -> CheckResult:
    """Pairwise correlation and informative mass of factor differences; co-varying pairs."""
    diffs, kinds, skipped = _factor_differences(ctx)
    if len(diffs) < 2:
        reason = "fewer than two varying factors or attributes (latent.*, factor.*, attr.*, text)"
        return CheckResult(NAME, TITLE, stats={"skipped_factors": skipped}, skipped=reason)
    names = list(diffs)
    pairs = [
        _pair(diffs[first], diffs[second]) | {"factors": [first, second]}
        for i, first in enumerate(names)
        for second in names[i + 1 :]
    ]
    findings = _factor_findings(pairs, kinds) + _attribute_findings(pairs, kinds)
    stats = {
        "factors": {n: kinds[n] for n in names},
        "skipped_factors": skipped,
        "pairs": pairs,
        "min_mass": min(p["mass"] for p in pairs),
        "thresholds": {"warn_mass": WARN_MASS, "error_mass": ERROR_MASS},
    }
    return CheckResult(NAME, TITLE, findings, stats, _figures(names, pairs))


def _factor_differences(
    ctx: AuditContext,
) -> tuple[dict[str, np.ndarray], dict[str, str], dict[str, str]]:
    """Differences of varying factors and attributes, each one's kind, and the ones left out."""
    found: dict[str, tuple[np.ndarray, str]] = {}
    for stem in factor_columns(ctx):
        a, b = (np.asarray(ctx.data.column(f"{stem}.{s}"), dtype=np.float64) for s in "ab")
        found[stem] = (a - b, "factor")
    for name in ctx.attributes or []:
        if name != "position":
            found[f"attr.{name}"] = (ctx.attribute_difference(name), "attribute")
    diffs, kinds, skipped = {}, {}, {}
    for name, (diff, kind) in found.items():
        varying = float(np.mean((diff != 0) & np.isfinite(diff)))
        if varying < MIN_VARYING_SHARE:
            skipped[name] = f"differs in only {varying:.2%} of pairs"
        else:
            diffs[name], kinds[name] = diff, kind
    return diffs, kinds, skipped


def _pair(dk: np.ndarray, dl: np.ndarray) -> dict[str, Any]:
    """Correlation of two factor differences and the share of pairs in the minority quadrant."""
    ok = np.isfinite(dk) & np.isfinite(dl)
    dk, dl = dk[ok], dl[ok]
    both = (dk != 0) & (dl != 0)
    n_both = int(both.sum())
    disagree = int(np.sum(dk[both] * dl[both] < 0))
    informative = min(disagree, n_both - disagree)
    mass = informative / n_both if n_both else 0.0
    low, high = wilson_interval(informative, n_both) if n_both else (0.0, 0.0)
    corr = _corr(dk, dl)
    return {
        "correlation": corr,
        "n_both_differ": n_both,
        "share_both_differ": n_both / max(len(dk), 1),
        "share_disagree": disagree / n_both if n_both else math.nan,
        "n_informative": informative,
        "mass": mass,
        "mass_low": low,
        "mass_high": high,
        "gaussian_mass": 0.5 - math.asin(min(abs(corr), 1.0)) / math.pi
        if math.isfinite(corr)
        else math.nan,
    }


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    sx, sy = x.std(), y.std()
    if sx == 0 or sy == 0:
        return math.nan
    return float(np.mean((x - x.mean()) * (y - y.mean())) / (sx * sy))


def _severity(pair: dict[str, Any]) -> str | None:
    if pair["n_informative"] < MIN_INFORMATIVE or pair["mass_high"] < ERROR_MASS:
        return "error"
    if pair["mass_high"] < WARN_MASS:
        return "warning"
    return None


def _factor_findings(pairs: list[dict[str, Any]], kinds: dict[str, str]) -> list[Finding]:
    """One finding per pair involving a factor score whose informative mass is low."""
    found = []
    for pair in pairs:
        k, other = pair["factors"]
        severity = _severity(pair)
        if severity is None or "factor" not in (kinds[k], kinds[other]):
            continue
        how = "never" if severity == "error" else "rarely"
        message = (
            f"{k} and {other} {how} vary independently: they move in opposite directions in "
            f"only {pair['mass']:.1%} of the "
            f"{pair['n_both_differ']} pairs where both differ (95% CI up to "
            f"{pair['mass_high']:.1%}; independent factors give 50%), correlation of differences "
            f"{pair['correlation']:+.2f}. A reward fitted here cannot tell their weights apart, "
            "so it may fail where they disagree."
        )
        advice = (
            f"Collect pairs where {k} and {other} disagree (one response better on {k}, the "
            f"other on {other}); `causalpref design` does not exist yet, so select such pairs by "
            "hand or by their factor scores."
        )
        found.append(Finding(f"{NAME}.{k}~{other}", NAME, severity, message, pair, advice))
    return found


def _attribute_findings(pairs: list[dict[str, Any]], kinds: dict[str, str]) -> list[Finding]:
    """One notice listing attribute pairs that co-vary (their separate effects are unclear)."""
    covarying = [
        p
        for p in pairs
        if _severity(p) is not None
        and kinds[p["factors"][0]] == kinds[p["factors"][1]] == "attribute"
    ]
    if not covarying:
        return []
    shown = "; ".join(
        f"{p['factors'][0]} ~ {p['factors'][1]} ({p['mass']:.0%} of {p['n_both_differ']})"
        for p in covarying[:8]
    )
    more = f" and {len(covarying) - 8} more" if len(covarying) > 8 else ""
    message = (
        f"{len(covarying)} pair(s) of attributes rarely vary independently (share disagreeing "
        f"of the pairs where both differ, 50% if independent; few such pairs count too): "
        f"{shown}{more}. Their separate effects cannot be told apart; often they measure one "
        "thing (e.g. two lengths) or one of them is rare."
    )
    evidence = {"pairs": [{"factors": p["factors"], "mass": p["mass"]} for p in covarying]}
    advice = "Audit one attribute of each such group, or collect pairs where they disagree."
    return [Finding(f"{NAME}.attributes", NAME, "notice", message, evidence, advice)]


def _figures(names: list[str], pairs: list[dict[str, Any]]) -> list[FigureSpec]:
    index = {n: i for i, n in enumerate(names)}
    corr = np.eye(len(names))
    mass = np.full((len(names), len(names)), 0.5)
    for p in pairs:
        i, j = (index[f] for f in p["factors"])
        c = p["correlation"] if math.isfinite(p["correlation"]) else 0.0
        corr[i, j] = corr[j, i] = c
        mass[i, j] = mass[j, i] = p["mass"]
    return [
        FigureSpec(
            "difference_correlation",
            "Correlation of pair differences",
            "heatmap",
            {"rows": names, "columns": names, "values": corr.tolist(), "vmin": -1.0, "vmax": 1.0},
            caption="Correlation of (value in a - value in b) between factors; near +-1 means "
            "they never vary independently.",
        ),
        FigureSpec(
            "informative_mass",
            "Informative mass: pairs where two factors disagree",
            "heatmap",
            {"rows": names, "columns": names, "values": mass.tolist(), "vmin": 0.0, "vmax": 0.5},
            caption=f"Share of pairs whose differences have opposite signs (minority quadrant); "
            f"0.5 = independent, below {WARN_MASS} the factors' weights are poorly identified.",
        ),
    ]
