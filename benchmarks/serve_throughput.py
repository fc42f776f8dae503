"""Requests/second and latency of `causalpref serve` against in-process scoring and against the
same server with micro-batching off, in one run, plus the server's memory under load.

A MiniLM reward model (bt, fitted here on 40 HH-RLHF pairs, or --model DIR) scores RL-style
samples: a chat-template prompt and a response of 5-40 words. Measured on the same texts:
`model.rewards` in-process (64 per call), the server (default options) with single-sample
OpenRLHF-style requests at concurrency 1, 8 and 64 and with 64-item requests, and the server
with `--max-batch 1` (one forward pass per request, as OpenRLHF's reference server works).
A fresh batched server then takes 20,000 single-sample requests at concurrency 64; its resident
memory after the first 1,000 and after all 20,000 is compared. Servers run in subprocesses on
127.0.0.1 and are stopped at the end. Targets: single-sample requests at concurrency 64 reach
half the in-process throughput and several (>= 3) times the unbatched server's; memory grows
by at most 100 MB.

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/serve_throughput.py [--memory-requests 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import httpx  # noqa: E402

from causalpref.data import read_preferences  # noqa: E402
from causalpref.methods import load_model, make_method  # noqa: E402

HH_FILE = (
    Path(__file__).resolve().parents[1].parent / "shared/data/hh_rlhf/harmless_base_test.jsonl.gz"
)
WORD_TEXT = (
    "the model should answer clearly and kindly while giving useful steps examples and reasons "
    "for each choice it makes so that a reader can follow along check the result and learn "
    "something new about sorting lists baking bread planning trips or writing polite emails"
)
WORDS = WORD_TEXT.split()
MIB = 2**20
TRIES = 5


def samples(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """n distinct (prompt, response) pairs: chat-template prompts, 5-40 word responses."""
    rng = np.random.default_rng(seed)
    prompts = [
        f"<|im_start|>user\nQuestion {i}: how would you {rng.choice(WORDS)} this?<|im_end|>\n"
        "<|im_start|>assistant\n"
        for i in range(n)
    ]
    responses = [
        " ".join(rng.choice(WORDS, size=rng.integers(5, 41))) + f" ({i})<|im_end|>"
        for i in range(n)
    ]
    return prompts, responses


def fit_model(folder: Path) -> Path:
    """A bt model on MiniLM, fitted on 40 HH-RLHF pairs (a small budget: speed is measured)."""
    data = read_preferences(HH_FILE).take(np.arange(40))
    model = make_method("bt", encoder="minilm", hidden_dim=64, epochs=2, lr=1e-3, seed=0)
    model.set_params(cache_dir=folder / "cache").fit(data).save(folder / "model")
    return folder / "model"


def in_process(model_dir: Path, prompts: list[str], responses: list[str], cache: Path) -> float:
    """Texts/second of `model.rewards` called with 64 texts at a time."""
    model = load_model(model_dir).set_params(cache_dir=cache)
    model.rewards(prompts=prompts[:8], responses=responses[:8])  # load the weights
    start = time.perf_counter()
    for i in range(0, len(prompts), 64):
        model.rewards(prompts=prompts[i : i + 64], responses=responses[i : i + 64])
    return len(prompts) / (time.perf_counter() - start)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(model_dir: Path, *options: str):
    """`causalpref serve` in a subprocess on 127.0.0.1; yields (url, pid); stopped on exit."""
    port = free_port()
    command = [sys.executable, "-m", "causalpref.cli", "serve", str(model_dir)]
    process = subprocess.Popen(
        [*command, "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /health within {timeout} s")


def single_bodies(prompts: list[str], responses: list[str]) -> list[dict]:
    """OpenRLHF requests: one query (prompt + response) with its prompt each."""
    return [
        {"query": [p + r], "prompts": [p], "labels": [None]}
        for p, r in zip(prompts, responses, strict=True)
    ]


def batch_bodies(prompts: list[str], responses: list[str], size: int = 64) -> list[dict]:
    """OpenRLHF requests of `size` samples each."""
    return [
        {
            "query": [
                p + r for p, r in zip(prompts[i : i + size], responses[i : i + size], strict=True)
            ],
            "prompts": prompts[i : i + size],
        }
        for i in range(0, len(prompts), size)
    ]


async def drive(url: str, bodies: list[dict], concurrency: int) -> dict:
    """Send `bodies` to /get_reward with `concurrency` in flight; rate and latency."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    retries = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def one(client: httpx.AsyncClient, body: dict) -> None:
        nonlocal retries
        async with gate:
            start = time.perf_counter()
            for attempt in range(TRIES):  # as OpenRLHF's client: 5 tries
                try:
                    answer = await client.post("/get_reward", json=body, timeout=180)
                    answer.raise_for_status()
                    break
                except httpx.HTTPError:
                    if attempt == TRIES - 1:
                        raise
                    retries += 1
            latencies.append(time.perf_counter() - start)

    async with httpx.AsyncClient(base_url=url, limits=limits) as client:
        await one(client, bodies[0])  # warm up: connection, first forward pass
        latencies.clear()
        start = time.perf_counter()
        await asyncio.gather(*(one(client, b) for b in bodies))
        seconds = time.perf_counter() - start
    items = sum(len(b["query"]) for b in bodies)
    return {
        "requests_s": len(bodies) / seconds,
        "items_s": items / seconds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * float(np.percentile(latencies, 99)),
        "retries": retries,
    }


def rss_mib(pid: int) -> float:
    """Resident memory of process `pid` in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def server_rows(model_dir: Path, prompts, responses, counts: dict, *options: str) -> list[dict]:
    """Rows for single-sample requests at each concurrency, and for 64-item requests."""
    rows = []
    with server(model_dir, *options) as (url, _):
        for concurrency, n in counts.items():
            bodies = single_bodies(prompts[:n], responses[:n])
            rows.append(
                {"mode": f"1 sample, concurrency {concurrency}", "requests": n,
                 **asyncio.run(drive(url, bodies, concurrency))}
            )  # fmt: skip
            print_row(rows[-1])
        bodies = batch_bodies(prompts, responses)
        rows.append(
            {"mode": "64-item requests, concurrency 1", "requests": len(bodies),
             **asyncio.run(drive(url, bodies, 1))}
        )  # fmt: skip
        print_row(rows[-1])
    return rows


def memory_run(model_dir: Path, total: int, step: int = 1000) -> list[tuple[int, float]]:
    """(requests so far, RSS in MiB) of a fresh batched server every `step` requests."""
    prompts, responses = samples(total, seed=1)
    bodies = single_bodies(prompts, responses)
    trace = []
    with server(model_dir) as (url, pid):
        for done in range(step, total + 1, step):
            rate = asyncio.run(drive(url, bodies[done - step : done], 64))
            trace.append((done, rss_mib(pid)))
            print(
                f"  {done:>6,} requests: RSS {trace[-1][1]:,.0f} MiB "
                f"({rate['requests_s']:,.1f} requests/s, {rate['retries']} retries)",
                flush=True,
            )
    return trace


def print_header(title: str) -> None:
    print(f"\n{title}\n")
    print("| mode | requests | requests/s | samples/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|", flush=True)


def print_row(r: dict) -> None:
    print(f"| {r['mode']} | {r['requests']:,} | {r['requests_s']:,.1f} | {r['items_s']:,.1f} | "
          f"{r['p50_ms']:,.1f} | {r['p99_ms']:,.1f} |", flush=True)  # fmt: skip


def memory_verdict(trace: list[tuple[int, float]]) -> None:
    """PASS if RSS grew by at most 100 MB from the first checkpoint to the last."""
    grown = (trace[-1][1] - trace[0][1]) * MIB / 1e6
    print(f"{verdict(grown <= 100)}: RSS grew {grown:+.1f} MB from {trace[0][0]:,} to "
          f"{trace[-1][0]:,} requests (target <= 100)")  # fmt: skip


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a saved minilm model (default: fit one)")
    parser.add_argument("--texts", type=int, default=1024, help="samples per measurement")
    parser.add_argument("--memory-requests", type=int, default=20_000)
    parser.add_argument("--memory-only", action="store_true", help="only the memory run")
    args = parser.parse_args(argv)
    if args.memory_only:
        with tempfile.TemporaryDirectory() as tmp:
            model_dir = args.model or fit_model(Path(tmp))
            memory_verdict(memory_run(model_dir, args.memory_requests))
        return
    import torch

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model or fit_model(Path(tmp))
        prompts, responses = samples(args.texts)
        print(f"model: {model_dir}; torch threads: {torch.get_num_threads()}; "
              f"{args.texts} samples of 5-40 words", flush=True)  # fmt: skip
        before = in_process(model_dir, prompts, responses, Path(tmp) / "cache-1")
        print(f"in-process model.rewards, 64 texts per call: {before:,.1f} texts/s", flush=True)
        counts = {1: args.texts // 8, 8: args.texts // 4, 64: args.texts}
        print_header("server, micro-batching on (default options)")
        batched = server_rows(model_dir, prompts, responses, counts)
        print_header("server, --max-batch 1 (one forward pass per request)")
        unbatched = server_rows(model_dir, prompts, responses, counts, "--max-batch", "1")
        after = in_process(model_dir, prompts, responses, Path(tmp) / "cache-2")
        print(f"\nin-process again, after the servers: {after:,.1f} texts/s", flush=True)
        print("\nmemory of a fresh batched server, single-sample requests at concurrency 64:")
        trace = memory_run(model_dir, args.memory_requests, min(1000, args.memory_requests // 2))
    reference, c64, u64 = max(before, after), batched[2]["requests_s"], unbatched[2]["requests_s"]
    print(f"\n{verdict(c64 >= reference / 2)}: concurrency 64 = {c64 / reference:.2f}x the "
          "faster in-process run (target >= 0.5)")  # fmt: skip
    print(f"{verdict(c64 >= 3 * u64)}: concurrency 64 = {c64 / u64:.2f}x the unbatched server "
          "(target >= 3)")  # fmt: skip
    memory_verdict(trace)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
