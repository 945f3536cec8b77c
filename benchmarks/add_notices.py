#!/usr/bin/env python3
"""Add to a generated day the SSL::Invalid_Server_Cert notices Zeek would have logged.

Usage: python benchmarks/add_notices.py DIR [DIR ...] [--suppress-for SECONDS] [--single]
[--replace] [--json FILE]

DIR is a day folder holding a Zeek TSV ssl.log or ssl.log.gz (as gen_zeek_logs.py or
benchmarks/make_ssl_log.py write them), or a folder whose ``YYYY-MM-DD`` subfolders hold a
zeekctl hourly tree (``ssl.HH:MM:SS-HH:MM:SS.log.gz``, make_ssl_log.py --hours 24). Beside
the ssl log it writes ``notice.log.gz``; beside hourly files, one
``notice.HH:MM:SS-HH:MM:SS.log.gz`` per ssl file (the notices of that file's connections),
as zeekctl would archive them, unless --single asks for one ``notice.log.gz`` per folder.
An existing notice file of the same name is replaced; any other notice log already in a
folder stops the script (its notices would be counted twice), unless --replace says to
delete it.

What is written follows Zeek 6's policy/protocols/ssl/validate-certs.zeek and the notice
framework (notice.log columns of Zeek 4.1 and later):

- one notice per connection whose ``validation_status`` is set and is not ``ok``;
- suppressed as the notice framework does: a notice with the identifier of one already
  logged less than --suppress-for seconds before it (default 86400, one day) is dropped.
  The identifier is ``id.resp_h``, ``id.resp_p``, the leaf certificate (the first of
  ``cert_chain_fps``; ``cert_chain_fuids`` or ``cert_hash`` in older layouts) and the
  status (Zeek hashes the OpenSSL code, one per status text). Stock Zeek suppresses this
  notice for Notice::default_suppression_interval, 1 h; a site sets a day with
  ``redef Notice::type_suppression_intervals``: --suppress-for 3600 gives stock Zeek;
- ``note`` ``SSL::Invalid_Server_Cert``, ``msg`` ``SSL certificate validation failed with
  (<validation_status>)``, ``sub`` the leaf's subject (ssl.log ``subject`` in old layouts,
  else x509 ``certificate.subject`` by fingerprint; ``-`` when unknown), ``ts``, ``uid``
  and ``id.*`` of the connection, ``src``/``dst``/``p`` from ``id``, ``proto`` tcp,
  ``actions`` Notice::ACTION_LOG, ``email_dest`` empty, ``suppress_for`` the interval.
  ``fuid`` is the leaf's file id where ssl.log has ``cert_chain_fuids`` (Zeek <= 4.0),
  else unset: Zeek 6 logs the fuid, but ssl.log and x509.log no longer carry it. The
  notice's ``ts`` is the connection's (Zeek's is when validation ran, a little later);
  ``peer_descr`` is unset, as on a standalone Zeek.

``#open`` is the ssl file's; ``#close`` the end of the hour a zeekctl name gives, else
the second after the last connection (UTC, as both generators write them). Rows are read
with ``zeekcert.read_log``; a file it did not read cleanly is reported on stderr.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

import zeekcert

NOTE = "SSL::Invalid_Server_Cert"
MSG = "SSL certificate validation failed with ({})"
DAY = 86400

# notice.log of Zeek 4.1 and later (zeekcert.reading.schema, layout "zeek-4.1").
FIELDS = [
    ("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
    ("id.resp_h", "addr"), ("id.resp_p", "port"), ("fuid", "string"),
    ("file_mime_type", "string"), ("file_desc", "string"), ("proto", "enum"),
    ("note", "enum"), ("msg", "string"), ("sub", "string"), ("src", "addr"),
    ("dst", "addr"), ("p", "port"), ("n", "count"), ("peer_descr", "string"),
    ("actions", "set[enum]"), ("email_dest", "set[string]"), ("suppress_for", "interval"),
    ("remote_location.country_code", "string"), ("remote_location.region", "string"),
    ("remote_location.city", "string"), ("remote_location.latitude", "double"),
    ("remote_location.longitude", "double"),
]
SSL_COLUMNS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
               "cert_chain_fps", "cert_chain_fuids", "cert_hash", "subject",
               "validation_status"]

_TSV_NAME = re.compile(r"^(?P<kind>ssl|x509)(?P<rest>(?:\..*)?)\.log(?:\.gz)?$")
_ZEEKCTL = re.compile(r"^\.(\d\d):(\d\d):(\d\d)-(\d\d):(\d\d):(\d\d)$")
_DAY_FOLDER = re.compile(r"^\d{4}-\d\d-\d\d$")

# --------------------------------------------------------------------------- Zeek TSV text
# As Zeek's ASCII writer escapes (after tests/zeekwriter.py, which benchmarks must not import).

_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _hex(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group(0)):02x}"


def tsv_string(value: str, in_container: bool = False) -> str:
    """Escape one string: backslash, control bytes, ``-``, ``(empty)``, ``,`` in sets."""
    if value == "":
        return "(empty)"
    if value == "-":
        return "\\x2d"
    if value == "(empty)":
        return "\\x28empty)"
    text = _CONTROL.sub(_hex, value.replace("\\", "\\\\"))
    return text.replace(",", "\\x2c") if in_container else text


def micros_text(micros: int) -> str:
    """A time or interval in microseconds as Zeek writes it: ``1717200000.489804``."""
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), 1_000_000)
    return f"{sign}{whole}.{frac:06d}"


def zeek_stamp(when: datetime) -> str:
    """A ``#open``/``#close`` value."""
    return when.strftime("%Y-%m-%d-%H-%M-%S")


def header(opened: str) -> str:
    """The header block of a notice.log."""
    return "\n".join([
        "#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-",
        "#path\tnotice", f"#open\t{opened}",
        "#fields\t" + "\t".join(name for name, _ in FIELDS),
        "#types\t" + "\t".join(ztype for _, ztype in FIELDS)]) + "\n"


def _opt(value: str | None) -> str:
    return "-" if value is None else tsv_string(value)


@dataclass
class Notice:
    """One notice.log row: the connection's fields and what the notice says."""

    ts: int | None  # microseconds
    uid: str | None
    orig_h: str | None
    orig_p: int | None
    resp_h: str | None
    resp_p: int | None
    status: str
    sub: str | None
    fuid: str | None

    def line(self, suppress_for: int) -> str:
        """The TSV line (no newline)."""
        port = "-" if self.resp_p is None else str(self.resp_p)
        cells = [
            "-" if self.ts is None else micros_text(self.ts), _opt(self.uid),
            _opt(self.orig_h), "-" if self.orig_p is None else str(self.orig_p),
            _opt(self.resp_h), port, _opt(self.fuid), "-", "-",
            "tcp" if self.resp_p is not None else "-", NOTE, tsv_string(MSG.format(self.status)),
            _opt(self.sub), _opt(self.orig_h), _opt(self.resp_h), port, "-", "-",
            "Notice::ACTION_LOG", "(empty)", micros_text(suppress_for * 1_000_000),
            "-", "-", "-", "-", "-",
        ]
        text = "\t".join(cells)
        return "\\x23" + text[1:] if text.startswith("#") else text


# --------------------------------------------------------------------------- finding files


def tsv_logs(folder: Path, kind: str) -> list[Path]:
    """The TSV logs of one kind directly in ``folder``, one of each ``X.log``/``X.log.gz``
    pair (the plain one, quicker to read), sorted by name (zeekctl names sort by hour)."""
    chosen: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        match = _TSV_NAME.match(path.name)
        if match is None or match.group("kind") != kind or not path.is_file():
            continue
        stem = path.name.removesuffix(".gz")
        if stem not in chosen or path.suffix != ".gz":
            chosen[stem] = path
    return [chosen[k] for k in sorted(chosen)]


def day_folders(root: Path) -> list[Path]:
    """``root`` when it holds an ssl log, else its ``YYYY-MM-DD`` subfolders that do."""
    if tsv_logs(root, "ssl"):
        return [root]
    days = [p for p in sorted(root.iterdir())
            if p.is_dir() and _DAY_FOLDER.match(p.name) and tsv_logs(p, "ssl")]
    if not days:
        raise SystemExit(f"{root}: no ssl.log, ssl.log.gz or YYYY-MM-DD/ssl.*.log.gz in it")
    return days


def hour_span(path: Path) -> tuple[str, datetime] | None:
    """``(".HH:MM:SS-HH:MM:SS", end)`` for a zeekctl-named file in a day folder."""
    name = path.name.removesuffix(".gz").removesuffix(".log")
    match = _ZEEKCTL.match(name[name.index("."):] if "." in name else "")
    if match is None or not _DAY_FOLDER.match(path.parent.name):
        return None
    h0, m0, s0, h1, m1, s1 = (int(g) for g in match.groups())
    day = datetime.fromisoformat(path.parent.name)
    start = day + timedelta(hours=h0, minutes=m0, seconds=s0)
    end = day + timedelta(hours=h1, minutes=m1, seconds=s1)
    if end <= start:  # the last hour closes at 00:00:00 of the next day
        end += timedelta(days=1)
    return name[name.index("."):], end


def opened_of(path: Path) -> str | None:
    """The ``#open`` value of a TSV log's header, read from its first lines only."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for _ in range(16):
            line = fh.readline()
            if not line.startswith("#"):
                break
            if line.startswith("#open\t"):
                return line.rstrip("\n").split("\t", 1)[1]
    return None


# --------------------------------------------------------------------------- reading


def _clean(path: Path, frame: pd.DataFrame) -> None:
    """Say on stderr when zeekcert did not read a file cleanly."""
    report = frame.attrs.get("zeekcert")
    if report is not None and str(report.status) not in ("ok", "empty", "duplicate"):
        print(f"WARNING: {path}: {report.status}: {report.message}", file=sys.stderr)


def subjects(folders: Sequence[Path]) -> dict[str, str]:
    """Leaf fingerprint (or x509 ``id`` fuid) -> subject, from the folders' x509 logs."""
    out: dict[str, str] = {}
    for folder in folders:
        for path in tsv_logs(folder, "x509"):
            frame = zeekcert.read_log(path, columns=["fingerprint", "id",
                                                     "certificate.subject"])
            _clean(path, frame)
            if "certificate.subject" not in frame.columns:
                continue
            subject = frame["certificate.subject"].astype(object).to_numpy()
            for key in ("fingerprint", "id"):
                if key in frame.columns:
                    for k, s in zip(frame[key].astype(object).to_numpy(), subject,
                                    strict=True):
                        if isinstance(k, str) and isinstance(s, str):
                            out.setdefault(k, s)
    return out


def _objects(frame: pd.DataFrame, name: str) -> Any:
    """A column as a NumPy object array (NA as None); all None when the file lacks it."""
    if name not in frame.columns:
        return [None] * len(frame)
    values = frame[name].astype(object)
    return values.where(values.notna(), None).to_numpy()


def _leaf(chain: object) -> str | None:
    if chain is None or isinstance(chain, float):
        return None
    items = list(chain)  # type: ignore[call-overload]
    return items[0] if items and isinstance(items[0], str) else None


def failing(path: Path, names: dict[str, str]) -> tuple[list[tuple[Any, ...]], int, int | None]:
    """The failing connections of one ssl log, in ts order, and its row count and last ts.

    Each is (ts µs or None, uid, orig_h, orig_p, resp_h, resp_p, status, leaf, sub, fuid).
    """
    frame = zeekcert.read_log(path, columns=SSL_COLUMNS)
    _clean(path, frame)
    rows = len(frame)
    last = None
    if rows and "ts" in frame.columns and frame["ts"].notna().any():
        last = int(frame["ts"].max().value // 1000)
    if "validation_status" not in frame.columns:
        return [], rows, last
    status = frame["validation_status"]
    frame = frame[status.notna() & (status != "ok")]
    if "ts" in frame.columns:
        frame = frame.sort_values("ts", kind="stable", na_position="last")
    n = len(frame)
    ts = ([None if pd.isna(t) else int(t.value // 1000) for t in frame["ts"]]
          if "ts" in frame.columns else [None] * n)
    fps, fuids = _objects(frame, "cert_chain_fps"), _objects(frame, "cert_chain_fuids")
    hashes, subject = _objects(frame, "cert_hash"), _objects(frame, "subject")
    out = []
    for i, (uid, oh, op, rh, rp, st) in enumerate(zip(
            _objects(frame, "uid"), _objects(frame, "id.orig_h"), _objects(frame, "id.orig_p"),
            _objects(frame, "id.resp_h"), _objects(frame, "id.resp_p"),
            _objects(frame, "validation_status"), strict=True)):
        fp, fuid = _leaf(fps[i]), _leaf(fuids[i])
        leaf = fp or fuid or hashes[i]
        sub = subject[i] if subject[i] is not None else names.get(leaf) if leaf else None
        out.append((ts[i], uid, None if oh is None else str(oh), op,
                    None if rh is None else str(rh), rp, st, leaf, sub, fuid))
    return out, rows, last


# --------------------------------------------------------------------------- suppressing


@dataclass
class Suppressor:
    """The notice framework's suppression table: identifier -> suppressed until (µs)."""

    seconds: int
    until: dict[tuple[Any, ...], float] = field(default_factory=dict)

    def admit(self, key: tuple[Any, ...], ts: int | None) -> bool:
        """True when a notice with this identifier at ``ts`` is logged (and starts a window)."""
        end = self.until.get(key)
        if ts is None:  # no time to compare: logged only the first time
            if end is not None:
                return False
            self.until[key] = float("inf")
            return True
        if end is not None and ts < end:
            return False
        if self.seconds > 0:
            self.until[key] = ts + self.seconds * 1_000_000
        return True


# --------------------------------------------------------------------------- writing


@dataclass
class Output:
    """One notice file being gathered: its name, header times and rows."""

    path: Path
    opened: str | None = None
    closed: datetime | None = None
    last_ts: int | None = None
    notices: list[Notice] = field(default_factory=list)

    def close_stamp(self) -> str:
        """``#close``: a zeekctl hour's end, else the second after the last connection."""
        if self.closed is not None:
            return zeek_stamp(self.closed)
        if self.last_ts is not None:
            when = datetime.fromtimestamp(self.last_ts // 1_000_000 + 1, UTC)
            return zeek_stamp(when)
        return self.opened or zeek_stamp(datetime.now(UTC))

    def write(self, suppress_for: int) -> int:
        """Write the file (gzip, via a temporary name); return its size in bytes."""
        opened = self.opened or self.close_stamp()
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with gzip.open(tmp, "wt", encoding="utf-8", newline="\n", compresslevel=6) as fh:
                _write_rows(fh, opened, self.notices, suppress_for, self.close_stamp())
            tmp.replace(self.path)
        finally:
            tmp.unlink(missing_ok=True)
        return self.path.stat().st_size


def _write_rows(fh: TextIO, opened: str, notices: list[Notice], suppress_for: int,
                closed: str) -> None:
    fh.write(header(opened))
    for notice in notices:
        fh.write(notice.line(suppress_for) + "\n")
    fh.write(f"#close\t{closed}\n")


def outputs_for(folder: Path, sources: list[Path], single: bool) -> Iterator[tuple[Path, Path]]:
    """(ssl source, notice file) pairs: hourly names mirror the ssl file's hour."""
    for source in sources:
        span = None if single else hour_span(source)
        yield source, folder / (f"notice{span[0]}.log.gz" if span else "notice.log.gz")


def stale_notices(folder: Path, targets: set[Path]) -> list[Path]:
    """Notice logs in ``folder`` that this run would not overwrite."""
    return [p for p in sorted(folder.iterdir()) if p.is_file() and p not in targets
            and re.match(r"^notice(?:\..*)?\.(?:log|json|ndjson)(?:\.gz)?$", p.name)]


def add_notices(roots: Sequence[Path], suppress_for: int = DAY, single: bool = False,
                replace: bool = False) -> dict[str, Any]:
    """Write the notice files for every day folder under ``roots``; return a summary."""
    began = time.perf_counter()
    folders = [d for root in roots for d in day_folders(root)]
    for folder in folders:
        targets = {t for _, t in outputs_for(folder, tsv_logs(folder, "ssl"), single)}
        stale = stale_notices(folder, targets)
        if stale and not replace:
            raise SystemExit(f"{folder} already holds {stale[0].name} (and {len(stale) - 1} "
                             "more notice logs): --replace deletes them")
        for path in stale:
            path.unlink()
    names = subjects(folders)
    suppressor = Suppressor(suppress_for)
    summary: dict[str, Any] = {"suppress_for": suppress_for, "ssl_rows": 0, "failing": 0,
                               "notices": 0, "files": [], "bytes": 0}
    for folder in folders:
        outputs: dict[Path, Output] = {}
        for source, target in outputs_for(folder, tsv_logs(folder, "ssl"), single):
            out = outputs.setdefault(target, Output(target))
            if out.opened is None:
                out.opened = opened_of(source)
            span = None if single else hour_span(source)
            if span is not None:
                out.closed = span[1] if out.closed is None else max(out.closed, span[1])
            rows, count, last = failing(source, names)
            summary["ssl_rows"] += count
            summary["failing"] += len(rows)
            if last is not None:
                out.last_ts = last if out.last_ts is None else max(out.last_ts, last)
            for ts, uid, oh, op, rh, rp, status, leaf, sub, fuid in rows:
                if suppressor.admit((rh, rp, status, leaf), ts):
                    out.notices.append(Notice(ts, uid, oh, op, rh, rp, status, sub, fuid))
        for out in outputs.values():
            out.notices.sort(key=lambda n: (n.ts is None, n.ts or 0))
            size = out.write(suppress_for)
            summary["notices"] += len(out.notices)
            summary["bytes"] += size
            summary["files"].append({"path": str(out.path), "notices": len(out.notices),
                                     "bytes": size})
    summary["seconds"] = round(time.perf_counter() - began, 2)
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", type=Path, metavar="DIR",
                        help="a day folder, or a folder of YYYY-MM-DD day folders")
    parser.add_argument("--suppress-for", type=int, default=DAY, metavar="SECONDS",
                        help="suppression interval (default 86400; stock Zeek: 3600; "
                             "0: no suppression)")
    parser.add_argument("--single", action="store_true",
                        help="one notice.log.gz per folder, also beside hourly ssl files")
    parser.add_argument("--replace", action="store_true",
                        help="delete other notice logs found in a day folder")
    parser.add_argument("--json", metavar="FILE", default=None,
                        help="also write the summary as JSON to FILE")
    args = parser.parse_args(argv)
    if args.suppress_for < 0:
        parser.error("--suppress-for must not be negative")
    for d in args.dirs:
        if not d.is_dir():
            parser.error(f"not a folder: {d}")
    summary = add_notices(args.dirs, args.suppress_for, args.single, args.replace)
    for item in summary["files"]:
        print(f"{item['notices']:>10,d} notices {item['bytes']:>12,d} B  {item['path']}")
    print(f"{summary['ssl_rows']:,d} ssl rows, {summary['failing']:,d} failing, "
          f"{summary['notices']:,d} notices (suppress_for {args.suppress_for} s) in "
          f"{summary['seconds']} s", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
