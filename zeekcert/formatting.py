"""What every writer shares: JSON-ready values, one ISO 8601 time form, CSV of records.

Values stay as the logs had them; each writer escapes for its own surface (see
``sanitize``).
"""

from __future__ import annotations

import csv
from typing import Any, TextIO

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def iso(value: Any) -> str | None:
    """A time as ISO 8601 UTC with microseconds and ``Z``; None for a missing time."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def neutralise(cell: str) -> str:
    """Prefix a quote to a cell a spreadsheet would read as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def write_csv(frame: pd.DataFrame, out: TextIO) -> None:
    """One row per frame row; lists joined with ``;``; formula-like cells neutralised."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in records(frame):
        writer.writerow([neutralise(cell_text(v)) for v in row.values()])


def cell_text(value: Any) -> str:
    """A plain value as one line of text: lists joined with ``;``, None empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(cell_text(v) for v in value)
    return str(value)
