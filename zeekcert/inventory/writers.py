"""Write an inventory as a terminal table, JSON, CSV or Parquet, safely.

Every string in the inventory may come from a hostile server (SNI, subject, issuer), so
the table escapes control and bidi characters, and CSV neutralises cells that a
spreadsheet would run as a formula.
"""

from __future__ import annotations

import io
import json
from typing import BinaryIO, TextIO

import pandas as pd

from .. import formatting
from ..formatting import cell_text, records, shorten, text_table
from ..sanitize import terminal_safe

SCHEMA_VERSION = 1
TABLE_COLUMNS = ["status", "resp_h", "resp_p", "causes", "total_connections", "clients",
                 "first_seen", "last_seen", "server_names", "subject", "acknowledged"]


def write_json(frame: pd.DataFrame, out: TextIO) -> None:
    """``{"schema_version": 1, "servers": [...]}``; documented in the README."""
    json.dump({"schema_version": SCHEMA_VERSION, "servers": records(frame)}, out, indent=2,
              ensure_ascii=True)  # C1 controls and bidi overrides as \u escapes
    out.write("\n")


def write_csv(frame: pd.DataFrame, out: TextIO) -> None:
    """One row per server; lists joined with ``;``; formula-like cells neutralised."""
    formatting.write_csv(frame, out)


def write_table(frame: pd.DataFrame, out: TextIO) -> None:
    """A fixed-width text table of the main columns, every value escaped for the terminal."""
    header = [c for c in TABLE_COLUMNS if c in frame.columns]
    rows = records(frame[header])
    cells = [[shorten(terminal_safe(cell_text(v))) for v in row.values()] for row in rows]
    out.writelines(line + "\n" for line in text_table(header, cells))
    if not cells:
        out.write("(no servers)\n")


def write_parquet(frame: pd.DataFrame, out: BinaryIO) -> None:
    """Parquet, with list columns kept as lists."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    out.write(buffer.getvalue())
