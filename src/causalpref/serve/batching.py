"""Micro-batching: concurrent requests gathered into one forward pass.

OpenRLHF sends one sample per request from many coroutines; a forward pass per request would
waste most of the encoder's throughput. Requests wait in a bounded queue (full: 503, which
clients retry); the batcher takes whole requests until it holds `max_batch` responses or
`max_wait` has passed since the first, and runs the pass in its own thread, so the event loop
keeps accepting and parsing requests meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from causalpref.serve.protocol import RequestError, ScoreItems

Scorer = Callable[[ScoreItems], np.ndarray]


@dataclass(frozen=True)
class _Job:
    """One request's items and the future its handler awaits."""

    items: ScoreItems
    future: asyncio.Future


class MicroBatcher:
    """Bounded queue, bounded batch, bounded wait; one forward pass at a time, off the loop."""

    def __init__(
        self,
        score: Scorer,
        *,
        max_batch: int,
        max_wait_s: float,
        max_queue: int,
        on_batch: Callable[[int], None] | None = None,
    ):
        self._score = score
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._max_queue = max_queue
        self._on_batch = on_batch
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._busy = True  # whether the last pass held several requests

    async def start(self) -> None:
        """Start the batching loop on the running event loop."""
        self._queue = asyncio.Queue(self._max_queue)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="causalpref-score")
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop the loop; requests still waiting are answered 503."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while self._queue is not None and not self._queue.empty():
            _fail(self._queue.get_nowait(), _unavailable("the server is shutting down"))
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    async def submit(self, items: ScoreItems) -> np.ndarray:
        """The rewards of `items`, scored in some forward pass with other requests' items."""
        if not len(items):
            return np.zeros(0)
        if self._queue is None:
            raise _unavailable("the server is not started")
        future = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait(_Job(items, future))
        except asyncio.QueueFull:
            raise _unavailable(
                f"the server is busy ({self._max_queue} requests wait): retry shortly"
            ) from None
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = [job for job in await self._collect() if not job.future.done()]
            self._busy = len(jobs) > 1
            if not jobs:
                continue
            results = await loop.run_in_executor(self._executor, self._score_jobs, jobs)
            for job, result in zip(jobs, results, strict=True):
                if isinstance(result, BaseException):
                    _fail(job, result)
                elif not job.future.done():
                    job.future.set_result(result)

    async def _collect(self) -> list[_Job]:
        """Whole requests until the batch holds max_batch responses or the wait is over.

        The wait applies only when the previous pass held several requests: a lone client
        (nothing else in flight) is not delayed waiting for company that never comes.
        """
        loop = asyncio.get_running_loop()
        first = await self._queue.get()
        jobs, size = [first], len(first.items)
        deadline = loop.time() + (self._max_wait_s if self._busy else 0.0)
        while size < self._max_batch:
            job = await self._next_before(deadline - loop.time())
            if job is None:
                break
            jobs.append(job)
            size += len(job.items)
        return jobs

    async def _next_before(self, remaining: float) -> _Job | None:
        """A waiting request at once, or the next to arrive within `remaining` seconds."""
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            if remaining <= 0:
                return None
        try:
            return await asyncio.wait_for(self._queue.get(), remaining)
        except TimeoutError:
            return None

    def _score_jobs(self, jobs: list[_Job]) -> list[np.ndarray | BaseException]:
        """Rewards per job from one pass; if that fails, each job alone, so that one bad
        request does not fail the others."""
        sizes = [len(job.items) for job in jobs]
        try:
            rewards = self._score(merged([job.items for job in jobs]))
        except Exception as err:  # noqa: BLE001 - handed to the requests that caused it
            if len(jobs) == 1:
                return [err]
            return [self._score_alone(job) for job in jobs]
        if self._on_batch is not None:
            self._on_batch(sum(sizes))
        return np.split(rewards, np.cumsum(sizes)[:-1])

    def _score_alone(self, job: _Job) -> np.ndarray | BaseException:
        try:
            rewards = self._score(job.items)
        except Exception as err:  # noqa: BLE001 - handed to the request that caused it
            return err
        if self._on_batch is not None:
            self._on_batch(len(job.items))
        return rewards


def merged(parts: list[ScoreItems]) -> ScoreItems:
    """Several requests' items as one, in order."""
    if len(parts) == 1:
        return parts[0]
    with_users = any(p.user_ids is not None for p in parts)
    return ScoreItems(
        prompts=[x for p in parts for x in p.prompts],
        responses=[x for p in parts for x in p.responses],
        contexts=None if parts[0].contexts is None else [x for p in parts for x in p.contexts],
        user_ids=[x for p in parts for x in (p.user_ids or [None] * len(p))]
        if with_users
        else None,
    )


def _fail(job: _Job, error: BaseException) -> None:
    if not job.future.done():
        job.future.set_exception(error)


def _unavailable(message: str) -> RequestError:
    return RequestError(503, [(None, message)])
