"""The nightly inventory job: take in what is new in a log tree, keep the inventory.

Read the state, then every log file whose rows are not all taken in yet: x509 first
(into the certificate cache), notices, then ssl, file by file in time order and a block
at a time, each classified against the cache and folded into the inventory records.
What a file gives is held (a big ssl file: folded into records of its own) until its end
shows it is not a copy. The certificates and notices are prepared once (``Known``), and
small ssl files are classified together, up to ``BATCH_ROWS`` rows, so a tree of many
small files does not pay per file. A file is known by its content (header and first
record), not its name, so ``current/ssl.log`` moved into the archive and compressed is
not counted twice, and a growing file gives only its new complete rows. Everything is
committed in one transaction at the end. Given an executor, the job reads its files on
the executor's workers (``mapped``) and decides here, in the same order, as it would.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..causes import Cause
from ..classification import (
    CERT_FIELDS,
    CertificateParts,
    Known,
    cert_table,
    notice_evidence,
)
from ..errors import ConfigError, ZeekLogError
from ..formatting import iso
from ..hunting import Catalogue, HuntPolicy, load_catalogue
from ..parquet_export import ConnectionExport
from ..policy import Policy
from ..reading import (
    FileReport,
    FileStatus,
    Found,
    LoadReport,
    PendingTables,
    Resume,
    Sensors,
    concat_tables,
    content_id,
    discover,
    find_overlap,
    identity_of,
    kind_from_name,
    mark_copy,
    note_link,
    read_blocks,
    resume_check,
    select_window,
    to_pandas,
)
from .accumulate import Accumulator
from .allowlist import Acknowledgement
from .batch import C2Marks
from .hunted import with_hunt
from .lifecycle import RETENTION, ServerStatus, prune, settle
from .mapped import read_on
from .records import from_records, pair_records, server_records
from .state import State, damaged_records
from .table import GONE_AFTER, to_frame
from .taking import (
    BATCH_ROWS,
    KINDS,
    Reader,
    Taken,
    by_kind,
    classified,
    fold_in,
    replaced,
)

Progress = Callable[[int, int, str], None]
Publish = Callable[["NightlyResult"], None]
Record = Callable[[State, "NightlyResult"], None]


@dataclass
class Kept:
    """A watch's records between its runs, so that a pass need not load every record from
    the state and rebuild them: used only when the state is the same file and its last run
    is the one that left them (no other run came between). A failed run leaves nothing."""

    acc: Accumulator | None = None
    certs: CertificateParts | None = None  # the certificate cache, as the state holds it
    run: int = 0
    inode: int = 0

    def take(self, state: State) -> tuple[Accumulator, CertificateParts] | None:
        """The records and certificates, if they are still the state's; they are this
        run's from now on."""
        acc, certs, self.acc, self.certs = self.acc, self.certs, None, None
        same = self.run == state.next_run() - 1 and self.inode == _inode(state.path)
        return (acc, certs) if acc is not None and certs is not None and same else None

    def keep(self, acc: Accumulator, certs: CertificateParts, run: int, path: Path) -> None:
        """Hold what a committed run left."""
        self.acc, self.certs, self.run, self.inode = acc, certs, run, _inode(path)


_COMPRESSED = {".gz", ".bz2", ".xz", ".zst", ".zstd", ".lz4"}


def _inode(path: Path) -> int:
    try:
        return path.stat().st_ino
    except OSError:
        return -1


@dataclass
class NightlyResult:
    """What one run produced: the inventory, the files it read, and a summary."""

    inventory: pd.DataFrame
    report: LoadReport
    summary: dict[str, Any] = field(default_factory=dict)


def run_nightly(logdir: str | Path | Sequence[str | Path], state_path: str | Path, now: datetime,
                allowlist: Sequence[Acknowledgement] = (), since: datetime | None = None,
                until: datetime | None = None, cause: str = Cause.SELF_SIGNED.value,
                gone_after: timedelta = GONE_AFTER, policy: Policy | None = None,
                progress: Progress | None = None, publish: Publish | None = None,
                retention: timedelta = RETENTION,
                executor: cf.Executor | None = None,
                export: ConnectionExport | None = None,
                sensors: Sensors | None = None,
                record: Record | None = None,
                hold: timedelta = timedelta(0),
                kept: Kept | None = None,
                catalogue: Catalogue | None = None,
                hunt_policy: HuntPolicy | None = None) -> NightlyResult:
    """Take in the new rows of ``logdir`` and update the inventory kept in ``state_path``.

    Servers and pairs last seen more than ``retention`` before ``now`` are pruned from
    the state (``gone`` servers stay listed until then); it cannot be shorter than
    ``gone_after``.

    ``publish``, when given, receives the result before the state is committed: if it
    fails, the state stays as it was, so the next run reports the same news again rather
    than never. ``record`` gets the open state with the result first: what it writes
    (the alerts the result raises) is committed with the run, or not at all. A missing
    ``logdir`` raises ZeekLogError and leaves no state behind.

    With an ``executor`` (any ``concurrent.futures.Executor``, Dask's
    ``Client.get_executor()`` included), files are read and classified on its workers
    and merged here in file order: the state and the inventory are identical to a run
    without one (see ``mapped``). Only this process opens the state.

    With an ``export``, every connection taken in is also written there, classified,
    once (a copy's rows are not).

    ``hold`` (the live watch's) keeps a connection whose certificate no x509 row holds
    yet, and every row after it in its file, for the next run, while it is younger than
    ``hold``: a live x509.log may be written after the ssl.log row that needs it. Past
    that, it is judged as it is. ``kept`` (the watch's too) carries the records from one
    run to the next in memory (see ``Kept``).

    With ``sensors``, ``logdir`` is their folders (one, or a list): each server keeps
    which sensors saw it, and a connection two sensors logged is taken in once, when
    both rows are taken in by the same run (``reading.overlap``).

    Each server is scored as a hunt lead (``hunted``) against ``catalogue`` (the shipped
    one by default) with ``hunt_policy``'s weights.
    """
    if retention < gone_after:
        raise ConfigError(f"the retention ({retention.days} days) is shorter than the "
                          f"gone-after period ({gone_after.days} days)")
    for folder in [logdir] if isinstance(logdir, (str, Path)) else logdir:
        if not Path(folder).exists() and not any(c in str(folder) for c in "*?["):
            raise ZeekLogError("no such file or directory", folder)
    found = discover(logdir, KINDS)
    paths = select_window(found.paths, since, until)
    with State.open(state_path) as state:
        job = Job(state, cause, policy or Policy(), now, progress, len(paths), export,
                  kept.take(state) if kept is not None else None)
        job.hold = hold
        catalogue = catalogue or load_catalogue()
        job.c2 = None if cause == "any" else C2Marks(catalogue)  # "any" keeps every failing one
        job.reports += found.problems
        if sensors is not None:
            job.match_sensors(sensors, paths, executor)
        if executor is None:
            job.read(paths, found)
        else:
            read_on(job, executor, paths, found)
        settle(job.acc, now, gone_after)
        job.summary["pruned"] = prune(job.acc, now, retention)
        job.save(started=now)
        state.forget_runs(iso(now - retention) or "")
        inventory = with_hunt(to_frame(job.acc, now, allowlist), job.certs.table(),
                              catalogue, hunt_policy, job.acc.table("clients"))
        result = NightlyResult(inventory, _load_report(job), job.summary)
        if record is not None:
            record(state, result)
        if publish is not None:
            publish(result)
    if kept is not None:  # committed: what the next run would load from the state
        kept.keep(job.acc, job.certs, job.run, Path(state_path))
    return result


class Job:
    """One run's working set: the records, the certificate cache and the file reports."""

    def __init__(self, state: State, cause: str, policy: Policy, now: datetime,
                 progress: Progress | None, total: int, export: ConnectionExport | None = None,
                 kept: tuple[Accumulator, CertificateParts] | None = None):
        self.state, self.policy, self.now, self.export = state, policy, now, export
        self.run = state.next_run()
        self.acc, self.certs = kept if kept is not None else (
            _kept_records(state, cause), _kept_certificates(state))
        self.certs_saved = kept is not None  # the state holds these: no need to write them
        self.acc.start_run()
        self.notices: list[pd.DataFrame] = []
        self.known: Known | None = None  # built at the first ssl batch, after x509 and notices
        self.pending = PendingTables(BATCH_ROWS)  # small files' ssl rows, classified together
        self.reports: list[FileReport] = []
        self.progress, self.total, self.done = progress, total, 0
        self.summary: dict[str, Any] = {"run": self.run, "files_read": 0, "rows": 0}
        self.sensors: Sensors | None = None  # the run's, once the overlap pass filled them
        self.hold = timedelta(0)
        self.c2: C2Marks | None = None  # its C2 matches are kept whatever the cause

    def read(self, paths: list[Path], found: Found) -> None:
        """x509 and notices first, then ssl: a connection needs its certificate.

        Each file is read a block at a time, so a day written as one file is held no
        more than a day of hourly files. Reading is mostly Arrow and ISA-L, which release
        the GIL: the next block is read in a helper thread while this one is folded in.
        """
        for path in by_kind(paths):
            self.file(path, found)
        self.classify_pending()

    def file(self, path: Path, found: Found) -> None:
        """Take in the rows of one file that earlier runs did not, unless it is a copy."""
        report = self.started(path, found)
        before, resume = self.resume_at(path)
        blocks = read_blocks(path, report, resume=resume)
        first = next(blocks, None)  # the file is opened here, between the two looks
        file_id = before if before is not None else self.identify(path, report)
        if first is None or file_id is None or replaced(report, before, path):
            return
        done = self.state.rows_done(file_id)
        staged = self.export and self.export.staged(f"file-{self.done:06d}")
        reader = Reader(self.acc.cause, functools.partial(self.classify, export=staged),
                        self.sensors, self.held_from if self.hold > timedelta(0) else None)
        taken = reader.blocks(itertools.chain([first], blocks), report.kind, done, path,
                              report.resumed_at)  # 0 unless the read could resume
        if self.settled(file_id, report, done, taken) is not None:
            self.commit(taken, staged)
            if staged:
                staged.commit()
        elif staged:
            staged.discard()

    def identify(self, path: Path, report: FileReport) -> str | None:
        """A readable file's identity by content; None for one that could not be read."""
        return _file_id(path, report)

    def resume_at(self, path: Path) -> tuple[str | None, Resume | None]:
        """A plain file's identity before it is opened, and where an earlier run left it,
        if one did: a live log is read on from there, not parsed again from its start. A
        compressed file cannot seek, so an archive is not even looked up: the nightly job
        over a tree pays nothing."""
        if path.suffix in _COMPRESSED:
            return None, None
        file_id = _file_id(path, FileReport(str(path)))
        point = self.state.resume_of(file_id) if file_id is not None else None
        if point is None or point[1] > self.state.rows_done(file_id or ""):
            return file_id, None
        return file_id, Resume(*point)

    def held_from(self, table: pa.Table) -> int | None:
        """The first row of an ssl block whose certificate is not known yet and which is
        younger than the hold; None when every row can be judged now."""
        names = [c for c in ("ts", "cert_chain_fps", "cert_chain_fuids")
                 if c in table.column_names]
        frame = to_pandas(table.select(names))
        lacking = self.prepared().lacks_certificate(frame)
        if "ts" in frame.columns:
            ts = pd.to_datetime(frame["ts"], utc=True)
            lacking &= (ts > pd.Timestamp(self.now) - self.hold).to_numpy(dtype=bool)
        rows = np.flatnonzero(lacking)
        if len(rows):
            self.summary["files_held"] = self.summary.get("files_held", 0) + 1
        return int(rows[0]) if len(rows) else None

    def match_sensors(self, sensors: Sensors, paths: list[Path],
                      executor: cf.Executor | None) -> None:
        """Find the ssl rows this run takes in that another sensor also logged."""
        ssl = [p for p in by_kind(paths) if kind_from_name(p) == "ssl"]
        done = []
        for path in ssl:
            file_id = _file_id(path, FileReport(str(path)))
            done.append(0 if file_id is None else self.state.rows_done(file_id))
        self.sensors = find_overlap(sensors, list(zip(ssl, done, strict=True)), executor=executor)
        self.summary |= {"sensors": self.sensors.names, "merged": self.sensors.merged}

    def started(self, path: Path, found: Found, report: FileReport | None = None
                ) -> FileReport:
        """Count a file as begun and list its report."""
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total, str(path))
        report = report or note_link(FileReport(str(path)), found)
        self.reports.append(report)
        return report

    def settled(self, file_id: str, report: FileReport, done: int, taken: Taken
                ) -> Taken | None:
        """Mark a file read; ``taken`` when its new rows are to be committed, else None
        (cut short, a copy, or nothing new)."""
        rows = taken.rows
        if report.status is FileStatus.UNREADABLE:  # cut short: taken in when it reads whole
            return None
        commit = None
        if rows > done and not taken.resumed and self._is_copy(report, rows, taken.ends):
            done = rows
        elif rows > done:
            commit = taken
            self.summary["files_read"] += 1
            self.summary["rows"] += rows - done
        upto = max(done, rows)
        points = [p for p in report.resume_points if p[1] <= upto]
        check = resume_check(report.path, points[-1][0]) if points else ""
        self.state.mark_file(file_id, report.kind, str(report.path), upto, self.run,
                             (*points[-1], check) if points and check else None)
        return commit

    def _is_copy(self, report: FileReport, rows: int, ends: list[pa.Table]) -> bool:
        """Whether this or an earlier run took in the same records from another file."""
        key = identity_of(report.kind, rows, concat_tables(ends))
        digest = hashlib.sha256(repr(key).encode()).hexdigest()
        original = self.state.copy_of(digest)
        if original is not None and original != report.path:
            mark_copy(report, rows, original)
            return True
        self.state.remember(digest, report.path)
        return False

    def commit(self, taken: Taken, export: ConnectionExport | None = None) -> None:
        """Fold a file that is not a copy into the run; rows classified now are exported
        to ``export`` (the file's own, committed by the caller), else to the run's."""
        if len(taken.certs):
            self.certs.add([taken.certs.table()])
            self.known, self.certs_saved = None, False
        if taken.notices:
            self.notices += taken.notices
            self.known = None
        fold_in(taken, self.acc, self.pending,
                functools.partial(self.classify, export=export or self.export))

    def classify_pending(self) -> None:
        """Classify the small files' ssl rows taken so far in one call, and fold them in."""
        if self.pending.tables:
            self.acc.add(self.classify(self.pending.take(), self.export))

    def classify(self, tables: list[pa.Table], export: ConnectionExport | None = None
                 ) -> pd.DataFrame:
        """ssl rows classified against the certificates and notices prepared once, and
        written to ``export`` if given."""
        return classified(tables, self.now, self.prepared(), export, self.c2)

    def prepared(self) -> Known:
        """The certificates and notices taken in so far, prepared once for every batch."""
        if self.known is None:
            notices = (pd.concat(self.notices, ignore_index=True) if self.notices
                       else notice_evidence(None))
            self.known = Known(self.policy, self.certs.table(), notices)
        return self.known

    def save(self, started: datetime) -> None:
        """Write records, cache and the run's history line (committed by the caller)."""
        self.state.save("servers", server_records(self.acc))
        self.state.save("pairs", pair_records(self.acc))
        if not self.certs_saved:
            self.state.save("certificates", _cache_records(self.certs.table()))
        statuses = self.acc.table("servers")["status"].tolist()
        self.summary |= {s.value: statuses.count(s.value) for s in ServerStatus}
        self.summary["unreadable"] = sum(r.status is FileStatus.UNREADABLE for r in self.reports)
        self.state.add_run(iso(started) or "", iso(pd.Timestamp.now(tz="UTC")) or "",
                           self.summary)


def _load_report(job: Job) -> LoadReport:
    """The files the run read, and what the overlap pass merged."""
    report = LoadReport(job.reports)
    return report if job.sensors is None else job.sensors.noted(report)


def _kept_records(state: State, cause: str) -> Accumulator:
    """The inventory the state keeps; StateError when its records are not what a run
    writes (edited by hand, or written by something else)."""
    servers, pairs = state.records("servers"), state.records("pairs")
    try:
        return from_records(servers, pairs, cause)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise damaged_records("servers and pairs", exc, state.path) from exc


def _kept_certificates(state: State) -> CertificateParts:
    """The certificate cache the state keeps; StateError when it is damaged."""
    try:
        return CertificateParts(_cache_frame(state.records("certificates")))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise damaged_records("certificates", exc, state.path) from exc


def _file_id(path: Path, report: FileReport) -> str | None:
    """A readable file's identity by content; None for one that could not be read."""
    if report.status in (FileStatus.UNREADABLE, FileStatus.NOT_REGULAR):
        return None
    try:
        return content_id(path)
    except ZeekLogError as exc:  # gone or changed between the two reads
        report.status, report.message = FileStatus.UNREADABLE, exc.message
        return None


def _cache_frame(records: dict[tuple[Any, ...], dict[str, Any]]) -> pd.DataFrame:
    """The certificate cache as a cert table (see ``certs.cert_table``)."""
    rows = [{"key": key[0], **record} for key, record in records.items()]
    frame = pd.DataFrame(rows, columns=["key", "seen", *CERT_FIELDS])
    return cert_table(pd.DataFrame(), frame)


def _cache_records(certs: pd.DataFrame) -> dict[tuple[Any, ...], dict[str, Any]]:
    table = pa.Table.from_pandas(certs.reset_index(), preserve_index=False)
    out = {}
    for row in table.to_pylist():
        key = row.pop("key")
        out[(key,)] = {k: (iso(v) if isinstance(v, datetime) else v) for k, v in row.items()}
    return out
