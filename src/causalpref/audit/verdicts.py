"""Check 7, identification verdicts: which estimands this data supports, under which assumption.

Each verdict reads the other checks' results: a warning or worse from a check puts the estimands
that rest on its assumption at risk, an error makes them not identified; label noise (position
bias, which r(a) - r(b) cannot learn) is named in the evidence but threatens no estimand.
Assumptions follow the founding paper's section 2 (A1 consistency ... A5 latent positivity).
Where the data is too small for the checks behind a verdict to test anything, the verdict says
"not_enough_data" and how many rows it needs, rather than "identified" because nothing was found.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from causalpref.audit.checks import labeller, overlap, spurious
from causalpref.audit.context import AuditContext
from causalpref.audit.findings import CheckResult, Finding, Verdict, severity_rank

# The assumption each check speaks to (checks not listed count as "data quality").
ASSUMPTIONS = {
    "spurious": "A4 latent sufficiency (no spurious shortcut)",
    "overlap": "A5 latent positivity (factors vary independently)",
    "labeller": "A2' unconfoundedness given the context (labellers do not pick prompts)",
    "heterogeneity": "one reward for all users (no heterogeneity the average hides)",
    "hygiene": "A1 consistency (labels reflect the pair shown)",
    "selection": "A3 positivity of exposure (every response could be observed)",
}
NO_DESIGN = "`causalpref design` does not exist yet: "
# Findings about noise in the labels that an antisymmetric reward difference r(a) - r(b) cannot
# learn: they lower the accuracy any reward reaches, but put no estimand at risk.
LABEL_NOISE = ("hygiene.position_bias",)


# Below this many decided pairs the spurious-attribute and position checks do not run (their own
# minimum), so "no check found a violation" would say nothing: the verdicts say so instead.
MIN_DECIDED = spurious.MIN_DECIDED
NOT_ENOUGH = "not_enough_data"
MORE_DATA = "Collect more decided (non-tie) comparisons, then audit again."


def build_verdicts(results: list[CheckResult], ctx: AuditContext) -> list[Verdict]:
    """Verdicts for the population and per-context reward differences and each attribute's AMCE."""
    by_name = {r.name: r for r in results}
    population, amces = _population(results), _amces(by_name)
    decided = int(np.sum(ctx.labels != 0.5))
    if decided < MIN_DECIDED:  # a violation found is still the truth; "none found" is not
        if population.status != "not_identified":
            population = _too_few(POPULATION, POPULATION_ASSUMPTION, decided)
        names = list(ctx.attributes or [])
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        amces = [_too_few(_amce_estimand(shown), AMCE_ASSUMPTION, decided)] if names else []
    return [population, _per_context(by_name, ctx), *amces]


def _too_few(estimand: str, assumption: str, decided: int) -> Verdict:
    return Verdict(
        estimand,
        NOT_ENOUGH,
        assumption,
        f"only {decided} decided (non-tie) pair(s); the checks need at least {MIN_DECIDED} to "
        "test anything, so no verdict either way",
        MORE_DATA,
    )


def _serious(results: list[CheckResult]) -> list[Finding]:
    """Warnings or worse that threaten an estimand (label noise does not)."""
    return [
        f
        for r in results
        for f in r.findings
        if severity_rank(f.severity) >= 2 and f.code not in LABEL_NOISE
    ]


def _noise_note(results: list[CheckResult]) -> str:
    """A clause naming label-noise findings, which the population verdict does not count."""
    noise = [f for r in results for f in r.findings if f.code in LABEL_NOISE]
    if not noise:
        return ""
    codes = ", ".join(f"{f.code} ({f.severity})" for f in noise)
    return (
        f"; {codes} is label noise for r(a) - r(b), which cannot learn the order: it lowers "
        "the accuracy any reward reaches, it does not bias the reward"
    )


POPULATION = "population reward difference E[L | x, y, y']"
POPULATION_ASSUMPTION = "A1-A3 (consistency, unconfoundedness, positivity); A4-A5 for generalising"
AMCE_ASSUMPTION = "A4 sufficiency (content features capture what it proxies) and A5 overlap"


def _population(results: list[CheckResult]) -> Verdict:
    estimand = POPULATION
    serious = _serious(results)
    if not serious:
        return Verdict(
            estimand,
            "identified",
            POPULATION_ASSUMPTION,
            "no check found a violation the data can reveal; A1 and unobserved confounding "
            "cannot be checked from the data alone" + _noise_note(results),
        )
    status = "not_identified" if any(f.severity == "error" for f in serious) else "at_risk"
    checks = list(dict.fromkeys(f.check for f in serious))
    assumption = "; ".join(ASSUMPTIONS.get(c, f"data quality ({c})") for c in checks)
    evidence = "; ".join(f"{f.code} ({f.severity})" for f in serious[:6])
    if len(serious) > 6:
        evidence += f"; and {len(serious) - 6} more"
    evidence += _noise_note(results)
    advice = " ".join(dict.fromkeys(f.advice for f in serious if f.advice))
    return Verdict(estimand, status, assumption, evidence, advice)


def _per_context(by_name: dict[str, CheckResult], ctx: AuditContext) -> Verdict:
    estimand = "per-context reward difference E[L | x, y, y', C = c]"
    assumption = ASSUMPTIONS["labeller"] + " and overlap of prompts across contexts"
    result = by_name.get("labeller")
    if ctx.context is None:
        return Verdict(
            estimand,
            "not_identified",
            assumption,
            "no context column was given (--context)",
            "Collect the labeller's objective or user group with every comparison.",
        )
    if _contexts_with_rows(ctx) < 2:
        return Verdict(
            estimand,
            NOT_ENOUGH,
            assumption,
            f"fewer than two contexts with at least {labeller.MIN_PER_CONTEXT} rows each, the "
            "least the labeller check needs to fit and score a model of the context",
            f"Collect at least {labeller.MIN_PER_CONTEXT} comparisons under each of two or "
            "more contexts.",
        )
    if result is None or result.skipped:
        why = result.skipped if result is not None else "the labeller check did not run"
        return Verdict(estimand, "at_risk", assumption, f"not checked: {why}")
    stats: dict[str, Any] = result.stats
    evidence = (
        f"context predicted from the prompt with AUC {stats['auc']:.3f} "
        f"(95% CI {stats['auc_low']:.3f}-{stats['auc_high']:.3f}); "
        f"up to {stats['max_share_unseen']:.0%} of prompts practically unseen under a context"
    )
    worst = max((severity_rank(f.severity) for f in result.findings), default=-1)
    status = "not_identified" if worst >= 3 else "at_risk" if worst >= 2 else "identified"
    advice = (
        NO_DESIGN + "collect comparisons with prompts assigned to labellers at random, or every "
        "prompt judged under every context."
        if status != "identified"
        else ""
    )
    return Verdict(estimand, status, assumption, evidence, advice)


def _contexts_with_rows(ctx: AuditContext) -> int:
    """How many contexts have enough rows for the labeller check."""
    _, counts = np.unique(ctx.context_values(), return_counts=True)
    return int(np.sum(counts >= labeller.MIN_PER_CONTEXT))


def _amces(by_name: dict[str, CheckResult]) -> list[Verdict]:
    result = by_name.get("spurious")
    if result is None or result.skipped:
        return []
    covarying = _covarying(by_name.get("overlap"))
    return [
        _amce(name, row, covarying.get(f"attr.{name}", []))
        for name, row in result.stats["attributes"].items()
    ]


def _covarying(result: CheckResult | None) -> dict[str, list[str]]:
    """Per factor, the factors it (almost) never varies independently of."""
    found: dict[str, list[str]] = {}
    if result is None or result.skipped:
        return found
    for pair in result.stats["pairs"]:
        if overlap.classify(pair) in ("never", "rarely"):
            k, other = pair["factors"]
            found.setdefault(k, []).append(other)
            found.setdefault(other, []).append(k)
    return found


def _amce_estimand(name: str) -> str:
    return f"AMCE of {name} (effect on P(preferred) per s.d., content held fixed)"


def _amce(name: str, row: dict[str, Any], covarying: list[str]) -> Verdict:
    estimand = _amce_estimand(name)
    assumption = AMCE_ASSUMPTION
    ctrl = row["controlled"]
    collect = (
        NO_DESIGN + f"collect pairs that differ only in {name} (rewrites of one response), "
        "which identify its effect directly."
    )
    if ctrl["status"] == "no_content":
        return Verdict(
            estimand,
            "not_identified",
            assumption,
            "no content vectors to control for (pass --encoder or vector.a/.b)",
            collect,
        )
    share = ctrl["residual_share"]
    if ctrl["status"] == "not_identified":
        evidence = (
            f"no variation of the attribute independent of content: {share:.1%} of its variance "
            f"is not predicted by content (< {spurious.MIN_RESIDUAL_SHARE:.0%})"
        )
        return Verdict(estimand, "not_identified", assumption, evidence, collect)
    evidence = (
        f"controlled effect {ctrl['effect']:+.3f} [{ctrl['low']:+.3f}, {ctrl['high']:+.3f}] vs "
        f"raw {row['raw']['effect']:+.3f}; {share:.0%} of its variation is free of content"
    )
    reasons = []
    if ctrl["control"] == spurious.PROJECTED:
        reasons.append(
            "the content encodes the attribute, so the control is content minus its linear "
            "direction, which can also remove content it is confounded with"
        )
    elif ctrl["status"] == "at_risk":
        reasons.append(f"little independent variation (< {spurious.LOW_RESIDUAL_SHARE:.0%})")
    if covarying:
        reasons.append(f"co-varies with {', '.join(covarying[:4])}")
    if reasons:
        return Verdict(
            estimand, "at_risk", assumption, f"{evidence}; {'; '.join(reasons)}", collect
        )
    return Verdict(estimand, "identified", assumption, evidence)
