"""The nightly job's state: one SQLite database in WAL mode, changed in one transaction.

Tables: ``meta`` (schema version), ``files`` (the ledger: each log file by content, and
how many of its rows are done), ``records_seen`` (what each file's records are known by,
so that a copy in another place or format is read once), ``certificates`` (fingerprint →
fields, so a connection today finds the certificate x509.log logged yesterday),
``servers`` (the inventory, one JSON record per server), ``pairs`` (client–server timing
for regularity), ``runs`` (what each run found), and ``alerts`` and ``deliveries`` (what
was raised, and where it was delivered). A run holds the write lock from start
to commit: a second run fails at once, and a run killed at any moment leaves the state
exactly as before it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import StateError, StateLocked
from .columnar import MAX_TIMES

SCHEMA_VERSION = 4
_RECORDS_SEEN = ("CREATE TABLE IF NOT EXISTS records_seen (identity TEXT PRIMARY KEY,"
                 " path TEXT NOT NULL)")
# Alerts (``zeekcert.alerting``): each raised once, kept before any sink is tried, and
# per sink whether it was delivered, so a sink that failed is tried again next run.
_ALERTS = [
    "CREATE TABLE IF NOT EXISTS alerts (alert_id TEXT PRIMARY KEY, reason TEXT NOT NULL,"
    " resp_h TEXT, resp_p INTEGER, raised TEXT NOT NULL, shown INTEGER NOT NULL,"
    " document TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS alerts_by_server ON alerts (resp_h, resp_p, reason)",
    "CREATE TABLE IF NOT EXISTS deliveries (alert_id TEXT NOT NULL, sink TEXT NOT NULL,"
    " delivered TEXT, PRIMARY KEY (alert_id, sink))",
]
_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS files (id TEXT PRIMARY KEY, kind TEXT, path TEXT,"
    " rows_done INTEGER NOT NULL, last_run INTEGER NOT NULL, resume TEXT)",
    "CREATE TABLE IF NOT EXISTS certificates (key TEXT PRIMARY KEY, record TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS servers (resp_h TEXT NOT NULL, resp_p INTEGER NOT NULL,"
    " record TEXT NOT NULL, PRIMARY KEY (resp_h, resp_p))",
    "CREATE TABLE IF NOT EXISTS pairs (orig_h TEXT NOT NULL, resp_h TEXT NOT NULL,"
    " resp_p INTEGER NOT NULL, record TEXT NOT NULL, PRIMARY KEY (orig_h, resp_h, resp_p))",
    "CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL,"
    " finished TEXT NOT NULL, summary TEXT NOT NULL)",
    _RECORDS_SEEN,
    *_ALERTS,
]
# Migrations from version N to N+1, applied in order inside the run's transaction.
# 1 -> 2: ``records_seen``, what each file's records are known by (see ``copies``), so a
# copy that arrives in a later run than its original is still read once.
# 2 -> 3: a pair keeps its latest connection times, not intervals and a last time, so
# runs merge in any order (see ``accumulate``); the times are rebuilt from the intervals.
# 3 -> 4: ``alerts`` and ``deliveries``; a file's ``resume``, where a plain file's next
# read can start (see ``reading.file.Resume``).
_MIGRATIONS: dict[int, list[str]] = {1: [_RECORDS_SEEN], 3: _ALERTS}


def _pairs_keep_times(db: sqlite3.Connection) -> None:
    """Schema 2 pairs ``{connections, intervals, last_us}`` become ``{connections, times}``."""
    rows = db.execute("SELECT orig_h, resp_h, resp_p, record FROM pairs").fetchall()
    for orig_h, resp_h, resp_p, text in rows:
        old = json.loads(text)
        if "times" in old:
            continue
        times = [int(old["last_us"])] if old.get("last_us") is not None else []
        for step in reversed(old.get("intervals", [])):
            times.append(times[-1] - round(step * 1e6))
        record = {"connections": old.get("connections", len(times)),
                  "times": times[::-1][-MAX_TIMES:]}
        db.execute("UPDATE pairs SET record=? WHERE orig_h=? AND resp_h=? AND resp_p=?",
                   (json.dumps(record), orig_h, resp_h, resp_p))


def _files_resume(db: sqlite3.Connection) -> None:
    """Schema 3's ledger gains ``resume`` (a state made new has it already)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(files)")}
    if "resume" not in columns:
        db.execute("ALTER TABLE files ADD COLUMN resume TEXT")


_PYTHON_MIGRATIONS = {2: _pairs_keep_times, 3: _files_resume}


class State:
    """An open state database; use ``with State.open(path) as state:`` for one run."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self.db = connection
        self.path = path

    @classmethod
    @contextmanager
    def open(cls, path: str | Path) -> Iterator[State]:
        """Open (creating if needed), take the write lock, and commit only on success.

        Any SQLite failure, at the start, during the run or at the commit, raises
        StateError and leaves the database as it was before the run.
        """
        path = Path(path)
        db = _connect(path)
        state = cls(db, path)
        try:
            state.migrate()
            yield state
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(db)
            raise state_error(exc, path) from exc
        except BaseException:
            _rollback(db)
            raise
        finally:
            db.close()

    def migrate(self) -> None:
        """Create what is missing and bring the schema to this version's."""
        for statement in _SCHEMA:
            self.db.execute(statement)
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        version = int(row[0]) if row else SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise StateError(f"state schema {version} is newer than this zeekcert "
                             f"({SCHEMA_VERSION}): upgrade zeekcert", self.path)
        for step in range(version, SCHEMA_VERSION):
            for statement in _MIGRATIONS.get(step, []):
                self.db.execute(statement)
            if step in _PYTHON_MIGRATIONS:
                _PYTHON_MIGRATIONS[step](self.db)
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                        (str(SCHEMA_VERSION),))

    # The ledger of files.
    def rows_done(self, file_id: str) -> int:
        """How many rows of this file earlier runs took in (0 for a new file)."""
        row = self.db.execute("SELECT rows_done FROM files WHERE id=?", (file_id,)).fetchone()
        return int(row[0]) if row else 0

    def mark_file(self, file_id: str, kind: str | None, path: str, rows: int, run: int,
                  resume: tuple[int, int, int, str] | None = None) -> None:
        """Record that the first ``rows`` rows of this file are done, and where a next read
        of it may start (offset, rows and lines before it), if it can."""
        self.db.execute("INSERT OR REPLACE INTO files (id, kind, path, rows_done, last_run,"
                        " resume) VALUES (?, ?, ?, ?, ?, ?)",
                        (file_id, kind, path, rows, run,
                         None if resume is None else json.dumps(list(resume))))

    def resume_of(self, file_id: str) -> tuple[int, int, int, str] | None:
        """Where the next read of this file may start (offset, rows, lines, check), if a
        run said; None otherwise."""
        row = self.db.execute("SELECT resume FROM files WHERE id=?", (file_id,)).fetchone()
        try:
            offset, rows, lines, check = json.loads(row[0]) if row and row[0] else (None,) * 4
        except (TypeError, ValueError):  # not what a run wrote: read the file whole
            return None
        if not (all(isinstance(v, int) and v >= 0 for v in (offset, rows, lines))
                and isinstance(check, str)):
            return None
        return int(offset), int(rows), int(lines), check  # type: ignore[arg-type]

    def copy_of(self, identity: str) -> str | None:
        """The path of an earlier file with these records, if a run took one in."""
        row = self.db.execute("SELECT path FROM records_seen WHERE identity=?",
                              (identity,)).fetchone()
        return str(row[0]) if row else None

    def remember(self, identity: str, path: str) -> None:
        """Record that the file at ``path`` with these records was taken in."""
        self.db.execute("INSERT OR IGNORE INTO records_seen VALUES (?, ?)", (identity, path))

    # Records: certificates, servers and pairs, stored as JSON.
    def records(self, table: str) -> dict[tuple[Any, ...], dict[str, Any]]:
        """Every record of ``certificates``, ``servers`` or ``pairs``, by key; StateError
        for one that is not a JSON object."""
        keys = {"certificates": 1, "servers": 2, "pairs": 3}[table]
        rows = self.db.execute(f"SELECT * FROM {table}").fetchall()
        try:
            found = {tuple(r[:keys]): json.loads(r[keys]) for r in rows}
        except (TypeError, ValueError) as exc:
            raise damaged_records(table, exc, self.path) from exc
        if not all(isinstance(r, dict) for r in found.values()):
            raise damaged_records(table, TypeError("a record is not a JSON object"), self.path)
        return found

    def save(self, table: str, records: dict[tuple[Any, ...], dict[str, Any]]) -> None:
        """Replace the records of ``table`` with ``records``."""
        self.db.execute(f"DELETE FROM {table}")
        width = {"certificates": 1, "servers": 2, "pairs": 3}[table] + 1
        marks = ", ".join("?" * width)
        self.db.executemany(f"INSERT INTO {table} VALUES ({marks})",
                            [(*key, json.dumps(rec, default=str)) for key, rec in
                             records.items()])

    def add_run(self, started: str, finished: str, summary: dict[str, Any]) -> int:
        """Append a run to the history and return its number."""
        cursor = self.db.execute("INSERT INTO runs (started, finished, summary) VALUES (?, ?, ?)",
                                 (started, finished, json.dumps(summary, default=str)))
        return int(cursor.lastrowid or 0)

    def forget_runs(self, before: str) -> None:
        """Drop the history of runs that started before ``before`` (ISO 8601 UTC): a watch
        runs a pass every few seconds, and its history must not grow without end."""
        self.db.execute("DELETE FROM runs WHERE started < ? AND id < (SELECT MAX(id) FROM runs)",
                        (before,))

    def next_run(self) -> int:
        """The number the current run will get."""
        row = self.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM runs").fetchone()
        return int(row[0])


def _connect(path: Path) -> sqlite3.Connection:
    """A connection holding the write lock; StateLocked if another run holds it.

    A file of zero bytes is not taken as a new state (SQLite would): a state cut to
    nothing would make every server ``new`` again. Only a path that does not exist yet
    starts a new state.
    """
    if not path.parent.is_dir():
        raise StateError(f"cannot open state: the folder {path.parent} does not exist", path)
    if path.is_file() and path.stat().st_size == 0:
        raise StateError("the state file is empty (0 bytes), so it is damaged: "
                         + _RECOVER, path)
    db = None
    try:
        db = sqlite3.connect(path, timeout=0, isolation_level=None)
        refuse_foreign(db, path)  # before WAL mode is set, which writes to the file
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        if db is not None:
            db.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise StateLocked("another run holds the lock on this state", path) from exc
        raise state_error(exc, path) from exc
    return db


def refuse_foreign(db: sqlite3.Connection, path: Path) -> None:
    """Another program's database is never turned into a state: it would be changed."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if tables and "meta" not in tables:
        db.close()
        raise StateError("an SQLite database, but not a zeekcert state: left untouched", path)


_RECOVER = ("restore it from a backup, or move it aside and rebuild it with one run over "
            "the whole log tree (README, 'The state')")
_DIAGNOSES = (
    ("not a database", "not a zeekcert state (not an SQLite database): " + _RECOVER),
    ("malformed", "the state is damaged ({error}): " + _RECOVER),
    ("readonly", "the state cannot be written ({error}): check its permissions and its "
                 "folder's; nothing was changed"),
    ("disk is full", "the disk is full ({error}): nothing was changed; free space and run "
                     "again"),
    ("disk i/o error", "the disk failed ({error}): nothing was changed"),
    ("unable to open", "cannot open state ({error})"),
)


def damaged_records(table: str, exc: Exception, path: Path) -> StateError:
    """The StateError for records of ``table`` that cannot be what a run wrote."""
    detail = f"{type(exc).__name__}: {str(exc)[:80]}"
    return StateError(f"the state's {table} records are damaged ({detail}): " + _RECOVER, path)


def state_error(exc: sqlite3.Error, path: Path) -> StateError:
    """A StateError saying what is wrong with the state and how to recover."""
    text = str(exc)
    for needle, message in _DIAGNOSES:
        if needle in text.lower():
            return StateError(message.format(error=text), path)
    return StateError(f"state: {text}; nothing was changed", path)


def _rollback(db: sqlite3.Connection) -> None:
    """Roll back if a transaction is open; a failed rollback leaves SQLite to recover."""
    if db.in_transaction:
        # If even this fails, the journal still holds the old state: the next open restores it.
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
