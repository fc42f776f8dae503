"""Fixtures for every methods test: the embedding cache lives in a temporary folder."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_embedding_cache(tmp_path_factory):
    """Fits on text use the default cache; keep it out of the user's home during tests."""
    patch = pytest.MonkeyPatch()
    patch.setenv("CAUSALPREF_CACHE", str(tmp_path_factory.mktemp("embedding-cache")))
    yield
    patch.undo()
