"""`causalpref serve` as a real uvicorn server on 127.0.0.1: an OpenRLHF-like client (one sample
per request, 64 concurrent, retries) gets every reward; /info and /metrics describe the model
and the traffic; the server stops on SIGINT."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from causalpref.methods import load_model
from tests.serve.openrlhf_client import get_rewards, samples

TOKEN = "live-test-token"
STARTUP_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def causalpref_serve(model_dir, tmp_path, *extra: str):
    """A `causalpref serve` subprocess on a free loopback port; yields its base URL."""
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-m", "causalpref.cli", "serve", str(model_dir),
               "--port", str(port), "--token-file", str(token_file), *extra]  # fmt: skip
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, process, tmp_path / "server.log")
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def wait_until_healthy(url: str, process, log_path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited early:\n{log_path.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"the server did not answer /health within {STARTUP_S} s:\n{log_path.read_text()}")


def test_openrlhf_like_client_gets_every_reward_from_a_real_server(hashing_dir, tmp_path):
    queries, prompts, responses = samples(192)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    limits = httpx.Limits(max_connections=64)

    async def go(url):
        async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:
            rewards, _ = await get_rewards(client, queries, prompts, concurrency=64)
            refused = (await client.post("/get_reward", json={"query": "x"})).status_code
            info = (await client.get("/info")).json()
            metrics = (await client.get("/metrics")).text
        return rewards, refused, info, metrics

    with causalpref_serve(hashing_dir, tmp_path, "--normalize") as (url, process):
        assert httpx.get(f"{url}/info").status_code == 401  # no token
        rewards, refused, info, metrics = asyncio.run(go(url))
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0  # a clean shutdown on Ctrl-C

    model = load_model(hashing_dir)
    mean, sd = model.reward_normalization()
    raw = model.rewards(prompts=prompts, responses=responses)
    # compared in reward units: the tiny test model's sd (~1e-3) magnifies float32 noise
    np.testing.assert_allclose(np.asarray(rewards) * sd + mean, raw, rtol=0, atol=1e-6)
    assert np.corrcoef(rewards, raw)[0, 1] > 0.999 and not np.allclose(rewards, raw)
    assert refused == 422
    assert info["method"] == "bt" and info["encoder"] == "hashing"
    assert info["fingerprint"] == model.encoder_["fingerprint"]
    assert info["normalize"] is True
    assert (info["reward_mean"], info["reward_sd"]) == (mean, sd)
    assert 'causalpref_requests_total{route="get_reward",status="200"} 192.0' in metrics
    assert 'causalpref_request_errors_total{route="get_reward",status="422"} 1.0' in metrics
    assert 'causalpref_request_latency_seconds_count{route="get_reward"} 193.0' in metrics
    assert "causalpref_batch_size_sum 192.0" in metrics


def test_serve_refuses_a_missing_model_folder(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "causalpref.cli", "serve", str(tmp_path / "nope")],
        capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "not a saved causalpref model" in result.stderr
    assert "Traceback" not in result.stderr
