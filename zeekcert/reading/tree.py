"""Load a whole tree of Zeek logs: find the files, read them (both cores), union by kind."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .arrowpool import loading_pool
from .copies import drop_copies
from .frames import concat_tables, to_pandas
from .names import kind_from_name, span_from_name
from .reader import check, iter_tables
from .report import FileReport, LoadReport
from .schema import KINDS
from .tsv import empty_table

Source = str | Path | Iterable[str | Path]
TimeLike = str | datetime | pd.Timestamp | None
_GLOB_CHARS = set("*?[")


@dataclass
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


@dataclass
class Batch:
    """One piece of a streamed load: rows of one kind from one file."""

    kind: str
    frame: pd.DataFrame
    report: FileReport


def find_logs(source: Source, kinds: Iterable[str] = KINDS) -> list[Path]:
    """Return the log files of the given kinds under ``source``, oldest archive first.

    ``source`` may be a file (always taken), a directory (searched recursively by name),
    a glob pattern, or a list of these.
    """
    wanted = set(kinds)
    found: list[Path] = []
    for item in _items(source):
        if any(c in item for c in _GLOB_CHARS):
            found += [Path(p) for p in sorted(glob.glob(item, recursive=True)) if Path(p).is_file()]
        elif Path(item).is_dir():
            found += _walk(Path(item), wanted)
        else:
            found.append(Path(item))
    return sorted(dict.fromkeys(found), key=_order)


def _items(source: Source) -> list[str]:
    if isinstance(source, (str, Path)):
        return [str(source)]
    return [str(s) for s in source]


def _walk(root: Path, wanted: set[str]) -> list[Path]:
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and kind_from_name(name) in wanted:
                out.append(Path(folder) / name)
    return out


def _order(path: Path) -> tuple[str, str]:
    span = span_from_name(path)
    # Archives sort by the time their name gives; ``current/`` and unnamed files come last.
    return (span.start.isoformat() if span.start else "~", str(path))


def _utc(value: TimeLike) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def select_window(paths: list[Path], start: TimeLike, end: TimeLike) -> list[Path]:
    """Drop the files whose archive name proves they lie outside the window."""
    lo, hi = _utc(start), _utc(end)
    naive_lo = None if lo is None else lo.tz_localize(None).to_pydatetime()
    naive_hi = None if hi is None else hi.tz_localize(None).to_pydatetime()
    return [p for p in paths if span_from_name(p).may_overlap(naive_lo, naive_hi)]


def _clip(table: pa.Table, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pa.Table:
    if (start is None and end is None) or "ts" not in table.column_names:
        return table
    ts = table.column("ts")
    keep = pa.scalar(True)
    if start is not None:
        keep = pc.and_(keep, pc.greater_equal(ts, pa.scalar(start.to_pydatetime(), ts.type)))
    if end is not None:
        keep = pc.and_(keep, pc.less(ts, pa.scalar(end.to_pydatetime(), ts.type)))
    return table.filter(pc.fill_null(keep, False))


def _read_one(path: Path, columns: list[str] | None, start: TimeLike,
              end: TimeLike) -> tuple[pa.Table, FileReport]:
    report = FileReport(str(path))
    lo, hi = _utc(start), _utc(end)
    tables = [_clip(t, lo, hi) for t in iter_tables(path, report, columns=columns)]
    return concat_tables(tables), report


def load(source: Source, kinds: Iterable[str] = KINDS, start: TimeLike = None,
         end: TimeLike = None, columns: list[str] | None = None, strict: bool = False,
         workers: int | None = None) -> Logs:
    """Load every log of ``kinds`` under ``source`` into one typed DataFrame per kind.

    ``start``/``end`` select a window (UTC unless they carry a zone), first by archive
    name, then by ``ts``. ``columns`` restricts the columns read. With ``strict``, any
    skipped line or unreadable file raises ZeekLogError naming the file and line.
    """
    kinds = tuple(kinds)
    paths = select_window(find_logs(source, kinds), start, end)
    with loading_pool():
        return _load(paths, kinds, columns, start, end, strict, workers)


def _load(paths: list[Path], kinds: tuple[str, ...], columns: list[str] | None,
          start: TimeLike, end: TimeLike, strict: bool, workers: int | None) -> Logs:
    results = drop_copies(_read_all(paths, columns, start, end, workers))
    report = LoadReport([r for _, r in results])
    for file_report in report.files:
        check(file_report, strict)
    by_kind: dict[str, list[pa.Table]] = {k: [] for k in KINDS}
    for table, file_report in results:
        if file_report.kind in kinds and file_report.kind in by_kind:
            by_kind[file_report.kind].append(table)
    frames = {k: _frame(k, by_kind[k], columns) for k in KINDS}
    return Logs(**frames, report=report)


def _read_all(paths: list[Path], columns: list[str] | None, start: TimeLike, end: TimeLike,
              workers: int | None) -> list[tuple[pa.Table, FileReport]]:
    """Read files in parallel threads; zlib and Arrow release the GIL while they work."""
    count = workers or min(2, os.cpu_count() or 1)
    if count <= 1 or len(paths) <= 1:
        return [_read_one(p, columns, start, end) for p in paths]
    with ThreadPoolExecutor(count, thread_name_prefix="zeekcert-read") as pool:
        return list(pool.map(lambda p: _read_one(p, columns, start, end), paths))


def _frame(kind: str, tables: list[pa.Table], columns: list[str] | None) -> pd.DataFrame:
    table = concat_tables(tables)
    if table.num_columns == 0:
        table = empty_table(kind, None, columns)
    return to_pandas(table)


def iter_batches(source: Source, kinds: Iterable[str] = KINDS, start: TimeLike = None,
                 end: TimeLike = None, columns: list[str] | None = None,
                 strict: bool = False) -> Iterator[Batch]:
    """Stream the tree file by file and block by block, in bounded memory.

    Each batch holds the rows of one block of one file (about 16 MiB of text). The
    batch's ``report`` is complete once the file's last batch has been yielded.
    """
    kinds = tuple(kinds)
    lo, hi = _utc(start), _utc(end)
    for path in select_window(find_logs(source, kinds), start, end):
        report = FileReport(str(path))
        tables = iter_tables(path, report, columns=columns)
        while True:
            with loading_pool():  # not held across the yield: the caller's code runs there
                table = next(tables, None)
            if table is None:
                break
            if report.kind in kinds and table.num_rows:
                yield Batch(report.kind, to_pandas(_clip(table, lo, hi)), report)
        check(report, strict)
