"""Use jemalloc for Arrow's buffers while zeekcert loads, where pyarrow has it.

Loading allocates and frees hundreds of MiB of short-lived buffers. With pyarrow's
default mimalloc pool, the kernel spent up to a second more zeroing fresh pages on a
1,000,000-row ssl.log than with jemalloc, which reuses them (benchmarks/bench_load.py).
The switch is scoped: the previous default pool is restored afterwards, and a user who
chose a pool with ARROW_DEFAULT_MEMORY_POOL keeps it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

_LOCK = threading.Lock()
_DEPTH = 0
_SAVED: list[pa.MemoryPool] = []


def _jemalloc() -> pa.MemoryPool | None:
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return None
    try:
        return pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowNotImplementedError):
        return None


@contextmanager
def loading_pool() -> Iterator[None]:
    """Make jemalloc Arrow's default pool for the duration; nested and threaded uses share it."""
    global _DEPTH
    pool = _jemalloc()
    if pool is None:
        yield
        return
    with _LOCK:
        if _DEPTH == 0:
            _SAVED.append(pa.default_memory_pool())
            pa.set_memory_pool(pool)
        _DEPTH += 1
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH -= 1
            if _DEPTH == 0:
                pa.set_memory_pool(_SAVED.pop())
