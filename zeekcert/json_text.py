"""JSON text as every output writes it: indented by 2, ASCII only, big lists in parts.

``write_json_text`` writes a value byte for byte as ``json.dump(indent=2,
ensure_ascii=True)`` does, many times faster (orjson). A value may hold ``Parts``: a list
given a part at a time (a report's 300,000 servers), written as the same text without
the whole list, its records or its text in memory at once.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

import orjson


@dataclass(frozen=True)
class Parts:
    """A list to be written a part (a list) at a time, in order."""

    parts: Iterable[list[Any]]


def write_json_text(data: Any, out: TextIO) -> None:
    """``data`` as JSON indented by 2, ASCII only, byte for byte as ``json.dump`` with
    ``indent=2, ensure_ascii=True`` writes it.

    Every character past ``~`` becomes a ``\\u`` escape, so C1 controls and bidi overrides
    never reach a terminal raw. What orjson refuses (a lone surrogate, a key that is not
    text) goes through ``json``. Floats are printed alike except below 1e-4 (``1e-05``
    against ``1e-5``): the report rounds its floats to 3 places, so none occurs. The
    values of a top-level dict may be ``Parts``.
    """
    if not isinstance(data, dict) or not any(isinstance(v, Parts) for v in data.values()):
        out.write(_dumps(data))
        return
    token = secrets.token_hex(16)  # no text from a log can spell it
    marks = {key: f"\x00{token}-{i}\x00" for i, key in enumerate(data)}
    text = _dumps({k: marks[k] if isinstance(v, Parts) else v for k, v in data.items()})
    for key, value in data.items():
        if isinstance(value, Parts):
            mark = _dumps(marks[key])
            before, text = text.split(mark, 1)
            out.write(before)
            _write_list(value, out, indent=2)
    out.write(text)


def _write_list(value: Parts, out: TextIO, indent: int) -> None:
    """A list at ``indent`` spaces, its items one level in, as ``json.dump`` nests them."""
    pad, first = " " * indent, True
    for part in value.parts:
        if not part:
            continue
        body = _dumps(part)[2:-2]  # its items, without the list's own "[\n" and "\n]"
        out.write("[\n" if first else ",\n")
        out.write(pad + body.replace("\n", "\n" + pad))  # JSON text holds no raw newline
        first = False
    out.write("[]" if first else "\n" + pad + "]")


def _dumps(data: Any) -> str:
    try:
        return _NOT_ASCII.sub(_u_escape, orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(data, indent=2, ensure_ascii=True)


_NOT_ASCII = re.compile(r"[^\x00-\x7e]")


def _u_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # as a UTF-16 surrogate pair, as json does
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"
