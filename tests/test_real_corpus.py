"""Read every real Zeek output file of the corpus and check it against MANIFEST.md.

The corpus is ../shared/real-logs when it exists (434 files), else the verbatim subset in
tests/data/real; ``ZEEKCERT_CORPUS`` overrides the choice. Expected values come from the
MANIFEST table, counted independently of zeekcert; see corpus_expectations.py for the
checked exceptions and the known reader bugs.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from corpus_expectations import (
    CERT_KINDS,
    FMT,
    KNOWN_BUGS,
    Entry,
    corpus_root,
    expected,
    file_text,
    placeholder_count,
    read_manifest,
)
from pandas.testing import assert_frame_equal

from zeekcert import read_log
from zeekcert.reading import load, read_table

ROOT = corpus_root()
ENTRIES = [e for e in read_manifest(ROOT) if (ROOT / e.path).is_file()]
ZED = "zed-sample-data/wrccdc2018-zeek-6.2.0-"
TOR = "zat/bro-2.5-ssl-cert_chain_fuids-tor/tor_ssl.log"
PROXY = "rita/zeekctl-hourly-rotated-proxy"
ZEEKCTL = "rita/zeekctl-archive-3days"


def known_bug(key: str) -> pytest.MarkDecorator:
    """A strict xfail when ``key`` names a known reader bug, else a mark that does nothing."""
    return pytest.mark.xfail(key in KNOWN_BUGS, reason=KNOWN_BUGS.get(key, ""), strict=True)


def cases(test: str, entries: list[Entry] = ENTRIES) -> list[object]:
    return [pytest.param(e, id=e.path, marks=known_bug(f"{test}:{e.path}")) for e in entries]


def text_lines(path: Path) -> list[str]:
    return file_text(path).splitlines()


def test_corpus_is_there() -> None:
    assert len(ENTRIES) >= 100, f"only {len(ENTRIES)} MANIFEST files under {ROOT}"


@pytest.mark.parametrize("entry", cases("reads"))
def test_file_reads_as_manifest_says(entry: Entry) -> None:
    want = expected(entry)
    table, report = read_table(ROOT / entry.path)
    got = (str(report.status), report.rows, report.skipped, tuple(report.skipped_lines))
    assert got == (want.status, want.rows, want.skipped, want.skipped_lines), want.reason
    assert table.num_rows == want.rows
    assert (report.format, report.compression) == (want.format, want.compression)
    if want.kind is not None:
        assert report.kind == want.kind


@pytest.mark.parametrize("entry", cases("bad_values"))
def test_only_canonified_times_are_bad_values(entry: Entry) -> None:
    want = expected(entry).bad_values
    if want is None:
        want = placeholder_count(ROOT / entry.path)
    table, report = read_table(ROOT / entry.path)
    assert sum(report.bad_values.values()) == want, dict(report.bad_values)
    for name in report.bad_values:
        kind = table.schema.field(name).type
        assert pa.types.is_timestamp(kind) or pa.types.is_duration(kind), name


VALUED = [e for e in ENTRIES if e.values or e.notices]


@pytest.mark.parametrize("entry", cases("values", VALUED))
def test_distinct_values_match_manifest(entry: Entry) -> None:
    """MANIFEST lists each file's validation_status values, key types and SSL notices."""
    frame = read_log(ROOT / entry.path)
    for prefix, column in (("vs:", "validation_status"), ("key:", "certificate.key_type")):
        want = {v.removeprefix(prefix) for v in entry.values if v.startswith(prefix)}
        if want:
            assert set(frame[column].dropna().astype(str)) == want, column
    if entry.notices:
        notes = set(frame["note"].dropna().astype(str))
        assert {n for n in notes if n.startswith(("SSL::", "Heartbleed::"))} == entry.notices


# --- the same traffic as TSV and as JSON Streaming (Zeek 6.2.0, WRCCDC 2018) ---------------

SORT_KEYS = {
    "ssl": ["ts", "uid"],
    "x509": ["ts", "fingerprint"],
    "notice": ["ts", "uid", "note", "msg"],
    "known_certs": ["ts", "host", "serial"],
}


def _load_sorted(folder: str, kind: str) -> pd.DataFrame:
    logs = load(ROOT / folder, kinds=[kind])
    assert logs.report.problems == []
    frame = logs[kind]
    frame = frame.drop(columns=[c for c in ("_path", "_write_ts") if c in frame.columns])
    assert not frame.duplicated(SORT_KEYS[kind]).any()
    return frame.sort_values(SORT_KEYS[kind], kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("kind", CERT_KINDS)
def test_tsv_and_json_streaming_give_equal_frames(kind: str) -> None:
    tsv, json = _load_sorted(ZED + "tsv", kind), _load_sorted(ZED + "json-streaming", kind)
    assert set(json.columns) == set(tsv.columns)
    json = json[tsv.columns]
    known = [c for c in tsv.columns if f"same_traffic:{kind}:{c}" in KNOWN_BUGS]
    assert_frame_equal(tsv.drop(columns=known), json.drop(columns=known),
                       check_categorical=False)


@known_bug("same_traffic:x509:certificate.not_valid_after")
def test_tsv_and_json_streaming_x509_not_valid_after() -> None:
    column = "certificate.not_valid_after"
    tsv, json = _load_sorted(ZED + "tsv", "x509"), _load_sorted(ZED + "json-streaming", "x509")
    assert_frame_equal(tsv[[column]], json[[column]])


@pytest.mark.parametrize("name", ["tsv/ssl.log.gz", "json-streaming/ssl.json.gz"])
def test_first_ssl_ts_is_exact_to_the_microsecond(name: str) -> None:
    # zcat tsv/ssl.log.gz | sed -n 9p  ->  1521911720.615923 (JSON: ...17:15:20.615923Z)
    frame = read_log(ROOT / (ZED + name))
    assert frame.ts.iloc[0] == pd.Timestamp("2018-03-24 17:15:20.615923", tz="UTC")


@known_bug("exponent_time")
def test_tsv_time_in_exponent_form() -> None:
    # zcat x509.log.gz | sed -n 41p: not_valid_after is '2.385616957e+09'; the JSON
    # stream of the same run has "2045-08-06T07:22:37.000000Z" for that fingerprint.
    frame = read_log(ROOT / (ZED + "tsv/x509.log.gz"))
    row = frame[frame.fingerprint.str.startswith("f3a9f69bcfc14185")]
    want = pd.Timestamp("2045-08-06 07:22:37", tz="UTC")
    assert row["certificate.not_valid_after"].tolist() == [want]


# --- particular files -------------------------------------------------------------------

VALIDATE_CERTS = sorted(ROOT.glob(
    "zeek/btest-baselines-*/scripts.policy.protocols.ssl.validate-certs/ssl-all.log"))


def block_uids(lines: list[str]) -> list[list[str]]:
    """The uid (2nd field) of each data line, per ``#separator`` header block."""
    blocks: list[list[str]] = []
    for line in lines:
        if line.startswith("#separator"):
            blocks.append([])
        elif blocks and line and not line.startswith("#"):
            blocks[-1].append(line.split("\t")[1])
    return blocks


@pytest.mark.parametrize("path", VALIDATE_CERTS, ids=lambda p: p.parts[-3])
def test_two_header_blocks_give_both_blocks_rows(path: Path) -> None:
    blocks = block_uids(text_lines(path))
    frame = read_log(path)
    assert len(blocks) == 2
    assert frame.uid.tolist() == blocks[0] + blocks[1]
    assert frame.attrs["zeekcert"].rows == 5 == len(frame)


def test_spliced_tor_line_is_reported_and_neighbours_kept() -> None:
    lines = text_lines(ROOT / TOR)
    frame = read_log(ROOT / TOR)
    report = frame.attrs["zeekcert"]
    assert (report.skipped_lines, report.rows) == ([688], 733)
    assert "688" in report.message
    before, after = (lines[n - 1].split("\t")[1] for n in (687, 689))
    at = frame.index[frame.uid == before][0]
    assert frame.uid.iloc[at + 1] == after


def _v6_in_text(path: Path) -> set[str]:
    rows = [line.split("\t") for line in text_lines(path) if not line.startswith("#")]
    return {r[i] for r in rows for i in (2, 4) if ":" in r[i]}


@pytest.mark.parametrize("name", ["ssl.15:00:00-16:00:00.log.gz", "ssl.16:00:00-17:00:00.log.gz"])
def test_ipv6_addresses_in_rita_proxy(name: str) -> None:
    path = ROOT / PROXY / name
    frame = read_log(path)
    got = {str(a) for c in ("id.orig_h", "id.resp_h") for a in frame[c].dropna() if ":" in a}
    assert got == _v6_in_text(path)
    assert got and all(ipaddress.ip_address(a).version == 6 for a in got)


V6 = [e for e in ENTRIES if e.v6]


@pytest.mark.parametrize("entry", cases("v6", V6))
def test_manifest_v6_files_have_ipv6_addresses(entry: Entry) -> None:
    frame = read_log(ROOT / entry.path)
    columns = [c for c in ("id.orig_h", "id.resp_h", "host") if c in frame.columns]
    values = {str(v) for c in columns for v in frame[c].dropna()}
    assert any(ipaddress.ip_address(v).version == 6 for v in values)


DAYS = sorted(p.name for p in (ROOT / ZEEKCTL).iterdir()) if (ROOT / ZEEKCTL).is_dir() else []


@pytest.mark.parametrize("day", DAYS)
def test_zeekctl_day_directory_loads_every_hour(day: str) -> None:
    folder = f"{ZEEKCTL}/{day}/"
    mine = [e for e in ENTRIES if e.path.startswith(folder)]
    logs = load(ROOT / folder)
    assert len(logs.report.files) == len(mine)
    assert logs.report.counts() == {"ok": len(mine)}
    for kind in ("ssl", "notice"):
        want = sum(e.rows for e in mine if e.path.rsplit("/", 1)[1].startswith(kind + "."))
        assert len(logs[kind]) == want, kind


NEGATIVE_TS = ["ts_epoch", "ts_iso8601", "ts_millis", "ts_millis_unsigned"]


@pytest.mark.parametrize("mode", [
    pytest.param(m, marks=known_bug(f"negative_ts:test.log.{m}")) for m in NEGATIVE_TS
])
def test_every_json_timestamp_mode_gives_1960(mode: str) -> None:
    # All four files log the same negative time, -315619200 s (grep '"ts"').
    frame = read_log(ROOT / FMT / f"logging.ascii-negative-ts/test.log.{mode}")
    expected = pd.Timestamp("1960-01-01", tz="UTC")
    if mode == "ts_millis_unsigned":
        # 2**64 - 315619200000 does not fit int64, so pyarrow's JSON reader makes it a
        # double, whose nearest value is 1.024 s off; the wrap-around is still undone.
        expected = pd.Timestamp("1959-12-31 23:59:58.976", tz="UTC")
    assert frame.ts.tolist() == [expected]
