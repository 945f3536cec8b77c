"""What one file gives the nightly job: its new rows, held until it is known not a copy.

``Reader`` turns a file's blocks (past the rows earlier runs took in) into a ``Taken``:
certificates made distinct, notice evidence, or ssl rows, of which a file bigger than a
batch is classified as it is read, into records of its own. The job does this in its own
process, or on an executor's workers (``mapped``); either way it then decides, in file
order, what to commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..classification import CertificateParts, Known, cert_table, classify, notice_evidence
from ..errors import ZeekLogError
from ..parquet_export import ConnectionExport
from ..reading import (
    FileReport,
    FileStatus,
    PendingTables,
    Sensors,
    concat_tables,
    content_id,
    kind_from_name,
    to_pandas,
)
from .accumulate import Accumulator
from .batch import C2Marks

KINDS = ("x509", "notice", "ssl")
BATCH_ROWS = 100_000  # small ssl files are classified together up to this many rows


def by_kind(paths: list[Path]) -> list[Path]:
    """x509 and notices first, then ssl: a connection needs its certificate. The sort is
    stable, so each kind stays in time order."""
    rank = {k: i for i, k in enumerate(KINDS)}
    return sorted(paths, key=lambda p: rank.get(kind_from_name(p) or "", len(KINDS)))


def replaced(report: FileReport, before: str | None, path: Path) -> bool:
    """Whether the file at ``path``, just opened, is no longer the one identified as
    ``before``: a live log rotated and written anew between the look and the open. Its
    rows must count under neither identity, so it is left, cut short, for the next pass."""
    if before is None:
        return False
    try:
        if content_id(path) == before:
            return False
    except ZeekLogError:  # gone since: as replaced
        pass
    report.status = FileStatus.UNREADABLE
    report.message = "replaced while it was opened: read on the next pass"
    return True


def classified(tables: list[pa.Table], now: datetime, known: Known,
               export: ConnectionExport | None = None, c2: C2Marks | None = None
               ) -> pd.DataFrame:
    """ssl rows classified against prepared certificates and notices, and written to
    ``export`` if given. With ``c2``, the connections whose failing leaf a C2 entry
    matches are marked (``C2_MATCH``), to be kept whatever the run's cause."""
    frame = classify({"ssl": to_pandas(concat_tables(tables))}, now=now, known=known)
    if export is not None:
        export.write(frame)
    if c2 is not None:
        frame = c2.marked(frame)
    return frame


@dataclass
class Reader:
    """Reads a file's blocks into what it gave (``Taken``): here, or on a worker."""

    cause: str
    classified: Callable[[list[pa.Table]], pd.DataFrame]
    sensors: Sensors | None = None
    held: Callable[[pa.Table], int | None] | None = None  # the first ssl row to wait with

    def blocks(self, tables: Iterator[pa.Table], kind: str | None, done: int,
               path: Path | None = None, start: int = 0) -> Taken:
        """Take in a file's blocks past its first ``done`` rows, noting its ends; ssl rows
        of ``path`` pass through the run's ``sensors``. From the first ssl row ``held``
        names, nothing more is taken: the file counts as read up to it, and the next run
        reads on from there. ``start``: the rows before the first block (a resumed read)."""
        taken = Taken(kind, rows=start, resumed=start > 0)
        if self.sensors is not None and path is not None:
            taken.sensor = self.sensors.name_of(path)
        for table in tables:  # read to the end even when held, so the file is reported
            if taken.held:
                continue
            if table.num_rows:
                first = taken.ends[0] if taken.ends else table.slice(0, 1)
                taken.ends = [first, table.slice(table.num_rows - 1)]
            skip = max(0, done - taken.rows)
            if skip < table.num_rows:
                part = table.slice(skip)
                cut = self.held(part) if self.held is not None and kind == "ssl" else None
                if cut is not None:
                    part, taken.held = part.slice(0, cut), True
                    taken.rows += skip + cut - table.num_rows
                self._take(taken, part)
            taken.rows += table.num_rows
        return taken

    def _take(self, taken: Taken, table: pa.Table) -> None:
        """Hold a block of a file until the file is known not to be a copy; a big ssl
        file is classified as it goes, into records of its own."""
        if taken.kind == "x509":
            taken.certs.add([cert_table(to_pandas(table))])
        elif taken.kind == "notice":
            taken.notices.append(notice_evidence(to_pandas(table)))
        elif taken.kind == "ssl" and taken.ssl.add([self._tagged(table, taken.sensor)]):
            taken.own = taken.own or Accumulator(cause=self.cause)
            taken.own.add(self.classified(taken.ssl.take()))  # a batch's worth

    def _tagged(self, table: pa.Table, sensor: str | None) -> pa.Table:
        return table if self.sensors is None else self.sensors.apply(table, sensor)


@dataclass
class Taken:
    """What one file gave, held until it is known not to be a copy."""

    kind: str | None
    rows: int = 0  # read, whether taken in or done by an earlier run
    ends: list[pa.Table] = field(default_factory=list)  # its first and last rows
    certs: CertificateParts = field(default_factory=CertificateParts)  # distinct as it goes
    notices: list[pd.DataFrame] = field(default_factory=list)  # their evidence rows
    ssl: PendingTables = field(default_factory=lambda: PendingTables(BATCH_ROWS))
    own: Accumulator | None = None
    sensor: str | None = None  # the sensor whose folder holds the file, when named
    held: bool = False  # rows from one on wait for their certificates (``Reader.held``)
    resumed: bool = False  # read from a resume point: ``ends`` are not the file's


def fold_in(taken: Taken, records: Accumulator, pending: PendingTables,
            classify: Callable[[list[pa.Table]], pd.DataFrame]) -> None:
    """Fold the ssl rows of a file that counts into ``records``: a big file's own records
    merged, a small file's rows held in ``pending`` and classified once it is full."""
    if taken.own is not None:
        if taken.ssl.tables:
            taken.own.add(classify(taken.ssl.take()))
        records.merge(taken.own)
    elif pending.add(taken.ssl.take()):
        records.add(classify(pending.take()))
