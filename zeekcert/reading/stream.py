"""Bytes: open a file, decompress it by its magic bytes, cut it into blocks of whole lines.

Reading, decompressing and cutting run in a helper thread (the codecs and file reads
release the GIL), so one core prepares the next block while the other parses this one.
Nothing here knows what a Zeek field is. ``content_id`` names a file by its first lines.
"""

from __future__ import annotations

import bz2
import contextlib
import hashlib
import lzma
import queue
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import pyarrow as pa
from isal import isal_zlib  # ISA-L inflates gzip 2-3 times faster than zlib, same API

from ..errors import ZeekLogError

# isal's stubs do not say its error is an exception class; it is.
_CORRUPT = (zlib.error, cast(type[Exception], isal_zlib.error), OSError, EOFError, lzma.LZMAError)
READ_SIZE = 1 << 20  # compressed bytes per read; each yields a few MiB of text
BLOCK_BYTES = 32 << 20  # parse in blocks of about this many bytes of text
_AHEAD = 1  # blocks prepared ahead of the parser: each is BLOCK_BYTES of memory
_DONE = object()

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


def sniff_compression(head: bytes) -> str:
    """Return ``gzip``, ``bz2``, ``xz``, ``zstd`` or ``none`` from a file's first bytes."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return "none"


@dataclass
class Stream:
    """The decompressed content of one file, read in chunks; ``truncated`` is set at the end."""

    path: Path
    compression: str
    truncated: bool = False
    error: str | None = None

    def chunks(self) -> Iterator[bytes]:
        """Yield decompressed chunks; a cut-off compressed stream sets ``truncated``."""
        try:
            with open(self.path, "rb") as raw:
                yield from _DECODERS[self.compression](self, raw)
        except OSError as exc:
            raise ZeekLogError(f"cannot read: {exc.strerror or exc}", self.path) from exc


def open_stream(path: str | Path) -> Stream:
    """Open ``path`` and recognise its compression; raises ZeekLogError if it cannot be read."""
    path = Path(path)
    try:
        with open(path, "rb") as raw:
            head = raw.read(8)
    except OSError as exc:
        raise ZeekLogError(f"cannot read: {exc.strerror or exc}", path) from exc
    return Stream(path, sniff_compression(head))


def _plain(stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    while block := raw.read(READ_SIZE * 4):
        yield block


def _incremental(make: Callable[[], Any], stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    """Decompress with a stdlib decompressor, following concatenated members to the end."""
    decoder = make()
    pending = b""
    while True:
        data = pending or raw.read(READ_SIZE)
        pending = b""
        if not data:
            break
        try:
            out = decoder.decompress(data)
        except _CORRUPT as exc:
            stream.truncated, stream.error = True, f"corrupt {stream.compression} data: {exc}"
            return
        if out:
            yield out
        if decoder.eof:
            pending = decoder.unused_data
            if not pending and not (pending := raw.read(READ_SIZE)):
                return
            decoder = make()  # the next member of a multi-member file
    stream.truncated = True
    stream.error = f"{stream.compression} stream ends before its end marker"


def _gzip(stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    return _incremental(lambda: isal_zlib.decompressobj(wbits=31), stream, raw)


def _bz2(stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    return _incremental(bz2.BZ2Decompressor, stream, raw)


def _xz(stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    return _incremental(lzma.LZMADecompressor, stream, raw)


def _zstd(stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    """Decompress zstd with pyarrow's codec; the standard library of Python 3.11 has none."""
    try:
        with pa.input_stream(raw, compression="zstd") as source:
            while block := source.read(READ_SIZE * 4):
                yield block
    except (OSError, pa.ArrowException) as exc:
        stream.truncated, stream.error = True, f"corrupt or cut-off zstd data: {exc}"


_DECODERS: dict[str, Callable[[Stream, BinaryIO], Iterator[bytes]]] = {
    "none": _plain,
    "gzip": _gzip,
    "bz2": _bz2,
    "xz": _xz,
    "zstd": _zstd,
}



@dataclass
class Tail:
    """What was left after the last newline: a partial line, if any."""

    data: bytes = b""


def prefetch(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Run ``chunks`` in a helper thread, yielding its items in order; errors are re-raised here."""
    box: queue.Queue[object] = queue.Queue(_AHEAD)
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                box.put(chunk)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            box.put(exc)
        box.put(_DONE)

    thread = threading.Thread(target=work, daemon=True, name="zeekcert-inflate")
    thread.start()
    try:
        while (item := box.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                box.get(timeout=0.05)


def line_blocks(stream: Stream, tail: Tail, target: int | None = None) -> Iterator[bytes]:
    """Yield blocks that end with a newline; a final unterminated line is left in ``tail``.

    The blocks are made in a helper thread; ``tail`` is set once they are all yielded.
    """
    return prefetch(_cut(stream, tail, target or BLOCK_BYTES))


def _cut(stream: Stream, tail: Tail, target: int) -> Iterator[bytes]:
    """Join chunks into blocks, cut after the last newline of the chunk that completes one.

    Each block is joined once from views of the chunks: the text is copied only once.
    """
    pending: list[bytes | memoryview] = []
    size = 0
    for chunk in stream.chunks():
        size += len(chunk)
        cut = chunk.rfind(b"\n") + 1 if size >= target else 0
        if not cut:
            pending.append(chunk)
            continue
        pending.append(memoryview(chunk)[:cut])
        yield b"".join(pending)
        pending, size = [chunk[cut:]], len(chunk) - cut
    data = b"".join(pending)
    cut = data.rfind(b"\n") + 1
    if cut:
        yield data[:cut]
    tail.data = data[cut:]


def content_id(path: str | Path) -> str:
    """A file's identity from its content: the header lines and the first record."""
    stream = open_stream(path)
    tail = Tail()
    head = b""
    for block in line_blocks(stream, tail, target=1 << 16):
        head = block
        break
    head = head or tail.data
    lines = head.split(b"\n")
    cut = next((i for i, line in enumerate(lines) if line and not line.startswith(b"#")),
               len(lines))
    return hashlib.sha256(b"\n".join(lines[:cut + 1])).hexdigest()
