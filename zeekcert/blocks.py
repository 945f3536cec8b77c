"""Cut a stream of decompressed chunks into blocks of whole lines, decompressing ahead.

Decompression runs in a helper thread (zlib and pyarrow release the GIL), so one core
inflates the next block while the other parses this one.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from .source import Stream

BLOCK_BYTES = 32 << 20  # parse in blocks of about this many bytes of text
_AHEAD = 3  # chunks decompressed ahead of the parser
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

    Each block is joined once from views of the chunks, cut after the last newline of the
    chunk that completes it, so the text is copied only once on its way to the parser.
    """
    target = target or BLOCK_BYTES
    pending: list[bytes | memoryview] = []
    size = 0
    for chunk in prefetch(stream.chunks()):
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
