"""Cut a stream of decompressed chunks into blocks of whole lines, one block ahead.

Reading, decompressing and cutting run in a helper thread (the codecs and file reads
release the GIL), so one core prepares the next block while the other parses this one.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from .source import Stream

BLOCK_BYTES = 32 << 20  # parse in blocks of about this many bytes of text
_AHEAD = 1  # blocks prepared ahead of the parser: each is BLOCK_BYTES of memory
_DONE = object()


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
