"""Turn the raw text of one Zeek column into a typed Arrow array.

Every conversion returns the array and the number of values that did not parse; those
become null and are reported, never raised, because one bad value must not lose a file.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import pyarrow as pa
import pyarrow.compute as pc

from .unescape import unescape_json_array, unescape_tsv_array

TIME = pa.timestamp("us", tz="UTC")
INTERVAL = pa.duration("us")

_SCALARS: dict[str, pa.DataType] = {
    "time": TIME,
    "interval": INTERVAL,
    "count": pa.uint64(),
    "int": pa.int64(),
    "port": pa.uint16(),
    "double": pa.float64(),
    "bool": pa.bool_(),
    "addr": pa.dictionary(pa.int32(), pa.string()),
    "enum": pa.dictionary(pa.int32(), pa.string()),
}
_CONTAINER = re.compile(r"^(?:set|vector|table)\[(.+)\]$")
_EPOCH_TEXT = re.compile(r"^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}$"
_FEW = 64  # distinct addresses checked in Python rather than by pattern
_H = "[0-9a-fA-F]{1,4}"
# The usual IPv6 forms, all in Arrow; the rest (embedded IPv4, zones) go to ipaddress.
_IPV6 = (rf"^(({_H}:){{7}}{_H}|({_H}:){{1,7}}:|({_H}:){{1,6}}:{_H}|({_H}:){{1,5}}(:{_H}){{1,2}}"
         rf"|({_H}:){{1,4}}(:{_H}){{1,3}}|({_H}:){{1,3}}(:{_H}){{1,4}}"
         rf"|({_H}:){{1,2}}(:{_H}){{1,5}}|{_H}:(:{_H}){{1,6}}|:((:{_H}){{1,7}}|:))$")
_MILLIS_ABOVE = 10**11  # epoch seconds this large are in the year 5138: the value is in ms
# The times a certificate or a connection can have: years 1 to 9999, as X.509 allows.
# Outside, a value is a sensor's or a writer's error, and no date library can print it.
MIN_MICROS = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
MAX_MICROS = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z


def element_type(ztype: str) -> str | None:
    """Return the element type of a container type, or None for a scalar."""
    match = _CONTAINER.match(ztype)
    return match.group(1) if match else None


_NAMES = frozenset({"time", "interval", "string", "addr", "port", "count", "int", "double",
                    "bool", "enum", "subnet", "pattern", "func", "file", "any"})


def is_zeek_type(ztype: str) -> bool:
    """Whether ``ztype`` names a Zeek type, a container of one included."""
    inner = element_type(ztype)
    return is_zeek_type(inner) if inner is not None else ztype in _NAMES


def arrow_type(ztype: str) -> pa.DataType:
    """Return the Arrow type zeekcert gives a column of Zeek type ``ztype``."""
    inner = element_type(ztype)
    if inner is not None:
        elem = arrow_type(inner)
        return pa.list_(pa.string() if pa.types.is_dictionary(elem) else elem)
    return _SCALARS.get(ztype, pa.string())


@dataclass(frozen=True)
class Markers:
    """The separator and markers a TSV header declares."""

    set_separator: str = ","
    empty: str = "(empty)"
    unset: str = "-"


def _mask(arr: pa.Array, text: str) -> pa.Array:
    return pc.fill_null(pc.equal(arr, text), False)


def null_where(arr: pa.Array, mask: pa.Array) -> pa.Array:
    """Make the values where ``mask`` is true null; for strings, only a new validity bitmap."""
    if not pc.any(mask).as_py():
        return arr
    if arr.offset or mask.offset or not pa.types.is_string(arr.type):
        return pc.if_else(mask, pa.scalar(None, arr.type), arr)
    valid = pc.invert(mask)
    if arr.null_count:
        valid = pc.and_(valid, pc.is_valid(arr))
    return pa.Array.from_buffers(arr.type, len(arr), [valid.buffers()[1], *arr.buffers()[1:]])


_NATIVE = ("count", "int", "port", "double", "bool", "addr", "enum")
_INTEGERS = ("count", "int", "port")
_TEXT = ("string", "addr", "enum", "subnet", "pattern")


def csv_type(ztype: str, hexish: bool = False) -> pa.DataType:
    """The type Arrow's CSV reader is asked to produce: converted there, on every core.

    Times stay text (they are parsed exactly here), and so do containers and strings,
    whose escapes are decoded here. With ``hexish`` (a ``0x`` somewhere in the block),
    integers stay text too: Arrow would take ``0x10`` for 16, which Zeek never writes.
    """
    if hexish and ztype in _INTEGERS:
        return pa.string()
    return _SCALARS[ztype] if ztype in _NATIVE else pa.string()


def from_tsv(ztype: str, raw: pa.Array, markers: Markers) -> tuple[pa.Array, int]:
    """Finish a TSV column whose unset values are already null.

    ``raw`` is what the CSV reader made of it: already typed (see ``csv_type``), or text
    when that failed or for types it cannot produce.
    """
    if element_type(ztype) is not None:
        return _tsv_list(ztype, raw, markers)
    if pa.types.is_dictionary(raw.type):
        return _checked(ztype, _clean_dictionary(raw, markers))
    if not pa.types.is_string(raw.type):
        return raw, 0
    if ztype in _TEXT or ztype not in _SCALARS:
        return _checked(ztype, _finish_text(ztype, _decode_text(raw, markers)))
    return _scalar_from_text(ztype, raw)


def _decode_text(values: pa.Array, markers: Markers) -> pa.Array:
    """``(empty)`` to the empty string, then the TSV escapes."""
    empty = pc.equal(values, markers.empty)  # null where unset: any() passes over those
    if pc.any(empty).as_py():
        values = pc.if_else(pc.fill_null(empty, False), "", values)
    return unescape_tsv_array(values)


def _clean_dictionary(arr: pa.DictionaryArray, markers: Markers) -> pa.Array:
    """Decode markers and escapes once per distinct value, not once per row."""
    fixed = _decode_text(arr.dictionary, markers)
    if fixed.equals(arr.dictionary):
        return arr
    return pc.dictionary_encode(pc.take(fixed, arr.indices))


def _checked(ztype: str, values: pa.Array) -> tuple[pa.Array, int]:
    """Addresses that are not IPv4 or IPv6 addresses (``342.2.3.4``) become null, counted."""
    if ztype != "addr" or not pa.types.is_dictionary(values.type) or not len(values):
        return values, 0
    wrong = pc.invert(_addresses_ok(values.dictionary))
    if not pc.any(wrong).as_py():
        return values, 0
    bad_codes = pc.indices_nonzero(wrong)
    rows = pc.fill_null(pc.is_in(values.indices, value_set=bad_codes.cast(values.indices.type)),
                        False)
    text = pc.if_else(rows, pa.scalar(None, pa.string()), values.dictionary_decode())
    return pc.dictionary_encode(text), int(pc.sum(rows).as_py() or 0)


def _addresses_ok(names: pa.Array) -> pa.Array:
    """Which values are addresses: by pattern in Arrow, the rare rest by ``ipaddress``.

    A handful of values (a small file's) are checked in Python at once: compiling the
    patterns would cost more than the check.
    """
    if len(names) <= _FEW:
        return pa.array([text is None or _is_address(text) for text in names.to_pylist()],
                        pa.bool_())
    ok = pc.fill_null(pc.or_(pc.match_substring_regex(names, _IPV4),
                             pc.match_substring_regex(names, _IPV6)), False)
    if pc.all(ok).as_py():
        return ok
    flags = ok.to_pylist()
    other = [i for i, good in enumerate(flags) if not good]
    if not other:  # pc.all of an all-null array says false; nothing to look at
        return ok
    for i, text in zip(other, names.take(other).to_pylist(), strict=True):
        flags[i] = text is None or _is_ipv6(text)
    return pa.array(flags, pa.bool_())


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_ipv6(text: str) -> bool:
    if ":" not in text:
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _finish_text(ztype: str, values: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(arrow_type(ztype)):
        return pc.dictionary_encode(values)
    return values


def _scalar_from_text(ztype: str, values: pa.Array) -> tuple[pa.Array, int]:
    """Parse numbers, booleans and times written as text."""
    if ztype in ("time", "interval"):
        micros, bad = epoch_text_to_micros(values)
        return _from_micros(ztype, micros, bad)
    if ztype == "bool":
        return _bool_from_text(values)
    if ztype in _INTEGERS:  # decimal digits only: Arrow's cast would take 0x10 as well
        digits = pc.fill_null(pc.match_substring_regex(values, r"^[+-]?[0-9]+$"), True)
        if not pc.all(digits).as_py():
            clean = pc.if_else(digits, values, pa.scalar(None, pa.string()))
            parsed, _ = cast_lenient(clean, _SCALARS[ztype])
            return parsed, _count_new_nulls(values, parsed)
    return cast_lenient(values, _SCALARS[ztype])


def _bool_from_text(values: pa.Array) -> tuple[pa.Array, int]:
    """``T`` and ``F``; anything else becomes null and is counted (rare, so checked last)."""
    parsed = pc.equal(values, "T")
    valid = len(values) - values.null_count
    recognised = pc.sum(parsed).as_py() or 0
    recognised += pc.sum(pc.equal(values, "F")).as_py() or 0
    if recognised == valid:
        return parsed, 0
    clean = pc.if_else(pc.or_(pc.equal(values, "T"), pc.equal(values, "F")), parsed, None)
    return clean, valid - recognised


def _from_micros(ztype: str, micros: pa.Array, bad: int) -> tuple[pa.Array, int]:
    """Integer microseconds as a time (only years 1 to 9999) or an interval."""
    if ztype == "time" and len(micros):
        outside = pc.fill_null(pc.or_(pc.less(micros, MIN_MICROS),
                                      pc.greater(micros, MAX_MICROS)), False)
        if pc.any(outside).as_py():
            bad += pc.sum(outside).as_py()
            micros = pc.if_else(outside, pa.scalar(None, micros.type), micros)
    return micros.cast(_SCALARS[ztype]), bad


def _count_new_nulls(before: pa.Array, after: pa.Array) -> int:
    return int(after.null_count - before.null_count)


def cast_lenient(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, int]:
    """Cast, turning each value that does not convert into null and counting it."""
    try:
        return pc.cast(values, target), 0
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    out = []
    for value in values.to_pylist():
        try:
            out.append(None if value is None else pa.scalar(value).cast(target).as_py())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OverflowError):
            out.append(None)
    parsed = pa.array(out, type=target)
    return parsed, _count_new_nulls(values, parsed)


def epoch_text_to_micros(values: pa.Array) -> tuple[pa.Array, int]:
    """Parse ``1521911720.615923``-style text to exact integer microseconds, never via float.

    Zeek writes times with exactly six decimals; when every value has its dot seven bytes
    from the end, dropping the dot gives the microseconds as an integer. Anything else
    takes the slow, general path.
    """
    dot = pc.find_substring(values, ".")
    if pc.all(pc.equal(dot, pc.subtract(pc.binary_length(values), 7))).as_py() is not False:
        try:
            return pc.cast(pc.replace_substring(values, ".", "", max_replacements=1),
                           pa.int64()), 0
        except pa.ArrowInvalid:
            pass
    parsed = pa.array([_text_to_micros(v) for v in values.to_pylist()], type=pa.int64())
    return parsed, _count_new_nulls(values, parsed)


def _text_to_micros(text: str | None) -> int | None:
    """Exact microseconds of decimal text, including the exponent form Zeek uses after 2038.

    None for anything else, and for a value too large for any time (``1e30``).
    """
    if text is None or not _EPOCH_TEXT.match(text) or len(text) > 64:
        return None
    try:
        micros = int((Decimal(text) * 1_000_000).to_integral_value(ROUND_HALF_EVEN))
    except ArithmeticError:  # an exponent beyond what Decimal holds
        return None
    return micros if -(2**63) <= micros < 2**63 else None


def _tsv_list(ztype: str, raw: pa.Array, markers: Markers) -> tuple[pa.Array, int]:
    """Split a container column on the set separator, honouring ``(empty)`` and unset.

    Unset and ``(empty)`` rows are null before splitting, so they own no elements and
    the split's own offsets serve the result: no copy of the elements is needed.
    """
    inner = element_type(ztype) or "string"
    split = pc.split_pattern(null_where(raw, _mask(raw, markers.empty)), markers.set_separator)
    elements = null_where(split.values, _mask(split.values, markers.unset))
    elements, bad = from_tsv(inner, elements, Markers("\x00", markers.empty, markers.unset))
    if pa.types.is_dictionary(elements.type):
        elements = elements.dictionary_decode()
    return pa.ListArray.from_arrays(split.offsets, elements, mask=raw.is_null()), bad


def from_json(ztype: str, arr: pa.Array) -> tuple[pa.Array, int]:
    """Convert a column as pyarrow's JSON reader inferred it to zeekcert's type."""
    inner = element_type(ztype)
    if inner is not None:
        return _json_list(inner, arr)
    if ztype in ("time", "interval"):
        micros, bad = json_time_to_micros(arr)
        return _from_micros(ztype, micros, bad)
    target = arrow_type(ztype)
    if pa.types.is_string(target) or pa.types.is_dictionary(target):
        text, bad = (arr, 0) if pa.types.is_string(arr.type) else cast_lenient(arr, pa.string())
        checked, wrong = _checked(ztype, _finish_text(ztype, unescape_json_array(text)))
        return checked, bad + wrong
    if pa.types.is_string(arr.type) and ztype == "bool":
        return _scalar_from_text(ztype, arr)
    return cast_lenient(arr, target)


def _json_list(inner: str, arr: pa.Array) -> tuple[pa.Array, int]:
    if not (pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)):
        if pa.types.is_null(arr.type):
            return pa.nulls(len(arr), arrow_type(f"vector[{inner}]")), 0
        return pa.nulls(len(arr), arrow_type(f"vector[{inner}]")), len(arr) - arr.null_count
    values, bad = from_json(inner, arr.values)
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    offsets = arr.offsets
    return pa.ListArray.from_arrays(offsets, values, mask=arr.is_null()), bad


def json_time_to_micros(arr: pa.Array) -> tuple[pa.Array, int]:
    """Convert epoch seconds, epoch milliseconds or ISO 8601 text to integer microseconds."""
    kind = arr.type
    if pa.types.is_null(kind):
        return pa.nulls(len(arr), pa.int64()), 0
    if pa.types.is_timestamp(kind):
        return pc.cast(pc.cast(arr, pa.timestamp("us", tz="UTC")), pa.int64()), 0
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return _numeric_epoch(arr)
    if pa.types.is_string(kind):
        return _text_time(arr)
    return pa.nulls(len(arr), pa.int64()), len(arr) - arr.null_count


def _numeric_epoch(arr: pa.Array) -> tuple[pa.Array, int]:
    """Seconds or milliseconds (TS_MILLIS), as int or float; never raises.

    The column's typical magnitude decides the unit: 10**11 and more is milliseconds (as
    seconds, past 5000 AD). The median decides, not the largest value, so one wild value
    cannot turn a column of seconds into milliseconds; it is left out of range instead.
    Values of 2**63 and more are TS_MILLIS_UNSIGNED's wrapped negative milliseconds.
    """
    if pa.types.is_floating(arr.type):
        finite = pc.is_finite(arr)
        if not pc.all(pc.fill_null(finite, True)).as_py():  # NaN or infinity: not a time
            clean = pc.if_else(finite, arr, pa.scalar(None, arr.type))
            parsed, _ = _numeric_epoch(clean)
            return parsed, _count_new_nulls(arr, parsed)
    typical = pc.approximate_median(pc.abs(arr.cast(pa.float64()))).as_py()
    millis = typical is not None and typical >= _MILLIS_ABOVE
    if pa.types.is_floating(arr.type) and not millis:
        scaled = pc.round(pc.multiply(arr, 1e6))
        fits = pc.less(pc.abs(scaled), 9.2e18)
        parsed = pc.cast(pc.if_else(fits, scaled, pa.scalar(None, scaled.type)), pa.int64())
        return parsed, _count_new_nulls(arr, parsed)
    values = [None if v is None else (int(v) - 2**64 if v >= 2**63 else v)
              for v in arr.to_pylist()]
    scale = 1000 if millis else 1_000_000
    out = [None if v is None else round(v * scale) for v in values]
    parsed = pa.array([v if v is None or -(2**63) <= v < 2**63 else None for v in out], pa.int64())
    return parsed, _count_new_nulls(arr, parsed)


def _text_time(arr: pa.Array) -> tuple[pa.Array, int]:
    """ISO 8601 text (JSON Streaming's times), or epoch text; each value on its own if need be.

    One value that is neither (a month 13) must not take its column's good values along.
    """
    try:
        return pc.cast(pc.cast(arr, TIME), pa.int64()), 0
    except pa.ArrowInvalid:
        pass
    try:
        return epoch_text_to_micros_strict(arr), 0
    except pa.ArrowInvalid:
        pass
    parsed = pa.array([_one_time(v) for v in arr.to_pylist()], pa.int64())
    return parsed, _count_new_nulls(arr, parsed)


def epoch_text_to_micros_strict(values: pa.Array) -> pa.Array:
    """``epoch_text_to_micros`` that raises ArrowInvalid when any value is not epoch text."""
    parsed, bad = epoch_text_to_micros(values)
    if bad:
        raise pa.ArrowInvalid("not all epoch text")
    return parsed


def _one_time(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(pa.scalar(text).cast(TIME).cast(pa.int64()).as_py())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OverflowError):
        return _text_to_micros(text)
