"""The jemalloc pool is used while loading and the caller's pool is restored afterwards."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import zeekcert
from zeekcert.reading.arrow import loading_pool


def test_pool_is_scoped_and_nested() -> None:
    before = pa.default_memory_pool().backend_name
    with loading_pool():
        assert pa.default_memory_pool().backend_name == "jemalloc"
        with loading_pool():
            assert pa.default_memory_pool().backend_name == "jemalloc"
        assert pa.default_memory_pool().backend_name == "jemalloc"
    assert pa.default_memory_pool().backend_name == before


def test_user_choice_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    before = pa.default_memory_pool().backend_name
    with loading_pool():
        assert pa.default_memory_pool().backend_name == before


def test_restored_after_a_failed_load(tmp_path: Path) -> None:
    before = pa.default_memory_pool().backend_name
    with pytest.raises(zeekcert.ZeekLogError):
        zeekcert.read_log(tmp_path / "missing.log", strict=True)
    assert pa.default_memory_pool().backend_name == before
