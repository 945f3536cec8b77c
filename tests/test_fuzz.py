"""Fuzzing: whole Zeek logs, valid and damaged (``fuzzing.py``), through the reader, the
classifier and the command line.

The properties:

1. Totality: ``read_log`` returns a DataFrame whose ``attrs["zeekcert"]`` is a FileReport,
   or raises ``ZeekLogError``; nothing else escapes. ``classify`` takes whatever the
   reader gave. ``zeekcert report`` exits 0, 1 or 3 (never 5, never an exception).
2. Accounting: every line is a row or a counted skip; the status agrees with the counts.
3. A bad line cannot change a good one: N good rows read alone and read beside one bad
   line come back identical, and the bad line is counted.
4. Bounded memory: a huge line, or a gzip that inflates to 1 GiB without a newline, is
   read with a peak RSS less than 400 MiB above a three-row read. The reader runs in a
   fresh interpreter started by a small measuring process, whose
   ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is then that reader's peak alone (a child's
   ``ru_maxrss`` starts at its parent's size at fork, so the parent must be small).

Inputs that can crash the interpreter (JSON nested thousands of levels deep) and inputs
that may hang (a FIFO) run only in a subprocess, with a timeout.

Profiles. Every test here carries the ``fuzz`` marker (registered in pyproject.toml).
By default (``python -m pytest``, nothing deselected) every property runs the short
profile ``zeekcert-fuzz``: derandomized (a fixed seed, no example database), a few
hundred examples at most, and no shrinking, so that a failure is reported at once, as
found; the whole file takes under a minute. The long profile ``zeekcert-fuzz-long``
(random, thousands of examples, shrinking, nesting to 100,000 levels) runs when the
marker is selected, or when the environment asks for it::

    python -m pytest -m fuzz tests/test_fuzz.py
    ZEEKCERT_FUZZ=long python -m pytest tests/test_fuzz.py
    ZEEKCERT_FUZZ=long ZEEKCERT_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py -k good

A failing example is printed with its bytes (``note``), and with a
``@reproduce_failure`` blob. The smallest failing inputs found so far are kept in
``tests/data/fuzz/`` (see its README.md); ``test_corpus_replays`` reads every one of them
and runs the command line on it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import re
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fuzzing as fz
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import note as hypothesis_note
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from tinylogs import write_tree

import zeekcert
from zeekcert import FileReport, FileStatus, ZeekcertError, ZeekLogError
from zeekcert.cli import main

pytestmark = pytest.mark.fuzz

NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
CLEAN = {FileStatus.OK, FileStatus.EMPTY, FileStatus.DUPLICATE}
CORPUS = Path(__file__).resolve().parent / "data" / "fuzz"
TESTS = Path(__file__).resolve().parent
PACKAGE_ROOT = Path(zeekcert.__file__).resolve().parent.parent
SUBPROCESS_TIMEOUT = 120

# The short profile does not shrink: a failure is reported at once, as found (the smallest
# failing inputs are kept in the corpus instead); the long profile shrinks.
settings.register_profile(
    "zeekcert-fuzz", deadline=None, derandomize=True, database=None, print_blob=True,
    phases=(Phase.explicit, Phase.reuse, Phase.generate), suppress_health_check=list(HealthCheck))
settings.register_profile(
    "zeekcert-fuzz-long", deadline=None, derandomize=False, print_blob=True,
    suppress_health_check=list(HealthCheck))


def long_run(config: pytest.Config) -> bool:
    """The long profile: ``-m fuzz`` (not ``-m "not fuzz"``) or ``ZEEKCERT_FUZZ=long``."""
    expr = str(config.getoption("markexpr", "") or "")
    by_marker = re.search(r"(?<!not )\bfuzz\b", expr) is not None
    return by_marker or os.environ.get("ZEEKCERT_FUZZ", "").lower() == "long"


def run_property(check: Callable[[Any, Path], None], strategy: st.SearchStrategy[Any],
                 folder: Path, examples: int, profile: settings) -> None:
    """Run ``check(case, folder)`` on ``examples`` cases drawn from ``strategy``."""

    @given(strategy)
    def property_(case: Any) -> None:
        check(case, folder)

    property_.__name__ = property_.__qualname__ = check.__name__  # named in a failure
    settings(parent=profile, max_examples=examples)(property_)()


@pytest.fixture
def fuzz(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``fuzz(check, strategy, folder, short=, long=)``: a property under this run's profile."""
    is_long = long_run(request.config)
    profile = settings.get_profile("zeekcert-fuzz-long" if is_long else "zeekcert-fuzz")

    def run(check: Callable[[Any, Path], None], strategy: st.SearchStrategy[Any],
            folder: Path, short: int, long: int) -> None:
        examples = int(os.environ.get("ZEEKCERT_FUZZ_EXAMPLES", long)) if is_long else short
        run_property(check, strategy, folder, examples, profile)

    return run


@pytest.fixture
def is_long(request: pytest.FixtureRequest) -> bool:
    return long_run(request.config)


# --- reading, and what every read must satisfy --------------------------------------------


def note(text: str) -> None:
    """Hypothesis's ``note`` inside a property; print outside one (pytest shows it on failure)."""
    try:
        hypothesis_note(text)
    except InvalidArgument:
        print(text)


def write(folder: Path, log: fz.LogFile) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / log.name
    path.write_bytes(log.data)
    return path


def read(path: Path) -> pd.DataFrame | None:
    """``read_log``: a frame, or None for a ZeekLogError. Any other exception fails."""
    try:
        frame = zeekcert.read_log(path)
    except ZeekLogError as exc:
        note(f"ZeekLogError: {exc}")
        assert exc.path == str(path)
        return None
    assert isinstance(frame, pd.DataFrame)
    assert isinstance(frame.attrs.get("zeekcert"), FileReport)
    return frame


def inflated(data: bytes) -> bytes:
    """What can be recovered from ``data``: its gzip members inflated as far as they go."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    out, rest = [], data
    while rest.startswith(b"\x1f\x8b"):
        decoder = zlib.decompressobj(wbits=31)
        try:
            out.append(decoder.decompress(rest))
        except zlib.error:
            break
        if not decoder.eof:
            break
        rest = decoder.unused_data
    return b"".join(out)


def check_accounts(frame: pd.DataFrame, path: Path, content: bytes) -> FileReport:
    """What every FileReport must say, whatever the file held."""
    report = frame.attrs["zeekcert"]
    note(f"report: {report!r}")
    assert report.path == str(path)
    assert report.status in set(FileStatus)
    assert report.rows == len(frame)
    assert report.skipped >= 0
    assert len(report.skipped_lines) == min(report.skipped, 100)
    assert report.skipped_lines == sorted(set(report.skipped_lines))
    lines = content.count(b"\n") + (0 if content.endswith(b"\n") or not content else 1)
    assert all(1 <= n <= lines for n in report.skipped_lines), (report.skipped_lines, lines)
    assert report.rows + report.skipped <= lines
    assert set(report.bad_values) <= set(frame.columns)
    assert all(v > 0 for v in report.bad_values.values())
    if report.status is FileStatus.OK:
        assert report.skipped == 0 and not report.truncated and report.rows > 0
    elif report.status is FileStatus.EMPTY:
        assert report.rows == 0 and report.skipped == 0
    elif report.status is FileStatus.RAGGED:
        assert report.skipped > 0
    elif report.status is FileStatus.TRUNCATED:
        assert report.truncated
    elif report.status in (FileStatus.NOT_ZEEK, FileStatus.UNREADABLE,
                           FileStatus.NOT_REGULAR):
        assert report.rows == 0 and report.message
    if report.status not in CLEAN:
        assert report.message
    for name in frame.columns:  # every value can be handed to Python (valid UTF-8 text)
        try:
            column(frame, name)
        except Exception as exc:  # any failure here is the finding
            raise AssertionError(f"column {name!r} cannot be read back: {exc!r}") from exc
    return report


def cell(v: Any) -> Any:
    """A frame's value as plain Python: NA as None, arrays as lists."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.ndarray):
        return [cell(x) for x in v.tolist()]
    if isinstance(v, list | tuple):
        return [cell(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def column(frame: pd.DataFrame, name: str) -> list[Any]:
    return [cell(v) for v in frame[name].astype(object).tolist()]


# README "Types": the pandas dtype of each Zeek type.
DTYPES = {"time": "datetime64[us, UTC]", "interval": "timedelta64[us]", "count": "UInt64",
          "int": "Int64", "port": "UInt16", "double": "Float64", "bool": "boolean",
          "string": "string", "addr": "category", "enum": "category",
          "vector[string]": "list<item: string>[pyarrow]",
          "vector[addr]": "list<item: string>[pyarrow]"}


# --- 0. valid files read back exactly ----------------------------------------------------

_JSON_CONTROL = re.compile(r"\\x(0[0-9a-fA-F]|1[0-9a-fA-F]|7[fF])")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _json_text(s: str) -> str:
    """A string as it reads back from Zeek's JSON: the writer's \\xNN text is decoded, so
    a literal ``\\x07`` in the value reads as the control byte (README "Types")."""
    written = _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", s)
    return _JSON_CONTROL.sub(lambda m: chr(int(m.group(1), 16)), written)


def expected_column(log: fz.LogFile, rows: list[list[Any]], name: str) -> list[Any] | None:
    """What ``name`` must read back as; None where the format cannot say (JSON millis of
    times before 1973, a documented ambiguity)."""
    fields, types = fz.KINDS[log.kind]
    ztype = types[fields.index(name)]
    values = [r[fields.index(name)] for r in rows]
    if ztype == "time":
        if log.fmt == "json" and log.time_style == "millis":
            ms = [v // 1000 for v in values if v is not None]
            if not ms or max(abs(m) for m in ms) < 10**11:
                return None
            values = [None if v is None else v // 1000 * 1000 for v in values]
        return [None if v is None else pd.Timestamp(v, unit="us", tz="UTC") for v in values]
    out: list[Any] = []
    for v in values:
        if v is not None and ztype.startswith("vector["):
            if log.fmt == "tsv" and v in ([""], [None]):  # Zeek writes these as (empty), -
                v = [] if v == [""] else None
            elif log.fmt == "json" and ztype == "vector[string]":
                v = [None if x is None else _json_text(x) for x in v]
        elif isinstance(v, str) and log.fmt == "json":
            v = _json_text(v)
        out.append(v)
    return out


def _same_time(got: list[Any], want: list[Any], slack_us: int) -> bool:
    if len(got) != len(want):
        return False
    for a, b in zip(got, want, strict=True):
        if (a is None) != (b is None):
            return False
        if a is not None and abs((a - b) // pd.Timedelta(microseconds=1)) > slack_us:
            return False
    return True


@st.composite
def _valid_with_rows(draw: st.DrawFn) -> tuple[fz.LogFile, list[list[Any]]]:
    kind = draw(st.sampled_from(sorted(fz.KINDS)))
    fmt = draw(st.sampled_from(("tsv", "json")))
    rows = draw(fz.rows_of(kind, fmt, 1, 6))
    style = draw(st.sampled_from(("epoch", "iso", "millis"))) if fmt == "json" else "epoch"
    rows = fz.styled(rows, kind, style)
    log = fz.LogFile(kind, fmt, len(rows), fz.render(kind, fmt, rows, style), f"{kind}.log",
                     time_style=style)
    return log, rows


def prop_valid_files_read_back_exactly(case: tuple[fz.LogFile, list[list[Any]]],
                                       folder: Path) -> None:
    """Every value a sensor can write (the edges included) reads back as written, typed as
    the README says, and the file is ``ok``."""
    log, rows = case
    note(repr(log))
    path = write(folder / "valid", log)
    frame = read(path)
    assert frame is not None
    report = check_accounts(frame, path, log.data)
    assert (report.status, report.rows, report.skipped) == (FileStatus.OK, len(rows), 0)
    assert dict(report.bad_values) == {}
    fields, types = fz.KINDS[log.kind]
    for name, ztype in zip(fields, types, strict=True):
        assert name in frame.columns, name
        assert str(frame[name].dtype) == DTYPES[ztype], (name, frame[name].dtype)
        want = expected_column(log, rows, name)
        if want is None:
            continue
        got = column(frame, name)
        if ztype == "time":
            slack = 1 if log.fmt == "json" and log.time_style == "epoch" else 0
            assert _same_time(got, want, slack), (name, got, want)
        else:
            assert got == want, name


def test_valid_files_read_back_exactly(fuzz: Callable[..., None], tmp_path: Path) -> None:
    fuzz(prop_valid_files_read_back_exactly, _valid_with_rows(), tmp_path, short=100, long=5000)


# --- 1. totality and accounting ----------------------------------------------------------


def prop_read_log_is_total(log: fz.LogFile, folder: Path) -> None:
    """Damaged files: a frame and a consistent report, or ZeekLogError; strict raises
    exactly for the files that were not read cleanly."""
    note(repr(log))
    path = write(folder / "damaged", log)
    frame = read(path)
    if frame is None:
        return
    report = check_accounts(frame, path, inflated(log.data))
    try:
        zeekcert.read_log(path, strict=True)
    except ZeekLogError as exc:
        assert report.status not in CLEAN, exc
        assert str(exc).startswith(str(path))
    else:
        assert report.status in CLEAN


def test_read_log_is_total(fuzz: Callable[..., None], tmp_path: Path) -> None:
    fuzz(prop_read_log_is_total, fz.damaged_files(), tmp_path, short=200, long=20_000)


def prop_classify_takes_whatever_the_reader_gave(tree: fz.Tree, folder: Path) -> None:
    """``classify({"ssl": ..., "x509": ...})`` on any frames read_log made: one row per
    connection, in order, or a ZeekcertError; never another exception."""
    note(repr(tree))
    frames = {}
    for log in tree.files:
        frame = read(write(folder / "classify", log))
        frames[log.kind] = frame if frame is not None else pd.DataFrame()
    try:
        result = zeekcert.classify(frames, now=NOW)
    except ZeekcertError as exc:
        note(f"ZeekcertError: {exc}")
        return
    assert isinstance(result, pd.DataFrame)
    ssl = frames["ssl"]
    assert len(result) == len(ssl)
    if "uid" in ssl.columns:
        assert column(result, "uid") == column(ssl, "uid")
    allowed = {c.value for c in zeekcert.Cause} | {v.value for v in zeekcert.Verdict}
    assert set(result["primary_cause"].dropna()) <= allowed


def test_classify_takes_whatever_the_reader_gave(fuzz: Callable[..., None],
                                                 tmp_path: Path) -> None:
    fuzz(prop_classify_takes_whatever_the_reader_gave, fz.trees(), tmp_path, short=40,
         long=3000)


def run_report(folder: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["report", str(folder), "--format", "json", *extra], out=out, err=err, now=NOW)
    return code, out.getvalue(), err.getvalue()


_trees = iter(range(10**9))  # each example its own folder: the report reads a whole tree


def prop_report_exits_0_1_or_3(tree: fz.Tree, folder: Path) -> None:
    """``zeekcert report DIR --format json``: 0, 1 (only with --fail-on) or 3, never 5; the
    JSON parses and its data quality agrees with what read_log says of each file."""
    note(repr(tree))
    folder = folder / f"tree{next(_trees)}"
    paths = [write(folder, log) for log in tree.files]
    extra = ("--fail-on", tree.fail_on) if tree.fail_on else ()
    code, out, err = run_report(folder, *extra)
    note(f"exit {code}; stderr: {err[-3000:]}")
    assert code in ((0, 3) if tree.fail_on is None else (0, 1, 3)), err
    doc = json.loads(out)
    assert doc["schema_version"] == 3
    reports = []
    for path in paths:
        frame = read(path)
        reports.append(frame.attrs["zeekcert"] if frame is not None else None)
    unclean = [r for r in reports if r is None or r.status not in CLEAN]
    if unclean:
        assert code in (1, 3) if tree.fail_on else code == 3
    if tree.fail_on is None and not unclean and reports[0] is not None and (
            reports[0].kind == "ssl" and reports[0].rows > 0):
        assert code == 0, err
    quality = doc["data_quality"]
    assert quality["files"]["found"] == 2
    known = [r for r in reports if r is not None]
    if quality["files"]["duplicate"] == 0 and len(known) == 2:
        assert quality["lines_skipped"] == sum(r.skipped for r in known)
        assert sum(quality["rows"].values()) == sum(r.rows for r in known)
    for r in unclean:
        if r is not None:
            assert any(p["path"] == r.path for p in quality["problems"]), r.path


def test_report_exits_0_1_or_3(fuzz: Callable[..., None], tmp_path: Path) -> None:
    fuzz(prop_report_exits_0_1_or_3, fz.trees(), tmp_path, short=40, long=3000)


# --- 2. a good row never changes because of a bad one ----------------------------------


def prop_good_rows_survive_a_bad_neighbour(case: fz.GoodAndBad, folder: Path) -> None:
    """N good rows, read alone and then with one bad line among them: the good rows come
    back identical (values and dtypes), every line is a row or a counted skip, and a
    certain damage is counted where it is."""
    note(repr(case))
    name = f"{case.kind}.log" + (".gz" if case.gzipped else "")
    (folder / "good").mkdir(exist_ok=True)
    (folder / "bad").mkdir(exist_ok=True)
    good_path, bad_path = folder / "good" / name, folder / "bad" / name
    good_path.write_bytes(case.good)
    bad_path.write_bytes(case.bad)
    before, after = read(good_path), read(bad_path)
    assert before is not None and after is not None
    first = check_accounts(before, good_path, inflated(case.good))
    assert (first.status, first.rows, first.skipped) == (FileStatus.OK, case.n, 0)
    report = check_accounts(after, bad_path, inflated(case.bad))
    note(f"after: {report!r}")
    assert report.rows + report.skipped == case.n + 1
    assert report.rows in (case.n, case.n + 1)
    kept = report.rows == case.n + 1
    good_index = [i for i in range(len(after)) if not (kept and i == case.position)]
    assert set(before.columns) <= set(after.columns)
    for col in before.columns:
        assert str(after[col].dtype) == str(before[col].dtype), (col, after[col].dtype)
        got = column(after, col)
        assert [got[i] for i in good_index] == column(before, col), col
    if not kept:
        assert report.skipped_lines == [case.line]
        return
    if case.must_count:
        assert report.skipped + sum(report.bad_values.values()) >= 1
    if case.field is not None:
        bad_value = cell(after[case.field].astype(object).iloc[case.position])
        if case.must_count:
            # NA; in a container, the elements that are not values may be NA instead
            assert bad_value is None or (
                isinstance(bad_value, list) and None in bad_value), (case.field, bad_value)
            assert report.bad_values[case.field] >= 1
        elif isinstance(bad_value, str):  # read as text: it must be valid text
            bad_value.encode("utf-8")


def test_good_rows_survive_a_bad_neighbour(fuzz: Callable[..., None], tmp_path: Path) -> None:
    fuzz(prop_good_rows_survive_a_bad_neighbour, fz.good_and_bad(), tmp_path, short=200,
         long=20_000)


# --- transport noise and header damage ---------------------------------------------------


@st.composite
def _noisy(draw: st.DrawFn) -> tuple[fz.LogFile, bytes, str]:
    log = draw(fz.log_files(min_rows=1))
    how = draw(st.sampled_from(("bom", "crlf", "bom+crlf")))
    data = log.data
    if "crlf" in how:
        data = data.replace(b"\n", b"\r\n")
    if "bom" in how:
        data = fz.BOM + data
    return log, data, how


def prop_bom_and_crlf_change_nothing(case: tuple[fz.LogFile, bytes, str], folder: Path) -> None:
    """A leading UTF-8 BOM or CRLF line ends (a file that passed through Windows) read the
    same rows and values as the file without them, and the file is still ``ok``."""
    log, data, how = case
    note(f"{how}: {log!r}")
    clean_path = write(folder / "clean", log)
    noisy_path = folder / "noisy" / log.name
    noisy_path.parent.mkdir(exist_ok=True)
    noisy_path.write_bytes(data)
    clean, noisy = read(clean_path), read(noisy_path)
    assert clean is not None and noisy is not None
    report = check_accounts(noisy, noisy_path, data)
    assert (report.status, report.rows, report.skipped) == (FileStatus.OK, log.rows, 0)
    assert list(noisy.columns) == list(clean.columns)
    for col in clean.columns:
        assert str(noisy[col].dtype) == str(clean[col].dtype), col
        assert column(noisy, col) == column(clean, col), col


def test_bom_and_crlf_change_nothing(fuzz: Callable[..., None], tmp_path: Path) -> None:
    fuzz(prop_bom_and_crlf_change_nothing, _noisy(), tmp_path, short=40, long=2000)


@st.composite
def _duplicated_name(draw: st.DrawFn) -> tuple[fz.LogFile, bytes]:
    log = draw(fz.log_files(fmt="tsv", min_rows=1))
    return log, fz.duplicate_field_name(draw, log)


def prop_a_field_named_twice_is_never_dropped_silently(case: tuple[fz.LogFile, bytes],
                                                       folder: Path) -> None:
    """``#fields`` naming one field twice: either every column is kept or the report says
    the file was not read cleanly ("nothing is dropped silently")."""
    log, data = case
    note(repr(log))
    path = folder / log.name
    path.write_bytes(data)
    frame = read(path)
    assert frame is not None
    report = check_accounts(frame, path, data)
    header = next(x for x in data.split(b"\n") if x.startswith(b"#fields\t"))
    declared = len(header.split(b"\t")) - 1
    assert report.status not in CLEAN or frame.shape[1] == declared, (
        report.status, list(frame.columns))


def test_a_field_named_twice_is_never_dropped_silently(fuzz: Callable[..., None],
                                                        tmp_path: Path) -> None:
    fuzz(prop_a_field_named_twice_is_never_dropped_silently, _duplicated_name(), tmp_path,
         short=15, long=500)


# --- subprocesses: deep nesting, a FIFO, memory ----------------------------------------

_CHILD = textwrap.dedent("""
    import io, json, sys
    import fuzzing
    import zeekcert
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "report":
        from zeekcert.cli import main
        out, err = io.StringIO(), io.StringIO()
        code = main(["report", path, "--format", "json"], out=out, err=err)
        print(json.dumps({"code": code, "out": out.getvalue(), "err": err.getvalue()[-4000:]}))
        sys.exit(0)
    try:
        frame = zeekcert.read_log(path)
    except zeekcert.ZeekLogError as exc:
        print(json.dumps({"error": str(exc)}))
        sys.exit(0)
    keys = [c for c in ("uid", "fingerprint") if c in frame.columns]
    if int(frame.memory_usage(deep=False).sum()) > 64 << 20:  # a huge value: counts only
        result = fuzzing.summary(frame[keys])
        result["columns"] = {k: result["columns"][k] for k in keys}
    else:
        result = fuzzing.summary(frame)
    result["keys"] = result["columns"][keys[0]] if keys else None
    print(json.dumps(result))
""")

_MEASURE = textwrap.dedent("""
    import json, resource, subprocess, sys
    proc = subprocess.run(sys.argv[1:], capture_output=True, timeout=%d)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"rc": proc.returncode, "stdout": proc.stdout.decode("utf-8", "replace"),
                      "stderr": proc.stderr.decode("utf-8", "replace")[-4000:],
                      "maxrss_kib": usage.ru_maxrss}))
""") % SUBPROCESS_TIMEOUT


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PACKAGE_ROOT), str(TESTS), *filter(None, [env.get("PYTHONPATH")])])
    return env


def in_subprocess(mode: str, path: Path, timeout: int = SUBPROCESS_TIMEOUT) -> dict[str, Any]:
    """Read (or report on) ``path`` in a fresh interpreter; it must exit 0 and print JSON."""
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD, mode, str(path)],
                              capture_output=True, timeout=timeout, env=child_env(),
                              cwd=path if path.is_dir() else path.parent)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{mode} {path} did not finish within {timeout} s")
    note(f"child rc={proc.returncode} stderr={proc.stderr[-3000:]!r}")
    stderr = proc.stderr[-3000:].decode("utf-8", "replace")
    assert proc.returncode == 0, f"the interpreter died (rc={proc.returncode}): {stderr}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def check_deep(case: fz.DeepCase, result: dict[str, Any]) -> None:
    """The deep line is one bad line: skipped, or (a deep value) kept with the field NA and
    counted as bad. A deep object may instead be flattened into dotted columns, as the
    reader does for pipelines that nest: then the row is kept and the field unset."""
    assert "error" not in result, result
    good = [f"C{i:017d}" for i in range(case.n)]
    assert result["rows"] + result["skipped"] == case.n + 1, result
    if result["rows"] == case.n:
        assert result["keys"] == good or (case.n == 0 and result["keys"] in (None, []))
        assert result["lines"] == [case.line]
        return
    # kept: a deep array is never a value; a deep object is one (flattened to dotted names)
    assert case.where == "value" or case.shape == "object", result
    index = case.line - 1
    keys = list(result["keys"])
    assert keys.pop(index) in (None, "Zdeep")
    assert keys == good
    if case.field is not None:
        assert result["columns"][case.field][index] is None, result["columns"][case.field]
    assert sum(result["bad"].values()) >= 1 or case.shape == "object", result


@pytest.mark.parametrize("depth", fz.DEEP_DEFAULT)
@pytest.mark.parametrize(("where", "shape"), [("value", "array"), ("line", "array"),
                                              ("value", "object")])
def test_deep_json_is_one_bad_line(tmp_path: Path, depth: int, where: str, shape: str) -> None:
    """JSON nested thousands of levels deep neither crashes the interpreter nor loses the
    good rows around it (run in a subprocess: it can take the interpreter down)."""
    case = fz.deep_case(depth, where, shape)
    path = tmp_path / "ssl.log"
    path.write_bytes(case.data)
    check_deep(case, in_subprocess("read", path))


def prop_deep_json_any_depth(case: fz.DeepCase, folder: Path) -> None:
    """The same for random depths (to 100,000), fields and positions; a handful by default."""
    note(f"depth={case.depth} where={case.where} shape={case.shape} n={case.n} line={case.line}")
    path = folder / "ssl.log"
    path.write_bytes(case.data)
    check_deep(case, in_subprocess("read", path))


def test_deep_json_any_depth(fuzz: Callable[..., None], is_long: bool, tmp_path: Path) -> None:
    fuzz(prop_deep_json_any_depth, fz.deep_json(100_000 if is_long else 20_000), tmp_path,
         short=2, long=200)


def test_deep_json_report_exits_3(tmp_path: Path) -> None:
    """``zeekcert report`` on a tree whose ssl.log has a deep line exits 3, with JSON."""
    case = fz.deep_case(5_000)
    (tmp_path / "ssl.log").write_bytes(case.data)
    (tmp_path / "x509.log").write_bytes(fz.render("x509", "tsv", fz.plain_rows("x509", 1)))
    result = in_subprocess("report", tmp_path)
    assert result["code"] == 3, result
    doc = json.loads(result["out"])
    assert doc["summary"]["connections"] == case.n


def test_report_child_reports_on_the_folder(tmp_path: Path) -> None:
    """The subprocess helper itself: a clean tree reports 6 connections and exits 0."""
    write_tree(tmp_path)
    result = in_subprocess("report", tmp_path)
    assert result["code"] == 0, result
    assert json.loads(result["out"])["summary"]["connections"] == 6


def test_a_fifo_in_the_tree_does_not_hang(tmp_path: Path) -> None:
    """A FIFO named ssl.log (nobody writing to it) is ``not_regular`` and never opened, not
    a hang: exit 3, and the x509.log beside it is still read."""
    folder = tmp_path / "logs"
    folder.mkdir()
    os.mkfifo(folder / "ssl.log")
    (folder / "x509.log").write_bytes(fz.render("x509", "tsv", fz.plain_rows("x509", 2)))
    result = in_subprocess("report", folder, timeout=20)
    assert result["code"] == 3, result
    quality = json.loads(result["out"])["data_quality"]
    assert quality["files"]["found"] == 2
    assert quality["files"]["not_regular"] == 1
    assert quality["rows"].get("x509") == 2


MIB = 1 << 20
RSS_BOUND = 400 * MIB  # peak RSS growth allowed while reading a 1 GiB stream


def peak_rss(path: Path) -> tuple[int, dict[str, Any]]:
    """Peak RSS in bytes of a fresh interpreter reading ``path``, from a measuring
    process's ``getrusage(RUSAGE_CHILDREN)``, which sees that one child only."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, sys.executable, "-c", _CHILD, "read", str(path)],
        capture_output=True, timeout=SUBPROCESS_TIMEOUT + 30, env=child_env(), cwd=path.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    measured = json.loads(proc.stdout)
    assert measured["rc"] == 0, f"the reader died (rc={measured['rc']}): {measured['stderr']}"
    return measured["maxrss_kib"] * 1024, json.loads(measured["stdout"])


@pytest.fixture(scope="module")
def baseline_rss(tmp_path_factory: pytest.TempPathFactory) -> int:
    """Peak RSS of reading a three-row file: the interpreter and its imports."""
    path = tmp_path_factory.mktemp("rss") / "ssl.log"
    path.write_bytes(fz.render("ssl", "tsv", fz.plain_rows("ssl", 3)))
    rss, result = peak_rss(path)
    assert result["rows"] == 3
    return rss


GIB = 1 << 30


HUGE_CASES = [  # (how it is stored, what it holds)
    ("gzip bomb", "no header"),
    ("gzip bomb", "tsv: rows, a long line, rows"),
    ("gzip", "tsv: rows, a long line, rows"),
    ("gzip", "json: rows, a long value, rows"),
    ("plain", "tsv: rows, a long line, rows"),
]


@pytest.mark.parametrize(("storage", "shape"), HUGE_CASES)
def test_a_huge_line_is_read_in_bounded_memory(tmp_path: Path, baseline_rss: int,
                                               storage: str, shape: str) -> None:
    """1 GiB without a newline: the reader's peak RSS grows by less than 400 MiB, and the
    line is one counted skip (README ``oversized``). The rows after it are kept too,
    except in a decompression bomb (inflating 1000 times), where reading stops there."""
    rows = fz.plain_rows("ssl", 4)
    good = [f"C{i:017d}" for i in range(4)]
    fields, types = fz.KINDS["ssl"]
    if shape == "no header":
        head, tail, long_line = b"", b"", 1
    elif shape.startswith("json"):
        before = "".join(fz.json_line(fields, types, r) + "\n" for r in rows[:2]).encode()
        after = "".join(fz.json_line(fields, types, r) + "\n" for r in rows[2:]).encode()
        head, tail = before + b'{"ts":1.0,"uid":"Zlong","server_name":"', b'"}\n' + after
        long_line = 3
    else:
        header = fz.tsv_header("ssl")
        before = fz.render("ssl", "tsv", rows[:2], closed=False)
        after = fz.render("ssl", "tsv", rows[2:], closed=False)[len(header):]
        head, tail, long_line = before + b"1.000000\tZlong\t", b"\n" + after, 11
    path = tmp_path / ("ssl.log" if storage == "plain" else "ssl.log.gz")
    if storage == "plain":
        with open(path, "wb") as out:
            out.write(head)
            block = b"A" * (16 * MIB)
            for _ in range(GIB // len(block)):
                out.write(block)
            out.write(tail)
    else:
        fz.write_gzip_without_newlines(str(path), GIB, head, tail, bomb=storage == "gzip bomb")
    try:
        rss, result = peak_rss(path)
    finally:
        path.unlink()
    growth = rss - baseline_rss
    note(f"peak RSS growth {growth / MIB:.0f} MiB: {result}")
    assert growth < RSS_BOUND, f"peak RSS grew by {growth / MIB:.0f} MiB: {result}"
    assert result["status"] == "oversized", result
    if shape == "no header":  # not Zeek either; the bomb may stop before the line ends
        assert result["rows"] == 0 and result["skipped"] in (0, 1), result
    elif storage == "gzip bomb":
        assert (result["rows"], result["keys"]) == (2, good[:2]), result
    else:
        assert (result["rows"], result["skipped"]) == (4, 1), result
        assert result["keys"] == good and result["lines"] == [long_line], result


# --- the corpus of smallest failing inputs ---------------------------------------------


@dataclass(frozen=True)
class Got:
    """What one corpus file read as (``fuzzing.summary``): counts and plain column values,
    times as integer µs since 1970."""

    status: str
    rows: int
    skipped: int
    lines: list[int]
    bad: dict[str, int]
    message: str
    columns: dict[str, list[Any]]

    def col(self, name: str) -> list[Any]:
        assert name in self.columns, f"no column {name!r}: {sorted(self.columns)}"
        return self.columns[name]


Check = Callable[[Got], None]
T0 = 1_795_000_000 * fz.SECOND  # the first plain row's ts: 2026-11-18T11:06:40Z
GOOD = [f"C{i:017d}" for i in range(3)]  # the uids of fuzzing.plain_rows("ssl", 3)
FP = "a" * 64  # the fingerprint of fuzzing.plain_rows("x509", 1)


def expect(status: str, rows: int, skipped: int = 0, lines: list[int] | None = None,
           bad: dict[str, int] | None = None, **values: list[Any]) -> Check:
    """The file's status, counts, skipped lines, bad values and some columns' values
    (``id_orig_p=`` names the column ``id.orig_p``)."""
    def check(got: Got) -> None:
        assert (got.status, got.rows, got.skipped) == (status, rows, skipped), got
        assert got.lines == (lines or []), got.lines
        assert got.bad == (bad or {}), got.bad
        for key, want in values.items():
            name = key.replace("__", ".")
            name = "id." + name[3:] if name.startswith("id_") else name
            assert got.col(name) == want, (name, got.col(name))
    return check


def either(*checks: Check) -> Check:
    """More than one reading is correct (a bad line skipped, or kept with its value NA)."""
    def check(got: Got) -> None:
        failures = []
        for one in checks:
            try:
                one(got)
            except AssertionError as exc:
                failures.append(str(exc))
            else:
                return
        raise AssertionError("no acceptable reading: " + " | ".join(failures))
    return check


def bad_line_or_value(n: int, line: int, name: str, good: list[Any], index: int,
                      key: str, keys: list[Any]) -> Check:
    """One bad line among ``n`` good ones: skipped at ``line``, or kept (at ``index``) with
    ``name`` NA and counted; either way ``name`` of the good rows is ``good``."""
    kept_values = [*good[:index], None, *good[index:]]

    def kept(got: Got) -> None:
        assert (got.rows, got.skipped, got.bad.get(name)) == (n + 1, 0, 1), got
        assert got.col(name) == kept_values, got.col(name)
        assert [k for i, k in enumerate(got.col(key)) if i != index] == keys

    def skipped(got: Got) -> None:
        assert (got.status, got.rows, got.skipped, got.lines) == ("ragged", n, 1, [line]), got
        assert got.col(name) == good and got.col(key) == keys

    return either(skipped, kept)


def not_clean_or(check: Check) -> Check:
    """The damage is reported (a status other than ok/empty/duplicate), or ``check`` holds."""
    def run(got: Got) -> None:
        if got.status in {str(s) for s in CLEAN}:
            check(got)
    return run


def text_or_counted(name: str) -> Check:
    """A value no UTF-8 file can hold (an unpaired surrogate): valid text, or NA counted."""
    def check(got: Got) -> None:
        assert (got.rows, got.skipped) == (1, 0), got
        value = got.col(name)[0]
        if value is None:
            assert got.bad == {name: 1}
        else:
            assert isinstance(value, str)
            value.encode("utf-8")

    return check


def rows_kept(n: int, **values: list[Any]) -> Check:
    """Every row read, with these values, whatever the status (the point is what follows:
    the command line on the file must not crash)."""
    def check(got: Got) -> None:
        assert (got.rows, got.skipped) == (n, 0), got
        for name, want in values.items():
            assert got.col(name) == want, (name, got.col(name))
    return check


def all_columns(count: int) -> Check:
    def check(got: Got) -> None:
        assert len(got.columns) == count, sorted(got.columns)
    return check


def _ts_bad() -> Check:
    """The second of two JSON lines has a ``ts`` that is no time; the first is at ``T0``."""
    return bad_line_or_value(1, 2, "ts", [T0], 1, "uid", ["C1"])


def _one_row_or_skipped(got: Got) -> None:
    """A line whose ``id`` object and ``id.orig_h`` key name the same column twice:
    skipped, or read as one row (either value, or NA counted)."""
    if got.rows == 0:
        assert (got.status, got.skipped, got.lines) == ("ragged", 1, [1]), got
    else:
        assert (got.rows, got.skipped, got.col("uid")) == (1, 0, ["C1"]), got
        assert got.col("id.orig_h")[0] in ("10.0.0.1", "10.0.0.9", None)


# Each corpus file and what must come back. The command line is then run on a folder
# holding the file beside a clean counterpart: it must exit 0 when the file reads
# cleanly (ok/empty), else 3 -- never 5. README.md in the folder says what each file is.
CORPUS_EXPECTED: dict[str, Check] = {
    "ssl-json-vector-two-nulls.log": expect("ok", 1, cert_chain_fps=[[None, None]]),
    "ssl-json-invalid-utf8-value.log": expect("ok", 2, uid=["C1", "Z\\xe5"]),
    "ssl-json-invalid-utf8-key.log": either(
        expect("ragged", 1, 1, [2], uid=["C1"]),
        expect("ok", 2, uid=["C1", None])),
    "ssl-json-surrogate.log": text_or_counted("curve"),
    "ssl-json-ts-nan.log": _ts_bad(),
    "ssl-json-ts-infinity.log": _ts_bad(),
    "ssl-json-ts-minus-infinity.log": _ts_bad(),
    "ssl-json-ts-above-2p64.log": _ts_bad(),
    "ssl-json-ts-1e30.log": _ts_bad(),
    "ssl-json-ts-bool.log": _ts_bad(),
    "ssl-json-millis-ts-bool.log": _ts_bad(),
    "ssl-json-iso-ts-bad-date.log": _ts_bad(),
    "x509-json-bool-wrong-type.log": bad_line_or_value(
        1, 2, "client_cert", [True], 1, "fingerprint", ["a"]),
    "x509-json-vector-wrong-type.log": bad_line_or_value(
        1, 2, "san.dns", [["x"]], 1, "fingerprint", ["a"]),
    "ssl-json-list-for-string.log": bad_line_or_value(1, 2, "curve", ["x"], 1, "uid", ["C1"]),
    "ssl-json-null-line.log": expect("ragged", 2, 1, [2], uid=["C1", "C2"]),
    "ssl-json-nested-and-flat-key.log": _one_row_or_skipped,
    "ssl-json-deep-array-value.log": bad_line_or_value(
        3, 2, "server_name", ["example.com"] * 3, 1, "uid", GOOD),
    "ssl-json-deep-array-line.log": expect("ragged", 3, 1, [2], uid=GOOD),
    "x509-json-count-max.log": expect("ok", 1, certificate__version=[2**64 - 1]),
    "x509-json-key-length-big-and-unset.log": expect(
        "ok", 2, certificate__key_length=[2**63 - 1, None]),
    "ssl-tsv-bom.log": expect("ok", 1, uid=GOOD[:1]),
    "ssl-json-bom.log": expect("ok", 1, uid=["C1"]),
    "ssl-tsv-nul-in-row.log": either(
        expect("ragged", 2, 1, [10], uid=[GOOD[0], GOOD[2]]),
        expect("ok", 3, uid=[GOOD[0], GOOD[1] + "\x00", GOOD[2]])),
    "ssl-tsv-cr-in-value.log": either(
        expect("ragged", 2, 1, [10], uid=[GOOD[0], GOOD[2]]),
        expect("ok", 3, uid=GOOD, server_name=["example.com", "exa\rmple.com", "example.com"])),
    "ssl-tsv-skipped-line-number.log": expect("ragged", 2, 1, [10], uid=GOOD[:2]),
    "ssl-tsv-two-bad-lines-invalid-utf8.log": expect("ragged", 1, 2, [10, 11], uid=GOOD[:1]),
    "ssl-tsv-empty-separator.log": not_clean_or(expect("ok", 2, uid=GOOD[:2])),
    # Zeek never writes an empty #set_separator: a malformed header, read with ",".
    "x509-tsv-empty-set-separator.log": expect("bad_header", 1, fingerprint=[FP]),
    "ssl-tsv-ts-overflow.log": bad_line_or_value(1, 10, "ts", [T0], 1, "uid", GOOD[:1]),
    "ssl-tsv-duplicate-field.log": not_clean_or(all_columns(19)),
    "ssl-tsv-port-hex.log": either(
        expect("ragged", 0, 1, [9]),
        expect("ok", 1, bad={"id.orig_p": 1}, id_orig_p=[None])),
    "ssl-tsv-ts-year-10000.log": expect(  # README: a time past 9999 is a bad value
        "ok", 3, bad={"ts": 1}, ts=[T0, None, T0 + 288 * fz.SECOND]),
    "ssl-tsv-ts-all-year-10000.log": expect("ok", 1, bad={"ts": 1}, ts=[None]),
    "x509-tsv-not-valid-before-year-1.log": expect(
        "ok", 1, certificate__not_valid_before=[-62_135_596_800 * fz.SECOND]),
    "ssl-tsv-resp-p-unset.log": expect("ok", 1, id_resp_p=[None]),
    "x509-tsv-key-length-2p63.log": expect("ok", 1, certificate__key_length=[2**63]),
    "ssl-tsv-two-blocks-type-change.log": rows_kept(2, uid=["C1", "C2"]),
    "ssl-json-first-line-damaged.log": expect("ragged", 2, 1, [1], uid=["C1", "C2"]),
    "x509-json-count-precision.log": bad_line_or_value(
        1, 2, "certificate.version", [2**53 + 1], 1, "fingerprint", ["a"]),
    "ssl-json-addr-invalid-utf8.log": bad_line_or_value(
        1, 2, "id.orig_h", ["10.0.0.1"], 1, "uid", ["C1"]),
    "ssl-json-escape-and-invalid-utf8.log": expect("ok", 2, uid=["C1", "Z\x07\\xff"]),
    "ssl-tsv-types-unknown-name.log": not_clean_or(
        expect("ok", 3, ts=[T0, T0 + 144 * fz.SECOND, T0 + 288 * fz.SECOND])),
    "ssl-tsv-resp-p-typed-string.log": rows_kept(3, uid=GOOD),
}
SUBPROCESS_ONLY = {"ssl-json-deep-array-value.log", "ssl-json-deep-array-line.log"}


def _corpus_files() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.name != "README.md")


def test_corpus_is_listed_and_described() -> None:
    """Every corpus file has a README line and an expectation here, and nothing else."""
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    files = _corpus_files()
    assert len(files) == len(CORPUS_EXPECTED) == 44
    for name in files:
        assert f"`{name}`" in readme, name
    assert sorted(CORPUS_EXPECTED) == files
    assert set(files) >= SUBPROCESS_ONLY


def _kind_of(name: str) -> str:
    return "x509" if name.startswith("x509") else "ssl"


def _counterpart(kind: str) -> bytes:
    other = "ssl" if kind == "x509" else "x509"
    return fz.render(other, "tsv", fz.plain_rows(other, 3 if other == "ssl" else 1))


@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_corpus_replays(tmp_path: Path, name: str) -> None:
    """Each smallest failing input reads as its expectation says, with consistent
    accounts, and ``zeekcert report`` on it exits 0 (read cleanly) or 3, never 5."""
    source = CORPUS / name
    kind = _kind_of(name)
    path = tmp_path / name
    path.write_bytes(source.read_bytes())
    if name in SUBPROCESS_ONLY:  # can take the interpreter down
        result = in_subprocess("read", path)
        assert "error" not in result, result
        result.pop("keys")
    else:
        frame = read(path)
        assert frame is not None
        check_accounts(frame, path, inflated(source.read_bytes()))
        result = fz.summary(frame)
    got = Got(**result)
    CORPUS_EXPECTED[name](got)
    folder = tmp_path / "tree"
    folder.mkdir()
    (folder / f"{kind}.log").write_bytes(source.read_bytes())
    (folder / ("x509.log" if kind == "ssl" else "ssl.log")).write_bytes(_counterpart(kind))
    if name in SUBPROCESS_ONLY:
        outcome = in_subprocess("report", folder)
        code, out, err = outcome["code"], outcome["out"], outcome["err"]
    else:
        code, out, err = run_report(folder)
    assert code == (0 if got.status in {str(s) for s in CLEAN} else 3), err
    assert json.loads(out)["schema_version"] == 3
