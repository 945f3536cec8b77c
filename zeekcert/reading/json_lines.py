"""Parse Zeek's JSON-lines format: flat dotted keys, unset fields omitted, any ts encoding."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.json as pajson

from . import columns as col
from .file_report import FileReport
from .schema import KINDS, generation_of, layout, zeek_type

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
        try:
            table = _read(block)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            table = self._read_lenient(block, first)
        table = _flatten(table)
        if "_path" in table.column_names and table.num_rows and table.column("_path")[0].is_valid:
            self.report.kind = str(table.column("_path")[0])
        if table.num_rows:
            yield self._typed(table)

    def _read_lenient(self, block: bytes, first: int) -> pa.Table:
        """Drop the lines that do not parse, then read the rest; rare, so done in Python."""
        good: list[bytes] = []
        for offset, line in enumerate(block.split(b"\n")[:-1]):
            if not line.strip():  # a "### BTest" first line was already consumed by the reader
                continue
            try:
                parsed = json.loads(line)
            except ValueError as exc:
                self.report.skip(first + offset, f"not JSON: {getattr(exc, 'msg', exc)}")
                continue
            if not isinstance(parsed, dict):
                self.report.skip(first + offset, "not a JSON object")
                continue
            good.append(line)
        data = b"\n".join(good) + b"\n" if good else b""
        try:
            return _read(data) if good else pa.table({})
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return _from_python([json.loads(line) for line in good])

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


def _from_python(rows: list[dict[str, object]]) -> pa.Table:
    """Build columns from parsed objects; a column of mixed types is kept as JSON text."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    data = {}
    for name in names:
        values = [row.get(name) for row in rows]
        try:
            data[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            data[name] = pa.array(
                [v if v is None or isinstance(v, str) else json.dumps(v) for v in values],
                pa.string(),
            )
    return pa.table(data)
