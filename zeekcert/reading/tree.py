"""Load a whole tree of Zeek logs: find the files, read them (both cores), union by kind."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..sanitize import html_escape
from .arrow import clip_rows, concat_tables, loading_pool, to_pandas
from .copies import drop_copies
from .discovery import Found, Source, TimeLike, discover, select_window, utc
from .file import check, iter_tables, read_blocks
from .file_report import CLEAN, FileReport, LoadReport
from .schema import KINDS
from .tsv import empty_table
from .zat import from_zat

Progress = Callable[[int, int, int], None]  # files done, files in all, rows so far


@dataclass(repr=False)
class Logs:
    """The frames of one load, by kind, and the report of every file read."""

    ssl: pd.DataFrame
    x509: pd.DataFrame
    notice: pd.DataFrame
    known_certs: pd.DataFrame
    report: LoadReport = field(default_factory=LoadReport)

    def __getitem__(self, kind: str) -> pd.DataFrame:
        frame: pd.DataFrame = getattr(self, kind)
        return frame

    def __repr__(self) -> str:
        counts = {kind: len(self[kind]) for kind in KINDS}
        rows = ", ".join(f"{kind}={n:,} row{'' if n == 1 else 's'}" for kind, n in counts.items())
        return f"Logs({rows}; {self.report.summary()})"

    def _repr_html_(self) -> str:
        cells = "".join(f"<tr><td>{kind}</td><td>{len(self[kind]):,}</td></tr>"
                        for kind in KINDS)
        return (f"<table><tr><th>kind</th><th>rows</th></tr>{cells}</table>"
                f"<p>{html_escape(self.report.summary())}</p>")


@dataclass
class Batch:
    """One piece of a streamed load: rows of one kind from one file."""

    kind: str | None
    frame: pd.DataFrame
    report: FileReport


def _read_one(path: Path, columns: list[str] | None, start: TimeLike,
              end: TimeLike) -> tuple[pa.Table, FileReport]:
    report = FileReport(str(path))
    lo, hi = utc(start), utc(end)
    tables = [clip_rows(t, lo, hi) for t in iter_tables(path, report, columns=columns)]
    return concat_tables(tables), report


def load(source: Source, kinds: Iterable[str] = KINDS, start: TimeLike = None,
         end: TimeLike = None, columns: list[str] | None = None, strict: bool = False,
         workers: int | None = None, progress: Progress | None = None) -> Logs:
    """Load every log of ``kinds`` under ``source`` into one typed DataFrame per kind.

    ``start``/``end`` select a window (UTC unless they carry a zone), first by archive
    name, then by ``ts``. ``columns`` restricts the columns read. With ``strict``, any
    skipped line or unreadable file raises ZeekLogError naming the file and line.
    ``progress(files_done, files, rows)`` is called as files are read. A connection that
    appears twice (the same ``uid`` in ssl.log) is counted once; ``report.repeated``
    says how many rows were left out.
    """
    kinds = tuple(kinds)
    found = discover(source, kinds)
    paths = select_window(found.paths, start, end)
    with loading_pool():
        return _load(paths, found, kinds, columns, (start, end), strict, workers, progress)


def _load(paths: list[Path], found: Found, kinds: tuple[str, ...], columns: list[str] | None,
          window: tuple[TimeLike, TimeLike], strict: bool, workers: int | None,
          progress: Progress | None) -> Logs:
    results = drop_copies(_read_all(paths, columns, *window, workers, progress))
    report = LoadReport([*found.problems, *(note_link(r, found) for _, r in results)])
    for file_report in report.files:
        check(file_report, strict)
    by_kind: dict[str, list[pa.Table]] = {k: [] for k in KINDS}
    for table, file_report in results:
        if file_report.kind in kinds and file_report.kind in by_kind:
            by_kind[file_report.kind].append(table)
    frames = {k: _frame(k, by_kind[k], columns) for k in KINDS}
    frames["ssl"], report.repeated["ssl"] = once_per_uid(frames["ssl"])
    return Logs(**frames, report=report)


def once_per_uid(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``frame`` with each connection once: a later row with the same ``uid`` is left out.

    Zeek logs one ssl.log row per connection; a repeated ``uid`` is a row logged twice
    (a sensor writing the same line again), and would count its connection twice.
    """
    if "uid" not in frame.columns or not len(frame):
        return frame, 0
    uid = frame["uid"]
    again = (uid.duplicated() & uid.notna()).to_numpy()
    if not again.any():
        return frame, 0
    return frame[~again].reset_index(drop=True), int(again.sum())


def _read_all(paths: list[Path], columns: list[str] | None, start: TimeLike, end: TimeLike,
              workers: int | None, progress: Progress | None = None,
              ) -> list[tuple[pa.Table, FileReport]]:
    """Read files in parallel threads; zlib and Arrow release the GIL while they work."""
    count = workers or min(2, os.cpu_count() or 1)
    if count <= 1 or len(paths) <= 1 or (workers is None and _small(paths)):
        return _told(map(lambda p: _read_one(p, columns, start, end), paths), len(paths),
                     progress)
    with ThreadPoolExecutor(count, thread_name_prefix="zeekcert-read") as pool:
        return _told(pool.map(lambda p: _read_one(p, columns, start, end), paths), len(paths),
                     progress)


def _told(results: Iterator[tuple[pa.Table, FileReport]], total: int,
          progress: Progress | None) -> list[tuple[pa.Table, FileReport]]:
    """The results, in order, with ``progress`` told of each as it comes."""
    out, rows = [], 0
    for result in results:
        out.append(result)
        rows += result[1].rows
        if progress is not None:
            progress(len(out), total, rows)
    return out


SMALL_FILE = 1 << 20  # on disk: below this on average, threads only contend for the GIL


def _small(paths: list[Path]) -> bool:
    """Whether the files are small on average: then reading them is Python-bound."""
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += os.stat(path).st_size
    return total < SMALL_FILE * len(paths)


def _frame(kind: str, tables: list[pa.Table], columns: list[str] | None) -> pd.DataFrame:
    table = concat_tables(tables)
    if table.num_columns == 0:
        table = empty_table(kind, None, columns)
    return to_pandas(table)


def iter_batches(source: Source, kinds: Iterable[str] = KINDS, start: TimeLike = None,
                 end: TimeLike = None, columns: list[str] | None = None,
                 strict: bool = False) -> Iterator[Batch]:
    """Stream the tree file by file and block by block, in bounded memory.

    Each batch holds the rows of one block of one file (about 32 MiB of text). The
    batch's ``report`` is complete once the file's last batch has been yielded. A file
    or folder that was not read cleanly always yields a batch, with no rows if need be,
    so that its report is seen.
    """
    kinds = tuple(kinds)
    lo, hi = utc(start), utc(end)
    found = discover(source, kinds)
    for problem in found.problems:
        check(problem, strict)
        yield Batch(problem.kind, pd.DataFrame(), problem)
    for path in select_window(found.paths, start, end):
        report = note_link(FileReport(str(path)), found)
        shown = False
        for table in read_blocks(path, report, columns=columns):
            if report.kind in kinds and table.num_rows:
                shown = True
                yield Batch(report.kind, to_pandas(clip_rows(table, lo, hi)), report)
        check(report, strict)
        if not shown and report.status not in CLEAN:
            yield Batch(report.kind, pd.DataFrame(), report)


def note_link(report: FileReport, found: Found) -> FileReport:
    """Record in ``report`` where its file links to, when that is outside the tree."""
    report.link_target = found.links.get(Path(report.path))
    return report


def frame_of(logs: Any, kind: str) -> pd.DataFrame:
    """The ``kind`` frame of ``logs`` (Logs, a dict, or zat's frames); empty if absent."""
    frame: pd.DataFrame | None = (logs.get(kind) if isinstance(logs, dict)
                                  else getattr(logs, kind, None))
    if frame is None:
        return pd.DataFrame()
    if "ts" not in frame.columns and frame.index.name == "ts":  # a frame zat made
        return from_zat(frame, kind)
    return frame.reset_index(drop=True)
