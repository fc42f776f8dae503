"""Micro-batching: concurrent single-sample requests share forward passes and each gets its own
reward; a full queue answers 503, which a retrying client rides out."""

import asyncio
import time

import numpy as np

from causalpref.methods import load_model
from causalpref.serve import ServeOptions, create_app
from tests.serve.conftest import run, served
from tests.serve.openrlhf_client import get_rewards, samples


def batch_counts(metrics_text: str) -> tuple[float, float]:
    """(number of forward passes, responses scored) from the batch-size histogram."""
    values = {
        line.split()[0]: float(line.split()[-1])
        for line in metrics_text.splitlines()
        if line.startswith("causalpref_batch_size_")
    }
    return values["causalpref_batch_size_count"], values["causalpref_batch_size_sum"]


def test_64_concurrent_single_sample_requests_are_batched_and_each_gets_its_reward(hashing_dir):
    model = load_model(hashing_dir)
    queries, prompts, responses = samples(256)
    app = create_app(model, ServeOptions(max_batch=64, max_wait_ms=20))

    async def go():
        async with served(app) as client:
            rewards, retries = await get_rewards(client, queries, prompts, concurrency=64)
            return rewards, retries, (await client.get("/metrics")).text

    rewards, retries, metrics = run(go())
    expected = model.rewards(prompts=prompts, responses=responses)
    np.testing.assert_allclose(rewards, expected, rtol=0, atol=1e-6)
    assert retries == 0
    passes, scored = batch_counts(metrics)
    assert scored == 256
    assert passes < 256 / 4  # micro-batching on: far fewer passes than requests


def test_max_batch_1_runs_one_forward_pass_per_request(hashing_model):
    queries, prompts, _ = samples(32)
    app = create_app(hashing_model, ServeOptions(max_batch=1))

    async def go():
        async with served(app) as client:
            await get_rewards(client, queries, prompts, concurrency=16)
            return (await client.get("/metrics")).text

    assert batch_counts(run(go())) == (32, 32)


def test_a_full_queue_answers_503_and_a_retrying_client_still_gets_every_reward(hashing_dir):
    model = load_model(hashing_dir)
    rewards = model.rewards

    def slow(**kwargs):
        time.sleep(0.01)  # a slow forward pass, so that requests pile up
        return rewards(**kwargs)

    model.rewards = slow
    app = create_app(model, ServeOptions(max_batch=1, max_queue=2))
    queries, prompts, responses = samples(24)

    async def go():
        async with served(app) as client:
            burst = await asyncio.gather(
                *(client.post("/get_reward", json={"query": [q]}) for q in queries)
            )
            got, retries = await get_rewards(client, queries, prompts, concurrency=6)
            return burst, got, retries

    burst, got, retries = run(go())
    busy = [a for a in burst if a.status_code == 503]
    assert busy and all(a.headers["retry-after"] == "1" for a in busy)
    assert {a.status_code for a in burst} == {200, 503}
    assert retries > 0
    expected = rewards(prompts=prompts, responses=responses)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
