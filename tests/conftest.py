"""Shared fixtures: paths to the bundled real logs, and a tiny log tree."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def data_dir() -> Path:
    """The folder of test data that ships with the repository."""
    return DATA


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A tiny tree: one self-signed server polled six times (see ``tinylogs``)."""
    from tinylogs import write_tree
    return write_tree(tmp_path / "logs")
