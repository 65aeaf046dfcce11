import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def barlua():
    """The barlua binary under test: BARLUA_BIN, else the checkout's debug build."""
    path = os.environ.get("BARLUA_BIN") or str(REPO / ".build/debug/barlua")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no barlua at {path}: run swift build (or set BARLUA_BIN)")
    return path


@pytest.fixture
def repo():
    return REPO
