"""A load that never holds the whole day: file by file, block by block, as ``load`` counts.

``load`` reads every file, then leaves out later copies of a file and repeated uids.
A stream must decide the same as it goes. A copy is only known once a file has been read
to its end (its identity is its row count and its first and last records), so the
consumer folds each file's batches into a partial result of its own and keeps it only
if ``StreamedFile.kept`` says so at the end. Repeated uids are found with ``SeenUids``:
a file's new uids join the load's only when the file is kept, as in ``load``, where a
copy is left out before uids are compared.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path

import pyarrow as pa

from .arrow import clip_rows, concat_tables
from .copies import identity_of, mark_copy
from .discovery import Source, TimeLike, discover, select_window, utc
from .file import check, read_blocks
from .file_report import FileReport, FileStatus, LoadReport
from .seen import SeenUids
from .tree import note_link

Progress = Callable[[int, int, int], None]  # files done, files in all, rows so far


class StreamedFile:
    """One file of a stream: its batches, then whether it counts (``kept``)."""

    def __init__(self, path: Path, report: FileReport, load: StreamedLoad):
        self.path, self.report, self._load = path, report, load
        self.kept = False
        self.repeated = 0
        self._seen = SeenUids()
        self._ends: list[pa.Table] = []
        self._rows = 0

    def batches(self) -> Iterator[pa.Table]:
        """The file's rows a block at a time, each connection once (by uid)."""
        for table in read_blocks(self.path, self.report, columns=self._load.columns):
            table = clip_rows(table, *self._load.window)
            if table.num_rows:
                yield self._once(table)
        self._finish()

    def _once(self, table: pa.Table) -> pa.Table:
        self._note_ends(table)
        if self.report.kind != "ssl" or "uid" not in table.column_names:
            return table  # only ssl.log has one row per connection: notices repeat uids
        new = self._seen.first_time_in(table.column("uid"), elsewhere=self._load.seen)
        self.repeated += int((~new).sum())
        return table if new.all() else table.filter(pa.array(new))

    def _note_ends(self, table: pa.Table) -> None:
        """Keep the first and the latest row: the file's identity, with its row count."""
        row = table.slice(table.num_rows - 1)
        self._ends = [self._ends[0], row] if self._ends else [table.slice(0, 1), row]
        self._rows += table.num_rows

    def _finish(self) -> None:
        check(self.report, self._load.strict)
        key = self._identity()
        original = self._load.first.get(key) if key is not None else None
        if original is not None and self.report.status is FileStatus.OK:
            mark_copy(self.report, self._rows, original)
            return
        if key is not None and self.report.status is FileStatus.OK:
            self._load.first[key] = self.report.path
        self.kept = True
        self._load.seen.update(self._seen)
        self._load.repeated += self.repeated

    def _identity(self) -> Hashable | None:
        if not self._ends:
            return None
        ends = concat_tables([self._ends[0], self._ends[-1]])  # blocks may differ in type
        return identity_of(self.report.kind, self._rows, ends)


class StreamedLoad:
    """The files of ``kinds`` under ``source``, streamed; ``report`` is complete at the end."""

    def __init__(self, source: Source, kinds: Iterable[str] = ("ssl",), start: TimeLike = None,
                 end: TimeLike = None, columns: list[str] | None = None,
                 strict: bool = False, progress: Progress | None = None):
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
        for i, path in enumerate(self.paths):
            report = note_link(FileReport(str(path)), self.found)
            streamed = StreamedFile(path, report, self)
            yield streamed
            self.report.files.append(report)
            if self.progress is not None:
                self.progress(i + 1, len(self.paths), sum(f.rows for f in self.report.files))
        self.report.repeated["ssl"] = self.repeated
