"""Parse Zeek's JSON-lines format: flat dotted keys, unset fields omitted, any ts encoding.

Blocks go to Arrow's reader whole; one it refuses (a line that is not JSON, a value of
another type than its column's) is read line by line instead (``json_rows``), so one bad
line or value costs only itself. Lines nested too deeply for a Zeek record never reach a
parser (``json_depth``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.json as pajson

from . import columns as col
from .file_report import FileReport
from .json_depth import MAX_DEPTH, blank, too_deep
from .json_rows import parse_line, rows_to_table
from .schema import KINDS, LOG_NAME, generation_of, layout, zeek_type

# Fields added by the JSON Streaming package and Corelight, typed for every kind.
_EXTRA_TYPES = {"ts": "time", "_path": "string", "_write_ts": "time", "_system_name": "string"}


class JsonParser:
    """Turns blocks of whole JSON lines into typed Arrow tables."""

    def __init__(self, report: FileReport, columns: list[str] | None = None):
        self.report = report
        self.selected = columns
        self.line = 1

    def skip_line(self, reason: str) -> None:
        """Count the next line as skipped without reading it (one too long to hold)."""
        self.report.skip(self.line, reason)
        self.line += 1

    def feed(self, block: bytes) -> Iterator[pa.Table]:
        """Parse one block; lines that are not JSON objects are skipped and counted."""
        first = self.line
        self.line += block.count(b"\n")
        block = self._without_deep_lines(block, first)
        try:
            table = _read(block)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            table = self._read_lenient(block, first)
        table = _flatten(table)
        self._take_kind(table)
        if table.num_rows:
            yield self._typed(table)

    def _without_deep_lines(self, block: bytes, first: int) -> bytes:
        spans = too_deep(block)
        for start, _end in spans:
            self.report.skip(first + block.count(b"\n", 0, start),
                             f"nested more than {MAX_DEPTH} levels deep: not a Zeek record")
        return blank(block, spans) if spans else block

    def _take_kind(self, table: pa.Table) -> None:
        """The kind from ``_path`` (JSON Streaming), when it is a log name at all."""
        if "_path" not in table.column_names or not table.num_rows:
            return
        value = table.column("_path")[0]
        if value.is_valid and LOG_NAME.match(str(value)):
            self.report.kind = str(value)

    def _read_lenient(self, block: bytes, first: int) -> pa.Table:
        """Read line by line, checking each value: rare, so done in Python."""
        rows = []
        for offset, line in enumerate(block.split(b"\n")[:-1]):
            if not line.strip():  # a "### BTest" first line was already consumed by the reader
                continue
            try:
                rows.append(parse_line(line))
            except ValueError as exc:
                self.report.skip(first + offset, str(exc))
        kind = self.report.kind
        if rows and isinstance(rows[0].get("_path"), str) and LOG_NAME.match(rows[0]["_path"]):
            kind = rows[0]["_path"]
        table, bad = rows_to_table(rows, kind, _EXTRA_TYPES)
        self.report.bad_values.update(bad)
        return table

    def _typed(self, table: pa.Table) -> pa.Table:
        arrays, names = [], []
        for name in table.column_names:
            if self.selected is not None and name not in self.selected:
                continue
            raw = table.column(name).combine_chunks()
            ztype = _EXTRA_TYPES.get(name) or zeek_type(self.report.kind, name) or _guess(raw.type)
            typed, bad = col.from_json(ztype, raw) if ztype else (raw, 0)
            if bad:
                self.report.bad_values[name] += bad
            arrays.append(typed)
            names.append(name)
        self.report.rows += table.num_rows
        return self._complete(pa.table(arrays, names=names))

    def _complete(self, table: pa.Table) -> pa.Table:
        """Add the layout's columns that no line set, typed, and put columns in Zeek's order."""
        base = (self.report.kind or "").removeprefix("open_")
        if base not in KINDS:
            return table
        fields = layout(base, generation_of(base, table.column_names))
        if self.selected is not None:
            fields = {n: t for n, t in fields.items() if n in self.selected}
        for name, ztype in fields.items():
            if name not in table.column_names:
                table = table.append_column(name, pa.nulls(table.num_rows, col.arrow_type(ztype)))
        first = [n for n in ("_path", "_write_ts") if n in table.column_names]
        order = first + list(fields) + [n for n in table.column_names
                                        if n not in fields and n not in first]
        return table.select(order)


def _guess(arrow: pa.DataType) -> str | None:
    """A Zeek type for a field no schema knows, so its strings are still unescaped."""
    if pa.types.is_string(arrow):
        return "string"
    if pa.types.is_list(arrow) and pa.types.is_string(arrow.value_type):
        return "vector[string]"
    return None


def _read(data: bytes) -> pa.Table:
    return pajson.read_json(
        io.BytesIO(data),
        read_options=pajson.ReadOptions(block_size=4 << 20),
        parse_options=pajson.ParseOptions(newlines_in_values=False),
    )


def _flatten(table: pa.Table) -> pa.Table:
    """Nested objects (some pipelines write them) become dotted columns, as Zeek writes them."""
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table
