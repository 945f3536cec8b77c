"""Undo the escaping Zeek applies to strings in TSV and JSON logs.

TSV: a backslash is written ``\\\\``, and the separator, control bytes and bytes that are not
valid UTF-8 are written ``\\xNN``. JSON (Zeek before 8.1, and the HEX policy after) writes
control bytes and invalid UTF-8 as ``\\xNN`` text. Decoding both the same way makes the
same data read from TSV and JSON equal. Bytes that are still not valid UTF-8 after decoding
are kept as ``\\xNN`` text, never as lone surrogates.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

_TSV_ESCAPE = re.compile(rb"\\\\|\\x([0-9a-fA-F]{2})")
_JSON_CONTROL = re.compile(r"\\x(0[0-9a-fA-F]|1[0-9a-fA-F]|7[fF])")


def _tsv_byte(match: re.Match[bytes]) -> bytes:
    hexdigits = match.group(1)
    return b"\\" if hexdigits is None else bytes((int(hexdigits, 16),))


def unescape_tsv(text: str) -> str:
    """Decode one TSV value: ``\\\\`` to a backslash and ``\\xNN`` to its byte."""
    if "\\" not in text:
        return text
    raw = _TSV_ESCAPE.sub(_tsv_byte, text.encode("utf-8", "surrogateescape"))
    return raw.decode("utf-8", "backslashreplace")


def unescape_json(text: str) -> str:
    """Decode the ``\\xNN`` text Zeek's JSON writer uses for control bytes."""
    if "\\x" not in text:
        return text
    return _JSON_CONTROL.sub(lambda m: chr(int(m.group(1), 16)), text)


def _map_where(arr: pa.Array, needle: str, func: Callable[[str], str]) -> pa.Array:
    """Apply ``func`` in Python only to the values that contain ``needle``; keep the rest."""
    if len(arr) == 0 or not _may_contain(arr, needle[0]):
        return arr
    hit = pc.fill_null(pc.match_substring(arr, needle), False)
    if not pc.any(hit).as_py():
        return arr
    fixed = [func(v) for v in arr.filter(hit).to_pylist()]
    return pc.replace_with_mask(arr, hit, pa.array(fixed, type=arr.type))


def _may_contain(arr: pa.Array, char: str) -> bool:
    """Look for a byte in the array's whole data buffer at once: far cheaper than per value."""
    if not (pa.types.is_string(arr.type) and len(arr.buffers()) == 3 and arr.buffers()[2]):
        return True
    return char.encode() in arr.buffers()[2].to_pybytes()


def unescape_tsv_array(arr: pa.Array) -> pa.Array:
    """Decode the TSV escapes in every value of a string array."""
    return _map_where(arr, "\\", unescape_tsv)


def unescape_json_array(arr: pa.Array) -> pa.Array:
    """Decode Zeek's JSON ``\\xNN`` control escapes in every value of a string array."""
    return _map_where(arr, "\\x", unescape_json)
