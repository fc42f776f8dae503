"""Check 2, latent overlap: do the factors (factor scores, attributes) vary independently?

For every two factors k, l with pair differences d_k, d_l: the correlation of the differences and
the informative mass, the share of pairs (among those where both differ) in the minority sign
quadrant. For rho >= 0 that is the share where the factors disagree, the pairs that tell the
factors' weights apart (founding paper, section 3; for Gaussian differences 1/2 - arcsin(rho)/pi).
Pairs where only one of the two differs tell them apart too; sparse attributes (a refusal, a
list) rarely differ together, so severities read the **independent share**: among pairs where
either differs, those where only one does or the two disagree. For factors that always differ
it equals the informative mass.
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
MIN_INFORMATIVE = 10  # fewer independent pairs than this: too few to tell the weights apart


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
        "min_independent_share": min(p["independent_share"] for p in pairs),
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
    n_alone = int(np.sum((dk != 0) != (dl != 0)))
    disagree = int(np.sum(dk[both] * dl[both] < 0))
    informative = min(disagree, n_both - disagree)
    mass = informative / n_both if n_both else math.nan
    low, high = wilson_interval(informative, n_both) if n_both else (math.nan, math.nan)
    independent, n_either = informative + n_alone, n_both + n_alone
    ind_low, ind_high = wilson_interval(independent, n_either) if n_either else (0.0, 0.0)
    corr = _corr(dk, dl)
    return {
        "independent_share": independent / n_either if n_either else 0.0,
        "n_independent": independent,
        "n_either_differs": n_either,
        "correlation": corr,
        "n_both_differ": n_both,
        "n_one_differs": n_alone,
        "share_both_differ": n_both / max(len(dk), 1),
        "share_disagree": disagree / n_both if n_both else math.nan,
        "n_informative": informative,
        "mass": mass,
        "mass_low": low,
        "mass_high": high,
        "independent_low": ind_low,
        "independent_high": ind_high,
        "gaussian_mass": 0.5 - math.asin(min(abs(corr), 1.0)) / math.pi
        if math.isfinite(corr)
        else math.nan,
    }


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    sx, sy = x.std(), y.std()
    if sx == 0 or sy == 0:
        return math.nan
    return float(np.mean((x - x.mean()) * (y - y.mean())) / (sx * sy))


def classify(pair: dict[str, Any]) -> str | None:
    """How two factors vary: "never" / "rarely" independently, "too few" pairs to tell, or
    None (independently enough)."""
    if pair["independent_high"] < ERROR_MASS:
        return "never"
    if pair["independent_high"] < WARN_MASS:
        return "rarely" if pair["n_independent"] >= MIN_INFORMATIVE else "never"
    return "too few" if pair["n_independent"] < MIN_INFORMATIVE else None


def _severity(pair: dict[str, Any]) -> str | None:
    """error when the weights cannot be told apart (never, or too few pairs), warning when
    rarely."""
    kind = classify(pair)
    return None if kind is None else "warning" if kind == "rarely" else "error"


def _factor_findings(pairs: list[dict[str, Any]], kinds: dict[str, str]) -> list[Finding]:
    """One finding per pair involving a factor score whose informative mass is low."""
    found = []
    for pair in pairs:
        k, other = pair["factors"]
        severity = _severity(pair)
        if severity is None or "factor" not in (kinds[k], kinds[other]):
            continue
        message = _factor_message(pair)
        advice = (
            f"Collect pairs where {k} and {other} disagree (one response better on {k}, the "
            f"other on {other}); `causalpref design` does not exist yet, so select such pairs by "
            "hand or by their factor scores."
        )
        found.append(Finding(f"{NAME}.{k}~{other}", NAME, severity, message, pair, advice))
    return found


def _factor_message(pair: dict[str, Any]) -> str:
    k, other = pair["factors"]
    counts = f"{pair['n_independent']} of the {pair['n_either_differs']} pairs where either differs"
    if classify(pair) == "too few":
        return (
            f"Too few pairs to tell whether {k} and {other} vary independently: they do (only "
            f"one differs, or they move in opposite directions) in {counts} "
            f"({pair['independent_share']:.0%}), fewer than the {MIN_INFORMATIVE} a reward needs "
            "to tell their weights apart."
        )
    return (
        f"{k} and {other} {classify(pair)} vary independently: only one differs, or they move in "
        f"opposite directions, in {counts} ({pair['independent_share']:.1%}, 95% CI up to "
        f"{pair['independent_high']:.1%}; independent factors give 50%), correlation of "
        f"differences {pair['correlation']:+.2f}. A reward fitted here cannot tell their "
        "weights apart, so it may fail where they disagree."
    )


def _attribute_findings(pairs: list[dict[str, Any]], kinds: dict[str, str]) -> list[Finding]:
    """One notice listing attribute pairs that co-vary (their separate effects are unclear)."""
    attribute_pairs = [
        p for p in pairs if kinds[p["factors"][0]] == kinds[p["factors"][1]] == "attribute"
    ]
    covarying = [p for p in attribute_pairs if classify(p) in ("never", "rarely")]
    too_few = [p for p in attribute_pairs if classify(p) == "too few"]
    if not covarying and not too_few:
        return []
    parts = []
    if covarying:
        parts.append(
            f"{len(covarying)} pair(s) of attributes rarely vary independently (share of the "
            "pairs where either differs in which only one does or the two disagree; 50% or more "
            f"if independent): {_listed(covarying)}. Their separate effects cannot be told "
            "apart; often they measure one thing (e.g. two lengths)."
        )
    if too_few:
        parts.append(
            f"Too few pairs to tell for {len(too_few)} pair(s) (under {MIN_INFORMATIVE} that "
            f"vary independently): {_listed(too_few)}."
        )
    evidence = {
        "pairs": [_evidence_row(p) for p in covarying + too_few],
        "min_independent": MIN_INFORMATIVE,
        "warn_share": WARN_MASS,
    }
    advice = (
        "Audit one attribute of each co-varying group, or collect pairs where they disagree."
        if covarying
        else "Collect more pairs where these attributes differ before reading their effects."
    )
    severity = "notice" if covarying else "info"
    return [Finding(f"{NAME}.attributes", NAME, severity, " ".join(parts), evidence, advice)]


def _listed(pairs: list[dict[str, Any]], limit: int = 8) -> str:
    shown = "; ".join(
        f"{p['factors'][0]} ~ {p['factors'][1]} ({p['independent_share']:.0%} of "
        f"{p['n_either_differs']})"
        for p in pairs[:limit]
    )
    return shown + (f" and {len(pairs) - limit} more" if len(pairs) > limit else "")


def _evidence_row(pair: dict[str, Any]) -> dict[str, Any]:
    return {
        "factors": " ~ ".join(pair["factors"]),
        "varies_independently": classify(pair),
        "independent_share": pair["independent_share"],
        "n_independent": pair["n_independent"],
        "n_either_differs": pair["n_either_differs"],
    }


def _figures(names: list[str], pairs: list[dict[str, Any]]) -> list[FigureSpec]:
    index = {n: i for i, n in enumerate(names)}
    corr = np.eye(len(names))
    mass = np.full((len(names), len(names)), 0.5)
    for p in pairs:
        i, j = (index[f] for f in p["factors"])
        c = p["correlation"] if math.isfinite(p["correlation"]) else 0.0
        corr[i, j] = corr[j, i] = c
        mass[i, j] = mass[j, i] = p["independent_share"]
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
            "Independent variation: pairs that tell two factors apart",
            "heatmap",
            {"rows": names, "columns": names, "values": mass.tolist(), "vmin": 0.0, "vmax": 0.5},
            caption="Of the pairs where either factor differs, the share where only one does or "
            "the two differ in opposite directions (for factors that always differ: the "
            f"informative mass); 0.5 or more = independent, below {WARN_MASS} the factors' "
            "weights are poorly identified.",
        ),
    ]
