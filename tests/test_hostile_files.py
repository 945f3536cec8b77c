"""Hostile and broken files in a sensor's tree: each gives a frame, a reported skip or a
clear error, never a crash, a hang, unbounded memory or a silent change to good rows.

One test per case of the campaign that found them. Cases that could hang run under a
time limit; cases about memory, or that once killed the interpreter, run in a child
process whose peak memory is measured.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
from timelimit import time_limit
from tinylogs import SERVER, run_cli, ssl_row, write_tree, x509_row
from zeekwriter import render_json, render_tsv

import zeekcert
from zeekcert.reading import FileStatus

ROOT = Path(__file__).resolve().parent.parent
GOOD = 20


def _json_lines(rows: int = GOOD) -> list[str]:
    return render_json(SSL_FIELDS, SSL_TYPES, [ssl_row(i) for i in range(rows)]).splitlines()


def _tsv(rows: int = GOOD) -> str:
    return render_tsv(SSL_FIELDS, SSL_TYPES, [ssl_row(i) for i in range(rows)])


def _read(path: Path) -> tuple[object, zeekcert.FileReport]:
    frame = zeekcert.read_log(path)
    return frame, frame.attrs["zeekcert"]


def _child(code: str, timeout: int = 300) -> tuple[int, dict[str, object]]:
    """Run ``code`` in a fresh interpreter; its last stdout line is JSON; plus its peak RSS.

    The peak is VmHWM, which belongs to the new program; ``ru_maxrss`` would still hold
    the forked test process's size.
    """
    wrapped = (f"import sys, json, re; sys.path[:0] = [{str(ROOT)!r}]\n{code}\n"
               "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())\n"
               "print(json.dumps(dict(result, peak_mb=int(hwm.group(1)) // 1024)))")
    proc = subprocess.run([sys.executable, "-c", wrapped], capture_output=True, text=True,
                          timeout=timeout)
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
    return proc.returncode, json.loads(last)


# --- JSON: one bad value costs only itself --------------------------------------------

def _with_value(field: str, raw: str, line: int = 5) -> str:
    lines = _json_lines()
    obj = json.loads(lines[line])
    obj[field] = "__RAW__"
    lines[line] = json.dumps(obj).replace('"__RAW__"', raw)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("field,raw", [
    ("cert_chain_fps", '"' + "a" * 64 + '"'),   # a string where a list belongs
    ("established", '"T"'),                      # a string where a bool belongs
    ("id.orig_p", "184467440737095516150"),      # beyond 64 bits
    ("id.orig_p", "NaN"),
    ("ts", "Infinity"),
    ("id.resp_p", "-1"),
    ("ts", "3e11"),                              # the year 11476
])
def test_one_bad_json_value_loses_only_itself(tmp_path: Path, field: str, raw: str) -> None:
    good, _ = _read(_write(tmp_path / "good" / "ssl.log", "\n".join(_json_lines()) + "\n"))
    frame, report = _read(_write(tmp_path / "ssl.log", _with_value(field, raw)))
    assert (len(frame), report.skipped, dict(report.bad_values)) == (GOOD, 0, {field: 1})
    assert frame[field].isna().tolist() == [i == 5 for i in range(GOOD)]
    keep = frame.index != 5
    for name in good.columns:
        assert good[name][keep].astype(str).tolist() == frame[name][keep].astype(str).tolist()


def test_a_lone_surrogate_escape_stays_as_text(tmp_path: Path) -> None:
    text = _with_value("server_name", '"a\\ud800b\\udc80"')
    frame, report = _read(_write(tmp_path / "ssl.log", text))
    assert (len(frame), report.status) == (GOOD, "ok")
    assert frame["server_name"][5] == "a\\ud800b\\udc80"


def test_deep_json_is_a_skipped_line_not_a_crash(tmp_path: Path) -> None:
    lines = _json_lines()
    lines[3] = '{"a":' + "[" * 50_000 + "]" * 50_000 + "}"
    mixed = _write(tmp_path / "ssl.mixed.log", "\n".join(lines) + "\n")
    only = _write(tmp_path / "ssl.only.log", (lines[3] + "\n") * 3)
    code, result = _child(
        "import zeekcert\nresult = {}\n"
        f"for name in ({str(mixed)!r}, {str(only)!r}):\n"
        "    r = zeekcert.read_log(name).attrs['zeekcert']\n"
        "    result[name] = [r.rows, r.skipped_lines, str(r.status), r.message]")
    assert code == 0
    assert result[str(mixed)] == [GOOD - 1, [4], "ragged",
                                  "line 4: nested more than 16 levels deep: not a Zeek record"]
    assert result[str(only)][:3] == [0, [1, 2, 3], "ragged"]
    code, out, _ = run_cli(["report", tmp_path, "--format", "json"])
    assert code == 3 and json.loads(out)["summary"]["connections"] == GOOD - 1


# --- TSV headers ------------------------------------------------------------------------

def test_a_field_named_twice_keeps_both_copies(tmp_path: Path) -> None:
    text = _tsv().replace("#fields\tts\tuid", "#fields\tts\tserver_name", 1)
    frame, report = _read(_write(tmp_path / "ssl.log", text))
    assert report.status == FileStatus.BAD_HEADER
    assert report.message == ("line 7: #fields names 'server_name' more than once: copy 2 "
                              "is read as 'server_name.2'")
    assert frame["server_name"][0] == "Ctest0000000000000"  # the first copy, where uid was
    assert "server_name.2" in frame.columns and len(frame) == GOOD


def test_types_that_do_not_match_fields_are_reported(tmp_path: Path) -> None:
    text = _tsv().replace("#types\ttime\tstring\t", "#types\ttime\t", 1)
    frame, report = _read(_write(tmp_path / "ssl.log", text))
    assert (report.status, len(frame)) == (FileStatus.BAD_HEADER, GOOD)
    assert report.message.startswith("line 8: #types has 18 types for 19 #fields")
    assert str(frame["ts"].dtype) == "datetime64[us, UTC]"  # from the built-in schema


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    tsv = _write(tmp_path / "ssl.tsv.log", bom + _tsv().encode())
    js = _write(tmp_path / "ssl.json.log", bom + ("\n".join(_json_lines()) + "\n").encode())
    for path, fmt in ((tsv, "tsv"), (js, "json")):
        frame, report = _read(path)
        assert (len(frame), report.status, report.format) == (GOOD, "ok", fmt)


def test_an_invalid_address_is_a_counted_bad_value(tmp_path: Path) -> None:
    text = _tsv().replace(f"\t{SERVER}\t", "\t342.2.3.4\t", 1)
    frame, report = _read(_write(tmp_path / "ssl.log", text))
    assert dict(report.bad_values) == {"id.resp_h": 1}
    assert frame["id.resp_h"].isna().sum() == 1 and len(frame) == GOOD


HOSTILE_PATH = "\x1b]0;pwned\x07\x1b[2J<img src=x onerror=alert(1)>"


def test_a_hostile_path_header_never_reaches_an_output_raw(tmp_path: Path) -> None:
    escaped = HOSTILE_PATH.replace("\x1b", "\\x1b").replace("\x07", "\\x07")
    folder = write_tree(tmp_path / "logs")
    text = (folder / "ssl.log").read_text().replace("#path\tssl", f"#path\t{escaped}", 1)
    (folder / "ssl.log").write_text(text)
    for fmt in ("table", "markdown", "html", "json", "csv"):
        code, out, err = run_cli(["report", folder, "--format", fmt])
        assert code == 3, fmt  # a bad header is a problem worth an exit code
        for raw in ("\x1b", "\x07"):
            assert raw not in out and raw not in err, fmt
        if fmt in ("markdown", "html"):
            assert "<img" not in out, fmt
    assert "bad_header" in err and "not a log name" in err


# --- CSV ----------------------------------------------------------------------------------

def test_a_cr_in_a_value_never_splits_a_csv_row(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    rows = [ssl_row(i, sni="\r=1+1\n@SUM(1)") for i in range(6)]
    (folder / "ssl.log").write_text(render_tsv(SSL_FIELDS, SSL_TYPES, rows))
    (folder / "x509.log").write_text(render_tsv(X509_FIELDS, X509_TYPES, [x509_row()],
                                                log_path="x509"))
    code, out, _ = run_cli(["report", folder, "--format", "csv"])
    assert code == 0
    assert "\r" not in out
    records = list(csv.reader(io.StringIO(out)))
    assert len(records) == 2 and records[1][0] == SERVER
    assert len(out.split("\n")) == 3 and len(out.replace("\n", "\r").split("\r")) == 3
    for cell in records[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n", "\x00"))
    assert "\\x0d=1+1\\x0a@SUM(1)" in records[1][10]


# --- What is in the tree ------------------------------------------------------------------

def test_fifos_and_devices_named_like_logs_are_not_read(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "logs")
    os.mkfifo(folder / "notice.log")
    (folder / "ssl.zero.log").symlink_to("/dev/zero")
    with time_limit(60):
        logs = zeekcert.load(folder)
        code, out, err = run_cli(["report", folder, "--format", "json"])
        inventory = run_cli(["inventory", folder, "--state", tmp_path / "s.db"])
    statuses = {Path(f.path).name: str(f.status) for f in logs.report.files}
    assert statuses == {"notice.log": "not_regular", "ssl.zero.log": "not_regular",
                        "ssl.log": "ok", "x509.log": "ok"}
    assert len(logs.ssl) == 6
    assert code == 3 and "not a regular file (a FIFO): not read" in err
    assert "not a regular file (a character device): not read" in err
    assert json.loads(out)["summary"]["connections"] == 6
    assert inventory[0] == 3


def test_a_folder_that_cannot_be_listed_is_reported(tmp_path: Path) -> None:
    """Root without CAP_DAC_OVERRIDE, as a cron job with dropped privileges runs."""
    folder = write_tree(tmp_path / "logs")
    locked = folder / "2026-11-18"
    write_tree(locked)
    locked.chmod(0)
    tmp_path.chmod(0o755)
    try:
        proc = subprocess.run(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--",
             sys.executable, "-c", f"import sys; sys.path[:0] = [{str(ROOT)!r}]\n"
             "from zeekcert.cli import main; sys.exit(main(sys.argv[1:]))",
             "report", str(folder), "--format", "json"],
            capture_output=True, text=True, timeout=120)
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 3, proc.stderr
    assert f"zeekcert: unreadable: {locked}: cannot list folder: Permission denied" in proc.stderr
    assert json.loads(proc.stdout)["data_quality"]["files"]["unreadable"] == 1


def test_a_folder_deeper_than_path_max_is_reported(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "logs")
    fd = os.open(folder, os.O_RDONLY)
    for _ in range(32):  # 32 levels of 200 characters: beyond PATH_MAX (4096)
        os.mkdir("d" * 200, dir_fd=fd)
        inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)
    code, out, err = run_cli(["report", folder, "--format", "json"])
    assert code == 3
    assert "cannot list folder: File name too long" in err
    assert json.loads(out)["summary"]["connections"] == 6


def test_a_link_out_of_the_tree_is_read_and_said(tmp_path: Path) -> None:
    elsewhere = write_tree(tmp_path / "elsewhere")
    folder = write_tree(tmp_path / "logs")
    (folder / "ssl.2026-11-19-00-00-00.log").symlink_to(elsewhere / "ssl.log")
    logs = zeekcert.load(folder)
    linked = [f for f in logs.report.files if f.link_target]
    assert [(Path(f.path).name, f.link_target) for f in linked] == [
        ("ssl.2026-11-19-00-00-00.log", str(elsewhere / "ssl.log"))]
    code, out, _ = run_cli(["report", folder, "--format", "json"])
    quality = json.loads(out)["data_quality"]
    assert quality["links_outside_tree"] == [
        f"{folder / 'ssl.2026-11-19-00-00-00.log'} -> {elsewhere / 'ssl.log'}"]
    assert code == 0


# --- Size: memory follows the block, not the file -------------------------------------

def test_a_gzip_bomb_after_a_valid_header_stays_small(tmp_path: Path) -> None:
    """64 members of 16 MiB of zeros: a 1 GiB stream from 1 MiB of file."""
    bomb = tmp_path / "ssl.log.gz"
    zeros = gzip.compress(b"\0" * (16 << 20), compresslevel=9)
    bomb.write_bytes(gzip.compress(_tsv(3).replace("#close\t", "#x\t").encode()) + zeros * 64)
    code, result = _child(
        f"import zeekcert\nr = zeekcert.read_log({str(bomb)!r}).attrs['zeekcert']\n"
        "result = {'rows': r.rows, 'status': str(r.status), 'message': r.message}")
    assert code == 0
    assert (result["rows"], result["status"]) == (3, "oversized")
    assert result["message"] == ("line 13: longer than 16 MiB: skipped; then inflates more than "
                                 "200 times its size, as a decompression bomb does: read up to "
                                 "that point")
    assert int(result["peak_mb"]) < 300  # type: ignore[call-overload]  # imports: ~110


def test_a_line_of_200_mib_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "ssl.log"
    head, tail = _tsv(3).split("#close")
    with path.open("w") as fh:
        fh.write(head)
        for _ in range(200):
            fh.write("x" * (1 << 20))
        fh.write("\n" + "\n".join(_tsv(6).split("\n")[11:14]) + "\n#close" + tail)
    code, result = _child(
        f"import zeekcert\nr = zeekcert.read_log({str(path)!r}).attrs['zeekcert']\n"
        "result = {'rows': r.rows, 'skipped': r.skipped_lines, 'status': str(r.status), "
        "'message': r.message}")
    assert code == 0
    assert (result["rows"], result["skipped"], result["status"]) == (6, [12], "oversized")
    assert result["message"] == "line 12: longer than 16 MiB: skipped"
    assert int(result["peak_mb"]) < 300  # type: ignore[call-overload]  # imports: ~110


def test_content_past_the_cap_is_oversized_with_what_came_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("zeekcert.reading.stream.MAX_INFLATED_BYTES", 2000)
    monkeypatch.setattr("zeekcert.reading.stream.CHUNK_BYTES", 512)
    frame, report = _read(_write(tmp_path / "ssl.log", _tsv(40)))
    assert report.status == FileStatus.OVERSIZED
    assert report.message == "more than 2000 bytes of content: read up to that point"
    assert 0 < len(frame) < 40
    assert frame["uid"].tolist() == [f"Ctest{i:013d}" for i in range(len(frame))]


# --- Values no library can print ------------------------------------------------------------

def test_times_past_9999_and_counts_past_63_bits_do_not_crash_anything(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    rows = [ssl_row(i) for i in range(6)]
    rows[2][0] = 300_000_000_000_000_000  # µs: the year 11476
    (folder / "ssl.log").write_text(render_tsv(SSL_FIELDS, SSL_TYPES, rows))
    cert = x509_row()
    cert[X509_FIELDS.index("certificate.not_valid_after")] = 300_000_000_000_000_000
    cert[X509_FIELDS.index("certificate.key_length")] = 2**64 - 1
    (folder / "x509.log").write_text(render_tsv(X509_FIELDS, X509_TYPES, [cert],
                                                log_path="x509"))
    logs = zeekcert.load(folder)
    assert logs.ssl["ts"].isna().sum() == 1
    assert logs.x509["certificate.not_valid_after"].isna().all()
    classified = zeekcert.classify(logs)
    assert len(classified) == 6
    for fmt in ("table", "json", "csv", "markdown", "html"):
        code, out, err = run_cli(["report", folder, "--format", fmt])
        assert (code, err) == (0, ""), fmt
    code, out, _ = run_cli(["report", folder, "--format", "json"])
    assert json.loads(out)["data_quality"]["bad_values"] == {
        "certificate.not_valid_after": 1, "ts": 1}
    assert run_cli(["inventory", folder, "--state", tmp_path / "s.db"])[0] == 0


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    return path
