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
committed in one transaction at the end.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..causes import Cause
from ..classification import (
    CERT_FIELDS,
    CertificateParts,
    Known,
    cert_table,
    classify,
    notice_evidence,
)
from ..errors import ConfigError, ZeekLogError
from ..formatting import iso
from ..policy import Policy
from ..reading import (
    FileReport,
    FileStatus,
    Found,
    LoadReport,
    PendingTables,
    concat_tables,
    content_id,
    discover,
    identity_of,
    kind_from_name,
    mark_copy,
    note_link,
    read_blocks,
    select_window,
    to_pandas,
)
from .accumulate import Accumulator
from .allowlist import Acknowledgement
from .lifecycle import RETENTION, ServerStatus, prune, settle
from .records import from_records, pair_records, server_records
from .state import State, damaged_records
from .table import GONE_AFTER, to_frame

KINDS = ("x509", "notice", "ssl")
BATCH_ROWS = 100_000  # small ssl files are classified together up to this many rows
Progress = Callable[[int, int, str], None]
Publish = Callable[["NightlyResult"], None]


@dataclass
class NightlyResult:
    """What one run produced: the inventory, the files it read, and a summary."""

    inventory: pd.DataFrame
    report: LoadReport
    summary: dict[str, Any] = field(default_factory=dict)


def run_nightly(logdir: str | Path, state_path: str | Path, now: datetime,
                allowlist: Sequence[Acknowledgement] = (), since: datetime | None = None,
                until: datetime | None = None, cause: str = Cause.SELF_SIGNED.value,
                gone_after: timedelta = GONE_AFTER, policy: Policy | None = None,
                progress: Progress | None = None, publish: Publish | None = None,
                retention: timedelta = RETENTION) -> NightlyResult:
    """Take in the new rows of ``logdir`` and update the inventory kept in ``state_path``.

    Servers and pairs last seen more than ``retention`` before ``now`` are pruned from
    the state (``gone`` servers stay listed until then); it cannot be shorter than
    ``gone_after``.

    ``publish``, when given, receives the result before the state is committed: if it
    fails, the state stays as it was, so the next run reports the same news again rather
    than never. A missing ``logdir`` raises ZeekLogError and leaves no state behind.
    """
    if retention < gone_after:
        raise ConfigError(f"the retention ({retention.days} days) is shorter than the "
                          f"gone-after period ({gone_after.days} days)")
    if not Path(logdir).exists() and not any(c in str(logdir) for c in "*?["):
        raise ZeekLogError("no such file or directory", logdir)
    found = discover(logdir, KINDS)
    paths = select_window(found.paths, since, until)
    with State.open(state_path) as state:
        job = _Job(state, cause, policy or Policy(), now, progress, len(paths))
        job.reports += found.problems
        job.read(paths, found)
        settle(job.acc, now, gone_after)
        job.summary["pruned"] = prune(job.acc, now, retention)
        job.save(started=now)
        result = NightlyResult(to_frame(job.acc, now, allowlist), LoadReport(job.reports),
                               job.summary)
        if publish is not None:
            publish(result)
    return result


class _Job:
    """One run's working set: the records, the certificate cache and the file reports."""

    def __init__(self, state: State, cause: str, policy: Policy, now: datetime,
                 progress: Progress | None, total: int):
        self.state, self.policy, self.now = state, policy, now
        self.run = state.next_run()
        self.acc = _kept_records(state, cause)
        self.acc.start_run()
        try:
            self.certs = CertificateParts(_cache_frame(state.records("certificates")))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise damaged_records("certificates", exc, state.path) from exc
        self.notices: list[pd.DataFrame] = []
        self.known: Known | None = None  # built at the first ssl batch, after x509 and notices
        self.pending = PendingTables(BATCH_ROWS)  # small files' ssl rows, classified together
        self.reports: list[FileReport] = []
        self.progress, self.total, self.done = progress, total, 0
        self.summary: dict[str, Any] = {"run": self.run, "files_read": 0, "rows": 0}

    def read(self, paths: list[Path], found: Found) -> None:
        """x509 and notices first, then ssl: a connection needs its certificate.

        Each file is read a block at a time, so a day written as one file is held no
        more than a day of hourly files. Reading is mostly Arrow and ISA-L, which release
        the GIL: the next block is read in a helper thread while this one is folded in.
        """
        rank = {k: i for i, k in enumerate(KINDS)}
        ordered = sorted(paths, key=lambda p: rank.get(kind_from_name(p) or "", len(KINDS)))
        for path in ordered:  # a stable sort keeps each kind in time order
            self._file(path, found)
        self._classify_pending()

    def _file(self, path: Path, found: Found) -> None:
        """Take in the rows of one file that earlier runs did not, unless it is a copy."""
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total, str(path))
        report = note_link(FileReport(str(path)), found)
        self.reports.append(report)
        blocks = read_blocks(path, report)
        first = next(blocks, None)
        file_id = _file_id(path, report)
        if first is None or file_id is None:
            return
        done = self.state.rows_done(file_id)
        taken = self._blocks(itertools.chain([first], blocks), report.kind, done)
        rows = taken.rows
        if report.status is FileStatus.UNREADABLE:  # cut short: taken in when it reads whole
            return
        if rows > done and self._is_copy(report, rows, taken.ends):
            done = rows
        elif rows > done:
            self._commit(taken)
            self.summary["files_read"] += 1
            self.summary["rows"] += rows - done
        self.state.mark_file(file_id, report.kind, str(path), max(done, rows), self.run)

    def _blocks(self, tables: Iterator[pa.Table], kind: str | None, done: int) -> _Taken:
        """Take in a file's blocks past its first ``done`` rows, noting its ends."""
        taken = _Taken(kind)
        for table in tables:
            if table.num_rows:
                first = taken.ends[0] if taken.ends else table.slice(0, 1)
                taken.ends = [first, table.slice(table.num_rows - 1)]
            if taken.rows + table.num_rows > done:
                self._take(taken, table.slice(max(0, done - taken.rows)))
            taken.rows += table.num_rows
        return taken

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

    def _take(self, taken: _Taken, table: pa.Table) -> None:
        """Hold a block of a file until the file is known not to be a copy; a big ssl
        file is classified as it goes, into records of its own."""
        if taken.kind == "x509":
            taken.certs.add([cert_table(to_pandas(table))])
        elif taken.kind == "notice":
            taken.notices.append(notice_evidence(to_pandas(table)))
        elif taken.kind == "ssl" and taken.ssl.add([table]):  # a batch's worth: classify it
            taken.own = taken.own or Accumulator(cause=self.acc.cause)
            taken.own.add(self._classified(taken.ssl.take()))

    def _commit(self, taken: _Taken) -> None:
        """Fold a file that is not a copy into the run."""
        if len(taken.certs):
            self.certs.add([taken.certs.table()])
            self.known = None
        if taken.notices:
            self.notices += taken.notices
            self.known = None
        if taken.own is not None:
            if taken.ssl.tables:
                taken.own.add(self._classified(taken.ssl.take()))
            self.acc.merge(taken.own)
            return
        if self.pending.add(taken.ssl.take()):
            self._classify_pending()

    def _classify_pending(self) -> None:
        """Classify the small files' ssl rows taken so far in one call, and fold them in."""
        if self.pending.tables:
            self.acc.add(self._classified(self.pending.take()))

    def _classified(self, tables: list[pa.Table]) -> pd.DataFrame:
        """ssl rows classified against the certificates and notices prepared once."""
        if self.known is None:
            notices = (pd.concat(self.notices, ignore_index=True) if self.notices
                       else notice_evidence(None))
            self.known = Known(self.policy, self.certs.table(), notices)
        return classify({"ssl": to_pandas(concat_tables(tables))}, now=self.now,
                        known=self.known)

    def save(self, started: datetime) -> None:
        """Write records, cache and the run's history line (committed by the caller)."""
        self.state.save("servers", server_records(self.acc))
        self.state.save("pairs", pair_records(self.acc))
        self.state.save("certificates", _cache_records(self.certs.table()))
        statuses = self.acc.table("servers")["status"].tolist()
        self.summary |= {s.value: statuses.count(s.value) for s in ServerStatus}
        self.summary["unreadable"] = sum(r.status is FileStatus.UNREADABLE for r in self.reports)
        self.state.add_run(iso(started) or "", iso(pd.Timestamp.now(tz="UTC")) or "",
                           self.summary)


@dataclass
class _Taken:
    """What one file gave, held until it is known not to be a copy."""

    kind: str | None
    rows: int = 0  # read, whether taken in or done by an earlier run
    ends: list[pa.Table] = field(default_factory=list)  # its first and last rows
    certs: CertificateParts = field(default_factory=CertificateParts)  # distinct as it goes
    notices: list[pd.DataFrame] = field(default_factory=list)  # their evidence rows
    ssl: PendingTables = field(default_factory=lambda: PendingTables(BATCH_ROWS))
    own: Accumulator | None = None


def _kept_records(state: State, cause: str) -> Accumulator:
    """The inventory the state keeps; StateError when its records are not what a run
    writes (edited by hand, or written by something else)."""
    servers, pairs = state.records("servers"), state.records("pairs")
    try:
        return from_records(servers, pairs, cause)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise damaged_records("servers and pairs", exc, state.path) from exc


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
