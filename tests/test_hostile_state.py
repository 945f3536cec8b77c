"""The nightly state damaged or unwritable: a clear StateError, exit 3, and no change to it.

Each damaged state is made from a real one, and the runs go through the real command
line; the read-only and full-disk cases run in a child process that has really lost the
power to write (root without CAP_DAC_OVERRIDE; a file-size limit), never a mock.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tinylogs import run_cli, write_tree

ROOT = Path(__file__).resolve().parent.parent
RECOVER = "restore it from a backup, or move it aside and rebuild it"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def good_state(tmp_path: Path) -> tuple[Path, Path]:
    """A tree and a state that one run over it made, checkpointed into one file."""
    tree = write_tree(tmp_path / "logs")
    state = tmp_path / "state.db"
    assert run_cli(["inventory", tree, "--state", state])[0] == 0
    with sqlite3.connect(state) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return tree, state


def _damage(state: Path, how: str) -> None:
    data = state.read_bytes()
    if how == "empty":
        state.write_bytes(b"")
    elif how == "header only":
        state.write_bytes(data[:100])
    elif how == "cut":
        state.write_bytes(data[:len(data) // 2 + 100])
    elif how == "garbage":
        state.write_bytes(data[:100] + bytes(range(256)) * (len(data) // 256))
    elif how == "text":
        state.write_text('{"servers": []}\n')


@pytest.mark.parametrize("how,message", [
    ("empty", "the state file is empty (0 bytes), so it is damaged: " + RECOVER),
    ("header only", "the state is damaged (database disk image is malformed): " + RECOVER),
    ("cut", "the state is damaged (database disk image is malformed): " + RECOVER),
    ("garbage", "the state is damaged (database disk image is malformed): " + RECOVER),
    ("text", "not a zeekcert state (not an SQLite database): " + RECOVER),
])
def test_a_damaged_state_is_reported_and_left_alone(good_state: tuple[Path, Path], how: str,
                                                   message: str) -> None:
    tree, state = good_state
    _damage(state, how)
    before = _digest(state)
    code, out, err = run_cli(["inventory", tree, "--state", state])
    assert (code, out) == (3, "")
    assert err.startswith(f"zeekcert: {state}: {message}")
    assert _digest(state) == before


def test_another_programs_database_is_not_taken_over(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "logs")
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE users (name TEXT)")
    before = _digest(other)
    code, _, err = run_cli(["inventory", tree, "--state", other])
    assert code == 3
    assert err == (f"zeekcert: {other}: an SQLite database, but not a zeekcert state: "
                   "left untouched\n")
    assert _digest(other) == before


def _child(argv: list[str], prelude: str, wrap: list[str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    code = (f"import sys; sys.path[:0] = [{str(ROOT)!r}]\n{prelude}\n"
            "from zeekcert.cli import main\nsys.exit(main(sys.argv[1:]))")
    return subprocess.run([*(wrap or []), sys.executable, "-c", code, *argv],
                          capture_output=True, text=True, timeout=120)


def _rows(state: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: sorted(db.execute(f"SELECT * FROM {n}").fetchall()) for n in names}


def test_a_read_only_state_is_reported_and_left_alone(good_state: tuple[Path, Path]) -> None:
    tree, state = good_state
    (tree / "x509.log").touch()  # a new file, so the run has something to write
    state.chmod(0o444)
    before = _rows(state)
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    proc = _child(["inventory", str(tree), "--state", str(state)], "", drop)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.startswith(f"zeekcert: {state}: the state cannot be written "
                                  "(attempt to write a readonly database)")
    assert _rows(state) == before


def test_a_full_disk_mid_run_changes_nothing(good_state: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    """The child may not write a file past 8 KiB: the run's changes cannot all be written."""
    tree, state = good_state
    more = write_tree(tmp_path / "more", connections=400)
    shutil.copy(more / "ssl.log", tree / "ssl.2026-11-19-00-00-00.log")
    before = _rows(state)
    limit = 8192
    prelude = ("import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
               f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))")
    proc = _child(["inventory", str(tree), "--state", str(state)], prelude)
    assert proc.returncode == 3, proc.stderr
    assert "nothing was changed" in proc.stderr
    assert proc.stderr.startswith(f"zeekcert: {state}: ")
    assert _rows(state) == before
    code, _, err = run_cli(["inventory", tree, "--state", state])
    assert code == 0, err  # and it recovers
    assert os.path.getsize(state) > 0


@pytest.mark.parametrize("table,record,named", [
    ("servers", "{not json", "servers"),
    ("servers", "[1, 2]", "servers"),
    ("servers", '{"first_seen": null}', "servers and pairs"),
    ("servers", None, "servers and pairs"),  # a real record with "clients" as a number
    ("pairs", '{"connections": 3, "times": 7}', "servers and pairs"),
    ("pairs", '{"connections": "many", "times": [1]}', "servers and pairs"),
    ("certificates", '"just text"', "certificates"),
])
def test_damaged_records_are_reported_and_left_alone(good_state: tuple[Path, Path],
                                                    table: str, record: str | None,
                                                    named: str) -> None:
    """A record edited by hand or by another program: exit 3, naming the table."""
    tree, state = good_state
    with sqlite3.connect(state) as db:
        if record is None:
            text = db.execute(f"SELECT record FROM {table} LIMIT 1").fetchone()[0]
            record = text.replace('"clients": {', '"clients": 5, "x": {', 1)
        assert db.execute(f"UPDATE {table} SET record=? WHERE rowid=(SELECT MIN(rowid) "
                          f"FROM {table})", (record,)).rowcount == 1
    with sqlite3.connect(state) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _digest(state)
    code, out, err = run_cli(["inventory", tree, "--state", state])
    assert (code, out) == (3, "")
    assert err.startswith(f"zeekcert: {state}: the state's {named} records are damaged (")
    assert RECOVER in err
    assert _digest(state) == before
