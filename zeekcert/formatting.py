"""What every writer shares: one time form, JSON-ready values, CSV rows, one text table.

Every time zeekcert writes, in JSON, CSV, the state and the tables, is ``iso``: ISO 8601
in UTC with microseconds and ``Z``, fixed width, so the strings sort as the times do;
``short_time`` is the same instant cut to seconds for a table. Values stay as the logs
had them; each writer escapes for its own surface with ``sanitize``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any, TextIO

import pandas as pd

from .sanitize import neutralise, terminal_safe

MAX_CELL = 60  # characters a table cell shows before it is cut with "…"


def iso(value: Any) -> str | None:
    """A time as ISO 8601 UTC with microseconds and ``Z``; None for a missing time.

    A time without a zone is taken to be UTC.
    """
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    # Four-digit years, zero-padded (strftime does not pad year 1); beyond 9999 (a sensor's
    # clock gone wrong), ISO 8601's signed expanded years.
    year = f"{stamp.year:04d}" if 0 <= stamp.year <= 9999 else f"{stamp.year:+05d}"
    return (f"{year}-{stamp.month:02d}-{stamp.day:02d}T{stamp.hour:02d}:{stamp.minute:02d}:"
            f"{stamp.second:02d}.{stamp.microsecond:06d}Z")


def iso_micros(micros: int) -> str:
    """``iso`` of a time given as integer microseconds since the epoch."""
    return iso(pd.Timestamp(micros, unit="us", tz="UTC")) or ""


def short_time(value: str | None) -> str:
    """``2026-11-25 00:02:24Z`` from an ``iso`` string; empty for None."""
    return "" if not value else value[:19].replace("T", " ") + "Z"


def _plain(value: Any) -> Any:
    """JSON-ready: lists stay lists, times become ISO 8601 UTC, NA becomes null."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, str):
        return _plain(value.tolist())
    if isinstance(value, pd.Timestamp):
        return iso(value)
    if value is None or (not isinstance(value, list | str) and pd.isna(value)):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as plain dicts, in column order."""
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def write_csv(frame: pd.DataFrame, out: TextIO) -> None:
    """One row per frame row; lists joined with ``;``; every cell safe for a spreadsheet.

    Control, bidi and invisible characters are escaped as on the terminal, so a CR or LF
    in a value never splits a row, even for a reader that splits on CR; then a cell a
    spreadsheet would run as a formula gets a leading quote.
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in records(frame):
        writer.writerow([csv_cell(v) for v in row.values()])


def csv_cell(value: Any) -> str:
    """One CSV cell: escaped, then neutralised."""
    return neutralise(terminal_safe(cell_text(value)))


def cell_text(value: Any) -> str:
    """A plain value as one line of text: lists joined with ``;``, None empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(cell_text(v) for v in value)
    return str(value)


def shorten(text: str, limit: int = MAX_CELL) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when it was cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """The lines of a fixed-width table: each column as wide as its widest cell.

    Cells must be escaped already (``sanitize.terminal_safe``); nothing is cut here.
    """
    widths = [max([len(title), *(len(row[i]) for row in rows)])
              for i, title in enumerate(header)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
            .rstrip() for line in [header, *rows]]
