"""Check 5, label quality and hygiene: duplicates, conflicting repeats, annotator agreement,
identical, empty or cut-off responses, and position bias.

Pairs are compared by content: response texts when present (else their vectors, exactly), the
prompt when present. A repeated pair may come back swapped (b, a); its label is then turned
around before labels are compared. Row numbers in evidence are 0-based data rows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from causalpref.audit.checks._evidence import first_rows, rounded, share
from causalpref.audit.context import AuditContext
from causalpref.audit.findings import CheckResult, FigureSpec, Finding
from causalpref.audit.stats import wilson_interval
from causalpref.data.chat import render_chat
from causalpref.data.schema import ANNOTATOR_ID, PAIR_ID, PROMPT, RESPONSE_A, RESPONSE_B

NAME = "hygiene"
TITLE = "Label quality and hygiene"

DUPLICATE_WARN_SHARE = 0.05  # from 5% exact copies, random splits leak pairs into the test set
EMPTY_WARN_SHARE = 0.01  # from 1% empty responses, "empty wins/loses" is a learnable shortcut
# Fewer decided contests than this and a direction ("empty loses") is an anecdote: even 8 of 10
# leaves a Wilson 95% interval of 0.49-0.94, so the advice says "too few to tell" instead.
MIN_CUE_ROWS = 10
MIN_REPEAT_GROUPS = 30  # fewer repeated pairs: the conflict rate is too noisy to call it noise
CONFLICT_WARN = 0.4  # repeats conflicting this often (lower 95% bound) are near coin flips (0.5)
LOW_AGREEMENT = 0.6  # annotators agreeing less than this are close to noise on these pairs
MIN_ANNOTATOR_PAIRS = 30  # comparisons an annotator needs before being compared with the rest
OUTLIER_SE = 3.0  # an annotator below the others by > 3 s.e. ...
MIN_OUTLIER_GAP = 0.1  # ... and by 10 points is called an outlier
MAX_GROUP = 20  # rows of one repeated pair used for annotator agreement (pairs grow as k^2)
TRUNC_MIN_WORDS = 30  # shorter texts often end without punctuation (lists, one-word answers)
TRUNC_SE = 3.0  # preferred vs non-preferred unterminated rates must differ by > 3 s.e. ...
TRUNC_MIN_GAP = 0.05  # ... and 5 points to call cut-off text a label cue (a notice)
POSITION_MIN_DECIDED = 30  # fewer decided labels: no position-bias test
POSITION_NOTICE = 0.03  # share preferring a outside 0.5 +- 0.03 (and its 95% CI) is a notice
POSITION_WARN = 0.10  # outside 0.5 +- 0.10: a strong presentation effect, or a/b not shuffled
TERMINAL = tuple(".!?…\"'”’)]}>*`:;") + ("。", "！", "？")  # endings of a complete text


def run(ctx: AuditContext) -> CheckResult:
    """Every hygiene sub-check; each adds findings, stats and (some) figures."""
    parts = [
        _duplicate_ids(ctx),
        _duplicate_rows(ctx),
    ]
    prompt, a, b, basis = content_ids(ctx)
    parts.append(_repeats(ctx, prompt, a, b))
    parts.append(_identical(ctx, a, b))
    if ctx.has_text:
        texts = {side: _texts(ctx, col) for side, col in (("a", RESPONSE_A), ("b", RESPONSE_B))}
        parts.append(_empty(ctx, texts))
        parts.append(_unterminated(ctx, texts))
    parts.append(_position(ctx))
    findings = [f for p in parts for f in p["findings"]]
    stats: dict[str, Any] = {"rows": ctx.n, "pairs_compared_by": basis}
    for p in parts:
        stats.update(p["stats"])
    figures = [fig for p in parts for fig in p["figures"]]
    overview = _overview_figure(ctx.n, stats)
    if any(row["value"] > 0 for row in overview.data["rows"]):
        figures.insert(0, overview)
    return CheckResult(NAME, TITLE, findings=findings, stats=stats, figures=figures)


def _part(findings=(), stats=None, figures=()) -> dict[str, Any]:
    return {"findings": list(findings), "stats": stats or {}, "figures": list(figures)}


# -- content keys ----------------------------------------------------------------------------
def _texts(ctx: AuditContext, column: str) -> list[str]:
    """Texts of `column` as str: missing -> '', chat message lists rendered as a transcript."""
    out = []
    for value in ctx.data.table[column].to_pylist():
        if value is None:
            out.append("")
        elif isinstance(value, str):
            out.append(value)
        elif isinstance(value, list) and all(isinstance(m, dict) for m in value):
            out.append(render_chat(value))
        else:
            out.append(str(value))
    return out


def _codes(values: list[Any] | np.ndarray) -> np.ndarray:
    """Integer id per value; equal values share an id."""
    if isinstance(values, np.ndarray) and values.ndim == 2:
        rows = np.ascontiguousarray(values)
        keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
        return np.unique(keys, return_inverse=True)[1].ravel()
    return np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)[1].ravel()


def content_ids(ctx: AuditContext) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """(prompt id, response a id, response b id, what was compared); a and b share ids."""
    n = ctx.n
    if ctx.has_text:
        both = _codes(_texts(ctx, RESPONSE_A) + _texts(ctx, RESPONSE_B))
        basis = "response texts"
    else:
        vectors = np.vstack([ctx.data.vectors("a"), ctx.data.vectors("b")])
        both = _codes(vectors)
        basis = "response vectors (exact equality)"
    prompt = _codes(_texts(ctx, PROMPT)) if ctx.has(PROMPT) else np.zeros(n, dtype=np.int64)
    if ctx.has(PROMPT):
        basis += " and prompt"
    return prompt, both[:n], both[n:], basis


# -- duplicates ------------------------------------------------------------------------------
def _duplicate_ids(ctx: AuditContext) -> dict[str, Any]:
    if not ctx.has(PAIR_ID):
        return _part(stats={"duplicate_pair_ids": None})
    ids = _codes(_texts(ctx, PAIR_ID))
    extra = _later_copies(ids)
    count = int(extra.sum())
    stats = {"duplicate_pair_ids": count}
    if not count:
        return _part(stats=stats)
    finding = Finding(
        "hygiene.duplicate_pair_ids",
        NAME,
        "notice",
        f"{count} row(s) reuse a pair_id that an earlier row already has; pair_id is meant to "
        "be unique, and splits or joins by id will mix these rows.",
        {"rows_with_reused_id": count, "first_rows": first_rows(extra)},
        "Make pair_id unique (or drop it and let rows be numbered).",
    )
    return _part([finding], stats)


def _later_copies(ids: np.ndarray) -> np.ndarray:
    """True for every row whose id appeared on an earlier row."""
    _, first = np.unique(ids, return_index=True)
    mask = np.ones(len(ids), dtype=bool)
    mask[first] = False
    return mask


def _column_codes(column: pa.ChunkedArray) -> np.ndarray:
    if pa.types.is_fixed_size_list(column.type):
        flat = column.combine_chunks()
        width = column.type.list_size
        return _codes(flat.flatten().to_numpy(zero_copy_only=False).reshape(len(flat), width))
    try:
        encoded = pc.dictionary_encode(column.combine_chunks())
        return pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
        return _codes([repr(v) for v in column.to_pylist()])


def _duplicate_rows(ctx: AuditContext) -> dict[str, Any]:
    table = ctx.data.table
    matrix = np.stack([_column_codes(table[name]) for name in table.column_names], axis=1)
    row_ids = np.unique(matrix, axis=0, return_inverse=True)[1].ravel()
    extra = _later_copies(row_ids)
    count = int(extra.sum())
    stats = {"exact_duplicate_rows": count}
    if not count:
        return _part(stats=stats)
    frac = count / ctx.n
    severity = "warning" if frac >= DUPLICATE_WARN_SHARE else "notice"
    finding = Finding(
        "hygiene.duplicate_rows",
        NAME,
        severity,
        f"{count} row(s) ({frac:.1%}) are exact copies of an earlier row (every column equal). "
        "Copies weigh their pair more, and a random split can put one copy in training and "
        "another in the test set, inflating test accuracy.",
        {
            "duplicate_rows": count,
            "share": rounded(frac),
            "first_rows": first_rows(extra),
            "warn_share": DUPLICATE_WARN_SHARE,
        },
        "Drop exact duplicates before splitting and training.",
    )
    return _part([finding], stats)


# -- repeated pairs, conflicts, annotators ---------------------------------------------------
def repeat_groups(
    prompt: np.ndarray, a: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(group id per row, orientation flip per row, size per row) for unordered content pairs.

    Rows with identical responses are left out (group -1): they have no orientation.
    """
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keys = np.stack([prompt, lo, hi], axis=1)
    group, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)[1:]
    group = group.ravel()
    size = counts[group]
    group = np.where(a == b, -1, group)
    return group, a > b, np.where(a == b, 0, size)


def _repeats(ctx: AuditContext, prompt, a, b) -> dict[str, Any]:
    group, flipped, size = repeat_groups(prompt, a, b)
    repeated = size >= 2
    labels = np.where(flipped, 1.0 - ctx.labels, ctx.labels)  # in a fixed orientation
    members: dict[int, list[int]] = defaultdict(list)
    for row in np.flatnonzero(repeated):
        members[int(group[row])].append(int(row))
    conflicting = [rows for rows in members.values() if _conflict(labels[rows])]
    swapped = sum(len(set(flipped[rows].tolist())) == 2 for rows in members.values())
    stats = {
        "repeated_pairs": len(members),
        "rows_in_repeated_pairs": int(repeated.sum()),
        "repeated_pairs_seen_swapped": int(swapped),
        "repeated_pairs_with_conflicting_labels": len(conflicting),
    }
    findings = _conflict_findings(members, conflicting, swapped)
    annot = _annotators(ctx, members, labels)
    stats.update(annot["stats"])
    return _part(findings + annot["findings"], stats)


def _conflict(labels: np.ndarray) -> bool:
    return bool(np.any(labels > 0.5) and np.any(labels < 0.5))


def _conflict_findings(members: dict, conflicting: list, swapped: int) -> list[Finding]:
    if not members:
        return []
    n, k = len(members), len(conflicting)
    low, high = wilson_interval(k, n)
    evidence = {
        "repeated_pairs": n,
        "conflicting": k,
        "conflict_share": share(k, n),
        "conflict_share_ci95": [rounded(low), rounded(high)],
        "seen_swapped": swapped,
        "first_rows": sorted(r for rows in conflicting[:5] for r in rows[:2]),
    }
    if k == 0:
        return [
            Finding(
                "hygiene.repeated_pairs",
                NAME,
                "info",
                f"{n} pair(s) appear more than once (incl. {swapped} swapped); their labels agree.",
                evidence,
            )
        ]
    strong = n >= MIN_REPEAT_GROUPS and low >= CONFLICT_WARN
    return [
        Finding(
            "hygiene.conflicting_labels",
            NAME,
            "warning" if strong else "notice",
            f"{k} of {n} repeated pair(s) ({k / n:.0%}) carry conflicting labels (one copy "
            "prefers a, another b, after aligning swapped copies)."
            + (
                " That is close to coin flips: on these pairs the labels carry little signal."
                if strong
                else " Some disagreement is normal for human or noisy labels."
            ),
            evidence,
            "Aggregate repeats into one soft label (the mean) or model labeller noise; check "
            "the annotators if agreement is low.",
        )
    ]


def annotator_agreement(
    members: dict[int, list[int]], labels: np.ndarray, annotators: np.ndarray
) -> tuple[int, int, dict[str, list[int]]]:
    """(agreeing, compared, per annotator [agree, compared]) over pairs of rows of one repeated
    pair labelled by different annotators; ties are left out."""
    agree = total = 0
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for rows in members.values():
        rows = [r for r in rows if labels[r] != 0.5][:MAX_GROUP]
        for i, r1 in enumerate(rows):
            for r2 in rows[i + 1 :]:
                if annotators[r1] == annotators[r2]:
                    continue
                same = int((labels[r1] > 0.5) == (labels[r2] > 0.5))
                agree, total = agree + same, total + 1
                for who in (annotators[r1], annotators[r2]):
                    per[who][0] += same
                    per[who][1] += 1
    return agree, total, dict(per)


def _annotators(ctx: AuditContext, members: dict, labels: np.ndarray) -> dict[str, Any]:
    if not ctx.has(ANNOTATOR_ID):
        return _part(stats={"annotator_agreement": "no annotator_id column"})
    annotators = np.asarray(_texts(ctx, ANNOTATOR_ID), dtype=object)
    agree, total, per = annotator_agreement(members, labels, annotators)
    if total == 0:
        return _part(stats={"annotator_agreement": "no pair was labelled by two annotators"})
    rate = agree / total
    low, high = wilson_interval(agree, total)
    stats = {"annotator_agreement": rounded(rate), "annotator_comparisons": total}
    findings = [
        Finding(
            "hygiene.annotator_agreement",
            NAME,
            "notice" if high < LOW_AGREEMENT else "info",
            f"Annotators who labelled the same pair agree {rate:.1%} of the time "
            f"(95% CI {low:.1%} to {high:.1%}, {total} comparisons)."
            + (" That is low: these labels are close to noise." if high < LOW_AGREEMENT else ""),
            {
                "agreement": rounded(rate),
                "ci95": [rounded(low), rounded(high)],
                "comparisons": total,
                "low_agreement": LOW_AGREEMENT,
            },
            "Use soft labels (the share of annotators preferring a) or a noise-aware loss."
            if high < LOW_AGREEMENT
            else "",
        )
    ]
    outliers = _outliers(per, agree, total)
    if outliers:
        findings.append(
            Finding(
                "hygiene.outlier_annotators",
                NAME,
                "notice",
                f"{len(outliers)} annotator(s) agree with the others much less than the rest do.",
                {
                    "annotators": outliers[:20],
                    "threshold_se": OUTLIER_SE,
                    "min_gap": MIN_OUTLIER_GAP,
                },
                "Review these annotators' labels; consider down-weighting or relabelling.",
            )
        )
    return _part(findings, stats)


def _outliers(per: dict[str, list[int]], agree: int, total: int) -> list[dict[str, Any]]:
    out = []
    for who, (a_k, n_k) in per.items():
        if n_k < MIN_ANNOTATOR_PAIRS or total - n_k <= 0:
            continue
        rate = a_k / n_k
        rest = (agree - a_k) / max(total - n_k, 1)  # approximate: comparisons not involving k
        se = np.sqrt(max(rate * (1 - rate), 1e-12) / n_k)
        if rest - rate > max(OUTLIER_SE * se, MIN_OUTLIER_GAP):
            out.append(
                {
                    "annotator": str(who),
                    "agreement": rounded(rate),
                    "others": rounded(rest),
                    "comparisons": n_k,
                }
            )
    return sorted(out, key=lambda o: o["agreement"])


# -- identical, empty, cut-off responses -----------------------------------------------------
def _identical(ctx: AuditContext, a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    same = a == b
    count = int(same.sum())
    if not count:
        return _part(stats={"identical_responses": 0})
    y = ctx.labels[same]
    decided = y[y != 0.5]
    finding = Finding(
        "hygiene.identical_responses",
        NAME,
        "notice",
        f"{count} row(s) compare a response with itself; such a label says nothing about "
        "content (it can only reflect position or noise).",
        {
            "count": count,
            "share": share(count, ctx.n),
            "first_rows": first_rows(same),
            "decided_labels": len(decided),
            "prefer_a_share": share(int(np.sum(decided > 0.5)), len(decided)),
        },
        "Drop these rows, or keep them only to measure position bias.",
    )
    return _part([finding], {"identical_responses": count})


def _empty(ctx: AuditContext, texts: dict[str, list[str]]) -> dict[str, Any]:
    empty = {s: np.array([not t.strip() for t in texts[s]]) for s in texts}
    either = empty["a"] | empty["b"]
    count = int(either.sum())
    stats = {"empty_responses_a": int(empty["a"].sum()), "empty_responses_b": int(empty["b"].sum())}
    if not count:
        return _part(stats=stats)
    y = ctx.labels
    one = empty["a"] ^ empty["b"]  # both empty: identical responses, reported as such
    decided = one & (y != 0.5)
    won = int(np.sum(decided & (empty["a"] == (y > 0.5))))
    contest = int(decided.sum())
    frac = count / ctx.n
    cue = cue_direction(won, contest)
    finding = Finding(
        "hygiene.empty_responses",
        NAME,
        "warning" if frac >= EMPTY_WARN_SHARE else "notice",
        f"{count} row(s) ({frac:.2%}) have an empty response ({stats['empty_responses_a']} in a, "
        f"{stats['empty_responses_b']} in b); where only one response is empty and the label is "
        f"decided, the empty one is preferred in {won} of {contest}"
        + (f" ({cue['reading']})." if contest else "."),
        {
            "rows": count,
            "share": rounded(frac),
            "empty_a": stats["empty_responses_a"],
            "empty_b": stats["empty_responses_b"],
            "empty_preferred": won,
            "decided_with_one_empty": contest,
            "direction": cue["direction"],
            "first_rows": first_rows(either),
            "warn_share": EMPTY_WARN_SHARE,
            "min_to_tell": MIN_CUE_ROWS,
        },
        "Check how these rows were produced (failed generations, parsing), then drop them or "
        "keep them deliberately: " + _cue_advice("empty", cue, won, contest),
    )
    return _part([finding], stats)


def cue_direction(wins: int, n: int) -> dict[str, str]:
    """Which way a response property goes with the label: wins of n decided contests.

    "wins" or "loses" only when n >= MIN_CUE_ROWS and the Wilson 95% interval of wins / n
    excludes 1/2; otherwise "too few to tell" (small n) or "no clear direction".
    """
    if n < MIN_CUE_ROWS:
        return {"direction": "too few to tell", "reading": f"too few to tell: {n} < {MIN_CUE_ROWS}"}
    low, high = wilson_interval(wins, n)
    direction = "wins" if low > 0.5 else "loses" if high < 0.5 else "no clear direction"
    return {"direction": direction, "reading": f"{wins / n:.0%}, 95% CI {low:.0%}-{high:.0%}"}


def _cue_advice(what: str, cue: dict[str, str], wins: int, n: int) -> str:
    """Advice naming the shortcut a reward model can learn, in the direction measured."""
    if cue["direction"] in ("wins", "loses"):
        return (
            f"'{what} {cue['direction']}' is an easy shortcut for a reward model here (the {what} "
            f"response won {wins} of {n})."
        )
    if cue["direction"] == "too few to tell":
        return (
            f"too few to tell whether a reward model would learn '{what} wins' or '{what} loses' "
            f"(the {what} response won {wins} of {n}), but rows like these teach one of them."
        )
    return (
        f"no clear direction (the {what} response won {wins} of {n}), so these rows add noise "
        "rather than a shortcut."
    )


def unterminated(text: str) -> bool:
    """True when a text ends like it was cut off: its last character is not a sentence end,
    closing quote or bracket, list/markup character or code fence."""
    end = text.rstrip()
    return bool(end) and not end.endswith(TERMINAL)


def _long(texts: list[str]) -> np.ndarray:
    return np.array([len(re.findall(r"\S+", t)) >= TRUNC_MIN_WORDS for t in texts])


def _unterminated(ctx: AuditContext, texts: dict[str, list[str]]) -> dict[str, Any]:
    cut = {s: np.array([unterminated(t) for t in texts[s]]) for s in texts}
    long = {s: _long(texts[s]) for s in texts}
    n_long = int(long["a"].sum() + long["b"].sum())
    if n_long == 0:
        return _part(stats={"unterminated_long_responses": None})
    n_cut = int((cut["a"] & long["a"]).sum() + (cut["b"] & long["b"]).sum())
    rate = n_cut / n_long
    y = ctx.labels
    pref, other = _by_preference(cut, long, y)
    stats = {
        "unterminated_long_responses": n_cut,
        "long_responses": n_long,
        "unterminated_share": rounded(rate),
    }
    evidence = {
        "unterminated": n_cut,
        "long_responses": n_long,
        "share": rounded(rate),
        "share_when_preferred": share(*pref),
        "share_when_not_preferred": share(*other),
        "min_words": TRUNC_MIN_WORDS,
        "first_rows": first_rows((cut["a"] & long["a"]) | (cut["b"] & long["b"])),
    }
    if n_cut == 0:
        return _part(stats=stats)
    gap, se = _rate_gap(pref, other)
    cue = se > 0 and abs(gap) > TRUNC_SE * se and abs(gap) >= TRUNC_MIN_GAP
    message = (
        f"{n_cut} of {n_long} responses with at least {TRUNC_MIN_WORDS} words ({rate:.1%}) end "
        "without a sentence end, closing bracket or code fence, as cut-off text does (lists and "
        "code can end so too, so this alone is no problem)."
    )
    if cue:
        message += (
            f" They are {'rarer' if gap > 0 else 'more common'} among preferred responses "
            f"({share(*pref):.1%} vs {share(*other):.1%}): being cut off predicts the label."
        )
    rule = "cut off loses" if gap > 0 else "cut off wins"
    advice = (
        f"Check generation length limits; a reward model can learn '{rule}' here (cut-off "
        f"text in {share(*pref):.1%} of preferred vs {share(*other):.1%} of other responses)."
        if cue
        else ""
    )
    evidence["direction"] = rule.removeprefix("cut off ") if cue else "no clear direction"
    finding = Finding(
        "hygiene.unterminated_text", NAME, "notice" if cue else "info", message, evidence, advice
    )
    return _part([finding], stats)


def _by_preference(cut, long, y) -> tuple[tuple[int, int], tuple[int, int]]:
    """(unterminated, long) counts among preferred and among non-preferred responses."""
    a_pref, b_pref = y > 0.5, y < 0.5
    pref_cut = np.sum(cut["a"] & long["a"] & a_pref) + np.sum(cut["b"] & long["b"] & b_pref)
    pref_n = np.sum(long["a"] & a_pref) + np.sum(long["b"] & b_pref)
    oth_cut = np.sum(cut["a"] & long["a"] & b_pref) + np.sum(cut["b"] & long["b"] & a_pref)
    oth_n = np.sum(long["a"] & b_pref) + np.sum(long["b"] & a_pref)
    return (int(pref_cut), int(pref_n)), (int(oth_cut), int(oth_n))


def _rate_gap(pref: tuple[int, int], other: tuple[int, int]) -> tuple[float, float]:
    """(non-preferred rate - preferred rate, its s.e.); (0, 0) when a side is empty."""
    if pref[1] == 0 or other[1] == 0:
        return 0.0, 0.0
    p1, p2 = pref[0] / pref[1], other[0] / other[1]
    se = float(np.sqrt(p1 * (1 - p1) / pref[1] + p2 * (1 - p2) / other[1]))
    return p2 - p1, se


# -- position bias ---------------------------------------------------------------------------
def position_bias(labels: np.ndarray) -> dict[str, Any]:
    """Share of decided labels preferring a, its Wilson 95% interval, and the decided count."""
    decided = labels[labels != 0.5]
    k, n = int(np.sum(decided > 0.5)), len(decided)
    low, high = wilson_interval(k, n)
    return {
        "prefer_a": k / n if n else float("nan"),
        "low": low,
        "high": high,
        "decided": n,
        "prefer_a_count": k,
    }


def _position(ctx: AuditContext) -> dict[str, Any]:
    pos = position_bias(ctx.labels)
    stats = {"position_prefer_a": rounded(pos["prefer_a"]), "position_decided": pos["decided"]}
    evidence = {
        "prefer_a_share": rounded(pos["prefer_a"]),
        "ci95": [rounded(pos["low"]), rounded(pos["high"])],
        "decided": pos["decided"],
        "ties": int(np.sum(ctx.labels == 0.5)),
    }
    if pos["decided"] < POSITION_MIN_DECIDED:
        return _part(stats=stats)
    figures = [_position_figure(ctx, pos)]
    if pos["prefer_a_count"] in (0, pos["decided"]):
        side = "a" if pos["prefer_a_count"] else "b"
        return _part([_not_testable(side, evidence)], stats, figures)
    dev = abs(pos["prefer_a"] - 0.5)
    significant = pos["low"] > 0.5 or pos["high"] < 0.5
    if not significant or dev < POSITION_NOTICE:
        return _part(stats=stats, figures=figures)
    finding = Finding(
        "hygiene.position_bias",
        NAME,
        "warning" if dev >= POSITION_WARN else "notice",
        _position_message(pos),
        {
            **evidence,
            "label_noise_share": rounded(2 * dev),
            "accuracy_ceiling": rounded(1 - dev),
            "notice_at": POSITION_NOTICE,
            "warn_at": POSITION_WARN,
        },
        "Nothing to change in a reward model r(a) - r(b): it cannot learn the order, and "
        "swapping a and b gives it the same data. Expect its accuracy on these labels to stay "
        "under the ceiling; randomise the order when collecting (if it was not), so the bias "
        "stays noise rather than tracking a source. Only a judge that sees both responses at "
        "once can learn it, and should be trained on both orders.",
    )
    return _part([finding], stats, figures)


def _position_message(pos: dict[str, Any]) -> str:
    """Position bias read as label noise: share following the order, and the ceiling it sets.

    If a and b are shown in random order and a share q of labels picks the first-shown response
    whatever the content, P(a preferred) = 1/2 + q/2, so q = 2 |P - 1/2|; no reward difference
    can be right on more than 1 - q/2 of the labels.
    """
    dev = abs(pos["prefer_a"] - 0.5)
    side = "a" if pos["prefer_a"] > 0.5 else "b"
    return (
        f"Response a is preferred in {pos['prefer_a']:.1%} of decided labels (95% CI "
        f"{pos['low']:.1%} to {pos['high']:.1%}). A reward difference r(a) - r(b) cannot learn "
        "the order, so this is label noise for it, not a bias: if a and b were shown in random "
        f"order, about {2 * dev:.0%} of labels follow the order (response {side}) rather than "
        f"content, and no reward model can be right on more than {1 - dev:.1%} of these labels. "
        "If a always comes from one source, it is that source's win rate instead."
    )


def _not_testable(side: str, evidence: dict[str, Any]) -> Finding:
    return Finding(
        "hygiene.position_not_testable",
        NAME,
        "info",
        f"Every decided label prefers response {side}. That is how chosen/rejected data is "
        "stored (loaders put the chosen response in a, with label 1), so the order here says "
        "nothing about the order annotators saw: position bias cannot be tested.",
        evidence,
        "To test position bias, keep the displayed order (which response was shown first).",
    )


def _position_figure(ctx: AuditContext, pos: dict[str, Any]) -> FigureSpec:
    rows = [
        {
            "label": f"all rows (n={pos['decided']})",
            "value": pos["prefer_a"],
            "low": pos["low"],
            "high": pos["high"],
        }
    ]
    values = ctx.context_values()
    if values is not None and len(set(values.tolist())) <= 30:
        for name in sorted(set(values.tolist())):
            p = position_bias(ctx.labels[values == name])
            rows.append(
                {
                    "label": f"{name} (n={p['decided']})",
                    "value": p["prefer_a"],
                    "low": p["low"],
                    "high": p["high"],
                }
            )
    return FigureSpec(
        "position_bias",
        "Share of decided labels preferring response a",
        "intervals",
        {"rows": rows, "reference": 0.5},
        xlabel="share preferring a",
        caption="Wilson 95% intervals, overall and per context; with a and b in random order "
        "they should cover the dashed line at 0.5.",
    )


def _overview_figure(n: int, stats: dict[str, Any]) -> FigureSpec:
    items = [
        ("exact duplicate rows", stats.get("exact_duplicate_rows")),
        ("reused pair_id", stats.get("duplicate_pair_ids")),
        ("rows in repeated pairs", stats.get("rows_in_repeated_pairs")),
        ("identical a and b", stats.get("identical_responses")),
        ("empty response (a)", stats.get("empty_responses_a")),
        ("empty response (b)", stats.get("empty_responses_b")),
    ]
    rows = [{"label": label, "value": value / n} for label, value in items if value is not None]
    return FigureSpec(
        "hygiene_overview",
        "Share of rows affected by each hygiene issue",
        "bars",
        {"rows": rows, "reference": None},
        xlabel="share of rows",
        caption="Repeated pairs are not a fault in themselves; their "
        "labels are compared in the findings.",
    )
