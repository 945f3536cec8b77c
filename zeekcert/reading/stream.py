"""Bytes: open a regular file and decompress it, by its magic bytes, in bounded pieces.

Only regular files are read: a FIFO, a device or a socket named ``ssl.log`` (or a link to
``/dev/zero``) would block or never end, so it is refused before a byte is read. Every
decoder yields at most ``CHUNK_BYTES`` at a time, however much one compressed read
inflates to, and a file stops being read past ``MAX_INFLATED_BYTES`` of content, or
past ``MAX_RATIO`` times its compressed size (a decompression bomb): it is then
``oversized``, with what came before kept. Nothing here knows what a Zeek field is.
"""

from __future__ import annotations

import bz2
import fcntl
import lzma
import os
import stat
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
READ_SIZE = 1 << 20  # compressed bytes per read
CHUNK_BYTES = 4 << 20  # content bytes per chunk at most, whatever one read inflates to
MAX_INFLATED_BYTES = 64 << 30  # content bytes read from one file at most
MAX_RATIO = 200  # content over compressed size; Zeek logs compress 5 to 50 times
RATIO_AFTER = 256 << 20  # the ratio is judged only past this much content

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


class NotRegular(ZeekLogError):
    """The path names a FIFO, a device, a socket or a folder: not a file to read."""


def sniff_compression(head: bytes) -> str:
    """Return ``gzip``, ``bz2``, ``xz``, ``zstd`` or ``none`` from a file's first bytes."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return "none"


@dataclass
class Stream:
    """The content of one file, read in chunks; ``truncated``/``oversized`` are set at the end."""

    path: Path
    compression: str
    truncated: bool = False
    oversized: bool = False
    error: str | None = None
    size: int | None = None  # bytes on disk when opened
    start: int = 0  # a plain file's content is read from this byte on (``file.Resume``)

    def chunks(self) -> Iterator[bytes]:
        """Yield content in chunks of at most CHUNK_BYTES, stopping at the caps."""
        try:
            with open_regular(self.path) as raw:
                yield from self._capped(_DECODERS[self.compression](self, raw), raw)
        except NotRegular:
            raise
        except OSError as exc:
            raise ZeekLogError(f"cannot read: {exc.strerror or exc}", self.path) from exc

    def _capped(self, chunks: Iterator[bytes], raw: BinaryIO) -> Iterator[bytes]:
        total = 0
        for chunk in chunks:
            total += len(chunk)
            if total > MAX_INFLATED_BYTES:
                self._stop(f"more than {_size(MAX_INFLATED_BYTES)} of content: read up to "
                           "that point")
                return
            yield chunk
            if (self.compression != "none" and total > RATIO_AFTER
                    and total > MAX_RATIO * max(raw.tell(), 1)):
                self._stop(f"inflates more than {MAX_RATIO} times its size, as a "
                           "decompression bomb does: read up to that point")
                return

    def _stop(self, why: str) -> None:
        self.oversized, self.error = True, why


def _size(count: int) -> str:
    return f"{count >> 30} GiB" if count >= 1 << 30 else (
        f"{count >> 20} MiB" if count >= 1 << 20 else f"{count} bytes")


def open_regular(path: str | Path) -> BinaryIO:
    """Open a regular file for reading; anything else raises NotRegular, never blocking.

    ``O_NONBLOCK`` makes opening a FIFO return at once instead of waiting for a writer;
    the check is on the opened file, so a name swapped for a FIFO cannot slip through.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except IsADirectoryError as exc:
        raise NotRegular("a folder, not a file", path) from exc
    except OSError as exc:
        raise ZeekLogError(f"cannot read: {exc.strerror or exc}", path) from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegular(f"not a regular file ({_kind_of(mode)}): not read", path)
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    return os.fdopen(fd, "rb")


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "a special file"


def open_stream(path: str | Path) -> Stream:
    """Open ``path`` and recognise its compression; raises ZeekLogError if it cannot be read."""
    path = Path(path)
    try:
        with open_regular(path) as raw:
            head = raw.read(8)
            size = os.fstat(raw.fileno()).st_size
    except NotRegular:
        raise
    except OSError as exc:
        raise ZeekLogError(f"cannot read: {exc.strerror or exc}", path) from exc
    return Stream(path, sniff_compression(head), size=size)


def _plain(stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    if stream.start:
        raw.seek(stream.start)
    while block := raw.read(CHUNK_BYTES):
        yield block


def _inflate(decoder: Any, data: bytes, stream: Stream) -> bytes | None:
    """At most CHUNK_BYTES of content; None, with the stream marked truncated, if corrupt."""
    try:
        return bytes(decoder.decompress(data, max_length=CHUNK_BYTES))
    except _CORRUPT as exc:
        stream.truncated, stream.error = True, f"corrupt {stream.compression} data: {exc}"
        return None


def _zlib_like(make: Callable[[], Any], stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    """Inflate gzip members one after another, never more than CHUNK_BYTES per call."""
    decoder, data, at_end = make(), b"", False
    while True:
        if not data:
            data = raw.read(READ_SIZE)
            at_end = not data
        out = _inflate(decoder, data, stream)  # at the end, with no input, this drains
        if out is None:
            return
        data = decoder.unconsumed_tail
        if out:
            yield out
        if decoder.eof:
            data = decoder.unused_data or raw.read(READ_SIZE)
            if not data:
                return
            decoder = make()  # the next member of a multi-member file
        elif at_end and not out:
            break  # the file ended inside a member
    stream.truncated = True
    stream.error = f"{stream.compression} stream ends before its end marker"


def _buffered(make: Callable[[], Any], stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    """The same for bz2 and xz, whose decoders keep unread input themselves."""
    decoder, data = make(), b""
    while True:
        if decoder.needs_input and not data:
            data = raw.read(READ_SIZE)
            if not data:
                break  # the file ended inside a stream
        out = _inflate(decoder, data, stream)
        if out is None:
            return
        data = b""
        if out:
            yield out
        if decoder.eof:
            data = decoder.unused_data or raw.read(READ_SIZE)
            if not data:
                return
            decoder = make()  # the next stream of a concatenated file
    stream.truncated = True
    stream.error = f"{stream.compression} stream ends before its end marker"


def _gzip(stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    return _zlib_like(lambda: isal_zlib.decompressobj(wbits=31), stream, raw)


def _bz2(stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    return _buffered(bz2.BZ2Decompressor, stream, raw)


def _xz(stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    return _buffered(lzma.LZMADecompressor, stream, raw)


def _zstd(stream: Stream, raw: BinaryIO) -> Iterator[bytes]:
    """Decompress zstd with pyarrow's codec; the standard library of Python 3.11 has none."""
    try:
        with pa.input_stream(raw, compression="zstd") as source:
            while block := source.read(CHUNK_BYTES):
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
