"""Bytes to blocks of whole lines, made one block ahead in a helper thread.

Reading, decompressing and cutting run in a helper thread (the codecs and file reads
release the GIL), so one core prepares the next block while the other parses this one.
A line longer than ``MAX_LINE_BYTES`` is never held whole: it is dropped as it streams
past and an ``OVERLONG`` marker stands in its place, so memory follows the block size,
not the file. ``content_id`` names a file by its first lines.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .stream import Stream, open_stream

BLOCK_BYTES = 32 << 20  # parse in blocks of about this many bytes of text
MAX_LINE_BYTES = 16 << 20  # a longer line is skipped; no Zeek log line comes near it
HEAD_BYTES = 64 << 10  # enough for any header: what a resumed read reads of the start
INLINE_BYTES = 1 << 20  # a file this small on disk is cut in the caller's thread
T = TypeVar("T")
_AHEAD = 1  # blocks prepared ahead of the parser: each is BLOCK_BYTES of memory
_DONE = object()


class _Overlong:
    """The place of one line longer than MAX_LINE_BYTES, in the stream of blocks."""

    def __repr__(self) -> str:
        return "OVERLONG"


OVERLONG = _Overlong()
Block = bytes | _Overlong


@dataclass
class Tail:
    """What was left after the last newline: a partial line, if any."""

    data: bytes = b""


def prefetch(chunks: Iterator[T]) -> Iterator[T]:
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
                box.get_nowait()
            thread.join(timeout=0.01)


def line_blocks(stream: Stream, tail: Tail, target: int | None = None) -> Iterator[Block]:
    """Yield blocks that end with a newline, and OVERLONG for each line too long to keep.

    A final unterminated line is left in ``tail``. The blocks are made in a helper
    thread, but for a small file, where it would have nothing to overlap and only cost
    its start (a tree of one-row files); ``tail`` is set once they are all yielded.
    """
    blocks = _cut(stream, tail, target or BLOCK_BYTES)
    if stream.size is not None and stream.size <= INLINE_BYTES:
        return blocks
    return prefetch(blocks)


def head_block(path: Path) -> bytes | None:
    """The first whole lines of a file, about 64 KiB of them, read here; None if none."""
    blocks = _cut(open_stream(path), Tail(), HEAD_BYTES)
    try:
        first = next(blocks, None)
    finally:
        blocks.close()
    return first if isinstance(first, bytes) else None


def _cut(stream: Stream, tail: Tail, target: int) -> Generator[Block, None, None]:
    """Join chunks into blocks, cut after the last newline of the chunk that completes one.

    ``done`` holds whole lines (the text is copied once, when a block is joined from
    views of the chunks); ``partial`` the line being gathered, dropped once too long.
    """
    done: list[bytes | memoryview] = []
    partial: list[bytes] = []
    done_size = partial_size = 0
    skipping = False
    for chunk in stream.chunks():
        if skipping:
            at = chunk.find(b"\n")
            if at < 0:
                continue
            yield OVERLONG
            skipping, chunk = False, chunk[at + 1:]
        last = chunk.rfind(b"\n")
        if last < 0:
            partial.append(chunk)
            partial_size += len(chunk)
            if partial_size > MAX_LINE_BYTES:
                if done:
                    yield b"".join(done)
                done, partial, done_size, partial_size, skipping = [], [], 0, 0, True
            continue
        done += [*partial, memoryview(chunk)[:last + 1]]
        done_size += partial_size + last + 1
        partial = [chunk[last + 1:]] if last + 1 < len(chunk) else []
        partial_size = len(chunk) - last - 1
        if done_size >= target:
            yield b"".join(done)
            done, done_size = [], 0
    if done:
        yield b"".join(done)
    if skipping:
        yield OVERLONG
    tail.data = b"".join(partial)


def content_id(path: str | Path) -> str:
    """A file's identity from its content: the header lines and the first record.

    A plain file whose first record ends within its first 64 KiB is known from those
    bytes alone: a live log is identified every pass, and must not be read in chunks of
    megabytes to find its first lines. Anything else (compressed, a longer head, no
    record yet) takes the stream's way; both give the same identity.
    """
    stream = open_stream(path)
    if stream.compression == "none":
        known = _plain_head_id(Path(path))
        if known is not None:
            return known
    tail = Tail()
    head = b""
    for block in line_blocks(stream, tail, target=1 << 16):
        if isinstance(block, bytes):
            head = block
            break
    head = head or tail.data
    lines = head.split(b"\n")
    cut = next((i for i, line in enumerate(lines) if line and not line.startswith(b"#")),
               len(lines))
    return hashlib.sha256(b"\n".join(lines[:cut + 1])).hexdigest()


def _plain_head_id(path: Path) -> str | None:
    """The identity from the first HEAD_BYTES of a plain file, if its first record ends
    there; None when the whole stream must be looked at."""
    try:
        with open(path, "rb") as raw:
            data = raw.read(HEAD_BYTES)
    except OSError:
        return None  # the stream's way reports it
    lines = data.split(b"\n")
    cut = next((i for i, line in enumerate(lines[:-1]) if line and not line.startswith(b"#")),
               None)  # lines[-1] is not known to be whole
    if cut is None:
        return None
    return hashlib.sha256(b"\n".join(lines[:cut + 1])).hexdigest()
