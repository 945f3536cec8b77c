"""Classified connections written as Parquet for Spark, DuckDB and pandas: parts, by day.

``ConnectionExport`` writes each batch it is given as new files, one per UTC day of the
connections' ``ts``, under ``connections/day=YYYY-MM-DD/`` (Hive partitioning;
connections with no time go under ``day=unknown``). Each file is named by the part that
wrote it, so the workers of an executor write side by side and never share a file;
nothing is appended to or replaced. Rows of a file that turns out to be a copy are
staged, then discarded, so each connection is exported once, as the report counts it.
Every file has one schema: times are UTC microseconds, lists stay lists, and categories
become plain text (Parquet encodes repeated values by dictionary itself). File names are
made only of the day and a part number, never of anything a log holds.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CONNECTIONS = "connections"
STAGED = ".staged"
NO_DAY = "unknown"


class ConnectionExport:
    """Where classified connections go: ``folder``/connections/day=…/``name``-N.parquet.

    A ``staged`` writer (a file that may yet turn out to be a copy, a task whose files
    may be read again) keeps its files under ``folder``/.staged/``name`` until
    ``commit`` moves them into place, or ``discard`` removes them.
    """

    def __init__(self, folder: Path, name: str = "part", staged: bool = False):
        self.folder, self.name, self.is_staged = Path(folder), name, staged
        self.parts = 0

    def staged(self, name: str) -> ConnectionExport:
        """A writer of its own whose files wait until ``commit``."""
        return ConnectionExport(self.folder, name, staged=True)

    def write(self, classified: pd.DataFrame) -> None:
        """Write one batch as this writer's next part: a file per day it holds."""
        if not len(classified):
            return
        table = plain(pa.Table.from_pandas(classified, preserve_index=False))
        days = _days(table)
        for day in sorted(set(days.to_pylist())):
            folder = self._root() / f"day={day}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(table.filter(pc.equal(days, day)),
                           folder / f"{self.name}-{self.parts:06d}.parquet")
        self.parts += 1

    def commit(self) -> None:
        """Move a staged writer's files into place."""
        root = self._root()
        if not self.is_staged or not root.exists():
            return
        for path in sorted(root.glob("day=*/*.parquet")):
            target = self.folder / CONNECTIONS / path.parent.name
            target.mkdir(parents=True, exist_ok=True)
            path.replace(target / path.name)
        self.discard()

    def discard(self) -> None:
        """Remove a staged writer's files: what it wrote does not count."""
        if self.is_staged:
            shutil.rmtree(self._root(), ignore_errors=True)
            with contextlib.suppress(OSError):  # the last staged writer leaves no folder
                (self.folder / STAGED).rmdir()

    def _root(self) -> Path:
        if self.is_staged:
            return self.folder / STAGED / self.name
        return self.folder / CONNECTIONS


def plain(table: pa.Table) -> pa.Table:
    """``table`` with dictionaries as their values' type, large text as text, and no
    pandas metadata, so parts written from different batches have one schema."""
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_large_string(kind):
            kind = pa.string()
        fields.append(pa.field(field.name, kind))
    return table.cast(pa.schema(fields))


def _days(table: pa.Table) -> pa.Array:
    """Each row's UTC day as ``YYYY-MM-DD``, ``unknown`` where it has no time."""
    if "ts" not in table.column_names:
        return pa.array([NO_DAY] * table.num_rows)
    ts = table.column("ts").combine_chunks()
    if not pa.types.is_timestamp(ts.type):
        return pa.array([NO_DAY] * table.num_rows)
    text = pc.strftime(ts.cast(pa.timestamp("us", tz="UTC")), format="%Y-%m-%d")
    return pc.fill_null(text, NO_DAY)
