"""What every writer shares: one time form, JSON-ready values, CSV rows, one text table.

Every time zeekcert writes, in JSON, CSV, the state and the tables, is ``iso``: ISO 8601
in UTC with microseconds and ``Z``, fixed width, so the strings sort as the times do;
``short_time`` is the same instant cut to seconds for a table. Values stay as the logs
had them; each writer escapes for its own surface with ``sanitize``. JSON text itself is
written by ``json_text``.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np
import pandas as pd

from .sanitize import neutralise, terminal_safe

MAX_CELL = 60  # characters a table cell shows before it is cut with "…"
PIPE_WIDTH = 100  # a table's width on a pipe or in a file, where no terminal says its own


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


def iso_micros_many(micros: np.ndarray) -> list[str]:
    """``iso_micros`` of many times at once; years outside 1–9999 one by one."""
    values = np.asarray(micros, dtype=np.int64)
    text = np.char.add(np.datetime_as_string(values.astype("datetime64[us]"), unit="us"), "Z")
    out: list[str] = text.tolist()
    wild = (values < _YEAR_1) | (values >= _YEAR_10000)
    for i in np.flatnonzero(wild):
        out[i] = iso_micros(int(values[i]))
    return out


_YEAR_1 = int(np.datetime64("0001-01-01T00:00:00", "us").astype(np.int64))
_YEAR_10000 = int(np.datetime64("9999-12-31T23:59:59.999999", "us").astype(np.int64)) + 1


def short_time(value: str | None) -> str:
    """``2026-11-25 00:02:24Z`` from an ``iso`` string; empty for None."""
    return "" if not value else value[:19].replace("T", " ") + "Z"


def _plain(value: Any) -> Any:
    """JSON-ready: lists stay lists, times become ISO 8601 UTC, NA becomes null."""
    kind = type(value)
    if kind is str or kind is int or kind is bool:  # the common cases first: fast
        return value
    if kind is list and all(type(v) is str for v in value):
        return value
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
    """The rows as plain dicts, in column order; converted column by column, not per cell."""
    columns = {str(name): plain_column(frame[name]) for name in frame.columns}
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(),
                                                                    strict=True)]


def plain_column(column: pd.Series) -> list[Any]:
    """``_plain`` of every value of a column; times formatted all at once."""
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype | np.dtypes.DateTime64DType):
        return iso_column(column)
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        values: list[Any] = column.tolist()
        return values
    text_categories = isinstance(dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(
        dtype.categories)
    if (isinstance(dtype, np.dtype) and dtype.kind == "f") or text_categories or isinstance(
            dtype, pd.StringDtype | pd.Int64Dtype | pd.BooleanDtype):
        # Scalars only: as Python values, NA as None, without a call per cell.
        kept: list[Any] = column.astype(object).where(column.notna(), None).tolist()
        return kept
    values = column.tolist()
    if all(type(v) is list for v in values) and all(type(x) is str for v in values for x in v):
        return values  # lists of text, as a report's names and causes are: ready as they are
    if all(v is None or type(v) is str for v in values):
        return values
    return [_plain(v) for v in values]


def iso_column(column: pd.Series) -> list[str | None]:
    """``iso`` of every time in a column at once; None where there is none."""
    utc = pd.to_datetime(column, utc=True).dt.tz_localize(None).astype("datetime64[us]")
    values = utc.to_numpy()
    missing = np.isnat(values)
    text: list[str | None] = list(iso_micros_many(np.where(missing, 0, values.view(np.int64))))
    for i in np.flatnonzero(missing):
        text[i] = None
    return text


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
    """``text`` cut to ``limit`` columns on a terminal, the last an ellipsis when it was cut."""
    if display_width(text) <= limit:
        return text
    out, used = [], 0
    for char in text:
        step = _char_width(char)
        if used + step > limit - 1:
            break
        out.append(char)
        used += step
    return "".join(out) + "…"


def display_width(text: str) -> int:
    """How many terminal columns ``text`` takes: wide (East Asian) characters two,
    combining marks none. The text must be escaped already (no controls)."""
    if text.isascii():
        return len(text)
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


@dataclass(frozen=True)
class Fit:
    """How one column of a terminal table gives way when the table is too wide.

    The least ``priority`` gives way first: cut down to ``min_width`` if it has one,
    then left out if ``droppable``.
    """

    priority: int
    min_width: int = 0
    droppable: bool = True


def fit_table(header: Sequence[str], rows: Sequence[Sequence[str]], fits: Sequence[Fit],
              width: int | None) -> tuple[list[str], list[list[str]]]:
    """The header and rows that fit ``width`` columns: cut, then dropped, least first.

    No row ever wraps; ``width`` None keeps every column whole.
    """
    widths = [max([display_width(title), *(display_width(row[i]) for row in rows)])
              for i, title in enumerate(header)]
    keep = list(range(len(header)))
    if width is not None:
        _fit_widths(widths, keep, fits, width)
    return ([shorten(header[i], widths[i]) for i in keep],
            [[shorten(row[i], widths[i]) for i in keep] for row in rows])


def _fit_widths(widths: list[int], keep: list[int], fits: Sequence[Fit], width: int) -> None:
    def excess() -> int:
        return sum(widths[i] for i in keep) + 2 * (len(keep) - 1) - width

    natural = list(widths)
    order = sorted(range(len(widths)), key=lambda i: fits[i].priority)
    for i in order:  # first cut the columns that may be cut, least important first
        if excess() > 0 and fits[i].min_width and widths[i] > fits[i].min_width:
            widths[i] = max(fits[i].min_width, widths[i] - excess())
    dropped = []
    for i in order:  # then leave out whole columns, least important first
        if excess() > 0 and fits[i].droppable and len(keep) > 1:
            keep.remove(i)
            dropped.append(i)
    for i in reversed(dropped):  # take back, most important first, what fits after all
        if excess() + widths[i] + 2 <= 0:
            keep.append(i)
            keep.sort()
    for i in reversed(order):  # and give what room is left back to the columns cut
        if i in keep and excess() < 0:
            widths[i] = min(natural[i], widths[i] - excess())


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """The lines of a fixed-width table: each column as wide as its widest cell.

    Cells must be escaped already (``sanitize.terminal_safe``); nothing is cut here.
    """
    widths = [max([display_width(title), *(display_width(row[i]) for row in rows)])
              for i, title in enumerate(header)]
    return ["  ".join(_pad(cell, width) for cell, width in zip(line, widths, strict=True))
            .rstrip() for line in [header, *rows]]


def _pad(cell: str, width: int) -> str:
    return cell + " " * (width - display_width(cell))
