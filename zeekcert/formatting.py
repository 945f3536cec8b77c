"""Write an inventory as a terminal table, JSON, CSV or Parquet, safely.

Every string in the inventory may come from a hostile server (SNI, subject, issuer), so
the table escapes control and bidi characters, and CSV neutralises cells that a
spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, BinaryIO, TextIO

import pandas as pd

from .sanitize import terminal_safe

SCHEMA_VERSION = 1
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TABLE_COLUMNS = ["status", "resp_h", "resp_p", "causes", "total_connections", "clients",
                 "first_seen", "last_seen", "server_names", "subject", "acknowledged"]


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


def write_json(frame: pd.DataFrame, out: TextIO) -> None:
    """``{"schema_version": 1, "servers": [...]}``; documented in the README."""
    json.dump({"schema_version": SCHEMA_VERSION, "servers": records(frame)}, out, indent=2,
              ensure_ascii=True)  # C1 controls and bidi overrides as \u escapes
    out.write("\n")


def neutralise(cell: str) -> str:
    """Prefix a quote to a cell a spreadsheet would read as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def write_csv(frame: pd.DataFrame, out: TextIO) -> None:
    """One row per server; lists joined with ``;``; formula-like cells neutralised."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in records(frame):
        writer.writerow([neutralise(_cell(v)) for v in row.values()])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    return str(value)


def write_table(frame: pd.DataFrame, out: TextIO) -> None:
    """A fixed-width text table of the main columns, every value escaped for the terminal."""
    rows = records(frame[[c for c in TABLE_COLUMNS if c in frame.columns]])
    cells = [[terminal_safe(_cell(v))[:60] for v in row.values()] for row in rows]
    header = [c for c in TABLE_COLUMNS if c in frame.columns]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    for line in [header, *cells]:
        out.write("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() + "\n")
    if not cells:
        out.write("(no servers)\n")


def write_parquet(frame: pd.DataFrame, out: BinaryIO) -> None:
    """Parquet, with list columns kept as lists."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    out.write(buffer.getvalue())
