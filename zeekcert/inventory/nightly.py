"""The nightly inventory job: take in what is new in a log tree, keep the inventory.

Read the state, then every log file whose rows are not all taken in yet: x509 first
(into the certificate cache), notices, then ssl, file by file in time order, each
classified against the cache and folded into the inventory records. The certificates
and notices are prepared once (``Known``), and small ssl files are classified together,
up to ``BATCH_ROWS`` rows, so a tree of many small files does not pay per file. A file is
known by
its content (header and first record), not its name, so ``current/ssl.log`` moved into
the archive and compressed is not counted twice, and a growing file gives only its new
complete rows. Everything is committed in one transaction at the end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ..causes import Cause
from ..classification import CERT_FIELDS, Known, cert_table, classify, know
from ..errors import ConfigError, ZeekLogError
from ..formatting import iso
from ..policy import Policy
from ..reading import (
    FileReport,
    FileStatus,
    Found,
    LoadReport,
    concat_tables,
    content_id,
    discover,
    identity,
    kind_from_name,
    mark_copy,
    note_link,
    read_table,
    select_window,
    to_pandas,
)
from .allowlist import Acknowledgement
from .lifecycle import RETENTION, ServerStatus, prune, settle
from .records import from_records, pair_records, server_records
from .state import State
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
        self.acc = from_records(state.records("servers"), state.records("pairs"), cause)
        self.acc.start_run()
        self.certs = _cache_frame(state.records("certificates"))
        self.notices: list[pd.DataFrame] = []
        self.known: Known | None = None  # built at the first ssl batch, after x509 and notices
        self.pending: list[pa.Table] = []
        self.reports: list[FileReport] = []
        self.progress, self.total, self.done = progress, total, 0
        self.summary: dict[str, Any] = {"run": self.run, "files_read": 0, "rows": 0}

    def read(self, paths: list[Path], found: Found) -> None:
        """x509 and notices first, then ssl: a connection needs its certificate.

        The next file is read in a helper thread while this one is classified and
        folded in: reading is mostly Arrow and ISA-L, which release the GIL.
        """
        rank = {k: i for i, k in enumerate(KINDS)}
        ordered = sorted(paths, key=lambda p: rank.get(kind_from_name(p) or "", len(KINDS)))
        with ThreadPoolExecutor(1, thread_name_prefix="zeekcert-next") as pool:
            ahead = [pool.submit(_load, p, found) for p in ordered[:1]]
            for i, path in enumerate(ordered):  # a stable sort keeps each kind in time order
                loaded = ahead.pop().result()
                ahead += [pool.submit(_load, p, found) for p in ordered[i + 1:i + 2]]
                self._file(path, *loaded)
        self._classify_pending()

    def _file(self, path: Path, file_id: str | None, table: pa.Table, report: FileReport,
              ) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total, str(path))
        self.reports.append(report)
        if file_id is None:
            return
        done = self.state.rows_done(file_id)
        if table.num_rows > done and self._is_copy(table, report):
            done = table.num_rows
        if table.num_rows > done:
            self._take(report.kind, table.slice(done))
            self.summary["files_read"] += 1
            self.summary["rows"] += table.num_rows - done
        self.state.mark_file(file_id, report.kind, str(path), max(done, table.num_rows),
                             self.run)

    def _is_copy(self, table: pa.Table, report: FileReport) -> bool:
        """Whether this or an earlier run took in the same records from another file."""
        key = identity(report.kind, table)
        if key is None:
            return False
        digest = hashlib.sha256(repr(key).encode()).hexdigest()
        original = self.state.copy_of(digest)
        if original is not None and original != report.path:
            mark_copy(report, table.num_rows, original)
            return True
        self.state.remember(digest, report.path)
        return False

    def _take(self, kind: str | None, table: pa.Table) -> None:
        if kind == "x509":
            self.certs = cert_table(to_pandas(table), self.certs)
            self.known = None
        elif kind == "notice":
            self.notices.append(to_pandas(table))
            self.known = None
        elif kind == "ssl":
            self.pending.append(table)
            if sum(t.num_rows for t in self.pending) >= BATCH_ROWS:
                self._classify_pending()

    def _classify_pending(self) -> None:
        """Classify the ssl rows taken so far in one call, and fold them in."""
        if not self.pending:
            return
        if self.known is None:
            notices = pd.concat(self.notices) if self.notices else None
            self.known = know(None, notices, self.certs, self.policy)
        frame = to_pandas(concat_tables(self.pending))
        self.pending = []
        self.acc.add(classify({"ssl": frame}, now=self.now, known=self.known))

    def save(self, started: datetime) -> None:
        """Write records, cache and the run's history line (committed by the caller)."""
        self.state.save("servers", server_records(self.acc))
        self.state.save("pairs", pair_records(self.acc))
        self.state.save("certificates", _cache_records(self.certs))
        statuses = self.acc.table("servers")["status"].tolist()
        self.summary |= {s.value: statuses.count(s.value) for s in ServerStatus}
        self.summary["unreadable"] = sum(r.status is FileStatus.UNREADABLE for r in self.reports)
        self.state.add_run(iso(started) or "", iso(pd.Timestamp.now(tz="UTC")) or "",
                           self.summary)


def _load(path: Path, found: Found) -> tuple[str | None, pa.Table, FileReport]:
    """A file's identity, rows and report; a file that could not be read has no identity."""
    table, report = read_table(path)
    note_link(report, found)
    if report.status in (FileStatus.UNREADABLE, FileStatus.NOT_REGULAR):
        return None, table, report
    try:
        file_id = content_id(path)
    except ZeekLogError as exc:  # gone or changed between the two reads
        report.status, report.message = FileStatus.UNREADABLE, exc.message
        return None, pa.table({}), report
    return file_id, table, report


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
