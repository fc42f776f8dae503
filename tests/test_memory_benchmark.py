"""benchmarks/memory.py runs end to end at a tiny size, so it does not rot between releases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "memory.py"


def test_memory_benchmark_prints_every_step_and_the_bound(tmp_path):
    data = tmp_path / "pairs.parquet"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--rows", "300", "--dim", "8", "--data", str(data)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    # At this size fixed costs (imports, thread pools) dwarf the data, so the bound may fail.
    assert done.returncode in (0, 1), done.stderr
    out = done.stdout
    assert "300 pairs" in out
    for step in ("raw read", "read_preferences", "fit --method bt"):
        assert step in out
    assert "bound: fit peak <= 2 x data size" in out and ("PASS" in out or "FAIL" in out)
    assert data.exists()
