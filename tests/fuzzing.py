"""Hypothesis strategies that build whole Zeek log files: first valid, then damaged.

Valid files are written the way Zeek writes them (``zeekwriter``), with the Zeek 6.x
field lists and types of ssl.log and x509.log (``certfactory``): TSV with its full header,
or JSON lines with epoch, ISO 8601 or millisecond times. Values reach the edges a sensor
can produce: empty, ``-``, ``(empty)``, very long strings, control characters, times near
0, negative and at the ends of the years 1 and 9999, counts up to 2**64 - 1. Times past
9999, or before the year 1, are bad values (README), so they are damage here.

The damage is then done to the bytes, as disks, collectors and people do it:

* bytes flipped, inserted or deleted; lines cut short, repeated or dropped (header lines
  too); the file cut off anywhere; random lines, invalid UTF-8, NUL bytes;
* a leading UTF-8 BOM, CRLF line ends and stray CRs;
* TSV headers: a field name twice in ``#fields``, ``#types`` with one type more or less than
  ``#fields``, ``#fields`` or ``#types`` missing, a second header block mid-file;
* JSON values of the wrong type: a list where a string belongs, a string where a bool
  belongs, integers beyond 64 bits, ``NaN``/``Infinity`` literals, unpaired surrogate
  escapes such as ``"\\ud800"``, moderately nested arrays;
* gzip of the whole file, a gzip cut short, and a second member or junk after it.

Strategies:

* ``log_files()``: one valid file; ``damaged_files()``: one file with 1-3 kinds of damage;
* ``trees()``: an ssl.log and an x509.log that refer to each other, either possibly damaged;
* ``good_and_bad()``: N good rows, and the same file with one bad line inserted among them;
* ``deep_json()``: JSON nested a few thousand levels deep, which can crash the interpreter
  itself: tests read it only in a subprocess.

``LogFile.name`` is the name to write the file under (``ssl.log``, ``x509.log.gz``).
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
from hypothesis import strategies as st
from zeekwriter import json_value, render_tsv, tsv_value

KINDS: dict[str, tuple[list[str], list[str]]] = {
    "ssl": (SSL_FIELDS, SSL_TYPES),
    "x509": (X509_FIELDS, X509_TYPES),
}
KEY = {"ssl": "uid", "x509": "fingerprint"}  # each good row's own value of this field
TSV_HEADER_LINES = 8  # #separator ... #types: the first data line is line 9
BOM = b"\xef\xbb\xbf"
DEEP_DEFAULT = (1_000, 5_000)  # nesting depths run by default, each in a subprocess

# --- valid values -------------------------------------------------------------------------

SECOND = 1_000_000
YEAR_10000 = 253_402_300_800 * SECOND  # 10000-01-01T00:00:00Z, in µs
# Times in µs. Zeek writes %.6f of a double; every one of these is a value it can write.
TIME_EDGES = (0, 1, -1, 999_999, -SECOND, 1_000_000_000 * SECOND, 2**31 * SECOND,
              -2_208_988_800 * SECOND,  # 1900-01-01
              1_795_000_000 * SECOND + 123_456)
# The ends of the years 1 to 9999 (README: a time outside them is a bad value). TSV text is
# exact there; JSON epoch numbers that large would be read as milliseconds.
TIME_EDGES_TSV = (YEAR_10000 - 1,  # 9999-12-31T23:59:59.999999
                  -62_135_596_800 * SECOND)  # 0001-01-01T00:00:00
STRING_EDGES = (
    "", "-", "(empty)", "\\x2d", "\\x28empty)", "\\", "\\\\", "\\x", "\\xZZ", "#", "#fields",
    "#close\t2026", "a\tb", "a\nb", "\r", "a\r\nb", "\x00", "\x07", "\x1b[31mred", "\x7f",
    "\x85", "\u202etxt.exe", "\ufeff", "\U0001f512", "é", "T", "F", "null", '"', "{}",
    "[1]", " ", ",", "a,b", "x" * 10_000, "é" * 4_000, "\\x41",
)
ADDR_EDGES = ("0.0.0.0", "255.255.255.255", "10.0.0.1", "::", "::1", "2001:db8::1",
              "::ffff:192.0.2.1", "fe80::1")
STATUSES = ("ok", "self signed certificate", "self-signed certificate",
            "self signed certificate in certificate chain",
            "unable to get local issuer certificate", "certificate has expired",
            "certificate is not yet valid", "certificate signature failure",
            "certificate revoked", "unknown certificate verification error")
SIG_ALGS = ("sha256WithRSAEncryption", "sha1WithRSAEncryption", "md5WithRSAEncryption",
            "ecdsa-with-SHA256", "")
NAMES = ("example.com", "*.example.com", "a.b.example.co.uk", "xn--bcher-kva.example",
         "192.0.2.1", "localhost", "*", "*.com", "..", "EXAMPLE.COM.")


@functools.cache  # building strategies is costly; each is built once
def _text(max_size: int = 12) -> st.SearchStrategy[str]:
    """Short text: any code point that UTF-8 can carry (no surrogates)."""
    return st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=max_size)


@functools.cache
def strings() -> st.SearchStrategy[str]:
    """A string value: short text or one of the edges."""
    return st.one_of(_text(), st.sampled_from(STRING_EDGES),
                     st.integers(1_000, 30_000).map(lambda n: "L" * n))


@functools.cache
def times(fmt: str) -> st.SearchStrategy[int]:
    """A time in µs that ``fmt`` can carry exactly (JSON: below 10**11 s, see columns.py)."""
    edges = TIME_EDGES + (TIME_EDGES_TSV if fmt == "tsv" else ())
    return st.one_of(st.integers(-(10**16), 4 * 10**15), st.sampled_from(edges))


@functools.cache
def addrs() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(ADDR_EDGES), st.ip_addresses().map(str))


@functools.cache
def counts(fmt: str) -> st.SearchStrategy[int]:
    """A count: TSV holds every uint64; pyarrow's JSON reader infers int64 (see
    test_properties), so JSON counts stay below 2**63."""
    top = 2**64 - 1 if fmt == "tsv" else 2**63 - 1
    return st.one_of(st.integers(0, 5000), st.sampled_from((0, 1, 2**32, 2**63 - 1, top)))


@functools.cache
def value(ztype: str, fmt: str) -> st.SearchStrategy[object]:
    """Any valid value of one Zeek type, or unset."""
    inner = ztype[ztype.index("[") + 1:-1] if "[" in ztype else None
    if inner is not None:
        element = addrs() if inner == "addr" else strings()
        return st.none() | st.lists(st.none() | element, max_size=4)
    base: st.SearchStrategy[object] = {
        "time": times(fmt), "interval": times(fmt), "count": counts(fmt),
        "port": st.integers(0, 65535), "bool": st.booleans(), "addr": addrs(),
    }.get(ztype, strings())
    return st.none() | base


@st.composite
def ssl_row(draw: st.DrawFn, index: int, fmt: str, fingerprints: Sequence[str] = ()
            ) -> list[object]:
    """One ssl.log row; ``uid`` is unique per index, the chain drawn from ``fingerprints``."""
    row = {f: draw(value(t, fmt)) for f, t in zip(SSL_FIELDS, SSL_TYPES, strict=True)}
    row["uid"] = f"C{index:017d}"
    if draw(st.booleans()):  # a row that a classifier can do something with
        fp = draw(st.sampled_from(fingerprints)) if fingerprints else "f" * 64
        row |= {"ts": draw(times(fmt)), "id.resp_h": draw(addrs()),
                "id.resp_p": draw(st.sampled_from((443, 8443, 0, 65535))),
                "server_name": draw(st.none() | st.sampled_from(NAMES)),
                "cert_chain_fps": draw(st.sampled_from(([fp], [fp, "0" * 64], [], None))),
                "validation_status": draw(st.none() | st.sampled_from(STATUSES))}
    return [row[f] for f in SSL_FIELDS]


@st.composite
def x509_row(draw: st.DrawFn, index: int, fmt: str) -> list[object]:
    """One x509.log row; ``fingerprint`` is unique per index."""
    row = {f: draw(value(t, fmt)) for f, t in zip(X509_FIELDS, X509_TYPES, strict=True)}
    row["fingerprint"] = fingerprint(index)
    if draw(st.booleans()):
        subject = draw(st.sampled_from(("CN=localhost", "CN=a,O=b\\, Inc,C=US", "")) | strings())
        row |= {"certificate.subject": subject,
                "certificate.issuer": draw(st.just(subject) | strings()),
                "certificate.not_valid_before": draw(times(fmt)),
                "certificate.not_valid_after": draw(times(fmt)),
                "certificate.key_type": draw(st.sampled_from(("rsa", "dsa", "ecdsa", "x"))),
                "certificate.key_length": draw(st.sampled_from((0, 512, 1024, 2048, 256))),
                "certificate.sig_alg": draw(st.sampled_from(SIG_ALGS)),
                "san.dns": draw(st.none() | st.lists(st.sampled_from(NAMES), max_size=3)),
                "host_cert": True}
    return [row[f] for f in X509_FIELDS]


def fingerprint(index: int) -> str:
    """The fingerprint of the x509 row ``index``: 64 lower-case hex digits."""
    return f"{index:064x}"


# --- rendering ----------------------------------------------------------------------------


def _json_time(micros: int, style: str) -> object:
    if style == "millis":
        return micros // 1000
    if style == "iso":
        whole, frac = divmod(micros, SECOND)
        days, rest = divmod(whole, 86_400)
        day = dt.date(1970, 1, 1) + dt.timedelta(days=days)
        h, rest = divmod(rest, 3600)
        return f"{day.isoformat()}T{h:02d}:{rest // 60:02d}:{rest % 60:02d}.{frac:06d}Z"
    return micros / SECOND


def json_line(fields: Sequence[str], types: Sequence[str], row: Sequence[object],
              time_style: str = "epoch", literal: tuple[str, str] | None = None) -> str:
    """One Zeek JSON line (unset fields omitted); ``literal`` = (field, raw JSON text) puts
    that text, which need not be valid JSON, in place of the field's value."""
    parts = []
    for name, ztype, v in zip(fields, types, row, strict=True):
        if literal is not None and name == literal[0]:
            parts.append(f"{json.dumps(name)}:{literal[1]}")
            continue
        if v is None:
            continue
        if ztype == "time":
            out: object = _json_time(int(v), time_style)  # type: ignore[call-overload]
        else:
            out = json_value(v, ztype)
        text = json.dumps(out, ensure_ascii=False, separators=(",", ":"))
        parts.append(f"{json.dumps(name)}:{text}")
    return "{" + ",".join(parts) + "}"


def render(kind: str, fmt: str, rows: Sequence[Sequence[object]], time_style: str = "epoch",
           closed: bool = True) -> bytes:
    """The bytes of a valid ssl or x509 log in ``fmt`` (``tsv`` or ``json``)."""
    fields, types = KINDS[kind]
    if fmt == "tsv":
        closed_at = "2026-11-01-01-00-00" if closed else None
        return render_tsv(fields, types, rows, log_path=kind, closed=closed_at).encode()
    return "".join(json_line(fields, types, r, time_style) + "\n" for r in rows).encode()


def _millis_safe(rows: list[list[object]], kind: str) -> list[list[object]]:
    """TS_MILLIS times before 1973 look like epoch seconds (columns.py reads magnitudes
    below 10**11 as seconds): move such times 31 years on, out of the ambiguity."""
    types = KINDS[kind][1]
    return [[v + 10**15 if t == "time" and isinstance(v, int) and abs(v) < 10**14 else v
             for v, t in zip(r, types, strict=True)] for r in rows]


def styled(rows: list[list[object]], kind: str, style: str) -> list[list[object]]:
    """Rows whose times the JSON time ``style`` can carry without ambiguity."""
    if style == "iso":
        return _iso_safe(rows, kind)
    if style == "millis":
        return _millis_safe(rows, kind)
    return rows


def _iso_safe(rows: list[list[object]], kind: str) -> list[list[object]]:
    """ISO 8601 has four-digit years only: clamp times to 0001..9999 for that style."""
    types = KINDS[kind][1]
    low, high = -62_135_596_800 * SECOND, YEAR_10000 - 1
    return [[min(max(v, low), high) if t == "time" and isinstance(v, int) else v
             for v, t in zip(r, types, strict=True)] for r in rows]


@dataclass(frozen=True)
class LogFile:
    """One log file's bytes and what they are."""

    kind: str
    fmt: str
    rows: int  # valid rows written before any damage
    data: bytes
    name: str
    damage: tuple[str, ...] = ()
    time_style: str = "epoch"

    def __repr__(self) -> str:  # Hypothesis prints this for a failing example
        shown = self.data if len(self.data) <= 3000 else self.data[:3000] + b"..."
        return (f"LogFile(kind={self.kind!r}, fmt={self.fmt!r}, rows={self.rows}, "
                f"name={self.name!r}, damage={self.damage!r}, time_style={self.time_style!r},"
                f" size={len(self.data)}, data={shown!r})")


@st.composite
def rows_of(draw: st.DrawFn, kind: str, fmt: str, min_size: int = 0, max_size: int = 6,
            fingerprints: Sequence[str] = ()) -> list[list[object]]:
    """Between ``min_size`` and ``max_size`` valid rows of ``kind``."""
    n = draw(st.integers(min_size, max_size))
    if kind == "ssl":
        return [draw(ssl_row(i, fmt, fingerprints)) for i in range(n)]
    return [draw(x509_row(i, fmt)) for i in range(n)]


@st.composite
def log_files(draw: st.DrawFn, kind: str | None = None, fmt: str | None = None,
              min_rows: int = 0, fingerprints: Sequence[str] = ()) -> LogFile:
    """A valid ssl or x509 log, TSV or JSON, as Zeek writes it."""
    kind = kind or draw(st.sampled_from(sorted(KINDS)))
    fmt = fmt or draw(st.sampled_from(("tsv", "json")))
    rows = draw(rows_of(kind, fmt, min_rows, max(min_rows, 6), fingerprints))
    style = draw(st.sampled_from(("epoch", "epoch", "iso", "millis"))) if fmt == "json" else ""
    rows = styled(rows, kind, style)
    closed = draw(st.booleans()) if fmt == "tsv" else True
    return LogFile(kind, fmt, len(rows), render(kind, fmt, rows, style, closed),
                   f"{kind}.log", time_style=style or "epoch")


# --- damage -------------------------------------------------------------------------------

Mutation = Callable[[st.DrawFn, LogFile], bytes]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _pos(draw: st.DrawFn, data: bytes) -> int:
    return draw(st.integers(0, max(0, len(data) - 1)))


def flip_bytes(draw: st.DrawFn, log: LogFile) -> bytes:
    out = bytearray(log.data)
    for _ in range(draw(st.integers(1, 4))):
        if out:
            at = _pos(draw, bytes(out))
            out[at] ^= draw(st.integers(1, 255))
    return bytes(out)


def insert_bytes(draw: st.DrawFn, log: LogFile) -> bytes:
    at = draw(st.integers(0, len(log.data)))
    junk = draw(st.binary(min_size=1, max_size=16) | st.sampled_from(
        (b"\t", b"\n", b"\r", b"\x00", b"\xff", b"\xc3", b"\\", b"\\x", b"#", b"{", b"\"")))
    return log.data[:at] + junk + log.data[at:]


def delete_bytes(draw: st.DrawFn, log: LogFile) -> bytes:
    at = _pos(draw, log.data)
    return log.data[:at] + log.data[at + draw(st.integers(1, 40)):]


def cut_off(draw: st.DrawFn, log: LogFile) -> bytes:
    """The file ends anywhere: a disk full, a copy interrupted."""
    return log.data[:_pos(draw, log.data)]


def cut_line(draw: st.DrawFn, log: LogFile) -> bytes:
    """One line cut short; the line end stays."""
    lines = _lines(log.data)
    i = draw(st.integers(0, len(lines) - 1))
    lines[i] = lines[i][:draw(st.integers(0, max(0, len(lines[i]) - 1)))]
    return b"\n".join(lines)


def repeat_line(draw: st.DrawFn, log: LogFile) -> bytes:
    """A line (header or data) written twice, maybe elsewhere."""
    lines = _lines(log.data)
    i = draw(st.integers(0, len(lines) - 1))
    lines.insert(draw(st.integers(0, len(lines))), lines[i])
    return b"\n".join(lines)


def drop_line(draw: st.DrawFn, log: LogFile) -> bytes:
    """A line (header or data) missing."""
    lines = _lines(log.data)
    del lines[draw(st.integers(0, len(lines) - 1))]
    return b"\n".join(lines)


def junk_line(draw: st.DrawFn, log: LogFile) -> bytes:
    """A line of something else: random bytes, another format, a blank line."""
    lines = _lines(log.data)
    junk = draw(st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")) | st.sampled_from(
        (b"", b" ", b"\r", b"\t\t\t", b"{}", b"[]", b"null", b"{\"ts\":", b"\x00\x00",
         b"\xff\xfe\x00", b"#fields\tts", b"#separator \\x09", b"#types\ttime")))
    lines.insert(draw(st.integers(0, len(lines))), junk)
    return b"\n".join(lines)


def bad_utf8(draw: st.DrawFn, log: LogFile) -> bytes:
    at = draw(st.integers(0, len(log.data)))
    junk = draw(st.sampled_from((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                                 b"\xc0\xaf", b"\xe2\x82")))
    return log.data[:at] + junk + log.data[at:]


def bom(draw: st.DrawFn, log: LogFile) -> bytes:
    return BOM + log.data


def crlf(draw: st.DrawFn, log: LogFile) -> bytes:
    """CRLF line ends everywhere, or one stray CR."""
    if draw(st.booleans()):
        return log.data.replace(b"\n", b"\r\n")
    at = draw(st.integers(0, len(log.data)))
    return log.data[:at] + b"\r" + log.data[at:]


def _header_index(lines: list[bytes], key: bytes) -> int | None:
    return next((i for i, line in enumerate(lines) if line.startswith(key)), None)


def duplicate_field_name(draw: st.DrawFn, log: LogFile) -> bytes:
    """``#fields`` names one field twice (another name replaced by it); #types unchanged."""
    lines = _lines(log.data)
    i = _header_index(lines, b"#fields\t")
    if i is None:
        return log.data
    names = lines[i].split(b"\t")[1:]
    a, b = draw(st.lists(st.integers(0, len(names) - 1), min_size=2, max_size=2, unique=True))
    names[b] = names[a]
    lines[i] = b"\t".join([b"#fields", *names])
    return b"\n".join(lines)


def types_count_differs(draw: st.DrawFn, log: LogFile) -> bytes:
    """``#types`` has one type more or one type less than ``#fields``."""
    lines = _lines(log.data)
    i = _header_index(lines, b"#types\t")
    if i is None:
        return log.data
    types = lines[i].split(b"\t")[1:]
    if draw(st.booleans()):
        types.insert(draw(st.integers(0, len(types))), draw(st.sampled_from(
            (b"string", b"count", b"time", b"vector[string]"))))
    else:
        del types[draw(st.integers(0, len(types) - 1))]
    lines[i] = b"\t".join([b"#types", *types])
    return b"\n".join(lines)


def second_header(draw: st.DrawFn, log: LogFile) -> bytes:
    """The header block again mid-file (``cat`` of two files), maybe with other fields."""
    lines = _lines(log.data)
    head = lines[:TSV_HEADER_LINES]
    if draw(st.booleans()) and len(head) == TSV_HEADER_LINES:
        head = [*head[:6], b"#fields\tts\tuid\textra", b"#types\ttime\tstring\tstring",
                b"1.000000\tCsecond\tx"]
    at = draw(st.integers(TSV_HEADER_LINES, max(TSV_HEADER_LINES, len(lines) - 1)))
    return b"\n".join(lines[:at] + head + lines[at:])


def separator_changed(draw: st.DrawFn, log: LogFile) -> bytes:
    sep = draw(st.sampled_from((b"\\x2c", b"\\x", b"", b"\\x00", b"  ", b"\\x0a", b"ab")))
    return log.data.replace(b"#separator \\x09", b"#separator " + sep, 1)


def _json_lines(log: LogFile) -> list[bytes]:
    return [line for line in _lines(log.data) if line.startswith(b"{")]


def wrong_json_value(draw: st.DrawFn, log: LogFile) -> bytes:
    """One JSON value replaced by raw text of another type (see ``WRONG``)."""
    lines = _lines(log.data)
    candidates = [i for i, line in enumerate(lines) if line.startswith(b"{")]
    if not candidates:
        return log.data
    i = draw(st.sampled_from(candidates))
    fields, types = KINDS[log.kind]
    name = draw(st.sampled_from(fields))
    literal = draw(wrong_literal(types[fields.index(name)]))[0]
    try:
        obj = json.loads(lines[i])
    except ValueError:
        return log.data
    parts = [f"{json.dumps(k)}:{json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
             for k, v in obj.items() if k != name]
    parts.insert(draw(st.integers(0, len(parts))), f"{json.dumps(name)}:{literal}")
    lines[i] = ("{" + ",".join(parts) + "}").encode("utf-8", "surrogatepass")
    return b"\n".join(lines)


def json_key_damage(draw: st.DrawFn, log: LogFile) -> bytes:
    """A key twice, an empty key, a nested object, or an unknown key in one line."""
    lines = _lines(log.data)
    candidates = [i for i, line in enumerate(lines) if line.startswith(b"{") and len(line) > 2]
    if not candidates:
        return log.data
    i = draw(st.sampled_from(candidates))
    extra = draw(st.sampled_from((b'"uid":"Cdup",', b'"":1,', b'"id":{"orig_h":"10.0.0.9"},',
                                  b'"zzz":[1,2],', b'"ts":1.0,', b'"_path":"x509",',
                                  b'"certificate":{"subject":"CN=x"},')))
    lines[i] = b"{" + extra + lines[i][1:]
    return b"\n".join(lines)


MUTATIONS: dict[str, Mutation] = {
    "flip_bytes": flip_bytes, "insert_bytes": insert_bytes, "delete_bytes": delete_bytes,
    "cut_off": cut_off, "cut_line": cut_line, "repeat_line": repeat_line,
    "drop_line": drop_line, "junk_line": junk_line, "bad_utf8": bad_utf8, "bom": bom,
    "crlf": crlf,
}
TSV_MUTATIONS: dict[str, Mutation] = {
    "duplicate_field_name": duplicate_field_name, "types_count_differs": types_count_differs,
    "second_header": second_header, "separator_changed": separator_changed,
}
JSON_MUTATIONS: dict[str, Mutation] = {
    "wrong_json_value": wrong_json_value, "json_key_damage": json_key_damage,
}


def compress(draw: st.DrawFn, log: LogFile) -> LogFile:
    """gzip the file; maybe cut the gzip short, add a second member or trailing junk."""
    packed = gzip.compress(log.data, mtime=0)
    how = draw(st.sampled_from(("whole", "cut", "cut", "member", "junk")))
    if how == "cut":
        packed = packed[:draw(st.integers(0, len(packed) - 1))]
    elif how == "member":
        packed += gzip.compress(log.data[-200:], mtime=0)
    elif how == "junk":
        packed += draw(st.binary(min_size=1, max_size=20))
    return replace(log, data=packed, name=log.name + ".gz", damage=(*log.damage, f"gzip:{how}"))


@st.composite
def damaged(draw: st.DrawFn, log: LogFile, max_mutations: int = 3) -> LogFile:
    """``log`` with 1 to ``max_mutations`` kinds of damage, then maybe gzipped."""
    menu = MUTATIONS | (TSV_MUTATIONS if log.fmt == "tsv" else JSON_MUTATIONS)
    names = draw(st.lists(st.sampled_from(sorted(menu)), min_size=1, max_size=max_mutations))
    for name in names:
        log = replace(log, data=menu[name](draw, log), damage=(*log.damage, name))
    if draw(st.integers(0, 4)) == 0:
        log = compress(draw, log)
    return log


@st.composite
def damaged_files(draw: st.DrawFn) -> LogFile:
    """A log with damage, or (one time in five) a valid one, maybe gzipped."""
    log = draw(log_files())
    if draw(st.integers(0, 4)) == 0:
        return compress(draw, log) if draw(st.booleans()) else log
    return draw(damaged(log))


@dataclass(frozen=True)
class Tree:
    """An ssl.log and an x509.log (either maybe damaged) for one report run."""

    ssl: LogFile
    x509: LogFile
    fail_on: str | None = None

    @property
    def files(self) -> tuple[LogFile, LogFile]:
        return self.ssl, self.x509


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    """A folder's worth of logs: x509 certificates and the connections that present them."""
    x509 = draw(log_files("x509", min_rows=1))
    ssl = draw(log_files("ssl", min_rows=1, fingerprints=[fingerprint(i)
                                                          for i in range(x509.rows)]))
    if draw(st.booleans()):
        ssl = draw(damaged(ssl, max_mutations=2))
    if draw(st.booleans()):
        x509 = draw(damaged(x509, max_mutations=2))
    return Tree(ssl, x509, draw(st.sampled_from((None, None, "any", "new"))))


# --- one bad line among good ones ---------------------------------------------------------

# Raw JSON text of the wrong type for each Zeek type: (text, the damage must be counted).
# A number where a string belongs may be read as its text, and 0/1 as a bool, so they need
# not be counted; an object is flattened into dotted columns (as the reader does for
# pipelines that nest), leaving the field unset; a surrogate escape is a string no UTF-8
# file can hold, read back as some valid text or counted.
_NUMBER_WRONG = (("NaN", True), ("Infinity", True), ("-Infinity", True), ("1e400", True),
                 (str(2**64), True), (str(2**64 + 1), True), (str(10**30), True),
                 (str(-(10**30)), True), ('"abc"', True), ('""', True), ("true", True),
                 ("[1]", True), ('["1"]', True))
WRONG: dict[str, tuple[tuple[str, bool], ...]] = {
    "string": (('["a"]', True), ("[]", True), ('[["a"]]', True), ("[" * 20 + "]" * 20, True),
               ("5", False), ("true", False), ("-1.5e3", False), ('"\\ud800"', False),
               ('"a\\udc00b"', False), ('"\\ud83d"', False), ('{"a":1}', False)),
    "bool": (('"x"', True), ('"true"', True), ('"1"', True), ("1", False), ("0", False),
             ("[]", True), ("[true]", True), ("NaN", True), ('"\\ud800"', True),
             ('{"a":1}', False)),
    "count": (*_NUMBER_WRONG, ("-1", True), ("1.5", True), ('"\\ud800"', True),
              ('{"a":1}', False)),
    "port": (*_NUMBER_WRONG, ("65536", True), ("70000", True), ("-1", True), ("1.5", True),
             ('{"a":1}', False)),
    "time": (*_NUMBER_WRONG, ('"2026-13-45T00:00:00Z"', True), ('"10000-01-01T00:00:00Z"', True),
             ("253402300800.0", True), ("-62135596801.0", True),  # years 10000 and 0
             ('"yesterday"', True), ('"\\ud800"', True), ('{"a":1}', False)),
    "addr": (('["10.0.0.1"]', True), ("[]", True), ("5", False), ("true", False),
             ('"\\ud800"', False), ('{"a":1}', False)),
    "vector[string]": (('"abc"', True), ("5", True), ("true", True), ('{"a":"b"}', False),
                       ('[["a"]]', True), ('[{"a":1}]', True), ("[" * 20 + "]" * 20, True),
                       ('["\\ud800"]', False), ("NaN", True)),
    "vector[addr]": (('"10.0.0.1"', True), ("5", True), ('[["10.0.0.1"]]', True),
                     ('[{"a":1}]', True), ('["\\ud800"]', False)),
}
WRONG["interval"] = WRONG["time"]
# TSV text that is not a value of the type: (text, damage counted).
TSV_WRONG: dict[str, tuple[str, ...]] = {
    "time": ("abc", "1.2.3", "--1", "1e", "", "(empty)", " 1.000000", "1.000000 ", "0x10",
             "inf", "nan", "1e400", "99999999999999999999.000000", "T",
             "253402300800.000000", "-62135596801.000000",  # the years 10000 and 0
             "9223372036854.775807", "1000000000000.000000"),  # beyond 9999 too
    "count": ("-1", "1.5", "abc", "18446744073709551616", "", "(empty)", "1e3", "0x10",
              "99999999999999999999999", "T"),
    "port": ("65536", "-1", "443/tcp", "abc", "", "1.5", "(empty)"),
    "bool": ("t", "true", "1", "0", "TF", "", "(empty)", "yes"),
}


def wrong_literal(ztype: str) -> st.SearchStrategy[tuple[str, bool]]:
    """Raw JSON text of the wrong type for ``ztype``, and whether it must be counted."""
    return st.sampled_from(WRONG.get(ztype, WRONG["string"]))


@dataclass(frozen=True)
class GoodAndBad:
    """A file of good rows, and the same file with one bad line at ``position``."""

    kind: str
    fmt: str
    n: int
    good: bytes
    bad: bytes
    position: int  # index among the data rows
    line: int  # the bad line's number in the file, from 1
    damage: str
    field: str | None  # the field given a bad value, if that was the damage
    must_count: bool  # the damage is certain: a skipped line or a bad value
    time_style: str = "epoch"
    gzipped: bool = False

    def __repr__(self) -> str:
        def short(data: bytes) -> bytes:
            return data if len(data) <= 2500 else data[:2500] + b"..."
        return (f"GoodAndBad(kind={self.kind!r}, fmt={self.fmt!r}, n={self.n}, "
                f"position={self.position}, line={self.line}, damage={self.damage!r}, "
                f"field={self.field!r}, must_count={self.must_count}, "
                f"time_style={self.time_style!r}, gzipped={self.gzipped}, "
                f"bad_line={self.bad_line!r}, good={short(self.good)!r})")

    @property
    def bad_line(self) -> bytes:
        data = gzip.decompress(self.bad) if self.gzipped else self.bad
        return data.split(b"\n")[self.line - 1]


def _tsv_fields(types: Sequence[str], row: Sequence[object]) -> list[str]:
    fields = [tsv_value(v, t) for v, t in zip(row, types, strict=True)]
    if fields[0].startswith("#"):
        fields[0] = "\\x23" + fields[0][1:]
    return fields


@st.composite
def _bad_tsv_line(draw: st.DrawFn, kind: str, row: list[object]
                  ) -> tuple[bytes, str, str | None, bool]:
    fields, types = KINDS[kind]
    texts = _tsv_fields(types, row)
    how = draw(st.sampled_from(("fewer", "more", "value", "value", "flip", "binary", "utf8",
                                "empty", "cr", "nul")))
    if how == "fewer":
        texts = texts[:draw(st.integers(1, len(texts) - 1))]
    elif how == "more":
        texts += draw(st.lists(st.sampled_from(("-", "x", "(empty)", "", "1")), min_size=1,
                               max_size=3))
    elif how == "value":
        typed = [i for i, t in enumerate(types) if t in TSV_WRONG]
        i = draw(st.sampled_from(typed))
        texts[i] = draw(st.sampled_from(TSV_WRONG[types[i]]))
        return "\t".join(texts).encode(), f"value:{texts[i]!r}", fields[i], True
    elif how == "empty":
        return b"", "empty", None, True
    line = "\t".join(texts).encode()
    if how == "flip":
        out = bytearray(line)
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(out) - 1))
            out[at] ^= draw(st.integers(1, 255).filter(lambda x, b=out[at]: (b ^ x) != 10))
        line = bytes(out)
    elif how == "binary":
        line = draw(st.binary(min_size=1, max_size=200)).replace(b"\n", b" ")
    elif how == "utf8":
        at = draw(st.integers(0, len(line)))
        line = line[:at] + draw(st.sampled_from((b"\xff", b"\xc3", b"\xed\xa0\x80"))) + line[at:]
    elif how == "cr":
        line += b"\r"
    elif how == "nul":
        at = draw(st.integers(0, len(line)))
        line = line[:at] + b"\x00" + line[at:]
    if line.startswith(b"#"):  # that would be a header line, which is not a row
        line = b"\\x23" + line[1:]
    return line, how, None, how in ("fewer", "more")


@st.composite
def _bad_json_line(draw: st.DrawFn, kind: str, row: list[object], style: str
                   ) -> tuple[bytes, str, str | None, bool]:
    fields, types = KINDS[kind]
    how = draw(st.sampled_from(("type", "type", "type", "cut", "not_object", "flip")))
    if how == "type":
        name = draw(st.sampled_from(fields))
        text, must = draw(wrong_literal(types[fields.index(name)]))
        line = json_line(fields, types, row, style, literal=(name, text))
        return line.encode("utf-8", "surrogatepass"), f"type:{text[:40]}", name, must
    line = json_line(fields, types, row, style).encode()
    if how == "cut":
        return line[:draw(st.integers(1, len(line) - 1))], how, None, True
    if how == "not_object":
        text = draw(st.sampled_from(("[1,2]", '"x"', "5", "null", "true", "[]", "[{}]")))
        return text.encode(), f"{how}:{text}", None, True
    out = bytearray(line)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(out) - 1))
        out[at] ^= draw(st.integers(1, 255).filter(lambda x, b=out[at]: (b ^ x) not in (10, 13)))
    if not bytes(out).strip():
        out = bytearray(b"x")
    return bytes(out), how, None, False


@st.composite
def good_and_bad(draw: st.DrawFn) -> GoodAndBad:
    """N valid rows; then the same rows with one bad line inserted among them."""
    kind = draw(st.sampled_from(sorted(KINDS)))
    fmt = draw(st.sampled_from(("tsv", "json")))
    rows = draw(rows_of(kind, fmt, 1, 8))
    style = draw(st.sampled_from(("epoch", "epoch", "iso", "millis"))) if fmt == "json" else ""
    rows = styled(rows, kind, style)
    template = draw(rows_of(kind, fmt, 1, 1))[0]
    template[KINDS[kind][0].index(KEY[kind])] = "Zbad" if kind == "ssl" else "e" * 64
    template = styled([template], kind, style)[0]
    if fmt == "tsv":
        line, how, name, must = draw(_bad_tsv_line(kind, template))
    else:
        line, how, name, must = draw(_bad_json_line(kind, template, style or "epoch"))
    good = render(kind, fmt, rows, style or "epoch")
    lines = good.split(b"\n")
    start = TSV_HEADER_LINES if fmt == "tsv" else 0
    position = draw(st.integers(0, len(rows)))
    lines.insert(start + position, line)
    bad = b"\n".join(lines)
    gzipped = draw(st.integers(0, 5)) == 0
    if gzipped:
        good, bad = gzip.compress(good, mtime=0), gzip.compress(bad, mtime=0)
    return GoodAndBad(kind, fmt, len(rows), good, bad, position, start + position + 1, how,
                      name, must, style or "epoch", gzipped)


# --- inputs that need a subprocess ------------------------------------------------------


def deep_array(depth: int) -> str:
    """``[[[...]]]`` nested ``depth`` levels."""
    return "[" * depth + "]" * depth


def deep_object(depth: int) -> str:
    """``{"a":{"a":...}}`` nested ``depth`` levels."""
    return '{"a":' * depth + "1" + "}" * depth


@dataclass(frozen=True)
class DeepCase:
    """A JSON ssl.log of ``n`` good rows and one line nested ``depth`` levels deep."""

    data: bytes
    n: int
    depth: int
    where: str  # "value": as a field's value; "line": the whole line
    shape: str  # "array" or "object"
    line: int  # the deep line's number, from 1
    field: str | None = None  # the field holding the deep value


def deep_case(depth: int, where: str = "value", shape: str = "array", n: int = 3,
              field_name: str = "server_name", position: int = 1) -> DeepCase:
    """A file in which one line holds JSON nested ``depth`` levels deep."""
    fields, types = KINDS["ssl"]
    rows = [_plain_ssl_row(i) for i in range(n)]
    nested = deep_array(depth) if shape == "array" else deep_object(depth)
    if where == "value":
        bad = json_line(fields, types, _plain_ssl_row(99, "Zdeep"), literal=(field_name, nested))
    else:
        bad = nested
    lines = [json_line(fields, types, r) for r in rows]
    lines.insert(position, bad)
    return DeepCase(("\n".join(lines) + "\n").encode(), n, depth, where, shape, position + 1,
                    field_name if where == "value" else None)


@st.composite
def deep_json(draw: st.DrawFn, max_depth: int = 100_000) -> DeepCase:
    """A deep case of any depth from a thousand to ``max_depth``, anywhere in the file."""
    n = draw(st.integers(0, 4))
    return deep_case(draw(st.integers(1_000, max_depth)), draw(st.sampled_from(("value", "line"))),
                     draw(st.sampled_from(("array", "object"))), n,
                     draw(st.sampled_from(SSL_FIELDS)), draw(st.integers(0, n)))


def _plain_ssl_row(i: int, uid: str | None = None) -> list[object]:
    """A plain, valid ssl.log row (a TLS 1.2 connection to a self-signed server)."""
    row: dict[str, object] = {
        "ts": 1_795_000_000 * SECOND + i * 144 * SECOND, "uid": uid or f"C{i:017d}",
        "id.orig_h": "10.0.0.5", "id.orig_p": 40000 + i, "id.resp_h": "203.0.113.9",
        "id.resp_p": 443, "version": "TLSv12", "cipher": "TLS_AES_128_GCM_SHA256",
        "curve": "x25519", "server_name": "example.com", "resumed": False, "last_alert": None,
        "next_protocol": None, "established": True, "ssl_history": "CsiI",
        "cert_chain_fps": ["a" * 64], "client_cert_chain_fps": [], "sni_matches_cert": None,
        "validation_status": "self signed certificate"}
    return [row[f] for f in SSL_FIELDS]


def plain_rows(kind: str, n: int) -> list[list[object]]:
    """``n`` plain valid rows of ``kind`` (for files built by hand)."""
    if kind == "ssl":
        return [_plain_ssl_row(i) for i in range(n)]
    base = {"ts": 1_795_000_000 * SECOND, "certificate.version": 3,
            "certificate.serial": "01", "certificate.subject": "CN=localhost",
            "certificate.issuer": "CN=localhost",
            "certificate.not_valid_before": 1_790_000_000 * SECOND,
            "certificate.not_valid_after": 1_800_000_000 * SECOND,
            "certificate.key_alg": "rsaEncryption", "certificate.sig_alg":
            "sha256WithRSAEncryption", "certificate.key_type": "rsa",
            "certificate.key_length": 2048, "certificate.exponent": "65537",
            "certificate.curve": None, "san.dns": None, "san.uri": None, "san.email": None,
            "san.ip": None, "basic_constraints.ca": False, "basic_constraints.path_len": None,
            "host_cert": True, "client_cert": False}
    return [[({**base, "fingerprint": "a" * 64 if i == 0 else fingerprint(i)})[f]
             for f in X509_FIELDS] for i in range(n)]


# --- streams too big to hold --------------------------------------------------------------


def write_gzip_without_newlines(path: str, inflated: int, head: bytes = b"",
                                tail: bytes = b"", bomb: bool = True) -> None:
    """A gzip member that inflates to ``head``, ``inflated`` bytes without a newline, and
    ``tail``. ``bomb``: the bytes are all ``A`` and inflate about 1000 times (a
    decompression bomb, README "oversized"); else a letter every 100 bytes varies, which
    inflates about 60 times, like text.

    Written in a second or two: one fully flushed deflate block of 1 MiB is repeated (a
    full flush resets the compressor, so each repeat is the same bytes), and the CRC is
    that of the whole content.
    """
    chunk = bytearray(b"A" * (1 << 20))
    if not bomb:
        vary = random.Random(1)  # fixed: the same file every run
        for i in range(0, len(chunk), 100):
            chunk[i] = vary.randrange(ord("B"), ord("Z") + 1)
    block_maker = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = block_maker.compress(chunk) + block_maker.flush(zlib.Z_FULL_FLUSH)
    crc, size = zlib.crc32(head), len(head)
    with open(path, "wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")
        edge = zlib.compressobj(9, zlib.DEFLATED, -15)
        out.write(edge.compress(head) + edge.flush(zlib.Z_FULL_FLUSH))
        for _ in range(inflated // len(chunk)):
            out.write(block)
            crc, size = zlib.crc32(chunk, crc), size + len(chunk)
        last = zlib.compressobj(9, zlib.DEFLATED, -15)
        out.write(last.compress(tail) + last.flush(zlib.Z_FINISH))
        crc, size = zlib.crc32(tail, crc), size + len(tail)
        out.write(crc.to_bytes(4, "little") + (size & 0xFFFFFFFF).to_bytes(4, "little"))


def tsv_header(kind: str = "ssl") -> bytes:
    """The header lines of a TSV log of ``kind``, as Zeek writes them."""
    return render("ssl" if kind == "ssl" else "x509", "tsv", [], closed=False)


# --- what a read gave, as plain data ---------------------------------------------------


def _plain(v: object) -> object:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, np.ndarray | list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def plain_values(series: pd.Series) -> list[object]:
    """A column as plain Python (JSON-able): NA as None, times as integer µs since 1970
    (so that years past 9999 compare too), lists as lists, categories as text."""
    text = str(series.dtype)
    if text.startswith(("datetime64", "timedelta64")):
        values: list[object] = pa.array(series).cast(pa.int64()).to_pylist()
        return values
    return [_plain(v) for v in series.astype(object).tolist()]


def summary(frame: pd.DataFrame) -> dict[str, object]:
    """What ``read_log`` gave: the report's counts and every column as plain values."""
    report = frame.attrs["zeekcert"]
    return {"status": str(report.status), "rows": report.rows, "skipped": report.skipped,
            "lines": list(report.skipped_lines), "bad": dict(report.bad_values),
            "message": report.message,
            "columns": {str(c): plain_values(frame[c]) for c in frame.columns}}


__all__ = [
    "BOM", "DEEP_DEFAULT", "KEY", "KINDS", "TSV_HEADER_LINES", "DeepCase", "GoodAndBad",
    "LogFile", "Tree", "damaged", "damaged_files", "deep_case", "deep_json", "good_and_bad",
    "log_files", "plain_rows", "plain_values", "render", "summary", "trees", "tsv_header",
    "write_gzip_without_newlines",
]
