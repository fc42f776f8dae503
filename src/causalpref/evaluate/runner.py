"""Run independent experiment tasks, in worker processes when asked, with a progress bar (tqdm,
on stderr) and a line per finished task."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from causalpref.progress import progress_bar

PARENT_CHECK_SECONDS = 1.0  # how soon a worker notices that its parent has died


def run_tasks(
    fn: Callable[..., list[dict]],
    tasks: Sequence[Any],
    *,
    jobs: int = 1,
    describe: Callable[[Any, list[dict]], str] = lambda task, rows: str(task),
    progress: Callable[[str], None] | None = None,
    extra_args: tuple = (),
) -> list[dict]:
    """`fn(task, *extra_args)` for every task; result rows come back in task order.

    With jobs > 1, tasks run in `jobs` spawned processes with one BLAS thread each, so the
    processes share the cores instead of fighting over them.
    """
    bar = progress_bar(total=len(tasks), desc="study", unit="task", enabled=progress is None)
    say = progress or (lambda msg: bar.write(msg, file=sys.stderr))
    results: dict[int, list[dict]] = {}
    start = time.perf_counter()

    def report(i: int) -> None:
        line = describe(tasks[i], results[i])
        say(f"[{len(results):3d}/{len(tasks)}] {line}  ({time.perf_counter() - start:.0f}s)")
        bar.update()

    if jobs <= 1:
        for i, task in enumerate(tasks):
            results[i] = fn(task, *extra_args)
            report(i)
    else:
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(
            jobs, mp_context=ctx, initializer=_start_worker, initargs=(os.getpid(),)
        ) as pool:
            futures = {pool.submit(fn, t, *extra_args): i for i, t in enumerate(tasks)}
            for fut in cf.as_completed(futures):
                results[futures[fut]] = fut.result()
                report(futures[fut])
    bar.close()
    return [row for i in range(len(tasks)) for row in results[i]]


def _start_worker(parent: int) -> None:
    """One BLAS thread, and an exit as soon as the parent is gone (killed, say): a worker would
    otherwise keep computing its task for nobody."""
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int, every: float = PARENT_CHECK_SECONDS) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)
