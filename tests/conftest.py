"""Shared fixtures: the tiny data directory and the real one (for `@pytest.mark.data` tests)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def tiny_data_dir() -> Path:
    """A 4-document CoNLL + AIDA data directory with the real file layout."""
    return FIXTURES / "data"


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The full data directory; tests using it are marked `data` and skip when it is absent."""
    path = Path(os.environ.get("JOINTEL_DATA", Path(__file__).parents[1].parent / "shared" / "data"))
    if not (path / "conll2003" / "eng.testb").is_file():
        pytest.skip(f"full data not found at {path}")
    return path
