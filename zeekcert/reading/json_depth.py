"""Keep JSON nested too deeply for a Zeek record away from the parsers.

Arrow's JSON reader recurses in C: a line of some ten thousand nested arrays kills the
interpreter with SIGSEGV, which no ``except`` can catch, and Python's own parser raises
RecursionError a little deeper than a thousand. Zeek writes a flat object of scalars and
arrays (depth 2); pipelines that nest objects reach four or five. So before a block is
parsed, every line that could be nested deeper than ``MAX_DEPTH`` is measured exactly,
and each that is gets blanked out, for the caller to count as a skipped line.

The first test is cheap and runs on the whole block in NumPy: a line with at most
``MAX_DEPTH`` opening brackets cannot be nested deeper. Only the rare line with more
(say, a subject full of brackets) is measured, with its strings removed first.
"""

from __future__ import annotations

import re

import numpy as np

MAX_DEPTH = 16
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_OPEN, _CLOSE = 0x7B, 0x7D  # "{", "}"; "[" and "]" are these with bit 0x20 clear


def too_deep(block: bytes) -> list[tuple[int, int]]:
    """The ``(start, end)`` byte spans of the lines nested deeper than MAX_DEPTH."""
    data = np.frombuffer(block, np.uint8)
    opens = np.flatnonzero((data | 0x20) == _OPEN)
    if len(opens) <= MAX_DEPTH:
        return []
    newlines = np.flatnonzero(data == 0x0A)
    per_line = np.bincount(np.searchsorted(newlines, opens))
    suspects = np.flatnonzero(per_line > MAX_DEPTH)
    spans = []
    for line in suspects.tolist():
        start = int(newlines[line - 1]) + 1 if line else 0
        end = int(newlines[line]) if line < len(newlines) else len(block)
        if depth(block[start:end]) > MAX_DEPTH:
            spans.append((start, end))
    return spans


def depth(line: bytes) -> int:
    """How deeply one line of JSON nests its arrays and objects (strings do not count)."""
    bare = np.frombuffer(_STRING.sub(b'""', line), np.uint8)
    folded = bare | 0x20
    steps = (folded == _OPEN).astype(np.int32) - (folded == _CLOSE).astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def blank(block: bytes, spans: list[tuple[int, int]]) -> bytes:
    """``block`` with each span emptied; every line keeps its place and number."""
    parts, at = [], 0
    for start, end in spans:
        parts.append(block[at:start])
        at = end
    parts.append(block[at:])
    return b"".join(parts)
