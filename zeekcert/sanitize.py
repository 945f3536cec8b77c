"""Every escaper for text that leaves zeekcert: one module, so one place to audit.

Server names, subjects and SANs are chosen by whoever runs the server; file names and
messages can carry them too. Each output surface gets its own escaper, and every one of
them starts from ``terminal_safe``:

- ``terminal_safe``: every control character (C0, C1, DEL) and every bidi or invisible
  formatting character shown as a visible ``\\xNN`` or ``\\uNNNN`` escape;
- ``markdown_escape``: HTML and Markdown punctuation, so log text never becomes a link,
  an image, code, emphasis or a block;
- ``html_escape``: text safe inside HTML elements and attribute values;
- ``neutralise``: a CSV cell that a spreadsheet would run as a formula gets a quote.

The input side (undoing Zeek's own escapes) is ``zeekcert.reading.unescape``.
"""

from __future__ import annotations

import html
import re

_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
# Inline Markdown that could make log text a link, an image, code or emphasis; ``<`` and
# ``&`` are handled by html.escape, and a leading block marker separately.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_BLOCK_START = ("-", "+", "#", ">", "=")
# OWASP's list of characters that start a formula, LF and NUL included.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: object) -> str:
    """Return ``text`` with every control, bidi and invisible formatting character escaped."""
    return _UNSAFE.sub(_escape, str(text))


def markdown_escape(text: str) -> str:
    """Text that stays text in GitHub-flavoured Markdown (pass it ``terminal_safe`` first)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return "\\" + escaped if escaped[:1] in _MD_BLOCK_START else escaped


def html_escape(value: object) -> str:
    """Text from a log, safe inside HTML elements and attribute values."""
    return html.escape(terminal_safe(value), quote=True)


def neutralise(cell: str) -> str:
    """Prefix a quote to a cell a spreadsheet would read as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell
