"""Real data fixtures in ../shared/data beside the repository (never copied into it)."""

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HH_HARMLESS = SHARED_DATA / "hh_rlhf" / "harmless_base_test.jsonl.gz"
RELABELED_HH = SHARED_DATA / "relabeled_hh_rlhf" / "test.jsonl.gz"


def require(path: Path) -> Path:
    """`path`, or skip the test with the reason when the shared data is absent (a fresh clone)."""
    if not path.is_file():
        pytest.skip(f"real data {path} is absent (it lives in ../shared/data beside the repo)")
    return path
