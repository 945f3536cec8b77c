"""The nightly job on a two-day zeekctl tree: incremental, idempotent, crash-safe, locked."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from zeekcert.cli import main
from zeekcert.inventory import State, run_nightly

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from make_ssl_log import generate  # noqa: E402 - the generator is a sibling script

NOW = datetime(2026, 11, 3, tzinfo=UTC)
EXPIRED_SELF_SIGNED = 6  # the generated tree's self-signed servers past their date
STABLE = ["resp_h", "resp_p", "causes", "total_connections", "clients", "first_seen",
          "last_seen", "server_names", "fingerprints", "fingerprint", "subject", "issuer",
          "not_valid_after"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days of hourly gzip archives; the last hour is still in current/, uncompressed."""
    root = tmp_path_factory.mktemp("logs")
    generate(root, 3000, seed=3, hours=48)
    current = root / "current"
    current.mkdir()
    for kind in ("ssl", "x509"):
        last = root / "2026-11-02" / f"{kind}.23:00:00-00:00:00.log.gz"
        (current / f"{kind}.log").write_bytes(gzip.decompress(last.read_bytes()))
        last.unlink()
    return root


def _day(tree: Path, target: Path, day: str) -> Path:
    """A copy of the tree holding only one day folder (and current/ on the second day)."""
    shutil.copytree(tree / day, target / day)
    if day == "2026-11-02":
        shutil.copytree(tree / "current", target / "current")
    return target


def _stable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[STABLE].sort_values(["resp_h", "resp_p"]).reset_index(drop=True)


def test_incremental_runs_equal_one_run(tree: Path, tmp_path: Path) -> None:
    one = run_nightly(tree, tmp_path / "one.db", NOW)
    state = tmp_path / "inc.db"
    run_nightly(_day(tree, tmp_path / "d1", "2026-11-01"), state, NOW)
    two = run_nightly(_day(tree, tmp_path / "d2", "2026-11-02"), state, NOW)
    assert len(one.inventory) > 20
    pd.testing.assert_frame_equal(_stable(one.inventory), _stable(two.inventory))


def test_a_json_copy_of_a_day_is_read_once(tree: Path, tmp_path: Path) -> None:
    """The same hours in TSV and in JSON (a JSON copy beside the archive) count once."""
    json_tree = tmp_path / "json-tree"
    generate(json_tree, 3000, seed=3, formats=("json",), hours=48)  # the tree's records
    both = tmp_path / "both"
    shutil.copytree(tree / "2026-11-01", both / "2026-11-01")
    shutil.copytree(json_tree / "2026-11-01", both / "json" / "2026-11-01")
    tsv_only = run_nightly(tree / "2026-11-01", tmp_path / "a.db", NOW)
    with_copy = run_nightly(both, tmp_path / "b.db", NOW)
    copies = len(list((both / "json").rglob("*.*")))
    assert copies >= 24
    assert [str(r.status) for r in with_copy.report.files].count("duplicate") == copies
    assert with_copy.summary["rows"] == tsv_only.summary["rows"] > 1000
    pd.testing.assert_frame_equal(_stable(tsv_only.inventory), _stable(with_copy.inventory))
    # The copy arriving a run after its original is still read once.
    state = tmp_path / "c.db"
    run_nightly(tree / "2026-11-01", state, NOW)
    later = run_nightly(both, state, NOW)
    assert later.summary["rows"] == 0
    assert [str(r.status) for r in later.report.files].count("duplicate") == copies
    pd.testing.assert_frame_equal(_stable(tsv_only.inventory), _stable(later.inventory))


def test_a_state_of_schema_1_is_migrated(tree: Path, tmp_path: Path) -> None:
    state = tmp_path / "old.db"
    run_nightly(tree / "2026-11-01", state, NOW)
    with sqlite3.connect(state) as db:
        db.execute("DROP TABLE records_seen")
        db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    again = run_nightly(tree / "2026-11-01", state, NOW)
    assert again.summary["rows"] == 0
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT value FROM meta").fetchall() == [("4",)]
        assert db.execute("SELECT COUNT(*) FROM records_seen").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM alerts").fetchone() == (0,)


def test_rerun_changes_nothing(tree: Path, tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    first = run_nightly(tree, state, NOW)
    again = run_nightly(tree, state, NOW)
    assert again.summary["rows"] == 0 and again.summary["files_read"] == 0
    # Only the run-relative columns move: nothing was seen in this run, so all are quiet.
    assert set(again.inventory["status"]) == {"quiet"} and again.inventory["connections"].eq(
        0).all()
    pd.testing.assert_frame_equal(first.inventory.drop(columns=["connections", "status"]),
                                  again.inventory.drop(columns=["connections", "status"]))


def test_current_moved_into_the_archive_is_not_counted_twice(tree: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    shutil.copytree(tree, logs)
    state = tmp_path / "s.db"
    before = run_nightly(logs, state, NOW)
    for kind in ("ssl", "x509"):  # what zeekctl does at rotation
        moved = logs / "2026-11-02" / f"{kind}.23:00:00-00:00:00.log.gz"
        moved.write_bytes(gzip.compress((logs / "current" / f"{kind}.log").read_bytes()))
        (logs / "current" / f"{kind}.log").unlink()
    after = run_nightly(logs, state, NOW)
    assert after.summary["rows"] == 0
    assert after.inventory["total_connections"].sum() == before.inventory[
        "total_connections"].sum()


def test_a_growing_current_file_gives_only_its_new_lines(tree: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    shutil.copytree(tree, logs)
    live = logs / "current" / "ssl.log"
    lines = live.read_bytes().split(b"\n")
    header = [line for line in lines if line.startswith(b"#") and not line.startswith(b"#close")]
    body = [line for line in lines if line and not line.startswith(b"#")]
    live.write_bytes(b"\n".join(header + body[:10]) + b"\n" + body[10][:20])  # a partial line
    state = tmp_path / "s.db"
    first = run_nightly(logs, state, NOW)
    live.write_bytes(b"\n".join(header + body) + b"\n")
    second = run_nightly(logs, state, NOW)
    whole = run_nightly(logs, tmp_path / "whole.db", NOW)
    assert second.summary["rows"] == len(body) - 10
    assert first.summary["rows"] > 0
    pd.testing.assert_frame_equal(_stable(second.inventory), _stable(whole.inventory))


@pytest.mark.parametrize("on_pool", [False, True])
def test_a_live_log_replaced_while_it_is_opened_is_read_on_the_next_pass(
        tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on_pool: bool) -> None:
    """Rotation between the look at current/ssl.log and the read of it: the rows read are
    the old file's, so they must not be counted as the new file's (a watch replaying the
    sample once counted hour 21's 153 rows as hour 22's). On a pool, the job looks and a
    worker opens."""
    import concurrent.futures as cf

    import zeekcert.inventory.mapped as mapped
    import zeekcert.inventory.nightly as nightly

    reading = mapped if on_pool else nightly

    logs, day = tmp_path / "logs", "2026-11-01"
    (logs / day).mkdir(parents=True)
    (logs / "current").mkdir()
    hours = [f"{h:02d}:00:00-{h + 1:02d}:00:00" for h in (0, 1)]
    for hour in hours:
        shutil.copy(tree / day / f"x509.{hour}.log.gz", logs / day)
    old, new = (gzip.decompress((tree / day / f"ssl.{h}.log.gz").read_bytes()) for h in hours)
    live = logs / "current" / "ssl.log"
    live.write_bytes(old)
    real = reading.read_blocks

    def rotated_once_opened(path: Path, report: object, **kw: object) -> object:
        blocks = real(path, report, **kw)  # type: ignore[arg-type]
        first = next(blocks, None)
        if path == live and not (logs / day / f"ssl.{hours[0]}.log.gz").exists():
            (logs / day / f"ssl.{hours[0]}.log.gz").write_bytes(gzip.compress(old))
            live.unlink()
            live.write_bytes(new)  # what zeekctl does at rotation
        if first is not None:
            yield first
            yield from blocks

    monkeypatch.setattr(reading, "read_blocks", rotated_once_opened)
    state = tmp_path / "s.db"
    with cf.ThreadPoolExecutor(2) as pool:
        first = run_nightly(logs, state, NOW, executor=pool if on_pool else None)
    monkeypatch.undo()
    second = run_nightly(logs, state, NOW)
    whole = run_nightly(logs, tmp_path / "whole.db", NOW)
    certificates = sum(r.rows for r in first.report.files if "x509" in r.path)
    assert (first.summary["rows"], second.summary["rows"]) == (certificates, 126)
    assert whole.summary["rows"] == certificates + 126  # the two hours' ssl rows
    skipped = next(f for f in first.report.files if f.path == str(live))
    assert (skipped.status, skipped.message) == (
        "unreadable", "replaced while it was opened: read on the next pass")
    pd.testing.assert_frame_equal(_stable(second.inventory), _stable(whole.inventory))


def test_certificates_logged_only_on_an_earlier_day_are_found(tree: Path,
                                                              tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    run_nightly(_day(tree, tmp_path / "d1", "2026-11-01"), state, NOW)
    day2 = _day(tree, tmp_path / "d2", "2026-11-02")
    for x509 in [*(day2 / "2026-11-02").glob("x509.*"), day2 / "current" / "x509.log"]:
        x509.unlink()
    with State.open(state) as kept:
        assert len(kept.records("certificates")) > 100
    result = run_nightly(day2, state, NOW)
    alone = run_nightly(day2, tmp_path / "alone.db", NOW)
    # Without day 1's x509.log no certificate is known; with the cache, all but those first
    # seen on day 2 are.
    assert alone.inventory["subject"].notna().sum() == 0
    day1_fps = _column_values(tree / "2026-11-01", "x509.*", 1)
    leaves: dict[tuple[str, int], set[str]] = {}
    for row in _rows(day2, "ssl.*"):
        if row[18] == "self signed certificate":
            leaves.setdefault((row[4], int(row[5])), set()).add(row[15].split(",")[0])
    inv = result.inventory.set_index(["resp_h", "resp_p"])
    for server, fps in leaves.items():  # a day-2 server is known iff day 1 logged its cert
        assert pd.notna(inv.loc[server, "subject"]) == bool(fps & day1_fps), server
    assert sum(bool(f & day1_fps) for f in leaves.values()) > 5


def test_second_run_while_one_holds_the_lock_exits_4(tree: Path, tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    err = io.StringIO()
    with State.open(state):
        code = main(["inventory", str(tree), "--state", str(state), "--format", "json"],
                    out=io.StringIO(), err=err)
    assert code == 4
    assert "another run holds the lock" in err.getvalue()


def test_cli_json_schema_and_fail_on_new(tree: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    code = main(["inventory", str(tree), "--state", str(tmp_path / "s.db"), "--format", "json",
                 "--fail-on", "new"], out=out, err=io.StringIO(), now=NOW)
    data = json.loads(out.getvalue())
    assert code == 1 and data["schema_version"] == 1
    server = data["servers"][0]
    for name in ("resp_h", "resp_p", "causes", "connections", "clients", "first_seen",
                 "last_seen", "server_names", "fingerprints", "subject", "issuer",
                 "not_valid_after", "acknowledged", "status"):
        assert name in server, name
    assert server["first_seen"].endswith("Z") and server["status"] == "new"
    again = main(["inventory", str(tree), "--state", str(tmp_path / "s.db"), "--format", "json",
                  "--fail-on", "new"], out=io.StringIO(), err=io.StringIO())
    assert again == 0  # a server is new in one run only


def _rows(folder: Path, pattern: str) -> list[list[str]]:
    """Data rows of the TSV logs under ``folder``, split by hand: an independent reader."""
    rows = []
    for path in sorted(folder.rglob(pattern)):
        data = path.read_bytes()
        text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        rows += [line.split("\t") for line in text.decode().splitlines()
                 if line and not line.startswith("#")]
    return rows


def _column_values(folder: Path, pattern: str, index: int) -> set[str]:
    return {row[index] for row in _rows(folder, pattern)}


def _dump(path: Path) -> dict[str, object]:
    """The state's content, minus the run times, for comparison."""
    db = sqlite3.connect(path)
    try:
        tables = {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall())
                  for t in ("meta", "files", "certificates", "servers", "pairs")}
        tables["runs"] = [json.loads(r[0]) for r in db.execute(
            "SELECT summary FROM runs ORDER BY id")]
        return tables
    finally:
        db.close()


@pytest.mark.slow
def test_killed_at_any_moment_the_state_is_before_or_after(tree: Path, tmp_path: Path) -> None:
    base = tmp_path / "base.db"
    run_nightly(_day(tree, tmp_path / "d1", "2026-11-01"), base, NOW)
    logs = tmp_path / "d1"
    _day(tree, tmp_path / "d1", "2026-11-02")
    before = _dump(base)
    finished = tmp_path / "finished.db"
    shutil.copy(base, finished)
    started = time.monotonic()
    _cli(logs, finished).wait()
    duration = time.monotonic() - started
    after = _dump(finished)
    assert before != after
    outcomes = []
    for step in range(8):
        victim = tmp_path / f"kill{step}.db"
        shutil.copy(base, victim)
        process = _cli(logs, victim)
        time.sleep(duration * (step + 0.5) / 8)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        state = _dump(victim)
        assert state in (before, after), f"killed at step {step}: state in between"
        outcomes.append(state == after)
    # The first kills, at 6 % and 19 % of a run, land before the commit at its end, however
    # busy the machine; where the later ones land depends on it.
    assert outcomes[:2] == [False, False]


def _cli(logs: Path, state: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "zeekcert", "inventory", str(logs), "--state", str(state),
         "--format", "json", "--output", os.devnull],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_first_run_over_an_old_archive_calls_long_gone_servers_gone(tree: Path,
                                                                      tmp_path: Path) -> None:
    """A rebuild a month later records every server, but none of them is news."""
    out = io.StringIO()
    code = main(["inventory", str(tree), "--state", str(tmp_path / "s.db"), "--format", "json",
                 "--fail-on", "new"], out=out, err=io.StringIO(),
                now=NOW + timedelta(days=30))
    statuses = {s["status"] for s in json.loads(out.getvalue())["servers"]}
    assert (code, statuses) == (0, {"gone"})


def test_files_read_in_many_small_blocks_give_the_same_inventory(
        tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 2 KiB, and ssl folded 40 rows at a time into an hour file's own records: the
    same inventory, and a growing file cut in the middle of a block gives its new rows."""
    from zeekcert.inventory import nightly as nightly_module
    from zeekcert.reading import lines as lines_module
    whole = run_nightly(tree, tmp_path / "whole.db", NOW)
    logs = tmp_path / "logs"
    shutil.copytree(tree, logs)
    live = logs / "current" / "ssl.log"
    text = live.read_bytes()
    assert len(text) > 6 * 2048  # several blocks even for the live file
    lines = text.split(b"\n")
    header = [line for line in lines if line.startswith(b"#") and not line.startswith(b"#close")]
    body = [line for line in lines if line and not line.startswith(b"#")]
    monkeypatch.setattr(lines_module, "BLOCK_BYTES", 2048)
    monkeypatch.setattr(nightly_module, "BATCH_ROWS", 40)
    live.write_bytes(b"\n".join(header + body[:23]) + b"\n")
    state = tmp_path / "s.db"
    first = run_nightly(logs, state, NOW)
    live.write_bytes(b"\n".join(header + body) + b"\n")
    second = run_nightly(logs, state, NOW)
    assert second.summary["rows"] == len(body) - 23
    assert first.summary["rows"] + second.summary["rows"] == whole.summary["rows"]
    pd.testing.assert_frame_equal(_stable(second.inventory), _stable(whole.inventory))
    in_blocks = run_nightly(tree, tmp_path / "blocks.db", NOW)
    pd.testing.assert_frame_equal(_stable(in_blocks.inventory), _stable(whole.inventory))


def test_each_cause_keeps_the_sources_that_raised_it_across_runs(tree: Path,
                                                                 tmp_path: Path) -> None:
    """The state keeps ``evidence`` per server: a day taken in on a later run keeps what
    the first day showed, and a record written before evidence was kept reads as none."""
    state = tmp_path / "state.db"
    run_nightly(_day(tree, tmp_path / "a", "2026-11-01"), state, NOW)
    both = run_nightly(tree, state, NOW).inventory
    one = run_nightly(tree, tmp_path / "one.db", NOW).inventory
    assert both["evidence"].tolist() == one["evidence"].tolist()
    assert all({e.partition(":")[0] for e in evidence} == set(causes)
               for evidence, causes in zip(both["evidence"], both["causes"], strict=True))
    assert all({"self_signed:policy", "self_signed:zeek_status"} <= set(e)
               for e in both["evidence"])
    assert sum("expired:policy" in e for e in both["evidence"]) == EXPIRED_SELF_SIGNED
    with State.open(state) as kept:
        records = kept.records("servers")
        for record in records.values():
            del record["evidence"]
        kept.save("servers", records)
    again = run_nightly(tree, state, NOW).inventory
    assert {tuple(e) for e in again["evidence"]} == {()}
