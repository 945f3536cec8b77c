"""Write an inventory as a terminal table, JSON, CSV or Parquet, safely.

Every string in the inventory may come from a hostile server (SNI, subject, issuer), so
the table escapes control and bidi characters, and CSV neutralises cells that a
spreadsheet would run as a formula.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, TextIO

import pandas as pd

from .. import formatting
from ..formatting import (
    PIPE_WIDTH,
    Fit,
    cell_text,
    fit_table,
    records,
    short_time,
    text_table,
)
from ..hunting import component_text
from ..json_text import Parts, write_json_text
from ..sanitize import terminal_safe
from .lifecycle import ServerStatus

SCHEMA_VERSION = 1
PART_ROWS = 20_000  # servers converted and written at a time
# (field, title, how it gives way on a narrow terminal), in the order the table shows them.
TABLE_COLUMNS = [
    ("status", "status", Fit(100, droppable=False)), ("resp_h", "server", Fit(99, droppable=False)),
    ("resp_p", "port", Fit(98, droppable=False)), ("acknowledged", "ack", Fit(80)),
    ("causes", "causes", Fit(70, 17)), ("connections", "tonight", Fit(75)),
    ("total_connections", "all", Fit(40)), ("client", "busiest client", Fit(65, 15)),
    ("polled", "polled", Fit(78)), ("clients", "clients", Fit(35)),
    ("first_seen", "first seen", Fit(30)), ("last_seen", "last seen", Fit(60)),
    ("server_names", "names", Fit(45, 14)), ("subject", "subject", Fit(50, 16)),
]
_SCORE = ("hunt_score", "score", Fit(85))
_LABELS = ("labels", "labels", Fit(72, 20))


def write_json(frame: pd.DataFrame, out: TextIO) -> None:
    """``{"schema_version": 1, "servers": [...]}``; documented in the README."""
    parts = (records(frame.iloc[i:i + PART_ROWS]) for i in range(0, len(frame), PART_ROWS))
    write_json_text({"schema_version": SCHEMA_VERSION, "servers": Parts(parts)}, out)
    out.write("\n")


def write_csv(frame: pd.DataFrame, out: TextIO) -> None:
    """One row per server; lists joined with ``;``; formula-like cells neutralised; each
    hunt component as ``self_signed (+3): its certificate is self-signed`` (a cell that
    began with ``+`` would be neutralised as a formula)."""
    if "hunt_components" in frame.columns:
        shown = [[component_text(c) for c in cs or []] for cs in frame["hunt_components"]]
        frame = frame.assign(hunt_components=pd.Series(shown, index=frame.index, dtype=object))
    formatting.write_csv(frame, out)


def write_table(frame: pd.DataFrame, out: TextIO, width: int | None = PIPE_WIDTH) -> None:
    """The inventory for a terminal: what changed in this run, then a table like the
    report's, fitted to ``width`` (None: every value whole), each escaped for the terminal."""
    out.write(changes_line(frame) + "\n")
    if not len(frame):
        out.write("(no servers)\n")
        return
    columns = TABLE_COLUMNS
    if "hunt_score" in frame.columns:
        columns = [*columns[:3], _SCORE, *columns[3:]]
    if "labels" in frame.columns and frame["labels"].map(bool).any():
        columns = [*columns, _LABELS]
    if "sensors" in frame.columns and frame["sensors"].map(bool).any():
        at = [key for key, _, _ in columns].index("clients") + 1
        columns = [*columns[:at], ("sensors", "sensors", Fit(55, 12)), *columns[at:]]
    header = [title for _, title, _ in columns]
    cells = [[terminal_safe(_shown(row, key)) for key, _, _ in columns]
             for row in records(frame)]
    header, cells = fit_table(header, cells, [fit for _, _, fit in columns], width)
    out.writelines(line + "\n" for line in text_table(header, cells))


def changes_line(frame: pd.DataFrame) -> str:
    """``This run: 2 new, 1 changed, 5 active, 0 quiet, 1 gone (9 servers)``."""
    counts = frame["status"].value_counts() if len(frame) else pd.Series(dtype=int)
    parts = ", ".join(f"{int(counts.get(s.value, 0))} {s.value}" for s in ServerStatus)
    n = len(frame)
    return f"This run: {parts} ({n} server{'' if n == 1 else 's'})"


def _shown(row: dict[str, Any], key: str) -> str:
    """One field as the table shows it: yes/no, times to the second, lists shortened."""
    value = row.get(key)
    if key == "acknowledged":
        return "yes" if value else "no"
    if key in ("first_seen", "last_seen"):
        return short_time(value)
    if key == "polled":
        period = row.get("median_interval_s")
        return f"every {period:.0f} s" if row.get("clockwork") and period else ""
    if key == "client":
        if row.get("clockwork") and row.get("beacon_client"):
            return str(row["beacon_client"])
        tops = row.get("top_clients") or []
        return str(tops[0]) if tops else ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value[:3]) + (
            f" (+{len(value) - 3} more)" if len(value) > 3 else "")
    return cell_text(value)


def write_parquet(frame: pd.DataFrame, out: BinaryIO) -> None:
    """Parquet, with list columns kept as lists."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    out.write(buffer.getvalue())
