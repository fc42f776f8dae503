"""Fixtures for every test: the default embedding cache lives in a temporary folder."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_embedding_cache(tmp_path_factory):
    """Fits and scores on text use the default cache; keep it out of the user's home."""
    patch = pytest.MonkeyPatch()
    patch.setenv("CAUSALPREF_CACHE", str(tmp_path_factory.mktemp("embedding-cache")))
    yield
    patch.undo()
