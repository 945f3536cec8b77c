"""Zeek JSON lines read one by one, for the blocks Arrow's reader refuses.

Arrow's reader gives up on a whole block when one line is not JSON, or when one value
has another type than the rest of its column (a string where the others are lists).
Here every line is parsed alone, and every value is checked against its field's Zeek
type: a value of the wrong shape becomes null and is counted, and only that value is
lost, never the column. ``NaN`` and ``Infinity`` (not JSON, but Python's parser takes
them) count as bad values too, and a lone surrogate escape (``\\ud800``) stays as that
text, since it stands for no character.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from .columns import element_type
from .schema import zeek_type

_BAD = object()  # a value that does not fit its field
_INTEGER_RANGES = {"count": (0, 2**64 - 1), "int": (-(2**63), 2**63 - 1), "port": (0, 65535)}
_TEXT = ("string", "enum", "addr", "subnet", "pattern")
Check = Callable[[Any], Any]


def parse_line(line: bytes) -> dict[str, Any]:
    """One line as a JSON object; ValueError when it is not one."""
    try:
        value = json.loads(line, parse_constant=lambda _name: _BAD)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from exc
    except (RecursionError, UnicodeDecodeError) as exc:  # depth is also guarded before
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    if b"\\u" in line and (b"\\ud" in line.lower()):
        value = {key: _no_surrogates(v) for key, v in value.items()}
    return value


def _no_surrogates(value: Any) -> Any:
    """Lone surrogates (invalid escapes some encoders write) as visible ``\\udXXX`` text."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_no_surrogates(v) for v in value]
    return value


def rows_to_table(rows: list[dict[str, Any]], kind: str | None,
                  extra_types: dict[str, str]) -> tuple[pa.Table, Counter[str]]:
    """Columns from parsed lines, each value checked against its field's type.

    Returns the table, in the shapes Arrow's reader would have given, and the number of
    bad values per column.
    """
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    arrays, bad = {}, Counter[str]()
    for name in names:
        values = [row.get(name) for row in rows]
        ztype = extra_types.get(name) or zeek_type(kind, name)
        arrays[name], bad[name] = _column(values, ztype)
    return pa.table(arrays), +bad


def _column(values: list[Any], ztype: str | None) -> tuple[pa.Array, int]:
    if ztype is None:
        return _untyped(values), sum(v is _BAD for v in values)
    check, arrow = _checker(ztype, values)
    out = [None if v is None else check(v) for v in values]
    bad = sum(v is _BAD for v in out)
    return pa.array([None if v is _BAD else v for v in out], arrow), bad


def _untyped(values: list[Any]) -> pa.Array:
    """A field no schema knows: as Arrow infers it, or as JSON text when mixed."""
    clean = [None if v is _BAD else v for v in values]
    try:
        return pa.array(clean)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([v if v is None or isinstance(v, str) else json.dumps(v)
                         for v in clean], pa.string())


def _checker(ztype: str, values: list[Any]) -> tuple[Check, pa.DataType]:
    """How to check one value of ``ztype``, and the Arrow type the checked values make."""
    inner = element_type(ztype)
    if inner is not None:
        check, arrow = _checker(inner, [])
        return _list_of(check), pa.list_(arrow)
    if ztype in ("time", "interval"):
        return _time_checker(values)
    if ztype in _INTEGER_RANGES:
        low, high = _INTEGER_RANGES[ztype]
        return (lambda v: _integer(v, low, high)), (pa.uint64() if low == 0 else pa.int64())
    if ztype == "double":
        return _number, pa.float64()
    if ztype == "bool":
        return (lambda v: v if isinstance(v, bool) else _BAD), pa.bool_()
    return (lambda v: v if isinstance(v, str) else _BAD), pa.string()


def _list_of(check: Check) -> Check:
    def checked(value: Any) -> Any:
        if not isinstance(value, list):
            return _BAD
        items = [None if v is None else check(v) for v in value]
        return _BAD if any(v is _BAD for v in items) else items
    return checked


def _integer(value: Any, low: int, high: int) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return _BAD
    return value


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _BAD
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        return _BAD
    return number if math.isfinite(number) else _BAD


def _time_checker(values: list[Any]) -> tuple[Check, pa.DataType]:
    """Times are numbers (epoch seconds or ms) or ISO text; most of the values decide which.

    One wild value (``1e400`` among ISO times, the first line's) must not decide for the
    rest, or every good time would be lost.
    """
    texts = sum(isinstance(v, str) for v in values)
    numbers = sum(_number(v) is not _BAD for v in values if v is not None)
    if texts > numbers:
        return (lambda v: v if isinstance(v, str) else _BAD), pa.string()
    return _number, pa.float64()
