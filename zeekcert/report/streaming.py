"""The report of a log tree read a block at a time, in memory bounded by its servers.

x509 and notice logs are read first, a block at a time, and prepared once (``Known``,
see ``side_logs``). Then each ssl file is streamed: every block is classified against what is
known and folded into a tally of the file's own, which joins the report's only when the
file turns out not to be a copy of one read before. The result equals ``build`` on the
whole load, field by field (``tests/test_streaming.py``).

With an executor, each ssl file, or run of small files, is read and folded on a worker
into a tally of its own (``fold_files``), and decided here in file order. A run of files
that turns out to hold a copy, or a uid an earlier file had, is read again here, as
without an executor, since its rows were folded before that was known. The JSON is the
same; a timeline in the HTML may start a batch earlier or later (``activity``).
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..classification import Known, classify
from ..executors import GROUP_BYTES, Sharing, in_order, resolve, runs, size_on_disk
from ..hunting import Catalogue, HuntPolicy, load_catalogue
from ..inventory import Acknowledgement, C2Marks
from ..parquet_export import ConnectionExport
from ..policy import Policy
from ..reading import (
    FileFacts,
    FileReport,
    FileStatus,
    LoadReport,
    PendingTables,
    Sensors,
    StreamedFile,
    StreamedLoad,
    archive_order,
    concat_tables,
    find_overlap,
    read_streamed,
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


def build_streaming(source: str | Path | Sequence[str | Path], policy: Policy | None = None,
                    now: datetime | None = None,
                    allowlist: Sequence[Acknowledgement] | None = None,
                    since: datetime | None = None, until: datetime | None = None,
                    strict: bool = False, progress: Progress | None = None,
                    stage: Stage | None = None,
                    executor: cf.Executor | None = None,
                    export: ConnectionExport | None = None,
                    sensors: Sensors | None = None, catalogue: Catalogue | None = None,
                    hunt_policy: HuntPolicy | None = None) -> StreamedReport:
    """Read, classify and fold ``source`` batch by batch; the same findings as ``build``.

    With an ``executor`` (any ``concurrent.futures.Executor``, Dask's included), the ssl
    files are read and folded on its workers; x509 and notice files are read here. With
    an ``export``, every connection counted is also written there, classified, once.

    With ``sensors``, ``source`` is their folders: each server says which sensors saw it,
    and a connection two sensors logged is counted once (``reading.overlap``).
    """
    now = now or datetime.now(UTC)
    if stage is not None:
        stage("reading certificates and notices")
    known, side_report = read_known(source, since, until, strict, policy)
    stream = StreamedLoad(source, ("ssl",), since, until, strict=strict, progress=progress,
                          sensors=sensors)
    if sensors is not None:
        if stage is not None:
            stage("matching connections across sensors")
        stream.sensors = find_overlap(sensors, [(p, 0) for p in stream.paths], stream.window,
                                 executor)
    catalogue = catalogue or load_catalogue()
    fold = _Fold(known, now, export, C2Marks(catalogue))
    if executor is None:
        for file in stream.files():
            fold.file(file)
    else:
        _fold_on(executor, stream, fold)
    fold.flush()
    if not fold.rows:  # no ssl rows: the connections notices name, if any
        fold.tally.add(classify({"ssl": pd.DataFrame()}, now=now, known=known))
    tally = fold.tally
    report = dataclasses.replace(stream.report, files=_in_order(side_report, stream.report))
    return StreamedReport(from_tally(tally, report, now, allowlist, since, until,
                                     known.certs, catalogue, hunt_policy), report)


class _Fold:
    """Classify and fold ssl files: small ones together, a big one in its own tally."""

    def __init__(self, known: Known, now: datetime, export: ConnectionExport | None = None,
                 c2: C2Marks | None = None):
        self.known, self.now, self.export = known, now, export
        self.c2 = c2  # its C2 matches join the self-signed records
        self.tally = ReportTally()
        self.pending = PendingTables(BATCH_ROWS)  # small files, classified together
        self.rows = 0
        self.files = 0

    def file(self, file: StreamedFile) -> None:
        """Fold one file in, once it is known not to be a copy."""
        tables = PendingTables(BATCH_ROWS)
        own: ReportTally | None = None  # once the file outgrows a batch
        self.files += 1
        staged = self.export and self.export.staged(f"file-{self.files:06d}")
        for table in file.batches():
            self.rows += table.num_rows
            if tables.add([table]):
                own = own or ReportTally()
                self._add(own, tables.take(), staged)
        if not file.kept:
            if staged:
                staged.discard()
            return
        if own is not None:
            self._add(own, tables.take(), staged)
            if staged:
                staged.commit()
            self.merge(own)
            return
        if self.pending.add(tables.take()):
            self.flush()

    def merge(self, tally: ReportTally) -> None:
        """Take in the tally of files folded elsewhere."""
        if self.tally.connections:
            self.tally.merge(tally)
        else:  # nothing folded yet: the tally is the report's, no merge needed
            self.tally = tally

    def flush(self) -> None:
        """Fold in the small files held back."""
        self._add(self.tally, self.pending.take(), self.export)

    def _add(self, tally: ReportTally, tables: list[pa.Table],
             export: ConnectionExport | None) -> None:
        if tables:
            frame = to_pandas(concat_tables(tables))
            classified = classify({"ssl": frame}, now=self.now, known=self.known)
            if export is not None:
                export.write(classified)
            tally.add(classified if self.c2 is None else self.c2.marked(classified))


@dataclass
class Folded:
    """What a worker gives back for a run of ssl files: each file's facts, one tally."""

    facts: list[FileFacts]
    tally: ReportTally
    rows: int


def fold_files(paths: list[Path], reports: list[FileReport], columns: list[str] | None,
               window: tuple[pd.Timestamp | None, pd.Timestamp | None], known: Known,
               now: datetime, export: ConnectionExport | None = None,
               sensors: Sensors | None = None, c2: C2Marks | None = None) -> Folded:
    """On a worker: read ``paths`` (each connection once per file) and fold them into
    one tally; what it exports is staged until the task's result is taken."""
    fold = _Fold(resolve(known), now, export, c2)
    facts = [FileFacts(report) for report in reports]
    sensors = resolve(sensors)
    for path, mine in zip(paths, facts, strict=True):
        for table in read_streamed(path, mine, columns, window, sensors=sensors):
            fold.rows += table.num_rows
            if fold.pending.add([table]):
                fold.flush()
    fold.flush()
    return Folded(facts, fold.tally, fold.rows)


def _fold_on(executor: cf.Executor, stream: StreamedLoad, fold: _Fold) -> None:
    """The ssl files folded on ``executor``, decided in file order."""
    groups = _groups(stream.paths)
    with Sharing(executor) as sharing:
        known = sharing.share(fold.known)
        sensors = None if stream.sensors is None else sharing.share(stream.sensors)
        exports = [fold.export and fold.export.staged(f"task-{i:06d}")
                   for i in range(len(groups))]
        tasks = ((group, [stream.report_of(p) for p in group], stream.columns, stream.window,
                  known, fold.now, export, sensors, fold.c2)
                 for group, export in zip(groups, exports, strict=True))
        results = in_order(executor, fold_files, tasks)
        for group, export, folded in zip(groups, exports, results, strict=True):
            if stream.would_keep_each(folded.facts):
                for facts in folded.facts:
                    stream.settle(facts)
                    stream.listed(facts.report)
                fold.merge(folded.tally)
                fold.rows += folded.rows
                if export:
                    export.commit()
                continue
            if export:
                export.discard()
            for path in group:  # read again here, as without an executor
                file = stream.open(path)
                fold.file(file)
                stream.listed(file.report)
    stream.finish()


def _groups(paths: list[Path]) -> list[list[Path]]:
    """Runs of consecutive small files, up to ``GROUP_BYTES`` on disk; others alone."""
    return list(runs(paths, [size_on_disk(p) for p in paths], GROUP_BYTES))


def _in_order(side: LoadReport, ssl: LoadReport) -> list[FileReport]:
    """The file reports as one load lists them: folders not listed, then files in the
    order they are read. A folder both loads could not list is named once."""
    every = side.files + ssl.files
    folders = [f for f in every if f.kind is None and f.status is FileStatus.UNREADABLE]
    once = {(f.path, f.status, f.message): f for f in folders}
    files = [f for f in every if not any(f is g for g in folders)]
    return [*once.values(), *sorted(files, key=lambda f: archive_order(f.path))]
