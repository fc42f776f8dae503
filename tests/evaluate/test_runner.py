"""The task runner: worker processes do not outlive a killed parent."""

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from causalpref.evaluate.runner import run_tasks

    def task(i):
        Path(sys.argv[1], f"worker-{i}").write_text(str(os.getpid()))
        time.sleep(120)
        return []

    if __name__ == "__main__":
        run_tasks(task, [0, 1], jobs=2, progress=lambda msg: None)
    """
)


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie, waiting to be reaped, does not count)."""
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_workers_exit_soon_after_their_parent_is_killed(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path)])
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("worker-*"))) < 2:
            assert time.monotonic() < deadline and parent.poll() is None, "workers never started"
            time.sleep(0.2)
        time.sleep(0.2)  # both pids written in full
        workers = [int(p.read_text()) for p in tmp_path.glob("worker-*")]
        assert all(_running(pid) for pid in workers)  # alive while the parent is
        os.kill(parent.pid, signal.SIGTERM)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 15
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_running(pid) for pid in workers), "workers outlived their parent"
    finally:
        parent.kill()
        for p in tmp_path.glob("worker-*"):
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(p.read_text()), signal.SIGKILL)
