"""Arrow plumbing: tables to pandas with the dtypes analysts expect, unions, the load's pool,
and the rows of a time window (``clip_rows``).

While zeekcert loads, Arrow allocates from jemalloc where pyarrow has it. Loading
allocates and frees hundreds of MiB of short-lived buffers; with pyarrow's default
mimalloc pool the kernel spent up to a second more zeroing fresh pages on a
1,000,000-row ssl.log than with jemalloc, which reuses them (benchmarks/bench_load.py).
The switch is scoped: the previous default pool is restored afterwards, and a user who
chose a pool with ARROW_DEFAULT_MEMORY_POOL keeps it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_NULLABLE: dict[pa.DataType, object] = {
    pa.uint64(): pd.UInt64Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.float64(): pd.Float64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.string(): pd.StringDtype("pyarrow"),
    pa.large_string(): pd.StringDtype("pyarrow"),
}


def _dtype_for(arrow: pa.DataType) -> object | None:
    """Nullable pandas dtypes; Arrow lists for containers; None keeps pandas' default."""
    if pa.types.is_list(arrow) or pa.types.is_large_list(arrow) or pa.types.is_null(arrow):
        return pd.ArrowDtype(arrow)
    return _NULLABLE.get(arrow)


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """Convert to pandas: times are datetime64[us, UTC], addresses and enums categorical.

    The table must not be used afterwards: its buffers are released column by column as
    they are converted, which keeps the peak memory of a large load near the frame's size.
    """
    frame: pd.DataFrame = table.to_pandas(types_mapper=_dtype_for,
                                          coerce_temporal_nanoseconds=False,
                                          self_destruct=True, split_blocks=True)
    return frame


class PendingTables:
    """Tables held until they hold ``limit`` rows, to be classified in one call: a tree of
    small files goes in batches, and a big file is cut into them. Rows are counted as the
    tables come, never summed again."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.tables: list[pa.Table] = []
        self.rows = 0

    def add(self, tables: list[pa.Table]) -> bool:
        """Hold ``tables``; True once the batch is full."""
        self.tables += tables
        self.rows += sum(t.num_rows for t in tables)
        return self.rows >= self.limit

    def take(self) -> list[pa.Table]:
        """The tables held, which are then no longer held."""
        taken, self.tables, self.rows = self.tables, [], 0
        return taken


def concat_tables(tables: list[pa.Table]) -> pa.Table:
    """Union tables by column name; a column missing from one table is null there."""
    tables = [t for t in tables if t.num_columns]
    if not tables:
        return pa.table({})
    if len(tables) == 1:
        return tables[0]
    tables = _harmonise(tables)
    return pa.concat_tables(tables, promote_options="permissive")


def _harmonise(tables: list[pa.Table]) -> list[pa.Table]:
    """Where files (or header blocks) disagree on a column's type, fall back to text.

    A column that is dictionary-encoded in one table and plain text in another (``enum``
    in one header, ``string`` in the next) is text too: Arrow cannot merge the two.
    """
    seen: dict[str, pa.DataType] = {}
    encoded: dict[str, set[bool]] = {}
    clash: set[str] = set()
    for table in tables:
        for f in table.schema:
            kind = f.type.value_type if pa.types.is_dictionary(f.type) else f.type
            if pa.types.is_null(kind):
                continue
            encoded.setdefault(f.name, set()).add(pa.types.is_dictionary(f.type))
            if seen.setdefault(f.name, kind) != kind or len(encoded[f.name]) > 1:
                clash.add(f.name)
    return [_as_text(t, clash) for t in tables] if clash else tables


def _as_text(table: pa.Table, names: set[str]) -> pa.Table:
    for i, f in enumerate(table.schema):
        if f.name in names and not pa.types.is_string(f.type):
            table = table.set_column(i, f.name, pc.cast(table.column(i), pa.string()))
    return table

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


def clip_rows(table: pa.Table, start: pd.Timestamp | None, end: pd.Timestamp | None,
              ) -> pa.Table:
    """The rows with ``start <= ts < end`` (either bound may be open); a table without
    ``ts`` is kept whole."""
    if (start is None and end is None) or "ts" not in table.column_names:
        return table
    ts = table.column("ts")
    keep = pa.scalar(True)
    if start is not None:
        keep = pc.and_(keep, pc.greater_equal(ts, pa.scalar(start.to_pydatetime(), ts.type)))
    if end is not None:
        keep = pc.and_(keep, pc.less(ts, pa.scalar(end.to_pydatetime(), ts.type)))
    return table.filter(pc.fill_null(keep, False))
