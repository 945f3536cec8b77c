"""Read one Zeek log file, whatever its format and compression, into a typed table."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import ZeekLogError
from .arrow import concat_tables, loading_pool, to_pandas
from .discovery import kind_from_name
from .file_report import CLEAN, FileReport, FileStatus
from .json_lines import JsonParser
from .lines import MAX_LINE_BYTES, Block, Tail, head_block, line_blocks, prefetch
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


@dataclass(frozen=True)
class Resume:
    """Where a read of a plain file can start again: a line boundary at ``offset`` bytes,
    after ``rows`` rows and ``lines`` lines. A run notes it (``FileReport.resume_points``)
    so that the next one reads only what was appended: a live log is not parsed again
    from its start at every pass. The header is read from the start each time."""

    offset: int
    rows: int
    lines: int
    check: str = ""  # ``resume_check`` of the file when the point was noted

    def holds_for(self, path: str | Path) -> bool:
        """Whether the file still has, before the point, the bytes it had: the same file
        grown, not another one that begins the same way."""
        return bool(self.check) and resume_check(path, self.offset) == self.check


def resume_check(path: str | Path, offset: int) -> str:
    """A digest of the line before ``offset`` (up to 256 bytes): what a resume point is
    known by. Empty if the file cannot be read there."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, offset - 256))
            data = fh.read(min(offset, 256))
    except OSError:
        return ""
    if len(data) != min(offset, 256) or (data and not data.endswith(b"\n")):
        return ""
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def read_blocks(path: str | Path, report: FileReport,
                columns: list[str] | None = None,
                resume: Resume | None = None) -> Iterator[pa.Table]:
    """``iter_tables``, with the next block read in a helper thread while the caller
    works on this one when the file is big enough to have a next block.

    A thread costs about a millisecond to start: a tree of a thousand one-row files would
    pay it a thousand times for nothing. A small file is read block by block here, under
    the loading pool only while a block is read, never while the caller works.
    """
    tables = iter_tables(path, report, columns=columns, resume=resume)
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
                columns: list[str] | None = None,
                resume: Resume | None = None) -> Iterator[pa.Table]:
    """Yield typed tables of at most one block each, filling ``report`` as it goes.

    Never raises for bad content: an unreadable or foreign file gets its status and
    yields nothing. Any other file yields at least one table, empty if it has no rows,
    so that its schema is known. With ``resume``, a plain file that still reaches that
    far yields only the rows after it; any other file is read whole.
    """
    report.kind = kind_from_name(path)
    try:
        stream = open_stream(path)
        report.compression = stream.compression
        parser = _resumed(stream, report, columns, resume)
        if parser is not None and resume is not None:
            yield from _parse_from(stream, report, parser, resume)
        else:
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
    if parser is not None:
        parser.line = consumed + 1
        data = _drop_lines(first, consumed)
        at = _Position(stream.compression == "none", 0, 0, len(first or b"") - len(data or b""))
        yield from _feed(_chain(data, blocks), parser, report, at)
        if not stream.oversized:  # past a cap, the last partial line is only where we stopped
            _finish_tail(tail, parser, report)
    _settle_stream(stream, report)
    if not (parser is not None and at.produced) and report.status is not FileStatus.NOT_ZEEK:
        header = parser.header if isinstance(parser, TsvParser) else None
        yield empty_table(report.kind, header, columns)


def _parse_from(stream: Stream, report: FileReport, parser: Parser, resume: Resume
                ) -> Iterator[pa.Table]:
    """The rows of a plain file after ``resume``, its header already read by ``parser``."""
    tail = Tail()
    stream.start = resume.offset
    parser.line, report.rows, report.resumed_at = resume.lines, resume.rows, resume.rows
    at = _Position(True, resume.rows, resume.lines, resume.offset)  # only plain files resume
    yield from _feed(line_blocks(stream, tail), parser, report, at)
    if not stream.oversized:
        _finish_tail(tail, parser, report)
    _settle_stream(stream, report)
    if not at.produced:
        yield empty_table(report.kind, parser.header if isinstance(parser, TsvParser) else None,
                          parser.selected)


@dataclass
class _Position:
    """Where a read is in its file's content, for the resume points of a plain file."""

    exact: bool  # offsets are the file's own (a plain file) and known (no overlong line)
    rows: int
    lines: int
    offset: int
    produced: bool = False  # a table was yielded


def _feed(blocks: Iterator[Block], parser: Parser, report: FileReport, at: _Position
          ) -> Iterator[pa.Table]:
    """Feed the parser block by block; note a resume point at each block's end."""
    for block in blocks:
        if not isinstance(block, bytes):  # OVERLONG: a line too long to hold
            parser.skip_line(_TOO_LONG)
            report.oversized, at.exact = True, False  # its length is not known here
            continue
        for table in parser.feed(block):
            at.rows += table.num_rows
            at.produced = True
            yield table
        at.offset += len(block)
        if at.exact:
            report.resume_points.append((at.offset, at.rows, parser.line))


def _resumed(stream: Stream, report: FileReport, columns: list[str] | None,
             resume: Resume | None) -> Parser | None:
    """A parser that has read the file's header, when ``resume`` can be used: a plain file
    that still reaches it, whose header ends before it; else None (read whole)."""
    if (resume is None or stream.compression != "none" or resume.offset > (stream.size or 0)
            or not resume.holds_for(stream.path)):
        return None
    head = head_block(stream.path)
    if head is None or head.startswith(_BOM):
        return None
    parser, consumed = _choose_parser(head, report, columns)
    if parser is None:
        return None
    header = _header_bytes(head, consumed, parser)
    if header > resume.offset or header == len(head):  # a header longer than the head read
        return None
    if header:
        for _ in parser.feed(head[:header]):  # header lines only: no rows come of them
            pass
    return parser


def _header_bytes(head: bytes, consumed: int, parser: Parser) -> int:
    """How many bytes of ``head`` are its header: consumed lines, then meta lines."""
    pos = len(head) - len(_drop_lines(head, consumed) or b"")
    prefix = parser.header.prefix if isinstance(parser, TsvParser) else None
    while prefix is not None and head.startswith(prefix, pos) and b"\n" in head[pos:]:
        pos = head.index(b"\n", pos) + 1
    return pos


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
