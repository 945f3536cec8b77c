"""Parse Zeek's JSON-lines format: flat dotted keys, unset fields omitted, any ts encoding.

Blocks go to Arrow's reader whole; one it refuses (a line that is not JSON, a value of
another type than its column's) is read line by line instead (``json_rows``), so one bad
line or value costs only itself. Lines nested too deeply for a Zeek record never reach a
parser (``json_depth``).
"""

from __future__ import annotations

import codecs
import functools
import io
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.json as pajson

from . import columns as col
from .file_report import FileReport
from .json_guard import Span, blank, unsafe_lines
from .json_rows import parse_line, rows_to_table
from .schema import KINDS, LOG_NAME, generation_of, known_types, layout, zeek_type

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
        spans = unsafe_lines(block)
        skips = _numbered(block, first, spans)
        block = _valid_utf8(blank(block, spans) if spans else block)
        schema = _known_schema(self.report.kind)
        try:
            table = _without_absent(_read(block, schema), schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            table = self._read_lenient(block, first, skips)
        for line, why in sorted(skips):
            self.report.skip(line, why)
        table = self._flatten(table, first)
        self._take_kind(table)
        if table.num_rows:
            yield self._typed(table)


    def _flatten(self, table: pa.Table, first: int) -> pa.Table:
        """Nested objects (some pipelines write them) become dotted columns, as Zeek's.

        A key written both ways (``id.orig_h`` and ``"id":{"orig_h":…}``) keeps the flat
        one; the nested copy is read as ``id.orig_h.2`` and noted.
        """
        while any(pa.types.is_struct(f.type) for f in table.schema):
            table = table.flatten()
        names, seen = [], set()
        for name in table.column_names:
            if name in seen:
                self.report.header_problem(first, f"key {name!r} is written twice: the second "
                                           f"is read as {name + '.2'!r}")
                name += ".2"
            seen.add(name)
            names.append(name)
        return table.rename_columns(names) if names != table.column_names else table

    def _take_kind(self, table: pa.Table) -> None:
        """The kind from ``_path`` (JSON Streaming), when it is a log name at all."""
        if "_path" not in table.column_names or not table.num_rows:
            return
        value = table.column("_path")[0]
        if value.is_valid and LOG_NAME.match(str(value)):
            self.report.kind = str(value)

    def _read_lenient(self, block: bytes, first: int, skips: list[tuple[int, str]]
                      ) -> pa.Table:
        """Read line by line, checking each value: rare, so done in Python.

        A line that does not parse is added to ``skips`` as (line number, reason).
        """
        rows = []
        for offset, line in enumerate(block.split(b"\n")[:-1]):
            if not line.strip():  # a "### BTest" first line was already consumed by the reader
                continue
            try:
                rows.append(parse_line(line))
            except ValueError as exc:
                skips.append((first + offset, str(exc)))
        kind = self.report.kind
        if rows and isinstance(rows[0].get("_path"), str) and LOG_NAME.match(rows[0]["_path"]):
            kind = rows[0]["_path"]
        table, bad = rows_to_table(rows, kind, _EXTRA_TYPES)
        self.report.bad_values.update(bad)
        return table

    def _typed(self, table: pa.Table) -> pa.Table:
        self.report.saw_fields(table.column_names)
        arrays, names = [], []
        for name in table.column_names:
            if self.selected is not None and name not in self.selected:
                continue
            raw = _combined(table.column(name))
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


def _numbered(block: bytes, first: int, spans: list[Span]) -> list[tuple[int, str]]:
    """The line number and reason of each span (in order), counting newlines once."""
    out, line, at = [], first, 0
    for start, _end, why in spans:
        line += block.count(b"\n", at, start)
        at = start
        out.append((line, why))
    return out


def _guess(arrow: pa.DataType) -> str | None:
    """A Zeek type for a field no schema knows, so its strings are still unescaped."""
    if pa.types.is_string(arrow):
        return "string"
    if pa.types.is_list(arrow) and pa.types.is_string(arrow.value_type):
        return "vector[string]"
    return None


def _read(data: bytes, schema: pa.Schema | None = None) -> pa.Table:
    """Arrow's reader, with the types of the kind's fields given, and its result checked.

    Given types keep integers from passing through a float, and spare lists Arrow's
    promotion from null, which drops leading null elements and leaves an invalid array
    (pyarrow 26: ``[null,"x"]``). Fields no schema knows are still inferred, so the
    result is validated: an invalid one raises ArrowInvalid, and the block is read line
    by line instead.
    """
    table = pajson.read_json(
        io.BytesIO(data),
        read_options=pajson.ReadOptions(block_size=4 << 20),
        parse_options=pajson.ParseOptions(newlines_in_values=False, explicit_schema=schema),
    )
    table.validate(full=True)
    return table


_GIVEN = {"count": pa.uint64(), "int": pa.int64(), "port": pa.uint64(), "bool": pa.bool_(),
          "string": pa.string(), "enum": pa.string(), "addr": pa.string(),
          "subnet": pa.string()}


def _given(ztype: str) -> pa.DataType | None:
    inner = col.element_type(ztype)
    if inner is None:
        return _GIVEN.get(ztype)
    element = _GIVEN.get(inner)
    return None if element is None else pa.list_(element)


@functools.cache
def _known_schema(kind: str | None) -> pa.Schema | None:
    """The types of ``kind``'s fields that Arrow would otherwise have to guess."""
    base = (kind or "").removeprefix("open_")
    if base not in KINDS:
        return None
    given = [(name, _given(ztype)) for name, ztype in known_types(base).items()]
    return pa.schema([(name, arrow) for name, arrow in given if arrow is not None])


def _without_absent(table: pa.Table, schema: pa.Schema | None) -> pa.Table:
    """Drop the given columns that no line set: Arrow adds every field of the schema."""
    if schema is None:
        return table
    given = set(schema.names)
    empty = [name for name, column in zip(table.column_names, table.columns, strict=True)
             if name in given and column.null_count == len(column)]
    return table.drop_columns(empty) if empty else table


def _combined(column: pa.ChunkedArray) -> pa.Array:
    """One array of a column; lists of nulls (``[null,null]``) are rebuilt, since Arrow's
    reader gives them a child too short to concatenate."""
    if pa.types.is_list(column.type) and pa.types.is_null(column.type.value_type):
        chunks = [pa.ListArray.from_arrays(c.offsets, pa.nulls(c.offsets[-1].as_py() or 0),
                                           mask=c.is_null()) for c in column.chunks]
        return pa.concat_arrays(chunks) if chunks else pa.array([], column.type)
    return column.combine_chunks()


def _escape_byte(error: UnicodeError) -> tuple[str, int]:
    r"""A byte that is not UTF-8, as the JSON text ``\\xNN``: it reads back as ``\xNN``."""
    assert isinstance(error, UnicodeDecodeError)
    return f"\\\\x{error.object[error.start]:02x}", error.start + 1


codecs.register_error("zeekcert-json-bytes", _escape_byte)


def _valid_utf8(block: bytes) -> bytes:
    r"""Arrow's reader does not check UTF-8; a byte that is not is written as ``\xNN``."""
    if block.isascii():
        return block
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return block.decode("utf-8", "zeekcert-json-bytes").encode("utf-8")
    return block
