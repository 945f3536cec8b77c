"""Keep lines that are no Zeek record away from Arrow's JSON reader, which can crash on them.

Arrow's reader is C that cannot be interrupted: a line of some ten thousand nested
arrays kills the interpreter with SIGSEGV, and so does a first line of ``null``. No
``except`` catches either. Zeek writes one flat object per line (depth 2); pipelines that
nest objects reach four or five. So before a block is parsed, every line that does not
start with ``{``, and every line that could be nested deeper than ``MAX_DEPTH``, is
found, measured exactly where needed, and blanked out for the caller to count as a
skipped line. Line numbers stay as they were.

The tests run on the whole block in NumPy: the first byte of each line, and the number
of opening brackets on each line (a line with at most ``MAX_DEPTH`` of them cannot be
nested deeper). Only the rare line that fails one is looked at in Python, with its
strings removed before its depth is measured.
"""

from __future__ import annotations

import re

import numpy as np

MAX_DEPTH = 16
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_OPEN, _CLOSE = 0x7B, 0x7D  # "{", "}"; "[" and "]" are these with bit 0x20 clear
_SPACE = (0x20, 0x09, 0x0D)
Span = tuple[int, int, str]


def unsafe_lines(block: bytes) -> list[Span]:
    """The ``(start, end, why)`` of each line that must not reach the parser, in order."""
    data = np.frombuffer(block, np.uint8)
    newlines = np.flatnonzero(data == 0x0A)
    starts = np.concatenate(([0], newlines[:-1] + 1)) if len(newlines) else np.zeros(0, int)
    found = {int(i): why for i, why in _not_objects(block, data, starts, newlines)}
    found.update({int(i): why for i, why in _too_deep(block, data, starts, newlines)})
    return [(int(starts[i]), int(newlines[i]), found[i]) for i in sorted(found)]


def _not_objects(block: bytes, data: np.ndarray, starts: np.ndarray,
                 ends: np.ndarray) -> list[tuple[int, str]]:
    """Lines that are not empty and do not start with ``{`` (after spaces)."""
    lines = np.flatnonzero(starts < ends)
    first = data[starts[lines]]
    odd = lines[first != _OPEN]
    out = []
    for line in odd.tolist():
        text = block[starts[line]:ends[line]].strip(b" \t\r")
        if text and not text.startswith(b"{"):
            out.append((line, "not a JSON object"))
    return out


def _too_deep(block: bytes, data: np.ndarray, starts: np.ndarray,
              ends: np.ndarray) -> list[tuple[int, str]]:
    opens = np.flatnonzero((data | 0x20) == _OPEN)
    if len(opens) <= MAX_DEPTH:
        return []
    per_line = np.bincount(np.searchsorted(ends, opens), minlength=len(ends) + 1)
    out = []
    for line in np.flatnonzero(per_line[:len(ends)] > MAX_DEPTH).tolist():
        if depth(block[starts[line]:ends[line]]) > MAX_DEPTH:
            out.append((line, f"nested more than {MAX_DEPTH} levels deep: not a Zeek record"))
    return out


def depth(line: bytes) -> int:
    """How deeply one line of JSON nests its arrays and objects (strings do not count)."""
    bare = np.frombuffer(_STRING.sub(b'""', line), np.uint8)
    folded = bare | 0x20
    steps = (folded == _OPEN).astype(np.int32) - (folded == _CLOSE).astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def blank(block: bytes, spans: list[Span]) -> bytes:
    """``block`` with each span emptied; every line keeps its place and number."""
    parts, at = [], 0
    for start, end, _why in spans:
        parts.append(block[at:start])
        at = end
    parts.append(block[at:])
    return b"".join(parts)
