"""The one-file reader on inputs built to hit each rule of the format."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zeekwriter import write_json, write_tsv

import zeekcert
from zeekcert import FileStatus, ZeekLogError
from zeekcert.reading import content_id, read_table

FIELDS = ["ts", "uid", "id.resp_h", "id.resp_p", "server_name", "resumed",
          "cert_chain_fps", "validation_status"]
TYPES = ["time", "string", "addr", "port", "string", "bool", "vector[string]", "string"]
ROWS = [
    [1521911720615923, "C1", "10.0.0.1", 443, "a.example", True, ["fp1", "fp2"], "ok"],
    [1521911721000001, "C2", "2001:db8::1", 8443, None, False, [], None],
    [1521911722500000, "C3", "10.0.0.2", 443, '"quoted" #x', None, ["f,p"], "self signed certificate"],
]


def _tsv(tmp_path: Path, rows=ROWS, name="ssl.log", close=True) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    write_tsv(str(path), FIELDS, TYPES, rows, close=close)
    return path


def test_tsv_types_and_values(tmp_path: Path) -> None:
    df = zeekcert.read_log(_tsv(tmp_path))
    assert str(df["ts"].dtype) == "datetime64[us, UTC]"
    assert df["ts"].iloc[0] == pd.Timestamp("2018-03-24 17:15:20.615923", tz="UTC")
    assert str(df["id.resp_p"].dtype) == "UInt16"
    assert df["id.resp_h"].dtype == "category"
    assert df["id.resp_h"].tolist() == ["10.0.0.1", "2001:db8::1", "10.0.0.2"]
    assert df["resumed"].tolist() == [True, False, pd.NA]
    assert df["cert_chain_fps"].tolist() == [["fp1", "fp2"], [], ["f,p"]]
    assert df["server_name"].iloc[2] == '"quoted" #x'
    assert pd.isna(df["server_name"].iloc[1]) and pd.isna(df["validation_status"].iloc[1])


def test_quote_in_value_does_not_merge_rows(tmp_path: Path) -> None:
    rows = [[1, f"C{i}", "10.0.0.1", 443, '"' if i % 2 else "x", True, [], "ok"] for i in range(6)]
    df = zeekcert.read_log(_tsv(tmp_path, rows))
    assert len(df) == 6
    assert df["server_name"].tolist() == ["x", '"'] * 3


def test_reserved_strings_round_trip(tmp_path: Path) -> None:
    rows = [[1, "C1", "10.0.0.1", 443, "-", True, ["-", "(empty)"], "(empty)"],
            [2, "C2", "10.0.0.1", 443, "", True, None, "#start"],
            [3, "#C3", "10.0.0.1", 443, "tab\there\\back", True, [""], "\x1b[31m"]]
    df = zeekcert.read_log(_tsv(tmp_path, rows))
    assert df["server_name"].tolist() == ["-", "", "tab\there\\back"]
    assert df["validation_status"].tolist() == ["(empty)", "#start", "\x1b[31m"]
    assert df["uid"].tolist() == ["C1", "C2", "#C3"]
    assert df["cert_chain_fps"].iloc[0] == ["-", "(empty)"]
    assert pd.isna(df["cert_chain_fps"].iloc[1])


def test_invalid_utf8_stays_as_hex_text(tmp_path: Path) -> None:
    path = _tsv(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"a.example", b"a\\xffb\\xc3\\xa9"))
    df = zeekcert.read_log(path)
    assert df["server_name"].iloc[0] == "a\\xffbé"


def test_raw_invalid_utf8_byte_is_kept_visible(tmp_path: Path) -> None:
    path = _tsv(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"a.example", b"a\xffb"))
    df = zeekcert.read_log(path)
    assert df["server_name"].iloc[0] == "a\\xffb"


@pytest.mark.parametrize("compress,name", [
    (gzip.compress, "gzip"), (bz2.compress, "bz2"), (lzma.compress, "xz"),
])
def test_compression_is_detected_from_content(tmp_path: Path, compress, name) -> None:  # type: ignore[no-untyped-def]
    plain = _tsv(tmp_path).read_bytes()
    path = tmp_path / "whatever.dat"
    path.write_bytes(compress(plain))
    table, report = read_table(path)
    assert (report.compression, report.rows, report.status, report.kind) == (name, 3, "ok", "ssl")


def test_zstd(tmp_path: Path) -> None:
    plain = _tsv(tmp_path).read_bytes()
    path = tmp_path / "ssl.log.zst"
    with pa.output_stream(str(path), compression="zstd") as out:
        out.write(plain)
    table, report = read_table(path)
    assert (report.compression, report.rows, report.status) == ("zstd", 3, "ok")


def test_multi_member_gzip(tmp_path: Path) -> None:
    data = _tsv(tmp_path).read_bytes()
    cut = data.index(b"\n1521911721")
    path = tmp_path / "ssl.log.gz"
    path.write_bytes(gzip.compress(data[:cut + 1]) + gzip.compress(data[cut + 1:]))
    table, report = read_table(path)
    assert (report.rows, report.status) == (3, "ok")


def test_truncated_gzip_keeps_complete_rows(tmp_path: Path) -> None:
    rows = [[1521911720000000 + i, f"C{i}", "10.0.0.1", 443, f"h{i}.example", True, [], "ok"]
            for i in range(20000)]
    data = gzip.compress(_tsv(tmp_path, rows).read_bytes())
    path = tmp_path / "ssl.log.gz"
    path.write_bytes(data[: len(data) // 2])
    table, report = read_table(path)
    assert report.status == FileStatus.TRUNCATED
    assert 0 < report.rows < 20000
    assert table.column("uid").to_pylist() == [f"C{i}" for i in range(report.rows)]
    assert report.skipped == 1  # the partial line at the cut
    assert report.skipped_lines == [8 + report.rows + 1]


def test_partial_last_line_is_dropped_and_counted(tmp_path: Path) -> None:
    path = _tsv(tmp_path, close=False)
    path.write_bytes(path.read_bytes() + b"1521911723.000000\tC4\t10.0")
    table, report = read_table(path)
    assert (report.rows, report.skipped, report.skipped_lines) == (3, 1, [12])
    assert report.status == FileStatus.TRUNCATED


def test_ragged_row_is_skipped_and_located(tmp_path: Path) -> None:
    path = _tsv(tmp_path)
    lines = path.read_bytes().split(b"\n")
    lines.insert(10, b"too\tfew\tfields")
    path.write_bytes(b"\n".join(lines))
    table, report = read_table(path)
    assert (report.rows, report.skipped, report.skipped_lines) == (3, 1, [11])
    assert report.status == FileStatus.RAGGED
    assert "3 fields, expected 8" in report.message


def test_strict_raises_with_file_and_line(tmp_path: Path) -> None:
    path = _tsv(tmp_path)
    lines = path.read_bytes().split(b"\n")
    lines.insert(9, b"x\ty")
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(ZeekLogError) as info:
        zeekcert.read_log(path, strict=True)
    assert info.value.line == 10 and info.value.path == str(path)
    assert str(info.value).startswith(f"{path}:10: ragged")


def test_header_only_file_has_full_schema(tmp_path: Path) -> None:
    df = zeekcert.read_log(_tsv(tmp_path, rows=[]))
    assert list(df.columns) == FIELDS and len(df) == 0
    assert str(df["ts"].dtype) == "datetime64[us, UTC]"
    assert df.attrs["zeekcert"].status == FileStatus.EMPTY


def test_zero_byte_file_gets_builtin_schema(tmp_path: Path) -> None:
    path = tmp_path / "x509.log"
    path.write_bytes(b"")
    df = zeekcert.read_log(path)
    assert len(df) == 0 and "fingerprint" in df.columns and "certificate.subject" in df.columns
    assert df.attrs["zeekcert"].status == FileStatus.EMPTY


def test_binary_and_missing_files_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "ssl.log"
    path.write_bytes(bytes(range(256)) * 10)
    assert read_table(path)[1].status == FileStatus.NOT_ZEEK
    assert read_table(tmp_path / "nope.log")[1].status == FileStatus.UNREADABLE
    with pytest.raises(ZeekLogError, match=r"nope\.log"):
        read_table(tmp_path / "nope.log", strict=True)


def test_header_blocks_with_changing_fields(tmp_path: Path) -> None:
    first = _tsv(tmp_path, name="a.log").read_bytes()
    write_tsv(str(tmp_path / "b.log"), ["ts", "uid", "extra"], ["time", "string", "count"],
              [[5, "C9", 7]])
    path = tmp_path / "ssl.log"
    path.write_bytes(first + (tmp_path / "b.log").read_bytes())
    df = zeekcert.read_log(path)
    assert df["uid"].tolist() == ["C1", "C2", "C3", "C9"]
    assert df["extra"].tolist() == [pd.NA, pd.NA, pd.NA, 7]
    assert pd.isna(df["server_name"].iloc[3])


def test_btest_first_line_is_accepted(tmp_path: Path) -> None:
    path = _tsv(tmp_path)
    path.write_bytes(b"### BTest baseline data generated by btest-diff.\n" + path.read_bytes())
    table, report = read_table(path)
    assert (report.rows, report.skipped, report.status) == (3, 0, "ok")


def test_json_equals_tsv(tmp_path: Path) -> None:
    write_json(str(tmp_path / "ssl.json"), FIELDS, TYPES, ROWS)
    a = zeekcert.read_log(tmp_path / "ssl.json")
    b = zeekcert.read_log(_tsv(tmp_path))
    a = a[FIELDS]
    pd.testing.assert_frame_equal(a, b[FIELDS], check_categorical=False)


@pytest.mark.parametrize("ts", ["1521911720.615923", "1521911720615", '"2018-03-24T17:15:20.615Z"',
                                "1521911720"])
def test_json_time_encodings(tmp_path: Path, ts: str) -> None:
    path = tmp_path / "ssl.log"
    path.write_text('{"ts":%s,"uid":"C1","_path":"ssl","_write_ts":"2018-03-24T17:15:21.000000Z"}\n'
                    % ts)
    df = zeekcert.read_log(path)
    expected = {"1521911720": pd.Timestamp("2018-03-24 17:15:20", tz="UTC"),
                "1521911720.615923": pd.Timestamp("2018-03-24 17:15:20.615923", tz="UTC")}
    assert df["ts"].iloc[0] == expected.get(ts, pd.Timestamp("2018-03-24 17:15:20.615", tz="UTC"))
    assert df["_write_ts"].iloc[0] == pd.Timestamp("2018-03-24 17:15:21", tz="UTC")
    assert "validation_status" in df.columns and str(df["validation_status"].dtype) == "string"


def test_bad_json_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "ssl.log"
    path.write_text('{"ts":1.0,"uid":"C1"}\n{"ts":2.0,"uid":\n[1,2]\n{"ts":3.0,"uid":"C3"}\n')
    table, report = read_table(path)
    assert (report.rows, report.skipped, report.skipped_lines) == (2, 2, [2, 3])
    assert report.status == FileStatus.RAGGED


def test_column_selection(tmp_path: Path) -> None:
    df = zeekcert.read_log(_tsv(tmp_path), columns=["uid", "ts"])
    assert list(df.columns) == ["ts", "uid"] and len(df) == 3


@pytest.mark.parametrize("block_bytes", [1, 700, 5000])
def test_small_blocks_give_the_same_rows_and_line_numbers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int) -> None:
    rows = [[1521911720000000 + i, f"C{i}", "10.0.0.1", 443, f"h{i}", True, ["a", "b"], "ok"]
            for i in range(300)]
    path = _tsv(tmp_path, rows)
    lines = path.read_bytes().split(b"\n")
    lines.insert(200, b"ragged\tline")
    path.write_bytes(gzip.compress(b"\n".join(lines)))
    whole, expected = read_table(path)
    monkeypatch.setattr("zeekcert.reading.lines.BLOCK_BYTES", block_bytes)
    monkeypatch.setattr("zeekcert.reading.stream.READ_SIZE", 64)
    table, report = read_table(path)
    assert table.equals(whole)
    assert (report.rows, report.skipped_lines, report.status) == (300, [201], "ragged")
    assert expected.skipped_lines == [201]


_HEAD_LINE = st.text(st.sampled_from("#abc\t x-:"), max_size=40)


@settings(max_examples=150, deadline=None)
@given(head=st.lists(_HEAD_LINE, max_size=6), first=st.integers(0, 80_000),
       rest=st.lists(_HEAD_LINE, max_size=3), newline_at_end=st.booleans())
def test_a_plain_file_is_known_by_its_first_bytes_as_by_its_stream(
        tmp_path_factory: pytest.TempPathFactory, head: list[str], first: int,
        rest: list[str], newline_at_end: bool) -> None:
    """A plain file's identity, read from its first 64 KiB, is the one its gzip copy gets
    from the whole stream: a live log keeps its identity when it is archived. The first
    record's length spans the 64 KiB boundary, and some files have no record at all."""
    folder = tmp_path_factory.mktemp("ids")
    lines = [f"#{line}" for line in head] + (["r" * first] if first else []) + rest
    text = ("\n".join(lines) + ("\n" if newline_at_end else "")).encode()
    (folder / "ssl.log").write_bytes(text)
    (folder / "ssl.log.gz").write_bytes(gzip.compress(text))
    assert content_id(folder / "ssl.log") == content_id(folder / "ssl.log.gz")


def test_a_file_is_known_by_its_header_and_first_record(tmp_path: Path) -> None:
    """The identity is the SHA-256 of the header lines and the first record, without
    the lines after it: a growing file keeps it."""
    (tmp_path / "ssl.log").write_bytes(b"#separator \\x09\n#path\tssl\nrow1\nrow2\n")
    expected = hashlib.sha256(b"#separator \\x09\n#path\tssl\nrow1").hexdigest()
    assert content_id(tmp_path / "ssl.log") == expected
    with (tmp_path / "ssl.log").open("ab") as fh:
        fh.write(b"row3\n")
    assert content_id(tmp_path / "ssl.log") == expected
