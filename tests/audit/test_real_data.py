"""The audit on real data in ../shared/data (skipped with the reason when it is absent).

Encoder: hashing (offline, no weights, fast); docs/audit.md also lists the MiniLM numbers.
"""

import re

import numpy as np
import pytest

from causalpref.audit import run_audit
from causalpref.audit.checks import hygiene, overlap
from causalpref.data import read_preferences
from causalpref.evaluate.sources import objective_mix
from causalpref.report.audit import MAX_TABLE_COLUMNS, render_audit_html
from tests.report.test_audit_tables import page_width, records_tables
from tests.shared_data import HH_HARMLESS, RELABELED_HH, require


def test_hh_harmless_chosen_responses_are_shorter_in_most_pairs():
    data = read_preferences(require(HH_HARMLESS))
    report = run_audit(data, attributes=["length_chars", "length_words"], progress=False)
    found = {f.code: f for f in report.findings}
    length = found["spurious.length_chars"]
    assert length.evidence["direction"] == "less"
    assert length.evidence["share_preferred_lower"] > 0.5
    assert length.evidence["ruler_low"] > 0.5
    assert "shorter in" in length.message


@pytest.fixture(scope="module")
def relabeled():
    return read_preferences(require(RELABELED_HH), layout="relabeled_hh")


def labeller_result(data):
    report = run_audit(data, context="context", attributes=[], encoder="hashing", progress=False)
    return next(c for c in report.checks if c.name == "labeller")


def test_objective_predictable_from_prompt_at_rho_09(relabeled):
    train = objective_mix(
        relabeled, seed=0, rho=0.9, n_train=1000, n_validation=200, test_fraction=0.4
    )["train"]
    result = labeller_result(train)
    assert [f.code for f in result.findings] == ["labeller.context_predictable"]
    assert result.stats["auc_low"] > 0.6


def test_whole_split_is_not_flagged(relabeled):
    same = np.mean(relabeled.column("prompt_type") == relabeled.column("context"))
    assert 0.45 < same < 0.6  # prompt type and objective close to independent
    result = labeller_result(relabeled)
    assert result.findings == []
    assert result.stats["auc_low"] < 0.55


# -- messages that once contradicted their own evidence on these files -------------------------
@pytest.fixture(scope="module")
def relabeled_report(relabeled):
    return run_audit(relabeled, context="objective", encoder="hashing", progress=False)


@pytest.fixture(scope="module")
def hh_report():
    data = read_preferences(require(HH_HARMLESS))
    return run_audit(data, encoder="hashing", progress=False)


def by_code(report) -> dict:
    return {f.code: f for f in report.findings}


def population(report):
    return next(v for v in report.verdicts if v.estimand.startswith("population"))


def test_relabeled_position_bias_is_label_noise_not_a_threat(relabeled_report):
    found = by_code(relabeled_report)
    assert "spurious.position" not in found  # r(a) - r(b) cannot use the order as a shortcut
    spurious = next(c for c in relabeled_report.checks if c.name == "spurious")
    assert "label noise" in spurious.stats["skipped_attributes"]["position"]
    bias = found["hygiene.position_bias"]
    prefer_a = bias.evidence["prefer_a_share"]
    assert prefer_a > 0.55  # the bias that used to put the population reward "at risk"
    assert bias.evidence["label_noise_share"] == pytest.approx(2 * (prefer_a - 0.5), abs=1e-3)
    assert "label noise" in bias.message
    verdict = population(relabeled_report)
    assert verdict.status == "identified"
    assert "hygiene.position_bias" in verdict.evidence and "label noise" in verdict.evidence
    assert not any("position" in v.estimand for v in relabeled_report.verdicts)


def test_hh_empty_response_advice_says_too_few_to_tell(hh_report):
    empty = by_code(hh_report)["hygiene.empty_responses"]
    ev = empty.evidence
    # The empty (chosen) response won every contest: "empty loses" would contradict it.
    assert ev["empty_preferred"] == ev["decided_with_one_empty"] == ev["rows"]
    assert ev["rows"] < hygiene.MIN_CUE_ROWS
    assert ev["direction"] == "too few to tell"
    assert "too few to tell" in empty.advice and "is an easy shortcut" not in empty.advice
    assert f"won {ev['empty_preferred']} of {ev['decided_with_one_empty']}" in empty.advice


def test_hh_cut_off_advice_follows_its_direction(hh_report):
    cut = by_code(hh_report)["hygiene.unterminated_text"]
    ev = cut.evidence
    assert ev["share_when_preferred"] > ev["share_when_not_preferred"]  # cut-off text wins here
    assert ev["direction"] == "wins"
    assert "'cut off wins'" in cut.advice and "loses" not in cut.advice


@pytest.mark.parametrize("which", ["relabeled_report", "hh_report"])
def test_shares_are_bounded(which, request):
    report = request.getfixturevalue(which)
    checks = {c.name: c for c in report.checks}
    for name, row in checks["spurious"].stats["attributes"].items():
        assert 0.0 <= row["share_equal"] <= 1.0, name
        assert row["share_preferred_higher"] + row["share_preferred_lower"] + row[
            "share_equal"
        ] == pytest.approx(1.0)
        assert 0.0 <= row["controlled"]["residual_share"] <= 1.0, name
    for pair in checks["overlap"].stats["pairs"]:
        assert 0.0 <= pair["independent_share"] <= 1.0
    texts = [f.message for f in report.findings] + [v.evidence for v in report.verdicts]
    # a minus right after "%" is a range ("53.4%-57.4%"), not a sign
    percents = [float(p) for t in texts for p in re.findall(r"(?<![\w.%])(-?\d+(?:\.\d+)?)%", t)]
    assert percents and all(0.0 <= p <= 100.0 for p in percents)
    assert not any("-0%" in t for t in texts)


def test_relabeled_overlap_flags_only_attributes_that_move_together(relabeled_report):
    found = by_code(relabeled_report)["overlap.attributes"]
    flagged = {row["factors"] for row in found.evidence["pairs"]}
    assert flagged == {"attr.length_chars ~ attr.length_words"}
    assert "0% of 0" not in found.message
    overlap_pairs = next(c for c in relabeled_report.checks if c.name == "overlap").stats["pairs"]
    rare = [p for p in overlap_pairs if p["n_both_differ"] < 30]
    assert rare and all(p["independent_share"] > overlap.WARN_MASS for p in rare)
    amce = {v.estimand.split()[2]: v for v in relabeled_report.verdicts if v.estimand[:4] == "AMCE"}
    assert "co-varies" not in amce["markdown_list_items"].evidence
    assert "co-varies with attr.length_words" in amce["length_chars"].evidence


def test_relabeled_html_tables_fit_the_page(relabeled_report):
    html = render_audit_html(relabeled_report)
    headers = [len(re.findall(r"<th scope=\"col\">", t)) for t in records_tables(html)]
    assert headers and max(headers) <= MAX_TABLE_COLUMNS
    assert "Columns not shown:" in html  # the overlap pairs had 16 columns
    width = page_width(html)
    if width is not None:
        assert width[0] <= width[1], f"page {width[0]}px wide in a {width[1]}px window"
