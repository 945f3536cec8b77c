"""What the terminal allows: its width, colour, and a progress line on stderr.

Colour follows ``--color`` first, then ``NO_COLOR`` (no-color.org), then ``FORCE_COLOR``
(force-color.org), then whether the stream is a terminal (and not ``TERM=dumb``). The
width is ``--width``, else the terminal's, else ``PIPE_WIDTH`` for a pipe or a file.
Progress is shown only on a terminal, and never with ``-q``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import TextIO

from ..formatting import PIPE_WIDTH

COLOR_CHOICES = ("auto", "always", "never")


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (a StringIO or a pipe is not)."""
    return bool(getattr(stream, "isatty", lambda: False)())


def use_colour(choice: str, stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Whether to colour our own words on ``stream``."""
    env = os.environ if env is None else env
    if choice != "auto":
        return choice == "always"
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "") not in ("", "0", "false"):
        return True
    return is_terminal(stream) and env.get("TERM") != "dumb"


def width_of(stream: TextIO, asked: int | None) -> int | None:
    """The width to fit tables to; ``--width 0`` means no limit."""
    if asked is not None:
        return asked or None
    if is_terminal(stream):
        try:
            return os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError):
            return PIPE_WIDTH
    return PIPE_WIDTH


class Progress:
    """One line on stderr, rewritten in place: the stage, files and rows so far.

    Silent when stderr is not a terminal or with ``-q``, and at most a few updates a
    second, so a tree of thousands of small files is not slowed by it.
    """

    def __init__(self, err: TextIO, quiet: bool, now: float | None = None):
        self.err = err
        self.on = is_terminal(err) and not quiet
        self.last = 0.0 if now is None else now
        self.shown = False

    def stage(self, text: str) -> None:
        """Say what is being done now."""
        self._show(text, force=True)

    def files(self, done: int, total: int, rows: int) -> None:
        """Files read so far, of how many, and the rows they gave."""
        self._show(f"reading {done}/{total} files, {rows:,} rows", force=done == total)

    def done(self) -> None:
        """Clear the line, so the output that follows starts clean."""
        if self.on and self.shown:
            self.err.write("\r\x1b[K")
            self.err.flush()

    def _show(self, text: str, force: bool) -> None:
        if not self.on:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        self.err.write(f"\r\x1b[Kzeekcert: {text}")
        self.err.flush()
        self.shown = True
