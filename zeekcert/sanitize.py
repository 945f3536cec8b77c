"""Make text from logs safe to show on a terminal: no escape codes, no bidi tricks.

Server names, subjects and SANs are chosen by whoever runs the server; file names and
messages can carry them too. Every control character (C0, C1, DEL) and every bidi or
invisible formatting character is shown as a visible ``\\xNN`` or ``\\uNNNN`` escape.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: object) -> str:
    """Return ``text`` with every control, bidi and invisible formatting character escaped."""
    return _UNSAFE.sub(_escape, str(text))
