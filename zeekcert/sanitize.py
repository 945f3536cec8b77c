"""Every escaper for text that leaves zeekcert: one module, so one place to audit.

Server names, subjects and SANs are chosen by whoever runs the server; file names and
messages can carry them too. Each output surface gets its own escaper, and every one of
them starts from ``terminal_safe``:

- ``terminal_safe``: every character that is not printable text shown as a visible
  ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN`` escape, decided by Unicode category: controls
  (Cc: C0, C1, DEL), formatting (Cf: bidi overrides, zero-width characters, the soft
  hyphen, tag characters), private use (Co), surrogates (Cs), unassigned code points
  (Cn), and line and paragraph separators (Zl, Zp); spaces (Zs) are text;
- ``markdown_escape``: HTML and Markdown punctuation, so log text never becomes a link,
  an image, code, emphasis or a block;
- ``html_escape``: text safe inside HTML elements and attribute values;
- ``neutralise``: a CSV cell that a spreadsheet would run as a formula gets a quote;
- ``zeek_tsv_text``: a value of a Zeek TSV log zeekcert writes (the alerts' notice log),
  escaped as Zeek escapes and beyond: every byte outside printable ASCII as ``\\xNN``;
- ``syslog_token`` and ``syslog_param``: an RFC 5424 header field (printable ASCII, no
  space) and a structured-data parameter value (``\\``, ``"`` and ``]`` escaped).

The input side (undoing Zeek's own escapes) is ``zeekcert.reading.unescape``.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Inline Markdown that could make log text a link, an image, code or emphasis; ``<`` and
# ``&`` are handled by html.escape, and a leading block marker separately.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_BLOCK_START = ("-", "+", "#", ">", "=")
# OWASP's list of characters that start a formula, LF and NUL included.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")


def terminal_safe(text: object) -> str:
    """Return ``text`` with every character that is not printable text escaped.

    ``str.isprintable`` is false exactly for the categories Cc, Cf, Cs, Co, Cn, Zl, Zp
    and Zs (but the ASCII space), so it is the fast test; spaces (Zs) are then let
    through, since they are text a reader sees.
    """
    value = str(text)
    if value.isprintable():
        return value
    return "".join(_escaped(char) for char in value)


def _escaped(char: str) -> str:
    if char.isprintable() or unicodedata.category(char) == "Zs":
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


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


_NOT_PRINTABLE_ASCII = re.compile(rb"[^\x20-\x7e]")
_NOT_TOKEN = re.compile(r"[^!-~]")


def zeek_tsv_text(value: object) -> str:
    """One value as Zeek writes it: ``-`` unset, ``(empty)`` empty, the rest escaped;
    zeekcert's reader (``reading.unescape``) turns it back into the same text."""
    if value is None:
        return "-"
    text = str(value)
    if text == "":
        return "(empty)"
    if text in ("-", "(empty)"):
        return "\\x" + f"{ord(text[0]):02x}" + text[1:]
    raw = text.encode("utf-8", "surrogatepass").replace(b"\\", b"\\\\")
    return _NOT_PRINTABLE_ASCII.sub(lambda m: b"\\x%02x" % m.group(0)[0], raw).decode("ascii")


def syslog_token(text: str, limit: int) -> str:
    """An RFC 5424 header field: printable ASCII without spaces, at most ``limit``
    characters, ``-`` when empty."""
    return _NOT_TOKEN.sub("_", text)[:limit] or "-"


def syslog_param(value: str) -> str:
    """An RFC 5424 structured-data parameter value, between its quotes."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")
