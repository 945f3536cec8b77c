"""Per-sensor states merged into one new state: exactly, in any order, with no cluster.

Each sensor runs the nightly job into a state of its own; ``merge_states`` reads them
and writes a new state that holds what one state would hold had one job read every
sensor's logs. Each source is copied into memory and brought to the current schema
there, so a source's bytes are never changed (SQLite may leave the empty ``-wal`` and
``-shm`` files of a read beside it). The new state holds:

- servers and pairs: the exact merge of the sources' records (``Accumulator.merge``),
  the known fingerprints included;
- each server's status, combined without regard to order: ``changed`` if any source
  says so; ``active`` if one saw it in its last run and another knew it before; ``new``
  if every source that has it first recorded it in its last run; ``quiet`` if some
  source knew it and none saw it; else ``gone``;
- the certificate cache: every certificate, its latest record winning;
- the ledger of files and of what their records are known by: the union;
- one line of history saying which states were merged.

The sources must hold different connections, one state per sensor as the job keeps them:
two that took in the same ssl file are refused, since its connections would count twice
(the same state given twice is the plainest case). The new state is written beside its path
and renamed into place; an existing file is replaced only when asked, and only if it is
a zeekcert state.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError, StateError
from ..formatting import iso
from .accumulate import Accumulator
from .columnar import KEY2
from .lifecycle import ServerStatus
from .records import Records, from_records, pair_records, server_records
from .state import State, refuse_foreign, state_error


@dataclass(frozen=True)
class Source:
    """One state's records, read into memory."""

    path: Path
    servers: Records
    pairs: Records
    certificates: Records
    files: list[tuple[Any, ...]]
    seen: list[tuple[Any, ...]]


def merge_states(paths: Sequence[str | Path], into: str | Path, now: datetime,
                 replace: bool = False) -> dict[str, Any]:
    """Merge the states at ``paths`` into a new state at ``into``; return its summary."""
    into = Path(into)
    _check_target(into, replace)
    sources = [read_source(Path(p)) for p in paths]
    _check_disjoint(sources)
    total = Accumulator()
    for source in sources:
        records = from_records(source.servers, source.pairs)
        total.merge(records)
        total.tables["known"].add(records.table("known"))  # merge leaves a run's own out
    _combine_statuses(total, sources)
    summary = {"merged": sorted(str(s.path) for s in sources),
               "servers": len(total.table("servers")), "pairs": len(total.table("pairs"))}
    _write(into, total, sources, now, summary)
    return summary


def read_source(path: Path) -> Source:
    """A state's records, read from a copy in memory brought to the current schema."""
    if not path.is_file():
        raise StateError("no such state file", path)
    memory = sqlite3.connect(":memory:", isolation_level=None)
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as disk:
            disk.backup(memory)
        refuse_foreign(memory, path)
        state = State(memory, path)
        memory.execute("BEGIN")
        state.migrate()  # in memory: the source itself is never changed
        return Source(path, state.records("servers"), state.records("pairs"),
                      state.records("certificates"),
                      memory.execute("SELECT id, kind, path, rows_done, last_run FROM files")
                      .fetchall(),
                      memory.execute("SELECT * FROM records_seen").fetchall())
    except sqlite3.Error as exc:
        raise state_error(exc, path) from exc
    finally:
        memory.close()


def _check_target(into: Path, replace: bool) -> None:
    if not into.exists():
        return
    if not replace:
        raise ConfigError("exists: merge writes a new state (give --replace to replace "
                          "a state)", into)
    try:  # StateError unless it is a zeekcert state: nothing else is replaced
        with contextlib.closing(sqlite3.connect(f"file:{into}?mode=ro", uri=True)) as db:
            refuse_foreign(db, into)
    except sqlite3.Error as exc:
        raise state_error(exc, into) from exc


def _check_disjoint(sources: list[Source]) -> None:
    """Refuse sources that took in the same ssl file: its connections would count twice.
    The same x509 or notice file in two is harmless: certificates are kept once."""
    owner: dict[str, Path] = {}
    for source in sources:
        ssl = {file_id for file_id, kind, *_ in source.files if kind == "ssl"}
        both = sorted(ssl & set(owner))
        if both:
            raise ConfigError(f"{owner[both[0]]} and {source.path} took in the same ssl "
                              f"file ({len(both)} in all): merging them would count its "
                              "connections twice (one state per sensor)", source.path)
        owner |= dict.fromkeys(ssl, source.path)


def _combine_statuses(total: Accumulator, sources: list[Source]) -> None:
    said: dict[tuple[str, int], set[str]] = {}
    for source in sources:
        for (host, port), record in source.servers.items():
            said.setdefault((host, int(port)), set()).add(str(record.get("status") or "new"))
    servers = total.table("servers")
    keys = list(zip(*(servers[k].tolist() for k in KEY2), strict=True))
    status = [combined(said.get(key, set())) for key in keys]
    total.put("servers", servers.assign(status=pd.Series(status, dtype=object)))


def combined(statuses: set[str]) -> str:
    """One server's status from what each source says of it, in no particular order."""
    seen = statuses & {ServerStatus.NEW, ServerStatus.CHANGED, ServerStatus.ACTIVE}
    known = statuses - {ServerStatus.NEW}
    if ServerStatus.CHANGED in statuses:
        return ServerStatus.CHANGED.value
    if seen and known:
        return ServerStatus.ACTIVE.value
    if seen:
        return ServerStatus.NEW.value
    if ServerStatus.QUIET in statuses:
        return ServerStatus.QUIET.value
    return ServerStatus.GONE.value


def _certificates(sources: list[Source]) -> Records:
    """Every certificate once: the record seen latest (then by its text, so any order of
    sources gives the same)."""
    best: Records = {}
    for source in sources:
        for key, record in source.certificates.items():
            old = best.get(key)
            if old is None or _rank(record) > _rank(old):
                best[key] = record
    return dict(sorted(best.items()))


def _rank(record: dict[str, Any]) -> tuple[str, str]:
    return str(record.get("seen") or ""), json.dumps(record, sort_keys=True, default=str)


def _write(into: Path, total: Accumulator, sources: list[Source], now: datetime,
           summary: dict[str, Any]) -> None:
    """Write the new state beside ``into``, then rename it into place."""
    fd, name = tempfile.mkstemp(dir=into.parent, prefix=f".{into.name}.", suffix=".merging")
    os.close(fd)
    temporary = Path(name)
    temporary.unlink()  # State.open starts a new state only where no file is
    try:
        with State.open(temporary) as state:
            run = state.next_run()
            state.save("servers", server_records(total))
            state.save("pairs", pair_records(total))
            state.save("certificates", _certificates(sources))
            files = sorted((r for s in sources for r in s.files), key=lambda r: tuple(map(str, r)))
            for file_id, kind, path, rows, _run in files:
                state.mark_file(file_id, kind, path, rows, run)
            seen = sorted((r for s in sources for r in s.seen), key=lambda r: tuple(map(str, r)))
            for identity, path in seen:
                state.remember(identity, path)
            state.add_run(iso(now) or "", iso(now) or "", summary)
        os.replace(temporary, into)
    finally:
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
            leftover.unlink(missing_ok=True)
