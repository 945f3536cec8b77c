"""What the loader read from each file: kind, format, rows, skipped lines and a status."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

import pandas as pd

from ..sanitize import html_escape
from .schema import KINDS

MAX_LINES_LISTED = 100  # skipped line numbers kept per file; the count is always exact


class FileStatus(StrEnum):
    """The outcome of reading one file; ``FileReport.finish`` says which wins."""

    OK = "ok"
    EMPTY = "empty"
    TRUNCATED = "truncated"
    OVERSIZED = "oversized"
    BAD_HEADER = "bad_header"
    RAGGED = "ragged"
    UNREADABLE = "unreadable"
    NOT_REGULAR = "not_regular"
    NOT_ZEEK = "not_zeek"
    DUPLICATE = "duplicate"

    @property
    def description(self) -> str:
        """One line saying what the status means."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    FileStatus.OK: "every line was read",
    FileStatus.EMPTY: "a zero-byte or header-only file: no rows, full schema",
    FileStatus.TRUNCATED: "the file is cut off: compressed stream or last line incomplete",
    FileStatus.OVERSIZED: "a line or the whole file passed a size cap: what came before was "
                          "kept, the rest skipped",
    FileStatus.BAD_HEADER: "the header is malformed (a field named twice, #types not "
                           "matching #fields): read as the message says",
    FileStatus.RAGGED: "lines with the wrong number of fields, or not JSON, were skipped",
    FileStatus.UNREADABLE: "the file could not be opened or read",
    FileStatus.NOT_REGULAR: "not a regular file (a FIFO, a device, a socket): not read",
    FileStatus.NOT_ZEEK: "the content is neither Zeek TSV nor Zeek JSON",
    FileStatus.DUPLICATE: "the same records as a file read earlier; counted once",
}


# Statuses that are not problems: nothing was lost or misread.
CLEAN = frozenset({FileStatus.OK, FileStatus.EMPTY, FileStatus.DUPLICATE})


@dataclass
class FileReport:
    """The load record of one file; ``skipped_lines`` lists where lines were dropped."""

    path: str
    kind: str | None = None
    format: str | None = None
    compression: str | None = None
    rows: int = 0
    skipped: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    bad_values: Counter[str] = field(default_factory=Counter)
    truncated: bool = False
    oversized: bool = False
    header_problems: list[str] = field(default_factory=list)
    link_target: str | None = None  # set when the name links outside the folder searched
    fields: list[str] = field(default_factory=list)  # the columns the file itself has
    status: FileStatus = FileStatus.OK
    message: str = ""
    # Where a read of a plain file could start again: (offset, rows, lines) before each
    # block's end, the last one at the end of its complete lines (see ``file.Resume``).
    resume_points: list[tuple[int, int, int]] = field(default_factory=list, repr=False)
    resumed_at: int = 0  # rows before the first row read: a read resumed (``file.Resume``)

    def skip(self, line: int, reason: str) -> None:
        """Count one dropped line, remembering where it was and the first reason."""
        self.skipped += 1
        if len(self.skipped_lines) < MAX_LINES_LISTED:
            self.skipped_lines.append(line)
        if not self.message:
            self.message = f"line {line}: {reason}"

    def saw_fields(self, names: list[str]) -> None:
        """Note columns this file has (a TSV header's, or keys of JSON lines)."""
        known = set(self.fields)
        self.fields += [n for n in names if n not in known]

    def header_problem(self, line: int, what: str) -> None:
        """Record a malformed header that was read anyway, as ``what`` says."""
        self.header_problems.append(f"line {line}: {what}")
        if not self.message:
            self.message = self.header_problems[-1]

    def finish(self) -> FileReport:
        """Settle the status from what was found; the worst finding wins.

        Worst first: unreadable, not regular or not Zeek (nothing read); oversized and
        truncated (the end is lost); a bad header (every row may be misread); ragged
        (some lines lost); then empty or ok.
        """
        if self.status in (FileStatus.UNREADABLE, FileStatus.NOT_REGULAR, FileStatus.NOT_ZEEK):
            return self
        if self.oversized:
            self.status = FileStatus.OVERSIZED
        elif self.truncated:
            self.status = FileStatus.TRUNCATED
        elif self.header_problems:
            self.status = FileStatus.BAD_HEADER
        elif self.skipped:
            self.status = FileStatus.RAGGED
        elif self.rows == 0:
            self.status = FileStatus.EMPTY
        else:
            self.status = FileStatus.OK
        return self


@dataclass(repr=False)
class LoadReport:
    """The record of a whole load: one FileReport per file, in the order they were found."""

    files: list[FileReport] = field(default_factory=list)
    repeated: dict[str, int] = field(default_factory=dict)  # rows of a kind seen twice
    sensors: list[str] = field(default_factory=list)  # when the run named its sensors
    merged: int = 0  # ssl rows left out: another sensor logged the connection (``overlap``)
    tolerance_s: float = 0.0  # how far apart two sensors' times of one connection may be

    def summary(self) -> str:
        """``168 files: 114 ok, 54 duplicate; 10,723 rows``."""
        counts = self.counts()
        statuses = ", ".join(f"{counts[s.value]} {s.value}" for s in FileStatus
                             if counts.get(s.value))
        rows = sum(self.rows_by_kind().values())
        n = len(self.files)
        return (f"{n:,} file{'' if n == 1 else 's'}: {statuses or 'none'}; "
                f"{rows:,} row{'' if rows == 1 else 's'}")

    def __repr__(self) -> str:
        return f"LoadReport({self.summary()})"

    def _repr_html_(self) -> str:
        """The summary and the files that were not read cleanly, escaped."""
        problems = "".join(
            f"<tr><td>{html_escape(f.status)}</td><td>{html_escape(f.path)}</td>"
            f"<td>{html_escape(f.message)}</td></tr>" for f in self.problems[:20])
        table = (f"<table><tr><th>status</th><th>file</th><th>why</th></tr>{problems}</table>"
                 if problems else "")
        return f"<p>{html_escape(self.summary())}</p>{table}"

    def to_frame(self) -> pd.DataFrame:
        """One row per file, for a notebook."""
        rows = [
            {
                "path": f.path,
                "kind": f.kind,
                "format": f.format,
                "compression": f.compression,
                "rows": f.rows,
                "skipped": f.skipped,
                "skipped_lines": list(f.skipped_lines),
                "bad_values": sum(f.bad_values.values()),
                "status": str(f.status),
                "message": f.message,
                "link_target": f.link_target,
            }
            for f in self.files
        ]
        return pd.DataFrame(rows, columns=list(_FRAME_COLUMNS))

    def counts(self) -> Counter[str]:
        """Files per status."""
        return Counter(str(f.status) for f in self.files)

    @property
    def problems(self) -> list[FileReport]:
        """The files that were not read cleanly."""
        return [f for f in self.files if f.status not in CLEAN]

    def rows_by_kind(self) -> Counter[str]:
        """Rows read per log kind; every kind zeekcert does not read counts as ``other``."""
        total: Counter[str] = Counter()
        for f in self.files:
            if f.status is not FileStatus.DUPLICATE and (f.rows or f.kind in KINDS):
                total[f.kind if f.kind in KINDS else "other"] += f.rows
        return total


_FRAME_COLUMNS = (
    "path", "kind", "format", "compression", "rows", "skipped",
    "skipped_lines", "bad_values", "status", "message", "link_target",
)
