"""Read one Zeek log file, whatever its format and compression, into a typed table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import ZeekLogError
from .arrow import concat_tables, loading_pool, to_pandas
from .discovery import kind_from_name
from .file_report import CLEAN, FileReport, FileStatus
from .json_lines import JsonParser
from .lines import MAX_LINE_BYTES, Block, Tail, line_blocks, prefetch
from .stream import NotRegular, Stream, open_stream
from .tsv import BTEST_LINE, TsvParser, empty_table, sniff_prefix

_ZEEKISH = {"ts", "uid", "id.orig_h", "fingerprint", "host", "_path"}
_BOM = b"\xef\xbb\xbf"
READ_AHEAD_BYTES = 4 << 20  # files bigger than this (on disk) are read a block ahead
_TOO_LONG = f"longer than {MAX_LINE_BYTES >> 20} MiB: skipped"


def read_log(path: str | Path, columns: list[str] | None = None,
             strict: bool = False) -> pd.DataFrame:
    """Read one Zeek log into a typed DataFrame; its FileReport is in ``df.attrs['zeekcert']``."""
    with loading_pool():
        table, report = read_table(path, columns=columns, strict=strict)
        frame = to_pandas(table)
        del table
    frame.attrs["zeekcert"] = report
    return frame


def read_table(path: str | Path, columns: list[str] | None = None,
               strict: bool = False) -> tuple[pa.Table, FileReport]:
    """Read one file into a single Arrow table and its report."""
    report = FileReport(str(path))
    with loading_pool():
        table = concat_tables(list(iter_tables(path, report, columns=columns)))
    check(report, strict)
    return table, report


def read_blocks(path: str | Path, report: FileReport,
                columns: list[str] | None = None) -> Iterator[pa.Table]:
    """``iter_tables``, with the next block read in a helper thread while the caller
    works on this one when the file is big enough to have a next block.

    A thread costs about a millisecond to start: a tree of a thousand one-row files would
    pay it a thousand times for nothing. A small file is read block by block here, under
    the loading pool only while a block is read, never while the caller works.
    """
    tables = iter_tables(path, report, columns=columns)
    try:
        big = Path(path).stat().st_size > READ_AHEAD_BYTES
    except OSError:  # iter_tables says what is wrong with it
        big = False
    if big:
        yield from prefetch(_pooled(tables))
        return
    while True:
        with loading_pool():
            table = next(tables, None)
        if table is None:
            return
        yield table


def _pooled(tables: Iterator[pa.Table]) -> Iterator[pa.Table]:
    with loading_pool():
        yield from tables


def check(report: FileReport, strict: bool) -> None:
    """With ``strict``, raise ZeekLogError for any file that was not read cleanly."""
    if strict and report.status not in CLEAN:
        line = report.skipped_lines[0] if report.skipped_lines else None
        raise ZeekLogError(f"{report.status}: {report.message}", report.path, line)


def iter_tables(path: str | Path, report: FileReport,
                columns: list[str] | None = None) -> Iterator[pa.Table]:
    """Yield typed tables of at most one block each, filling ``report`` as it goes.

    Never raises for bad content: an unreadable or foreign file gets its status and
    yields nothing. Any other file yields at least one table, empty if it has no rows,
    so that its schema is known.
    """
    report.kind = kind_from_name(path)
    try:
        stream = open_stream(path)
        report.compression = stream.compression
        yield from _parse(stream, report, columns)
    except NotRegular as exc:
        report.status, report.message = FileStatus.NOT_REGULAR, exc.message
    except ZeekLogError as exc:
        report.status, report.message = FileStatus.UNREADABLE, exc.message
    report.finish()


def _parse(stream: Stream, report: FileReport, columns: list[str] | None) -> Iterator[pa.Table]:
    tail = Tail()
    blocks = line_blocks(stream, tail)
    first = _first_block(blocks, tail, report)
    parser, consumed = _choose_parser(first if first is not None else tail.data, report, columns)
    produced = False
    if parser is not None:
        parser.line = consumed + 1
        for block in _chain(_drop_lines(first, consumed), blocks):
            if not isinstance(block, bytes):  # OVERLONG: a line too long to hold
                parser.skip_line(_TOO_LONG)
                report.oversized = True
                continue
            for table in parser.feed(block):
                produced = True
                yield table
        if not stream.oversized:  # past a cap, the last partial line is only where we stopped
            _finish_tail(tail, parser, report)
    _settle_stream(stream, report)
    if not produced and report.status is not FileStatus.NOT_ZEEK:
        header = parser.header if isinstance(parser, TsvParser) else None
        yield empty_table(report.kind, header, columns)


def _first_block(blocks: Iterator[Block], tail: Tail, report: FileReport) -> bytes | None:
    """The first block, without a leading UTF-8 byte-order mark; None for no whole line.

    A first line too long to keep makes the file ``oversized``: no header is that long.
    """
    first = next(blocks, None)
    if first is None:
        tail.data = tail.data.removeprefix(_BOM)
        return None
    if not isinstance(first, bytes):  # OVERLONG
        report.oversized, report.message = True, f"line 1 is {_TOO_LONG}"
        return None
    return first.removeprefix(_BOM)


def _settle_stream(stream: Stream, report: FileReport) -> None:
    """Carry what the byte stream found at its end into the report."""
    if stream.truncated:
        report.truncated = True
        report.message = report.message or stream.error or "truncated"
    if stream.oversized:  # reading stopped early: said even after an earlier message
        report.oversized = True
        why = stream.error or "oversized"
        report.message = f"{report.message}; then {why}" if report.message else why


def _drop_lines(block: bytes | None, count: int) -> bytes | None:
    for _ in range(count):
        if block:
            block = block[block.find(b"\n") + 1:] if b"\n" in block else b""
    return block


def _chain(first: bytes | None, rest: Iterator[Block]) -> Iterator[Block]:
    if first is not None:
        yield first
        yield from rest


Parser = TsvParser | JsonParser


def _choose_parser(head: bytes, report: FileReport,
                   columns: list[str] | None) -> tuple[Parser | None, int]:
    """Decide TSV or JSON from the first lines; returns the parser and the lines it consumed.

    A ``### BTest`` first line is consumed, and so is the column-name line of Zeek's
    ``tsv`` mode. Anything that is neither a Zeek header nor JSON is not a Zeek log.
    """
    if not head:
        return None, 0
    if _binary(head):
        _foreign(report, "binary content")
        return None, 0
    lines = head[:65536].split(b"\n", 2)
    btest = int(lines[0].startswith(BTEST_LINE) and len(lines) > 1)
    first = lines[btest]
    if first.lstrip().startswith(b"{") or _json_after_damage(head, first):
        report.format = "json"
        return JsonParser(report, columns), btest
    report.format = "tsv"
    prefix = sniff_prefix(first) or (b"#" if first.startswith(b"#") else None)
    if prefix is not None:
        return TsvParser(report, prefix, columns), btest
    if _looks_like_field_names(first):
        parser = TsvParser(report, b"#", columns)
        parser.bare_header(first)
        return parser, btest + 1
    if b"\n#separator " in head[:65536]:  # Zeek logs pasted after other text
        return TsvParser(report, b"#", columns), btest
    _foreign(report, "first line is neither a Zeek header nor JSON")
    return None, 0


def _binary(head: bytes) -> bool:
    """Binary content: a NUL in the first line, or many NULs; one NUL in a row is damage."""
    sample = head[:4096]
    first = sample.split(b"\n", 1)[0]
    return b"\x00" in first or sample.count(b"\x00") > max(8, len(sample) // 100)


def _json_after_damage(head: bytes, first: bytes) -> bool:
    """A first line that is neither a header nor JSON, followed by JSON lines: a damaged
    first record of a JSON log, not another kind of file."""
    if first.startswith(b"#"):
        return False
    following = head[:65536].split(b"\n")[1:9]
    objects = [line for line in following if line.strip()]
    return bool(objects) and all(line.lstrip().startswith(b"{") for line in objects)


def _looks_like_field_names(line: bytes) -> bool:
    try:
        names = set(line.rstrip(b"\r").decode("utf-8").split("\t"))
    except UnicodeDecodeError:
        return False
    return bool(names & _ZEEKISH)


def _foreign(report: FileReport, why: str) -> None:
    report.status, report.message, report.format = FileStatus.NOT_ZEEK, why, None


def _finish_tail(tail: Tail, parser: TsvParser | JsonParser, report: FileReport) -> None:
    """Count an unterminated last line as a partial line; a bare ``#close`` is fine."""
    data = tail.data.rstrip(b"\r")
    if not data.strip():
        return
    if isinstance(parser, TsvParser) and data.startswith(parser.header.prefix):
        return
    report.skip(parser.line, "partial last line (no newline)")
    report.truncated = True
