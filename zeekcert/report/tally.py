"""What a report counts, folded a batch at a time and merged exactly.

A report on a big site's day never holds every connection. Each batch of classified
connections is folded into records that merge by sums, extremes and unions: the per-server
rollup (``ServerTally``), the self-signed inventory (the nightly job's ``Accumulator``),
counts by cause and by reason, clients per cause, failing connections per hour, the data
quality counts, and the timeline rows of servers seen failing. Memory follows the number
of servers, clients and hours, not of connections. The one thing order can change is a
timeline's start: a server's rows are kept from the first batch in which it failed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from ..causes import Cause, Unverified, Verdict
from ..classification import ServerTally, cause_flags
from ..inventory import Accumulator
from .activity import Activity
from .quality import QualityCounts

CAUSES = [c.value for c in Cause]


@dataclass
class ReportTally:
    """The report's records so far; ``add`` a batch, ``merge`` another tally."""

    servers: ServerTally = field(default_factory=ServerTally)
    signed: Accumulator = field(default_factory=Accumulator)
    quality: QualityCounts = field(default_factory=QualityCounts)
    connections: int = 0
    failed: int = 0
    unverified: Counter[str] = field(default_factory=Counter)
    cause_connections: Counter[str] = field(default_factory=Counter)
    cause_clients: dict[str, set[str]] = field(default_factory=lambda: {c: set() for c in
                                                                          CAUSES})
    hours: pd.DataFrame = field(default_factory=pd.DataFrame)
    window: tuple[pd.Timestamp | None, pd.Timestamp | None] = (None, None)
    failing_window: tuple[pd.Timestamp | None, pd.Timestamp | None] = (None, None)
    activity: Activity = field(default_factory=Activity)

    def add(self, classified: pd.DataFrame) -> None:
        """Fold in one batch of classified connections."""
        flags = cause_flags(classified)
        failed = flags.any(axis=1).to_numpy()
        self.connections += len(classified)
        self.failed += int(failed.sum())
        self.unverified.update(_reasons(classified))
        clients = classified["id.orig_h"]
        for cause in CAUSES:
            has = flags[cause].to_numpy()
            self.cause_connections[cause] += int(has.sum())
            self.cause_clients[cause].update(_texts(clients[has]))
        self.servers.add(classified)
        self.signed.add(classified)
        self.quality.add(classified)
        self.window = _span(self.window, classified["ts"])
        failing = classified[failed]
        self.failing_window = _span(self.failing_window, failing["ts"])
        self.hours = _add(self.hours, _per_hour(failing))
        self.activity.add(classified, failed)

    def merge(self, other: ReportTally) -> None:
        """Fold in another tally (of another file or worker)."""
        self.servers.take(other.servers.compact())
        self.signed.merge(other.signed)
        self.quality.merge(other.quality)
        self.connections += other.connections
        self.failed += other.failed
        self.unverified.update(other.unverified)
        self.cause_connections.update(other.cause_connections)
        for cause in CAUSES:
            self.cause_clients[cause] |= other.cause_clients[cause]
        self.window = _span(self.window, pd.Series(list(other.window)))
        self.failing_window = _span(self.failing_window, pd.Series(list(other.failing_window)))
        self.hours = _add(self.hours, other.hours)
        self.activity.merge(other.activity)


def _reasons(classified: pd.DataFrame) -> dict[str, int]:
    judged = (classified["primary_cause"] == Verdict.UNVERIFIED.value).to_numpy(dtype=bool)
    reasons = classified.loc[judged, "unverified_reason"].value_counts()
    return {r.value: int(reasons.get(r.value, 0)) for r in Unverified}


def _texts(column: pd.Series) -> list[str]:
    """The distinct values of a column as text, without NA."""
    return [str(v) for v in pd.unique(column.dropna().astype(object))]


def _span(span: tuple[pd.Timestamp | None, pd.Timestamp | None], ts: pd.Series
          ) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    values = pd.to_datetime(ts, utc=True).dropna()
    if not len(values):
        return span
    lo, hi = values.min(), values.max()
    return (lo if span[0] is None else min(span[0], lo), hi if span[1] is None else max(
        span[1], hi))


def _per_hour(failing: pd.DataFrame) -> pd.DataFrame:
    """Failing connections per hour by primary cause."""
    ts = pd.to_datetime(failing["ts"], utc=True)
    keep = ts.notna().to_numpy()
    if not keep.any():
        return pd.DataFrame()
    return pd.crosstab(ts[keep].dt.floor("h"), failing["primary_cause"][keep].astype(str))


def _add(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    if not len(b):
        return a
    if not len(a):
        return b
    both = pd.concat([a, b]).fillna(0)
    return both.groupby(level=0).sum().astype("int64")
