"""A load that never holds the whole day: file by file, block by block, as ``load`` counts.

``load`` reads every file, then leaves out later copies of a file and repeated uids.
A stream must decide the same as it goes. A copy is only known once a file has been read
to its end (its identity is its row count and its first and last records), so the
consumer folds each file's batches into a partial result of its own and keeps it only
if ``StreamedFile.kept`` says so at the end. Repeated uids are found with ``SeenUids``:
a file's new uids join the load's only when the file is kept, as in ``load``, where a
copy is left out before uids are compared.

A file may also be read elsewhere, on an executor's worker, by ``read_streamed`` without
the load's uids: its ``FileFacts`` come back to be settled here in file order, and
``would_keep_each`` says whether what it gave stands as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .arrow import clip_rows, concat_tables
from .copies import identity_of, mark_copy
from .discovery import Source, TimeLike, discover, select_window, utc
from .file import check, read_blocks
from .file_report import FileReport, FileStatus, LoadReport
from .seen import SeenUids
from .sensors import Sensors
from .tree import note_link

Progress = Callable[[int, int, int], None]  # files done, files in all, rows so far


@dataclass
class FileFacts:
    """What reading one file found, for its load to decide whether the file counts."""

    report: FileReport
    rows: int = 0
    ends: list[pa.Table] = field(default_factory=list)  # its first and latest rows
    seen: SeenUids = field(default_factory=SeenUids)  # its uids, each once
    repeated: int = 0  # rows left out: their uid was seen before

    def identity(self) -> Hashable | None:
        """The file's identity: its row count and first and last records."""
        if not self.ends:
            return None
        ends = concat_tables([self.ends[0], self.ends[-1]])  # blocks may differ in type
        return identity_of(self.report.kind, self.rows, ends)


def read_streamed(path: Path, facts: FileFacts, columns: list[str] | None = None,
                  window: tuple[pd.Timestamp | None, pd.Timestamp | None] = (None, None),
                  elsewhere: SeenUids | None = None,
                  sensors: Sensors | None = None) -> Iterator[pa.Table]:
    """A file's rows a block at a time, each connection once (by uid, here and in
    ``elsewhere``, and across ``sensors``), tagged with its sensors, noting in ``facts``
    what its load needs to decide. Runs anywhere, on an executor's worker too."""
    sensor = sensors.name_of(path) if sensors is not None else None
    for table in read_blocks(path, facts.report, columns=columns):
        table = clip_rows(table, *window)
        if table.num_rows:
            table = _once(facts, table, elsewhere)
            yield table if sensors is None else sensors.apply(table, sensor)


def _once(facts: FileFacts, table: pa.Table, elsewhere: SeenUids | None) -> pa.Table:
    row = table.slice(table.num_rows - 1)  # the first and the latest row: its identity
    facts.ends = [facts.ends[0], row] if facts.ends else [table.slice(0, 1), row]
    facts.rows += table.num_rows
    if facts.report.kind != "ssl" or "uid" not in table.column_names:
        return table  # only ssl.log has one row per connection: notices repeat uids
    new = facts.seen.first_time_in(table.column("uid"), elsewhere=elsewhere)
    facts.repeated += int((~new).sum())
    return table if new.all() else table.filter(pa.array(new))


class StreamedFile:
    """One file of a stream: its batches, then whether it counts (``kept``)."""

    def __init__(self, path: Path, report: FileReport, load: StreamedLoad):
        self.path, self._load = path, load
        self.facts = FileFacts(report)
        self.kept = False

    @property
    def report(self) -> FileReport:
        """The file's report, complete once its batches are read."""
        return self.facts.report

    def batches(self) -> Iterator[pa.Table]:
        """The file's rows a block at a time, each connection once (by uid)."""
        load = self._load
        yield from read_streamed(self.path, self.facts, load.columns, load.window, load.seen,
                                 load.sensors)
        self.kept = load.settle(self.facts)


class StreamedLoad:
    """The files of ``kinds`` under ``source``, streamed; ``report`` is complete at the end."""

    def __init__(self, source: Source, kinds: Iterable[str] = ("ssl",), start: TimeLike = None,
                 end: TimeLike = None, columns: list[str] | None = None,
                 strict: bool = False, progress: Progress | None = None,
                 sensors: Sensors | None = None):
        self.sensors = sensors  # filled by the overlap pass before any file is read
        self.found = discover(source, tuple(kinds))
        self.paths = select_window(self.found.paths, start, end)
        self.window = (utc(start), utc(end))
        self.columns, self.strict, self.progress = columns, strict, progress
        self.report = LoadReport(list(self.found.problems))
        self.seen = SeenUids()
        self.first: dict[Hashable, str] = {}
        self.repeated = 0
        for problem in self.found.problems:
            check(problem, strict)

    def files(self) -> Iterator[StreamedFile]:
        """Each file in turn; read its ``batches()`` to the end before taking the next."""
        for path in self.paths:
            streamed = self.open(path)
            yield streamed
            self.listed(streamed.report)
        self.finish()

    def open(self, path: Path) -> StreamedFile:
        """One of ``paths``, to read and then list (``listed``)."""
        return StreamedFile(path, self.report_of(path), self)

    def report_of(self, path: Path) -> FileReport:
        """A new report for one of ``paths``, with the links the discovery noted."""
        return note_link(FileReport(str(path)), self.found)

    def listed(self, report: FileReport) -> None:
        """List a file read (here or elsewhere), in the order of ``paths``."""
        self.report.files.append(report)
        if self.progress is not None:
            self.progress(len(self.report.files) - len(self.found.problems), len(self.paths),
                          sum(f.rows for f in self.report.files))

    def finish(self) -> None:
        """Once every file is listed: the rows left out as repeated."""
        self.report.repeated["ssl"] = self.repeated
        if self.sensors is not None:
            self.sensors.noted(self.report)

    def settle(self, facts: FileFacts) -> bool:
        """Whether a file read to its end counts: not a copy of one read before. Its uids
        then join the load's, as in ``load``, where a copy is left out first."""
        check(facts.report, self.strict)
        key = facts.identity()
        original = self.first.get(key) if key is not None else None
        if original is not None and facts.report.status is FileStatus.OK:
            mark_copy(facts.report, facts.rows, original)
            return False
        if key is not None and facts.report.status is FileStatus.OK:
            self.first[key] = facts.report.path
        self.seen.update(facts.seen)
        self.repeated += facts.repeated
        return True

    def would_keep_each(self, read: list[FileFacts]) -> bool:
        """Whether files read elsewhere, each without the others' uids, would all count
        with nothing left out: no copy, and no uid that an earlier file had."""
        here: set[Hashable] = set()  # the run's own, beside the load's (not copied)
        for facts in read:
            key = facts.identity()
            if key is not None and facts.report.status is FileStatus.OK:
                if key in self.first or key in here:
                    return False
                here.add(key)
        hashes = [level for facts in read for level in facts.seen.levels]
        if not hashes:
            return True
        every = np.concatenate(hashes)
        return not (self.seen.contains(every).any() or pd.Series(every).duplicated().any())
