"""The issue's acceptance tests: on every scenario the audit flags the planted problem in 10 of 10
seeds, and on the clean version of the scenario it flags nothing of severity warning or above in
at least 9 of 10 seeds. Knobs are the scenarios' own; nothing is tuned here to make a check pass.
"""

import pytest

from causalpref import simulate
from causalpref.audit import run_audit

SEEDS = range(10)
N_TRAIN = 2000
# scenario -> (planted knobs, clean knobs, code prefix the planted problem must produce)
SCENARIOS = {
    "latent_overlap": ({"rho": 0.9}, {"rho": 0.0}, "overlap.latent.z1~latent.z2"),
    "user_confounding": ({"rho": 0.9}, {"rho": 0.5}, "labeller.context_predictable"),
    "spurious_attribute": ({"strength": 0.7}, {"strength": 0.0}, "spurious.length"),
    "spurious_text": ({"strength": 0.7}, {"strength": 0.0}, "spurious.length"),
}
# Findings that are true of a scenario's clean version by construction, not planted: in
# spurious_text the vague non-answers that stand where helpful points are missing hedge ("It
# really depends", "You might want to"), so hedging genuinely tracks (low) quality there, and a
# content-blind hedging rule predicts 55-59% of labels (warning in 4 of seeds 0-9).
TRUE_OF_CLEAN = {"spurious_text": ("spurious.hedging",)}


def audit(name, seed, knobs):
    data = simulate.make(name, seed=seed, n_train=N_TRAIN, **knobs).train
    return run_audit(data, context="context" if data.has("context") else None, progress=False)


def flagged(report, prefix):
    return any(f.code.startswith(prefix) for f in report.at_least("warning"))


@pytest.mark.parametrize("name", SCENARIOS)
def test_planted_problem_is_flagged_in_every_seed(name):
    planted, _, code = SCENARIOS[name]
    missed = [seed for seed in SEEDS if not flagged(audit(name, seed, planted), code)]
    assert missed == [], f"{name} {planted}: {code} not flagged at seeds {missed}"


@pytest.mark.parametrize("name", SCENARIOS)
def test_clean_scenario_stays_below_warning(name):
    _, clean, _ = SCENARIOS[name]
    noisy = {}
    for seed in SEEDS:
        allowed = TRUE_OF_CLEAN.get(name, ())
        found = [f for f in audit(name, seed, clean).at_least("warning") if f.code not in allowed]
        if found:
            noisy[seed] = [f.code for f in found]
    assert len(noisy) <= 1, f"{name} {clean}: warnings at seeds {noisy}"


@pytest.mark.parametrize("name", [n for n in SCENARIOS if n not in TRUE_OF_CLEAN])
def test_planted_and_clean_verdicts_differ(name):
    planted, clean, _ = SCENARIOS[name]
    population = [audit(name, 0, k).verdicts[0] for k in (planted, clean)]
    assert [v.status for v in population] == ["at_risk", "identified"]
