"""A client that sends requests as OpenRLHF's remote reward model does: one sample per request
from many coroutines at once, retrying failed requests (5 tries, a pause between them)."""

import asyncio

import httpx

TRIES = 5


async def get_rewards(
    client: httpx.AsyncClient, queries: list[str], prompts: list[str], concurrency: int = 64
) -> tuple[list[float], int]:
    """The reward of every query (one request each, `concurrency` in flight) and the number
    of retries it took."""
    gate = asyncio.Semaphore(concurrency)
    retries = 0

    async def one(query: str, prompt: str) -> float:
        nonlocal retries
        body = {"query": [query], "prompts": [prompt], "labels": [None]}
        async with gate:
            for attempt in range(TRIES):
                try:
                    answer = await client.post("/get_reward", json=body, timeout=180)
                    answer.raise_for_status()
                    return answer.json()["rewards"][0]
                except httpx.HTTPError:
                    if attempt == TRIES - 1:
                        raise
                    retries += 1
                    await asyncio.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    rewards = await asyncio.gather(*(one(q, p) for q, p in zip(queries, prompts, strict=True)))
    return list(rewards), retries


def samples(n: int) -> tuple[list[str], list[str], list[str]]:
    """n (query, prompt, response) triples in a chat-template shape, all distinct."""
    prompts = [f"<|im_start|>user\nQuestion {i % 7}: how do I sort a list?<|im_end|>\n"
               "<|im_start|>assistant\n" for i in range(n)]  # fmt: skip
    responses = [f"Use sorted() ({i}) — ça marche 🙂<|im_end|>" for i in range(n)]
    queries = [p + r for p, r in zip(prompts, responses, strict=True)]
    return queries, prompts, responses
