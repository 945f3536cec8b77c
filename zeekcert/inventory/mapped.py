"""The nightly job's files read on an executor's workers, decided here in file order.

Each task reads one file, or a run of consecutive small ones, past the rows earlier runs
took in, and returns what each gave (``Taken``), the run's ssl rows classified into
records of their own. Everything that touches the state stays in this process and in
file order, as without an executor: a file's identity and rows done before its task,
then whether it is a copy, what to commit and how far it was read. So the state and the
inventory are identical to a run in one process (``tests/test_executors.py``).

x509 and notice files are mapped first. Their certificates and notices are prepared once
(``Known``) and sent once to every worker (``executors.Sharing``) before any ssl file is.

One case costs a second read: a small ssl file found to be a copy of an earlier file
after its run of files was classified together. The run's other files are then read
again here; copies are rare (a file both in ``current/`` and in the archive).
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..executors import GROUP_BYTES, Sharing, in_order, resolve, runs, size_on_disk
from ..parquet_export import ConnectionExport
from ..reading import (
    FileReport,
    FileStatus,
    Found,
    PendingTables,
    kind_from_name,
    note_link,
    read_blocks,
)
from .accumulate import Accumulator
from .batch import C2Marks
from .taking import BATCH_ROWS, Reader, Taken, by_kind, classified, fold_in, replaced

if TYPE_CHECKING:
    from .nightly import Job



@dataclass(frozen=True)
class Opened:
    """A file as the job found it before its task: its identity and the rows done."""

    path: Path
    report: FileReport
    file_id: str
    done: int
    size: int


@dataclass
class Mapped:
    """What a task gives back: each file's ``Taken`` and report, and the ssl records."""

    records: Accumulator
    taken: list[Taken] = field(default_factory=list)
    reports: list[FileReport] = field(default_factory=list)


def read_on(job: Job, executor: cf.Executor, paths: list[Path], found: Found) -> None:
    """Read ``paths`` on ``executor``'s workers into ``job``, as ``job.read`` would."""
    ordered = by_kind(paths)
    ssl = [p for p in ordered if kind_from_name(p) == "ssl"]
    with Sharing(executor) as sharing:
        _map(job, executor, [p for p in ordered if kind_from_name(p) != "ssl"], found)
        if ssl:
            sensors = None if job.sensors is None else sharing.share(job.sensors)
            _map(job, executor, ssl, found, sharing.share(job.prepared()), sensors)
    job.classify_pending()


def map_files(files: list[Opened], known: Any, cause: str, now: datetime,
              export: ConnectionExport | None = None, sensors: Any = None,
              c2: C2Marks | None = None) -> Mapped:
    """On a worker: read ``files``, classifying their ssl rows against ``known`` (and
    ``c2``, see ``taking.classified``); what it exports is staged until the task's
    result is taken."""
    reader = Reader(cause, lambda tables: classified(tables, now, resolve(known), export, c2),
                    resolve(sensors))
    mapped, pending = Mapped(records=Accumulator(cause=cause)), PendingTables(BATCH_ROWS)
    for file in files:
        blocks = read_blocks(file.path, file.report)
        first = next(blocks, None)  # opened here, after the job identified it
        if replaced(file.report, file.file_id, file.path):
            first, blocks = None, iter(())
        taken = reader.blocks(itertools.chain([] if first is None else [first], blocks),
                              kind_from_name(file.path), file.done, file.path)
        mapped.taken.append(taken)
        mapped.reports.append(file.report)
        if taken.kind == "ssl" and file.report.status is not FileStatus.UNREADABLE:
            fold_in(taken, mapped.records, pending, reader.classified)
            taken.own = None  # sent back once, in the records
    if pending.tables:
        mapped.records.add(reader.classified(pending.take()))
    return mapped


def _map(job: Job, executor: cf.Executor, paths: list[Path], found: Found,
         known: Any = None, sensors: Any = None) -> None:
    """Map ``paths`` in groups, each task given the shared certificates and sensors."""
    groups = list(_groups([_open(job, path, found) for path in paths]))
    exports = [job.export and job.export.staged(f"task-{len(job.reports) + i:06d}")
               for i in range(len(groups))]
    tasks = ((group, known, job.acc.cause, job.now, export, sensors, job.c2)
             for group, export in zip(groups, exports, strict=True) if isinstance(group, list))
    results = in_order(executor, map_files, tasks)
    for group, export in zip(groups, exports, strict=True):
        if isinstance(group, list):
            _settle(job, group, next(results), found, export)
        else:  # a file that could not be identified: read here, and reported, as without
            job.file(group, found)


def _open(job: Job, path: Path, found: Found) -> Opened | Path:
    """The file as its task needs it; only its path if it cannot be identified."""
    report = note_link(FileReport(str(path)), found)
    file_id = job.identify(path, report)
    if file_id is None:
        return path
    return Opened(path, report, file_id, job.state.rows_done(file_id), size_on_disk(path))


def _groups(files: list[Opened | Path]) -> Iterator[list[Opened] | Path]:
    """Runs of consecutive small files, up to ``GROUP_BYTES`` on disk; others alone, and
    a file that could not be identified as its bare path."""
    sizes = [GROUP_BYTES if isinstance(f, Path) else f.size for f in files]
    for run in runs(files, sizes, GROUP_BYTES):
        first = run[0]
        yield first if isinstance(first, Path) else [f for f in run if isinstance(f, Opened)]


def _settle(job: Job, group: list[Opened], mapped: Mapped, found: Found,
            export: ConnectionExport | None) -> None:
    """Decide each file of a task in order; a copy among its ssl files means reading the
    others again here, since their rows were classified (and exported) with its own."""
    committed, copied = [], False
    for file, taken, report in zip(group, mapped.taken, mapped.reports, strict=True):
        job.started(file.path, found, report)
        keep = job.settled(file.file_id, report, file.done, taken)
        if keep is not None:
            job.commit(keep)
            committed.append(file)
        copied |= taken.kind == "ssl" and report.status is FileStatus.DUPLICATE
    if not copied:
        job.acc.merge(mapped.records)
        if export:
            export.commit()
        return
    if export:
        export.discard()
    reader = Reader(job.acc.cause, functools.partial(job.classify, export=job.export),
                    job.sensors)
    for file in committed:
        if kind_from_name(file.path) == "ssl":
            again = read_blocks(file.path, FileReport(str(file.path)))
            job.commit(reader.blocks(again, "ssl", file.done, file.path))
