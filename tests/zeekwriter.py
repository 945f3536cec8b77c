"""A small model of Zeek's log writers, for tests: TSV and JSON with Zeek's escaping rules.

Follows zeek-facts.md (a) and (b): backslash as ``\\\\``; the separator, control bytes and
DEL as ``\\xNN``; a value equal to ``-`` or ``(empty)`` escaped; ``,`` escaped inside
containers; a leading ``#`` escaped; JSON control bytes as ``\\xNN`` text (Zeek < 8.1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _hex(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group(0)):02x}"


def tsv_string(value: str, in_container: bool = False) -> str:
    """Escape one string as Zeek's ASCII writer does."""
    if value == "":
        return "(empty)"
    if value == "-":
        return "\\x2d"
    if value == "(empty)":
        return "\\x28empty)"
    text = _CONTROL.sub(_hex, value.replace("\\", "\\\\"))
    return text.replace(",", "\\x2c") if in_container else text


def tsv_value(value: object, ztype: str) -> str:
    """Render one value of Zeek type ``ztype`` as TSV text."""
    if value is None:
        return "-"
    if ztype.startswith(("set[", "vector[")):
        items = list(value)  # type: ignore[call-overload]
        if not items:
            return "(empty)"
        inner = ztype[ztype.index("[") + 1:-1]
        return ",".join("-" if v is None else _scalar(v, inner, True) for v in items)
    return _scalar(value, ztype, False)


def _scalar(value: object, ztype: str, in_container: bool) -> str:
    if ztype in ("time", "interval"):
        micros = int(value)  # type: ignore[call-overload]
        sign = "-" if micros < 0 else ""
        whole, frac = divmod(abs(micros), 1_000_000)
        return f"{sign}{whole}.{frac:06d}"
    if ztype == "bool":
        return "T" if value else "F"
    if ztype in ("count", "int", "port"):
        return str(value)
    return tsv_string(str(value), in_container)


def render_tsv(fields: Sequence[str], types: Sequence[str], rows: Sequence[Sequence[object]],
               log_path: str = "ssl", opened: str = "2026-11-01-00-00-00",
               closed: str | None = "2026-11-01-01-00-00") -> str:
    """The text of a complete Zeek TSV log; ``opened``/``closed`` are the ``#open`` and
    ``#close`` values (``closed=None``: a file still open, no ``#close`` line)."""
    lines = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)",
             "#unset_field\t-", f"#path\t{log_path}", f"#open\t{opened}",
             "#fields\t" + "\t".join(fields), "#types\t" + "\t".join(types)]
    for row in rows:
        line = "\t".join(tsv_value(v, t) for v, t in zip(row, types, strict=True))
        lines.append("\\x23" + line[1:] if line.startswith("#") else line)
    if closed is not None:
        lines.append(f"#close\t{closed}")
    return "\n".join(lines) + "\n"


def write_tsv(path: str, fields: Sequence[str], types: Sequence[str],
              rows: Sequence[Sequence[object]], log_path: str = "ssl", close: bool = True) -> None:
    """Write a complete Zeek TSV log."""
    text = render_tsv(fields, types, rows, log_path,
                      closed="2026-11-01-01-00-00" if close else None)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def json_value(value: object, ztype: str) -> object:
    """Render one value as Zeek's JSON writer does (epoch-float times)."""
    if ztype.startswith(("set[", "vector[")):
        inner = ztype[ztype.index("[") + 1:-1]
        return [None if v is None else json_value(v, inner) for v in value]  # type: ignore[attr-defined]
    if ztype in ("time", "interval"):
        return int(value) / 1_000_000  # type: ignore[call-overload]
    if ztype in ("string", "enum", "addr"):
        return _CONTROL.sub(_hex, str(value))
    return value


def render_json(fields: Sequence[str], types: Sequence[str],
                rows: Sequence[Sequence[object]]) -> str:
    """The text of a Zeek JSON log (``LogAscii::use_json=T``): one object per line, fields in
    column order, unset fields omitted, times as epoch floats."""
    lines = []
    for row in rows:
        obj = {f: json_value(v, t) for f, t, v in zip(fields, types, row, strict=True)
               if v is not None}
        lines.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    return "".join(lines)


def write_json(path: str, fields: Sequence[str], types: Sequence[str],
               rows: Sequence[Sequence[object]]) -> None:
    """Write Zeek JSON lines: unset fields are omitted."""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(render_json(fields, types, rows))
