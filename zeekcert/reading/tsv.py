"""Parse Zeek's TSV ("ASCII") format: header blocks, data segments and ragged rows.

A line is a header line only when it starts with the meta prefix: Zeek escapes a data
line's leading ``#`` as ``\\x23``, so ``#`` elsewhere is data. Quotes are never special.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from . import columns as col
from .file_report import FileReport
from .schema import KINDS, LOG_NAME, layout, zeek_type

_ESCAPED = re.compile(r"\\x([0-9a-fA-F]{2})")
_PREFIXED_SEPARATOR = re.compile(rb"^(.{1,16}?)separator (\S+)\r?$")
BTEST_LINE = b"### BTest"


def _decode_meta(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


@dataclass
class Header:
    """The settings of one TSV header block."""

    prefix: bytes = b"#"
    separator: str = "\t"
    markers: col.Markers = field(default_factory=col.Markers)
    path: str | None = None
    fields: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    def type_of(self, name: str, kind: str | None) -> str:
        """Return a field's Zeek type: declared in the header, else built in, else string."""
        if name in self.fields and len(self.types) == len(self.fields):
            return self.types[self.fields.index(name)]
        return zeek_type(kind, name) or "string"


def sniff_prefix(first_line: bytes) -> bytes | None:
    """Return the meta prefix if ``first_line`` is a ``#separator`` line, with any prefix."""
    match = _PREFIXED_SEPARATOR.match(first_line)
    return match.group(1) if match else None


class TsvParser:
    """Turns blocks of whole lines into typed Arrow tables, one per data segment."""

    def __init__(self, report: FileReport, prefix: bytes, columns: list[str] | None = None):
        self.report = report
        self.header = Header(prefix=prefix)
        self.selected = columns
        self.line = 1  # number of the next line to read
        self.kind: str | None = report.kind

    def bare_header(self, line: bytes) -> None:
        """Take a first line of plain column names, as Zeek's ``tsv`` mode writes."""
        self.header.fields = self._unique(line.rstrip(b"\r").decode("utf-8", "replace")
                                          .split("\t"))
        self.report.saw_fields(self.header.fields)
        self.header.types = [self.header.type_of(n, self.kind) for n in self.header.fields]

    def skip_line(self, reason: str) -> None:
        """Count the next line as skipped without reading it (one too long to hold)."""
        self.report.skip(self.line, reason)
        self.line += 1

    def feed(self, block: bytes) -> Iterator[pa.Table]:
        """Parse a block of whole lines, yielding one typed table per data segment."""
        prefix = self.header.prefix
        pos = 0
        while pos < len(block):
            if block.startswith(prefix, pos):
                end = block.index(b"\n", pos)
                self._meta(block[pos:end])
                self.line += 1
                pos = end + 1
                continue
            end = _next_meta(block, pos, prefix)
            yield from self._segment(block[pos:end])
            pos = end

    def _meta(self, line: bytes) -> None:
        """Apply one header line; other keys (``#open``, ``#close``, ``### BTest``) are ignored."""
        text = line[len(self.header.prefix):].rstrip(b"\r").decode("utf-8", "replace")
        if text.startswith("separator "):
            separator = _decode_meta(text[10:]) or self._default("separator", "\t")
            self.header = Header(prefix=self.header.prefix, separator=separator)
            return
        key, _, value = text.partition(self.header.separator)
        value = _decode_meta(value)
        h = self.header
        if key == "set_separator":
            value = value or self._default("set_separator", ",")
            h.markers = col.Markers(value, h.markers.empty, h.markers.unset)
        elif key == "empty_field":
            h.markers = col.Markers(h.markers.set_separator, value, h.markers.unset)
        elif key == "unset_field":
            h.markers = col.Markers(h.markers.set_separator, h.markers.empty, value)
        elif key == "path":
            self._path(value)
        elif key == "fields":
            h.fields = self._unique(value.split(h.separator))
            self.report.saw_fields(h.fields)
            h.types = [h.type_of(n, self.kind) for n in h.fields]
        elif key == "types":
            h.types = self._known_types(value.split(h.separator))
            if len(h.types) != len(h.fields):
                self.report.header_problem(self.line, f"#types has {len(h.types)} types for "
                                           f"{len(h.fields)} #fields: types from the built-in "
                                           "schema, else text")

    def _default(self, key: str, default: str) -> str:
        self.report.header_problem(self.line, f"#{key} is empty: {default!r} is used")
        return default

    def _known_types(self, types: list[str]) -> list[str]:
        """Zeek type names; one zeekcert does not know is noted, and the built-in one used."""
        fields = self.header.fields
        out = []
        for i, ztype in enumerate(types):
            if not col.is_zeek_type(ztype):
                name = fields[i] if i < len(fields) else f"field {i + 1}"
                ztype = zeek_type(self.kind, name) or "string"
                self.report.header_problem(self.line, f"#types gives {name!r} a type Zeek has "
                                           f"not: read as {ztype}")
            out.append(ztype)
        return out

    def _path(self, value: str) -> None:
        """The log's kind; a ``#path`` that is no log name is noted and not taken."""
        if not LOG_NAME.match(value):
            self.report.header_problem(self.line, f"#path {value!r} is not a log name: "
                                       "the kind comes from the file name")
            return
        self.header.path = self.kind = self.report.kind = value

    def _unique(self, names: list[str]) -> list[str]:
        """Field names, a repeated one renamed ``name.2``, ``name.3``: no column is dropped."""
        seen: dict[str, int] = {}
        out = []
        for name in names:
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                renamed = f"{name}.{seen[name]}"
                self.report.header_problem(self.line, f"#fields names {name!r} more than "
                                           f"once: copy {seen[name]} is read as {renamed!r}")
                name = renamed
            out.append(name)
        return out

    def _segment(self, data: bytes) -> Iterator[pa.Table]:
        """Parse consecutive data lines under the current header."""
        first = self.line
        if not self.header.fields:
            lines = data.count(b"\n")
            for offset in range(lines):
                self.report.skip(first + offset, "data before any #fields header")
            self.line += lines
            return
        skipped_before = self.report.skipped
        raw = self._split(data, first)
        # Every line is a row or a skip (empty lines are not ignored), so no need to count.
        self.line += raw.num_rows + self.report.skipped - skipped_before
        if raw.num_rows:
            yield self._typed(raw)

    def _split(self, data: bytes, first: int) -> pa.Table:
        """Split and convert with Arrow's CSV reader, falling back step by step.

        First with the types the reader can convert itself; if a value does not convert,
        again as text (values are then parsed here and bad ones counted); if the bytes are
        not UTF-8, again after marking bad bytes; as a last resort, in Python.
        """
        h = self.header
        names = h.fields
        if len(h.separator) != 1 or len(set(names)) != len(names) or ord(h.separator) > 127:
            return self._split_python(data, first)
        data = _escape_lone_cr(data)
        hexish = _hexish(data)  # once per block: it scans the whole block
        native = {n: col.csv_type(h.type_of(n, self.kind), hexish=hexish) for n in names}
        text = dict.fromkeys(names, pa.string())
        attempts: tuple[tuple[Callable[[], bytes], dict[str, pa.DataType]], ...] = (
            (lambda: data, native), (lambda: data, text), (lambda: _mark_bad_utf8(data), text))
        # Bytes that are not UTF-8 go straight to the last attempt: pyarrow cannot hand a
        # row of them to the invalid-row handler, and would print the failure on stderr.
        start = 0 if _is_utf8(data) else 2
        for attempt, (content, types) in enumerate(attempts[start:], start):
            bad: list[str] = []
            try:
                table = _read_csv(content(), h, types, self._wanted(), bad)
            except pa.ArrowInvalid:
                continue
            if attempt:
                self.report.message = self.report.message or "values that do not convert"
            self._locate(data, bad, first)
            return table
        return self._split_python(data, first)

    def _wanted(self) -> list[str]:
        if self.selected is None:
            return list(self.header.fields)
        return [n for n in self.header.fields if n in self.selected]

    def _locate(self, data: bytes, bad_rows: list[str], first: int) -> None:
        """Count each skipped row at its line: the lines whose number of fields is wrong.

        Counted from the bytes, not found by the row's text: two rows can have the same
        text, and a row with bytes that are not UTF-8 has another text after marking.
        """
        if not bad_rows:
            return
        expected = len(self.header.fields)
        for line, fields in _lines_with_wrong_fields(data, self.header.separator, expected):
            self.report.skip(first + line, f"{fields} fields, expected {expected}")

    def _split_python(self, data: bytes, first: int) -> pa.Table:
        """Split in Python: for multi-character separators and bytes pyarrow refuses."""
        names, sep = self.header.fields, self.header.separator
        rows: list[list[str | None]] = []
        text = data.decode("utf-8", "backslashreplace")
        unset = self.header.markers.unset
        for offset, line in enumerate(text.split("\n")[:-1]):
            parts = line.rstrip("\r").split(sep)
            if len(parts) == len(names):
                rows.append([None if p == unset else p for p in parts])
            else:
                self.report.skip(first + offset, f"{len(parts)} fields, expected {len(names)}")
        wanted = self._wanted()
        return pa.table({n: pa.array([r[names.index(n)] for r in rows], pa.string())
                         for n in wanted})

    def _typed(self, raw: pa.Table) -> pa.Table:
        """Convert each string column to its Zeek type, counting values that do not parse.

        Columns are converted on both cores: Arrow's kernels release the GIL.
        """
        names = raw.column_names

        def convert(name: str) -> tuple[pa.Array, int]:
            ztype = self.header.type_of(name, self.kind)
            return col.from_tsv(ztype, raw.column(name).combine_chunks(), self.header.markers)

        results = list(_pool().map(convert, names)) if raw.num_rows > 10_000 else [
            convert(n) for n in names]
        for name, (_, bad) in zip(names, results, strict=True):
            if bad:
                self.report.bad_values[name] += bad
        self.report.rows += raw.num_rows
        return pa.table([typed for typed, _ in results], names=names)


@functools.cache
def _pool() -> ThreadPoolExecutor:
    """One small pool for column conversion, shared by every parser in the process."""
    return ThreadPoolExecutor(max(2, os.cpu_count() or 2), thread_name_prefix="zeekcert-col")


def _next_meta(block: bytes, pos: int, prefix: bytes) -> int:
    """Return where the next line starting with ``prefix`` begins, or the block's end.

    Searching for the prefix's first byte alone is far faster than for newline+prefix,
    because newlines are everywhere and ``#`` is rare.
    """
    lead = prefix[:1]
    at = block.find(lead, pos)
    while at >= 0:
        if block[at - 1:at] == b"\n" and block.startswith(prefix, at):
            return at
        at = block.find(lead, at + 1)
    return len(block)


def _lines_with_wrong_fields(data: bytes, separator: str,
                             expected: int) -> list[tuple[int, int]]:
    """(line index, fields) of each line of ``data`` without ``expected`` fields."""
    array = np.frombuffer(data, np.uint8)
    newlines = np.flatnonzero(array == 0x0A)
    seps = np.flatnonzero(array == ord(separator))
    per_line = np.bincount(np.searchsorted(newlines, seps), minlength=len(newlines) + 1)
    per_line = per_line[:len(newlines)] + 1
    # An empty line is a row to Arrow (ignore_empty_lines is off), not a skipped line:
    # counting it here too would count it twice.
    starts = np.r_[0, newlines[:-1] + 1].astype(np.int64)
    length = newlines - starts
    cr_only = (length == 1) & (array[np.minimum(starts, max(len(array) - 1, 0))] == 0x0D)
    empty = (length == 0) | cr_only  # CRLF: Arrow ends the line at the CR too
    wrong = np.flatnonzero((per_line != expected) & ~empty)
    return list(zip(wrong.tolist(), per_line[wrong].tolist(), strict=True))


def _hexish(data: bytes) -> bool:
    """Whether a value may be written ``0x10``: Arrow would read it as 16, Zeek never writes it."""
    return b"0x" in data or b"0X" in data


_LONE_CR = re.compile(rb"\r(?!\n)")


def _escape_lone_cr(data: bytes) -> bytes:
    """A CR that does not end a line, as Zeek's ``\\x0d``: Arrow's reader would end the row."""
    return _LONE_CR.sub(rb"\\x0d", data) if b"\r" in data else data


def _is_utf8(data: bytes) -> bool:
    if data.isascii():  # the common case, and a fast one
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _mark_bad_utf8(data: bytes) -> bytes:
    return data.decode("utf-8", "backslashreplace").encode("utf-8")


def _read_csv(data: bytes, header: Header, types: dict[str, pa.DataType], wanted: list[str],
              bad: list[str]) -> pa.Table:
    """Split on the separator only: no quoting, no escapes, no comments; unset is null."""
    def invalid(row: pacsv.InvalidRow) -> str:
        bad.append(row.text)
        return "skip"

    return pacsv.read_csv(
        pa.py_buffer(data),
        read_options=pacsv.ReadOptions(column_names=header.fields, block_size=1 << 20),
        parse_options=pacsv.ParseOptions(
            delimiter=header.separator, quote_char=False, escape_char=False,
            double_quote=False, newlines_in_values=False, ignore_empty_lines=False,
            invalid_row_handler=invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=types, include_columns=wanted, null_values=[header.markers.unset],
            strings_can_be_null=True, quoted_strings_can_be_null=False,
            true_values=["T"], false_values=["F"],
        ),
    )


def empty_table(kind: str | None, header: Header | None, selected: list[str] | None) -> pa.Table:
    """A zero-row table with the header's columns, or the built-in layout of ``kind``."""
    if header is not None and header.fields:
        fields = {n: header.type_of(n, kind) for n in header.fields}
    elif kind is not None and kind.removeprefix("open_") in KINDS:
        fields = layout(kind.removeprefix("open_"))
    else:
        fields = {}
    if selected is not None:
        fields = {n: t for n, t in fields.items() if n in selected}
    return pa.schema([(n, col.arrow_type(t)) for n, t in fields.items()]).empty_table()
