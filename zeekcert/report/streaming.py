"""The report of a log tree read a block at a time, in memory bounded by its servers.

x509 and notice logs are read first, a block at a time, and prepared once (``Known``,
see ``side_logs``). Then each ssl file is streamed: every block is classified against what is
known and folded into a tally of the file's own, which joins the report's only when the
file turns out not to be a copy of one read before. The result equals ``build`` on the
whole load, field by field (``tests/test_streaming.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..classification import Known, classify
from ..inventory import Acknowledgement
from ..policy import Policy
from ..reading import (
    FileReport,
    FileStatus,
    LoadReport,
    PendingTables,
    StreamedFile,
    StreamedLoad,
    archive_order,
    concat_tables,
    to_pandas,
)
from .findings import Findings, from_tally
from .side_logs import read_known
from .tally import ReportTally

Progress = Callable[[int, int, int], None]  # files done, files in all, rows so far
Stage = Callable[[str], None]
BATCH_ROWS = 100_000  # rows classified in one call: small files go together


@dataclass(frozen=True)
class StreamedReport:
    """The findings, and the report of every file read."""

    findings: Findings
    load_report: LoadReport


def build_streaming(source: str | Path, policy: Policy | None = None,
                    now: datetime | None = None,
                    allowlist: Sequence[Acknowledgement] | None = None,
                    since: datetime | None = None, until: datetime | None = None,
                    strict: bool = False, progress: Progress | None = None,
                    stage: Stage | None = None) -> StreamedReport:
    """Read, classify and fold ``source`` batch by batch; the same findings as ``build``."""
    now = now or datetime.now(UTC)
    if stage is not None:
        stage("reading certificates and notices")
    known, side_report = read_known(source, since, until, strict, policy)
    stream = StreamedLoad(source, ("ssl",), since, until, strict=strict, progress=progress)
    fold = _Fold(known, now)
    for file in stream.files():
        fold.file(file)
    fold.flush()
    if not fold.rows:  # no ssl rows: the connections notices name, if any
        fold.tally.add(classify({"ssl": pd.DataFrame()}, now=now, known=known))
    tally = fold.tally
    report = LoadReport(_in_order(side_report, stream.report), repeated=stream.report.repeated)
    return StreamedReport(from_tally(tally, report, now, allowlist, since, until), report)


class _Fold:
    """Classify and fold ssl files: small ones together, a big one in its own tally."""

    def __init__(self, known: Known, now: datetime):
        self.known, self.now = known, now
        self.tally = ReportTally()
        self.pending = PendingTables(BATCH_ROWS)  # small files, classified together
        self.rows = 0

    def file(self, file: StreamedFile) -> None:
        """Fold one file in, once it is known not to be a copy."""
        tables = PendingTables(BATCH_ROWS)
        own: ReportTally | None = None  # once the file outgrows a batch
        for table in file.batches():
            self.rows += table.num_rows
            if tables.add([table]):
                own = own or ReportTally()
                self._add(own, tables.take())
        if not file.kept:
            return
        if own is not None:
            self._add(own, tables.take())
            if self.tally.connections:
                self.tally.merge(own)
            else:  # the first file read: its tally is the report's, no merge needed
                self.tally = own
            return
        if self.pending.add(tables.take()):
            self.flush()

    def flush(self) -> None:
        """Fold in the small files held back."""
        self._add(self.tally, self.pending.take())

    def _add(self, tally: ReportTally, tables: list[pa.Table]) -> None:
        if tables:
            frame = to_pandas(concat_tables(tables))
            tally.add(classify({"ssl": frame}, now=self.now, known=self.known))


def _in_order(side: LoadReport, ssl: LoadReport) -> list[FileReport]:
    """The file reports as one load lists them: folders not listed, then files in the
    order they are read. A folder both loads could not list is named once."""
    every = side.files + ssl.files
    folders = [f for f in every if f.kind is None and f.status is FileStatus.UNREADABLE]
    once = {(f.path, f.status, f.message): f for f in folders}
    files = [f for f in every if not any(f is g for g in folders)]
    return [*once.values(), *sorted(files, key=lambda f: archive_order(f.path))]
