"""``zeekcert watch``, live: a real process follows ``current/`` as a test writes it.

Zeek is played by the test: it starts ``current/`` after the watch, appends rows (one
half-written for a while), rotates ``ssl.log`` into the archive, compressed, and starts a
new one. Each server's alert arrives once; every connection is counted once; SIGTERM
stops the watch with exit 0; the nightly job after it finds nothing new.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
from hypothesis import given, settings
from hypothesis import strategies as st
from tinylogs import run_cli, ssl_row, x509_row
from zeekwriter import render_tsv

from zeekcert.cli.time_phrases import seconds_arg
from zeekcert.cli.watch import watched
from zeekcert.reading import content_id

EXT4, EXT6 = "203.0.113.44", "2001:db8:44::44"
FP4, FP6 = "4" * 64, "6" * 64
ENV = {**os.environ, "ZEEKCERT_NOW": "2026-11-18T09:30:00Z"}
ROOT = Path(__file__).resolve().parent.parent


def rows(first: int, count: int, host: str, fp: str, uid: str) -> str:
    """TSV rows only (no header) of ``count`` connections to ``host``."""
    made = []
    for i in range(first, first + count):
        row = ssl_row(i, resp_h=host, fp=fp)
        row[SSL_FIELDS.index("uid")] = f"C{uid}{i:012d}"
        made.append(row)
    text = render_tsv(SSL_FIELDS, SSL_TYPES, made, "ssl", closed=None)
    return "".join(line + "\n" for line in text.splitlines() if not line.startswith("#"))


def header(opened: str) -> str:
    """The header of a live ssl.log (no ``#close``), opened at ``opened``."""
    return render_tsv(SSL_FIELDS, SSL_TYPES, [], "ssl", opened=opened, closed=None)


def alerts(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def wait_for(path: Path, count: int, proc: subprocess.Popen[bytes]) -> list[dict[str, Any]]:
    """The alerts once there are ``count``; fails if the watch died or 60 s went by."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = alerts(path)
        if len(got) >= count:
            return got
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.05)
    raise AssertionError(f"{count} alerts did not arrive: {alerts(path)}")


def test_a_live_watch_alerts_once_per_server_and_counts_each_row_once(tmp_path: Path) -> None:
    logs, sink, state = tmp_path / "logs", tmp_path / "alerts.jsonl", tmp_path / "state.db"
    logs.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "zeekcert", "watch", str(logs), "--state", str(state),
         "--alert-to", f"jsonl:{sink}", "--interval", "200ms"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=ROOT)
    try:
        time.sleep(0.5)  # current/ does not exist yet: the watch waits for it
        current = logs / "current"
        current.mkdir()
        x509 = render_tsv(X509_FIELDS, X509_TYPES, [x509_row(FP4), x509_row(FP6)], "x509",
                          closed=None)
        (current / "x509.log").write_text(x509)
        ssl = current / "ssl.log"
        partial = rows(3, 1, EXT4, FP4, "A")
        ssl.write_text(header("2026-11-18-09-00-00") + rows(0, 3, EXT4, FP4, "A")
                       + partial[:40])
        first = wait_for(sink, 1, proc)
        assert [(a["rule"]["name"], a["destination"]["ip"]) for a in first] == [
            ("new_self_signed_server", EXT4)]
        with ssl.open("a") as fh:
            fh.write(partial[40:] + rows(4, 3, EXT6, FP6, "B"))
        second = wait_for(sink, 2, proc)
        assert second[1]["destination"]["ip"] == EXT6
        with ssl.open("a") as fh:  # two more rows, then Zeek rotates before the next pass
            fh.write(rows(7, 2, EXT4, FP4, "A"))
        day = logs / "2026-11-18"
        day.mkdir()
        with gzip.open(day / "ssl.tmp", "wb") as out:
            out.write(ssl.read_bytes())
        (day / "ssl.tmp").rename(day / "ssl.09:00:00-10:00:00.log.gz")
        ssl.unlink()
        ssl.write_text(header("2026-11-18-10-00-00") + rows(9, 2, EXT6, FP6, "C"))
        time.sleep(2)  # several passes over the rotated file and the new one
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (code, stderr) == (0, "")
    assert len(alerts(sink)) == 2  # no alert twice
    code, out, err = run_cli(["inventory", logs, "--state", state, "--format", "json",
                              "--alert-to", f"jsonl:{sink}"],
                             now=datetime(2026, 11, 18, 12, tzinfo=UTC))
    assert (code, err) == (0, "")
    servers = {s["resp_h"]: s for s in json.loads(out)["servers"]}
    assert {h: s["total_connections"] for h, s in servers.items()} == {EXT4: 6, EXT6: 5}
    assert {h: s["connections"] for h, s in servers.items()} == {EXT4: 0, EXT6: 0}
    assert len(alerts(sink)) == 2  # the nightly job after a day of watching raises nothing


@pytest.mark.parametrize(("text", "seconds"), [("5s", 5.0), ("500ms", 0.5), ("1m", 60.0),
                                               ("2", 2.0), ("0.25s", 0.25)])
def test_an_interval_is_a_time(text: str, seconds: float) -> None:
    assert seconds_arg(text, "--interval") == seconds


@pytest.mark.parametrize("text", ["0s", "-1s", "5d", "fast", ""])
def test_a_bad_interval_is_a_usage_error(text: str, tmp_path: Path) -> None:
    code, _, err = run_cli(["watch", tmp_path, "--state", tmp_path / "s.db", "--interval",
                            text, "--passes", "1"])
    assert code == 2 and "--interval" in err


def test_old_days_of_the_archive_are_not_listed_each_pass(tmp_path: Path) -> None:
    old = tmp_path / "2026-11-01"
    old.mkdir()
    (old / "ssl.00:00:00-01:00:00.log.gz").write_bytes(b"")
    (tmp_path / "current").mkdir()
    (tmp_path / "current" / "ssl.log").write_text("")
    (tmp_path / "current" / "conn.log").write_text("")
    since = time.time() + 1
    assert watched(tmp_path, since) == [tmp_path / "current" / "ssl.log"]
    assert watched(tmp_path, 0) == [tmp_path / "current" / "ssl.log",
                                    old / "ssl.00:00:00-01:00:00.log.gz"]


SAMPLE = ROOT / "sample_logs"
REPLAY_NOW = "2026-11-27T01:00:00Z"  # the night after the sample's two days
EXPECTED = {  # each server's one alert, and each C2 match's, from the sample's README
    ("new_self_signed_server", "203.0.113.44"), ("new_self_signed_server", "2001:db8:44::44"),
    ("new_self_signed_server", "10.20.40.9"), ("certificate_changed", "10.20.30.40"),
    ("new_failing_server", "203.0.113.80"), ("new_failing_server", "192.0.2.30"),
    ("new_failing_server", "198.51.100.60"), ("new_failing_server", "198.51.100.61"),
    ("new_failing_server", "192.0.2.40"), ("new_failing_server", "198.51.100.70"),
    ("new_failing_server", "198.51.100.71"),
    # the simulated intrusion: Cobalt Strike, Sliver on two addresses, the payload server
    # and the ingress controller's fake certificate
    ("new_self_signed_server", "198.51.100.23"), ("tooling_match", "198.51.100.23"),
    ("new_failing_server", "192.0.2.151"), ("tooling_match", "192.0.2.151"),
    ("new_failing_server", "203.0.113.151"), ("tooling_match", "203.0.113.151"),
    ("new_self_signed_server", "203.0.113.200"), ("new_self_signed_server", "10.20.50.12"),
}


def read_through(state: Path, files: dict[Path, int], proc: subprocess.Popen[bytes],
                 err: Path) -> None:
    """Wait until a pass has taken in every row of ``files`` (path: its rows), as the
    ledger, read beside the watch (WAL), says. On failure, say which: the watch ended,
    or it is behind, with its ledger and what it wrote to stderr."""
    ids = {content_id(p): n for p, n in files.items()}  # the ledger knows files by content
    deadline, done = time.monotonic() + 60, {}
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            what = (f"the watch ended with {proc.returncode}" if proc.poll() is not None
                    else "the watch fell behind")
            wanted = {str(p): (n, done.get(content_id(p))) for p, n in files.items()}
            raise AssertionError(f"{what}; rows wanted, done: {wanted}; stderr:\n"
                                 f"{err.read_text(errors='replace')[-4000:]}")
        if state.exists():
            with sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=10) as db:
                try:
                    done = dict(db.execute("SELECT id, rows_done FROM files").fetchall())
                except sqlite3.OperationalError:  # no table yet
                    done = {}
            if all(done.get(i) == n for i, n in ids.items()):
                return
        time.sleep(0.02)


def jenkins_first_fingerprint() -> str:
    import zeekcert

    logs = zeekcert.load(SAMPLE / "2026-11-25")
    ssl = logs["ssl"]
    chains = ssl[(ssl["id.resp_h"].astype(str) == "10.20.30.40")]["cert_chain_fps"]
    return str(next(c[0] for c in chains if c is not None and len(c)))


def test_the_simulation_replayed_live_gives_each_server_one_alert(tmp_path: Path) -> None:
    """The sample's two days replayed into current/, an hour a step, rotated into the
    archive each hour, while a watch runs; the webhook is down for the first day."""
    from test_alerts import Receiver

    logs, sink, state = tmp_path / "logs", tmp_path / "alerts.jsonl", tmp_path / "state.db"
    (logs / "current").mkdir(parents=True)
    allow = tmp_path / "allow.toml"
    allow.write_text('[[acknowledged]]\nresp_h = "10.20.30.40"\nresp_p = 8443\n'
                     f'fingerprint = "{jenkins_first_fingerprint()}"\nowner = "dev"\n'
                     'reason = "Jenkins, pinned"\n')
    receiver = Receiver()
    stderr = (tmp_path / "watch.err").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "zeekcert", "watch", str(logs), "--state", str(state),
         "--cause", "any", "--allowlist", str(allow), "--interval", "100ms",
         "--alert-to", f"jsonl:{sink}", "--alert-to", f"webhook:{receiver.url}"],
        stdout=subprocess.DEVNULL, stderr=stderr, env={**ENV, "ZEEKCERT_NOW": REPLAY_NOW},
        cwd=ROOT)
    first_rows: dict[str, int] = {}
    try:
        for day in ("2026-11-25", "2026-11-26"):
            receiver.down = day == "2026-11-25"
            for hour in range(24):
                _replay_hour(logs, day, hour, first_rows, state, proc, tmp_path / "watch.err")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        receiver.close()
        stderr.close()
    assert code == 0
    got = alerts(sink)
    assert sorted((a["rule"]["name"], a["destination"]["ip"]) for a in got) == sorted(EXPECTED)
    changed = next(a for a in got if a["rule"]["name"] == "certificate_changed")
    assert changed["zeekcert"]["first_seen"].startswith("2026-11-25")
    failing = {a["destination"]["ip"]: a["zeekcert"]["causes"] for a in got
               if a["rule"]["name"] == "new_failing_server"}
    assert failing["198.51.100.60"] == ["expired"]
    assert failing["192.0.2.30"] == ["incomplete_chain"]
    assert sorted(a["zeekcert"]["label"] for a in got if a["rule"]["name"] == "tooling_match"
                  ) == ["tooling:cobalt_strike_default"] + ["tooling:sliver_https"] * 2
    bodies = [b["zeekcert"]["alert_id"] for b in receiver.bodies]
    assert sorted(bodies) == sorted(a["zeekcert"]["alert_id"] for a in got)
    assert len(set(bodies)) == len(bodies) == 19
    assert "HTTP 503" in (tmp_path / "watch.err").read_text()  # said while it was down
    code, out, err = run_cli(["inventory", logs, "--state", state, "--cause", "any",
                              "--allowlist", allow, "--alert-to", f"jsonl:{sink}", "-o",
                              tmp_path / "inv.json"],
                             now=datetime(2026, 11, 27, 2, tzinfo=UTC))
    assert (code, out, err) == (0, "", "")
    assert len(alerts(sink)) == 19  # the nightly job after the watch raises nothing


def _replay_hour(logs: Path, day: str, hour: int, first_rows: dict[str, int], state: Path,
                 proc: subprocess.Popen[bytes], err: Path) -> None:
    """One hour of the sample written into current/ (x509 and notices, then ssl), then
    rotated into the archive as the sample has it, compressed."""
    name = f"{hour:02d}:00:00-{(hour + 1) % 24:02d}:00:00"
    current, archive = logs / "current", logs / day
    archive.mkdir(exist_ok=True)
    written = {}
    for kind in ("x509", "notice", "ssl"):
        source = SAMPLE / day / f"{kind}.{name}.log.gz"
        if source.exists():
            data = gzip.decompress(source.read_bytes())
            (current / f"{kind}.log").write_bytes(data)
            written[current / f"{kind}.log"] = sum(
                1 for line in data.splitlines() if line and not line.startswith(b"#"))
    read_through(state, written, proc, err)
    for kind in ("x509", "notice", "ssl"):
        source = SAMPLE / day / f"{kind}.{name}.log.gz"
        if source.exists():
            target = archive / source.name
            (archive / ".moving").write_bytes(source.read_bytes())
            (archive / ".moving").rename(target)
            (current / f"{kind}.log").unlink()


def start_watch(logs: Path, state: Path, sink: Path, err: Path) -> subprocess.Popen[bytes]:
    with err.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "zeekcert", "watch", str(logs), "--state", str(state),
             "--alert-to", f"jsonl:{sink}", "--interval", "50ms", "-q"],
            stdout=subprocess.DEVNULL, stderr=stderr, env=ENV, cwd=ROOT)


@pytest.mark.parametrize("kill_after", [0.15, 0.45, 0.8])
def test_a_watch_killed_at_any_moment_loses_no_alert_and_makes_none_twice(
        tmp_path: Path, kill_after: float) -> None:
    """kill -9 while servers keep appearing, then a restart: each server's alert arrives,
    under one alert_id; a repeat after the crash carries the same id."""
    logs, sink, state = tmp_path / "logs", tmp_path / "alerts.jsonl", tmp_path / "state.db"
    current = logs / "current"
    current.mkdir(parents=True)
    hosts = [f"198.18.0.{i}" for i in range(1, 13)]
    fps = [f"{i:064x}" for i in range(1, 13)]
    (current / "x509.log").write_text(render_tsv(
        X509_FIELDS, X509_TYPES, [x509_row(fp) for fp in fps], "x509", closed=None))
    ssl = current / "ssl.log"
    ssl.write_text(header("2026-11-18-09-00-00"))
    proc = start_watch(logs, state, sink, tmp_path / "err")
    try:
        began = time.monotonic()
        killed = False
        for i, (host, fp) in enumerate(zip(hosts, fps, strict=True)):
            with ssl.open("a") as fh:
                fh.write(rows(i, 2, host, fp, f"K{i}"))
            time.sleep(0.1)
            if not killed and time.monotonic() - began >= kill_after:
                proc.kill()  # SIGKILL: no clean-up, mid-pass or mid-delivery
                proc.wait()
                killed = True
                proc = start_watch(logs, state, sink, tmp_path / "err")
        assert killed
        wait_for_servers(sink, set(hosts), proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    got = alerts(sink)
    ids = {a["destination"]["ip"]: set() for a in got}
    for a in got:
        ids[a["destination"]["ip"]].add(a["zeekcert"]["alert_id"])
    assert set(ids) == set(hosts)
    assert all(len(v) == 1 for v in ids.values())  # a repeat is the same alert


def wait_for_servers(sink: Path, hosts: set[str], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while {a["destination"]["ip"] for a in alerts(sink)} != hosts:
        assert proc.poll() is None and time.monotonic() < deadline, alerts(sink)
        time.sleep(0.05)


def test_a_connection_waits_for_a_certificate_logged_after_it(tmp_path: Path) -> None:
    """The ssl rows come first, their x509 row a second later: the server's alert still
    says self-signed (judged without it, the certificate would be unknown)."""
    logs, sink, state = tmp_path / "logs", tmp_path / "alerts.jsonl", tmp_path / "state.db"
    current = logs / "current"
    current.mkdir(parents=True)
    (current / "x509.log").write_text(render_tsv(X509_FIELDS, X509_TYPES, [], "x509",
                                                 closed=None))
    (current / "ssl.log").write_text(header("2026-11-18-09-00-00") + rows(0, 3, EXT4, FP4, "H"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "zeekcert", "watch", str(logs), "--state", str(state),
         "--alert-to", f"jsonl:{sink}", "--interval", "100ms", "--hold", "1h", "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, cwd=ROOT)
    try:
        time.sleep(1.0)  # passes go by: the rows wait
        assert alerts(sink) == []
        with (current / "x509.log").open("a") as fh:
            fh.write(render_tsv(X509_FIELDS, X509_TYPES, [x509_row(FP4)], "x509",
                                closed=None).split("#types")[1].split("\n", 1)[1])
        got = wait_for(sink, 1, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert [(a["rule"]["name"], a["destination"]["ip"], a["zeekcert"]["connections"])
            for a in got] == [("new_self_signed_server", EXT4, 3)]


@settings(max_examples=12, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=4))
def test_a_growing_file_read_on_from_where_it_was_left_gives_the_same_state(
        steps: list[int]) -> None:
    """Rows appended between runs, each run reading on from the last one's resume point,
    give the state of one run over the finished file; each run parses only what is new."""
    import tempfile

    from zeekcert.inventory import Kept, State, run_nightly

    kept = Kept()  # the watch's records between passes: the same as loading them
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "a").mkdir()
        (root / "b").mkdir()
        x509 = render_tsv(X509_FIELDS, X509_TYPES, [x509_row(FP4)], "x509")
        total, written = sum(steps), 0
        now = datetime(2026, 11, 20, tzinfo=UTC)
        for step in steps:
            for folder in ("a",):
                (root / folder / "x509.log").write_text(x509)
                with (root / folder / "ssl.log").open("a") as fh:
                    fh.write((header("2026-11-18-09-00-00") if written == 0 else "")
                             + rows(written, step, EXT4, FP4, "G"))
            result = run_nightly(root / "a", root / "a.db", now)
            in_memory = run_nightly(root / "a", root / "m.db", now, kept=kept)
            pd.testing.assert_frame_equal(in_memory.inventory, result.inventory)
            ssl = next(r for r in result.report.files if r.kind == "ssl")
            assert ssl.rows == written + step  # the file's rows, as known
            written += step
        (root / "b" / "x509.log").write_text(x509)
        (root / "b" / "ssl.log").write_text((root / "a" / "ssl.log").read_text())
        run_nightly(root / "b", root / "b.db", now)
        with State.open(root / "a.db") as a, State.open(root / "m.db") as m:
            for table in ("servers", "pairs", "certificates"):
                assert a.records(table) == m.records(table)
        with State.open(root / "a.db") as a, State.open(root / "b.db") as b:
            per_run = {"window_connections", "status"}  # what the last run alone saw
            assert ({k: {f: v for f, v in r.items() if f not in per_run}
                     for k, r in a.records("servers").items()}
                    == {k: {f: v for f, v in r.items() if f not in per_run}
                        for k, r in b.records("servers").items()})
            assert a.records("pairs") == b.records("pairs")
            resume = a.db.execute("SELECT resume FROM files WHERE kind='ssl'").fetchone()[0]
        assert json.loads(resume)[1] == total


def test_a_resumed_read_yields_only_the_rows_after_its_point(tmp_path: Path) -> None:
    from zeekcert.reading import FileReport, Resume, concat_tables, read_blocks, resume_check

    path = tmp_path / "ssl.log"
    path.write_text(header("2026-11-18-09-00-00") + rows(0, 5, EXT4, FP4, "R"))
    first = FileReport(str(path))
    assert sum(t.num_rows for t in read_blocks(path, first)) == 5
    offset, rows_before, lines = first.resume_points[-1]
    assert (offset, rows_before) == (path.stat().st_size, 5)
    point = Resume(offset, rows_before, lines, resume_check(path, offset))
    with path.open("a") as fh:
        fh.write(rows(5, 3, EXT6, FP6, "R") + "1795000000.0\tCpartial")  # a half line
    again = FileReport(str(path))
    table = concat_tables(list(read_blocks(path, again, resume=point)))
    assert table.column("uid").to_pylist() == [f"CR{i:012d}" for i in range(5, 8)]
    assert again.rows == 8 and again.resume_points[-1][1] == 8
    whole = FileReport(str(path))
    assert sum(t.num_rows for t in read_blocks(path, whole)) == 8
    assert whole.resume_points[-1] == again.resume_points[-1]
    gz = tmp_path / "ssl.log.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    squeezed = FileReport(str(gz))  # a compressed file cannot seek: read whole
    assert sum(t.num_rows for t in read_blocks(gz, squeezed, resume=point)) == 8
    assert squeezed.resume_points == []
    other = tmp_path / "other.log"  # begins as the file did, then differs: read whole
    other.write_text(header("2026-11-18-09-00-00") + rows(0, 4, EXT4, FP4, "R")
                     + rows(4, 9, EXT6, FP6, "S"))
    elsewhere = FileReport(str(other))
    assert sum(t.num_rows for t in read_blocks(other, elsewhere, resume=point)) == 13
    assert elsewhere.resumed_at == 0 and again.resumed_at == 5


def test_a_restarted_zeek_or_a_file_cut_short_loses_and_repeats_nothing(tmp_path: Path) -> None:
    """Zeek restarts: current/ssl.log is a new file (a new #open, fewer rows) and counts
    as one. A file cut back to fewer rows gives nothing new and no error."""
    from zeekcert.inventory import run_nightly

    current = tmp_path / "logs" / "current"
    current.mkdir(parents=True)
    (current / "x509.log").write_text(render_tsv(X509_FIELDS, X509_TYPES, [x509_row(FP4)],
                                                 "x509"))
    ssl = current / "ssl.log"
    ssl.write_text(header("2026-11-18-09-00-00") + rows(0, 10, EXT4, FP4, "A"))
    now = datetime(2026, 11, 18, 12, tzinfo=UTC)
    state = tmp_path / "s.db"
    assert run_nightly(tmp_path / "logs", state, now).summary["rows"] == 11  # with x509's
    ssl.write_text(header("2026-11-18-10-30-00") + rows(20, 3, EXT4, FP4, "B"))
    second = run_nightly(tmp_path / "logs", state, now)
    assert second.summary["rows"] == 3
    assert second.inventory["total_connections"].tolist() == [13]
    cut = ssl.read_text().splitlines(keepends=True)
    ssl.write_text("".join(cut[:-2]))  # two rows gone
    third = run_nightly(tmp_path / "logs", state, now)
    assert third.summary["rows"] == 0 and third.report.problems == []
    assert third.inventory["total_connections"].tolist() == [13]


def test_a_json_log_resumes_too(tmp_path: Path) -> None:
    from zeekcert.reading import FileReport, Resume, concat_tables, read_blocks, resume_check

    path = tmp_path / "ssl.log"
    rows_ = [json.dumps({"ts": 1795000000.0 + i, "uid": f"C{i}", "id.orig_h": "10.0.0.1",
                         "id.orig_p": 1000 + i, "id.resp_h": "192.0.2.1", "id.resp_p": 443})
             + "\n" for i in range(8)]
    path.write_text("".join(rows_[:5]))
    first = FileReport(str(path))
    assert sum(t.num_rows for t in read_blocks(path, first)) == 5
    offset, before, lines = first.resume_points[-1]
    with path.open("a") as fh:
        fh.write("".join(rows_[5:]))
    again = FileReport(str(path))
    point = Resume(offset, before, lines, resume_check(path, offset))
    table = concat_tables(list(read_blocks(path, again, resume=point)))
    assert table.column("uid").to_pylist() == ["C5", "C6", "C7"]
    assert (again.resumed_at, again.rows, str(again.status)) == (5, 8, "ok")
