"""What reading each file of the real-log corpus must give, and where that comes from.

The expected values are MANIFEST.md's per-file table, written by whoever collected the
corpus and independent of zeekcert. Where MANIFEST counts something else than "rows a Zeek
reader must return", ``OVERRIDES`` says what to expect instead; every reason quotes a shell
command anyone can re-run on the file to check it. ``KNOWN_BUGS`` names the expectations
the reader does not meet yet (they run as strict xfails: fixing the bug turns them red
until the entry is removed).
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "real-logs"
BUNDLED = REPO / "tests" / "data" / "real"
PLACEHOLDER = "XXXXXXXXXX.XXXXXX"  # btest-diff's canonified epoch time: not a number
CERT_KINDS = ("ssl", "x509", "notice", "known_certs")
FMT = "zeek/format-baselines-master-9.1.0-dev/"


def corpus_root() -> Path:
    """``$ZEEKCERT_CORPUS`` if set, else ../shared/real-logs if present, else the bundled copy."""
    env = os.environ.get("ZEEKCERT_CORPUS")
    if env:
        return Path(env) if Path(env).is_absolute() else REPO / env
    return SHARED if SHARED.is_dir() else BUNDLED


@dataclass(frozen=True)
class Entry:
    """One row of MANIFEST's per-file table."""

    path: str
    fmt: str
    rows: int
    v6: bool
    tags: frozenset[str]
    values: frozenset[str]
    notices: frozenset[str]


def read_manifest(root: Path) -> list[Entry]:
    """Parse the ``| file | bytes | fmt | rows | ...`` table at the end of MANIFEST.md."""
    text = (root / "MANIFEST.md").read_text(encoding="utf-8")
    table = text.split("## Per-file table", 1)[1]
    entries = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 9 and cells[3].isdigit():
            entries.append(_entry(cells))
    return entries


def _entry(cells: list[str]) -> Entry:
    def items(cell: str) -> frozenset[str]:
        return frozenset(v.strip() for v in cell.split(";") if v.strip())

    return Entry(cells[0], cells[2], int(cells[3]), cells[5] == "v6",
                 frozenset(cells[6].split()), items(cells[7]), items(cells[8]))


@dataclass(frozen=True)
class Expected:
    """What ``read_table`` must report for one file."""

    status: str
    rows: int
    format: str | None
    compression: str
    kind: str | None  # None: not one of the certificate kinds, not checked
    skipped: int = 0
    skipped_lines: tuple[int, ...] = ()
    bad_values: int | None = None  # None: one per btest placeholder in the file
    reason: str = "MANIFEST"


def implied_kind(entry: Entry) -> str | None:
    """The certificate kind MANIFEST's tags and the file name imply, if any."""
    if entry.tags & {"fuids", "fps"}:
        return "ssl"
    if entry.tags & {"x509-id", "x509-fingerprint"}:
        return "x509"
    name = entry.path.rsplit("/", 1)[-1]
    if "known_certs" in name or "knowncerts" in name:
        return "known_certs"
    return "notice" if "notice" in name else None


def expected(entry: Entry) -> Expected:
    """MANIFEST's expectation for ``entry``, with its override applied."""
    base = Expected(
        status="ok" if entry.rows > 0 else "empty",
        rows=entry.rows,
        format=entry.fmt.split("+")[-1],
        compression="gzip" if entry.fmt.startswith("gz+") else "none",
        kind=implied_kind(entry),
    )
    return replace(base, **OVERRIDES.get(entry.path, {}))  # type: ignore[arg-type]


def file_text(path: Path) -> str:
    """The file's text, gunzipped when its name ends in .gz."""
    raw = path.read_bytes()
    return (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8", "replace")


def placeholder_count(path: Path) -> int:
    """How many canonified btest times the file holds (each must become one bad value)."""
    return file_text(path).count(PLACEHOLDER)


def _fix(reason: str, **changes: object) -> dict[str, object]:
    return {"reason": reason, **changes}


_ROTATE_LISTING = (*range(2, 12), *range(12, 121, 12))
_BADJSON = "btest canonified ts to a bare XXXXXXXXXX.XXXXXX, so the line is not JSON: "
_OPEN_SSL = _fix(
    "zcat | grep '^#path' gives 'open_ssl' (zeek-open-connections): content names the kind",
    kind="open_ssl")

OVERRIDES: dict[str, dict[str, object]] = {
    "zat/bro-2.5-ssl-cert_chain_fuids-tor/tor_ssl.log": _fix(
        "awk -F'\\t' '!/^#/ && NF!=20 {print NR, NF}' prints only '688 32' (two records "
        "fused); 734 non-# lines, so 733 rows and line 688 skipped",
        rows=733, skipped=1, skipped_lines=(688,), status="ragged"),
    FMT + "logging.rotate/out": _fix(
        "btest output: 10 listing lines (2-11) and 10 '> test.*.log' lines (12, 24, .. 120) "
        "have 1 field; awk -F'\\t' 'NF==5' counts 20 data rows in the 10 header blocks",
        rows=20, skipped=20, skipped_lines=_ROTATE_LISTING, status="ragged"),
    FMT + "logging.ascii-empty/ssh-filtered.log": _fix(
        "header prefix 'PREFIX<>' and separator '|': grep -c '^PREFIX<>' = 7 of MANIFEST's "
        "12 lines are header lines; 5 data rows", rows=5),
    FMT + "logging.ascii-tsv/ssh-filtered.log": _fix(
        "LogAscii::tsv mode: line 2 is the bare column-name line, then 5 data rows; there is "
        "no #types line, so column t stays text and its placeholders are not bad values",
        rows=5, bad_values=0),
    FMT + "logging.ascii-escape-binary/test.log": _fix(
        "11 lines between #types and #close (three are a one-space string: the test's "
        "Log::write(.., [$s=\" \"])); MANIFEST dropped the whitespace-only ones", rows=11),
    FMT + "logging.ascii-escape-binary/output": _fix(
        "stdout of the test's print statements: no '#' header, not JSON, not a log",
        rows=0, status="not_zeek", format=None),
    FMT + "logging.ascii-binary/ssh.log": _fix(
        "tagged ragged by MANIFEST, which split on tabs: '#separator |' gives 2 fields on all "
        "3 rows", rows=3),
    FMT + "logging.ascii-escape/ssh.log": _fix(
        "tagged ragged by MANIFEST, which split on tabs: '#separator ||' gives 7 fields on "
        "all 5 rows (no #close, but the last line ends in a newline)", rows=5),
    FMT + "logging.ascii-json/ssh.log": _fix(
        _BADJSON + "line 2 (the only record) is skipped",
        rows=0, skipped=1, skipped_lines=(2,), status="ragged", bad_values=0),
    FMT + "logging.json-non-printable-escaping/http.log.json": _fix(
        _BADJSON + "all 4 records (lines 2-5) are skipped",
        rows=0, skipped=4, skipped_lines=(2, 3, 4, 5), status="ragged", bad_values=0),
    "rita/custom-path-open_ssl-underscore-rotation/open_ssl.17_37_07-18_00_00.log.gz": _OPEN_SSL,
    "rita/custom-path-open_ssl-underscore-rotation/open_ssl.18_00_00-19_00_00.log.gz": _OPEN_SSL,
    # Not an override, a MANIFEST prose slip: rita/custom-path-open_ssl-tsv-2019/open_ssl.log
    # has '#path ssl' (grep '^#path'), not open_ssl, so its kind is ssl as its fuids tag says.
}

KNOWN_BUGS: dict[str, str] = {}
