"""The real-text robustness claim, on the shipped length-selection spec with hashing embeddings.

`hh-length-selection` (docs/benchmarks.md) runs on MiniLM, which takes about half an hour; the
same spec with the hashing encoder, `bt` and `group_dro` (its step-size grid chosen on
validation, as shipped) runs in a few minutes. The claim of the issue that asked for the
benchmark: at a 90% share of shorter-preferred training pairs, a robust method beats `bt` on the
longer-preferred test pairs by more than 3 s.e. over 5 seeds while losing at most 2 points on the
natural mix; at 50% (no selection) it does not (the negative control). Measured when written
(2026-12-01): share 0.9 +14.9 +- 0.4 points reversed, -1.4 +- 0.2 natural; share 0.5
+1.5 +- 1.5 reversed. (On MiniLM the 0.9 claim holds too, +9.3 +- 0.6 and +0.6 +- 0.9, but at 0.5
the gain is +7.5 +- 2.9: MiniLM sees a tie between brevity and what HH labellers prefer.)
"""

import pytest

from causalpref.evaluate import load_spec, mean_se, run_spec
from tests.shared_data import HH_HARMLESS, require

SE_MULTIPLE = 3.0  # the bar for "beats bt"
MAX_NATURAL_COST = 0.02  # "losing at most 2 points on the natural mix"


@pytest.fixture(scope="module")
def result():
    path = require(HH_HARMLESS)
    spec = load_spec(
        "hh-length-selection",
        {
            "study.length.data": str(path),
            "study.length.encoder": "hashing",
            "study.length.grid.share": [0.5, 0.9],
            "study.length.padding_probe": False,
            "study.length.methods": {
                "bt": {},
                "group_dro": {"env": "preferred_length", "grid": {"step_size": [0.01, 0.1, 1.0]}},
            },
        },
    )
    (result,) = run_spec(spec, jobs=1)
    return result


@pytest.mark.slow
def test_group_dro_beats_bt_on_reversed_pairs_under_selection_at_little_natural_cost(result):
    gain, se = mean_se(result.paired_gains("group_dro", share=0.9))
    cost, cost_se = mean_se(result.paired_gains("group_dro", "natural_accuracy", share=0.9))
    assert gain > SE_MULTIPLE * se and gain > 0, f"reversed gain {gain:+.3f} +- {se:.3f}"
    assert cost > -MAX_NATURAL_COST, f"natural {cost:+.3f} +- {cost_se:.3f}"


@pytest.mark.slow
def test_negative_control_without_selection_group_dro_does_not_beat_bt(result):
    gain, se = mean_se(result.paired_gains("group_dro", share=0.5))
    assert gain < SE_MULTIPLE * se, f"reversed gain {gain:+.3f} +- {se:.3f} at share 0.5"
