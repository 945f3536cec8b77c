"""What a report says, as data: the summary by cause, the servers, the self-signed
inventory, the data quality and a timeline. Every renderer (table, Markdown, JSON, CSV,
HTML) draws on one ``Findings``, so the formats cannot disagree.

The pipeline, top to bottom: classify the connections and fold them into a
``ReportTally`` (one batch for ``build``, many for ``streaming``); then ``from_tally``
keeps the failing servers, takes the self-signed ones with their acknowledgement and
regularity, and counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from ..causes import Cause, Unverified
from ..classification import classify, know
from ..hunting import Catalogue, Hunt, HuntPolicy, load_catalogue
from ..inventory import (
    GONE_AFTER,
    Accumulator,
    Acknowledgement,
    C2Marks,
    settle,
    to_frame,
)
from ..policy import Policy
from ..reading import LoadReport, frame_of
from ..sanitize import html_escape
from .activity import activity, shown
from .leads import hunt_leads
from .quality import DataQuality, data_quality
from .tally import ReportTally

BEACON_COLUMNS = ["acknowledged", "acknowledged_by", "beacon_client", "median_interval_s",
                  "jitter", "clockwork", "top_clients"]


@dataclass(frozen=True)
class CauseCount:
    """How many servers, connections and distinct clients one cause touches."""

    servers: int
    connections: int
    clients: int


@dataclass(frozen=True, repr=False)
class Findings:
    """Everything one report shows; ``servers`` and ``self_signed`` are worst first."""

    window_start: pd.Timestamp | None
    window_end: pd.Timestamp | None
    connections: int
    failed_connections: int
    unverified: dict[str, int]
    by_cause: dict[str, CauseCount]
    servers: pd.DataFrame
    self_signed: pd.DataFrame
    quality: DataQuality
    timeline: pd.DataFrame
    allowlist_given: bool = False
    activity: pd.DataFrame = field(default_factory=pd.DataFrame)
    hunt: Hunt | None = None

    @property
    def unverified_connections(self) -> int:
        """Connections whose certificate could not be judged at all."""
        return sum(self.unverified.values())

    def summary(self) -> str:
        """``10,442 connections, 3,498 failing on 11 servers, 4 self-signed``."""
        return (f"{self.connections:,} connections, {self.failed_connections:,} failing on "
                f"{len(self.servers):,} servers, {len(self.self_signed):,} self-signed, "
                f"{self.unverified_connections:,} not judged")

    def __repr__(self) -> str:
        return f"Findings({self.summary()})"

    def _repr_html_(self) -> str:
        """The summary and the worst servers, escaped: a notebook's first look."""
        rows = "".join(
            f"<tr><td>{html_escape(r.resp_h)}</td><td>{html_escape(r.resp_p)}</td>"
            f"<td>{html_escape(_joined(r.causes))}</td><td>{r.failed_connections:,}</td></tr>"
            for r in self.servers.head(10).itertuples())
        return (f"<p>{html_escape(self.summary())}</p><table><tr><th>server</th><th>port</th>"
                f"<th>causes</th><th>failing</th></tr>{rows}</table>")


def _joined(values: object) -> str:
    """``a, b`` for a list of causes; anything else as its text."""
    if isinstance(values, (list, tuple)):
        return ", ".join(str(v) for v in values)
    return str(values)


def build(logs: Any, policy: Policy | None = None, now: datetime | None = None,
          allowlist: Sequence[Acknowledgement] | None = None,
          since: datetime | None = None, until: datetime | None = None,
          catalogue: Catalogue | None = None, hunt_policy: HuntPolicy | None = None
          ) -> Findings:
    """Classify ``logs`` (what ``zeekcert.load`` returns) and gather the report's content."""
    now = now or datetime.now(UTC)
    known = know(frame_of(logs, "x509"), frame_of(logs, "notice"), None, policy)
    tally = ReportTally()
    catalogue = catalogue or load_catalogue()
    tally.add(C2Marks(catalogue).marked(classify(logs, now=now, known=known)))
    return from_tally(tally, getattr(logs, "report", None), now, allowlist, since, until,
                      known.certs, catalogue, hunt_policy)


def from_tally(tally: ReportTally, report: LoadReport | None, now: datetime,
               allowlist: Sequence[Acknowledgement] | None = None,
               since: datetime | None = None, until: datetime | None = None,
               certs: pd.DataFrame | None = None, catalogue: Catalogue | None = None,
               hunt_policy: HuntPolicy | None = None) -> Findings:
    """The report's content from what was folded into ``tally``; ``certs`` (the
    certificate table) lets the hunt match every certificate a server showed."""
    local = (hunt_policy or HuntPolicy()).is_local  # fresh needs an internal client
    failing = failing_servers(tally.servers.table(failing_only=True, local=local))
    kept = kept_records(tally.signed, now, allowlist or ())
    signed = self_signed(kept, failing)
    return Findings(
        window_start=pd.Timestamp(since) if since else tally.window[0],
        window_end=pd.Timestamp(until) if until else tally.window[1],
        connections=tally.connections, failed_connections=tally.failed,
        unverified={r.value: tally.unverified.get(r.value, 0) for r in Unverified},
        by_cause=_by_cause(tally, failing), servers=failing, self_signed=signed,
        quality=data_quality(report, tally.quality), timeline=_timeline(tally),
        allowlist_given=allowlist is not None,
        activity=activity(tally.activity.rows(shown(failing, signed))),
        hunt=hunt_leads(failing, kept, now, allowlist or (), certs, catalogue, hunt_policy),
    )


def failing_servers(table: pd.DataFrame) -> pd.DataFrame:
    """The servers with at least one cause, renamed to the report's column names."""
    failing = table.loc[(table["causes"].map(len) > 0).astype(bool)]
    return failing.rename(columns={"id.resp_h": "resp_h", "id.resp_p": "resp_p"}).reset_index(
        drop=True).astype({"resp_p": "Int64"})  # a port may be unset in a damaged log


def kept_records(signed: Accumulator, now: datetime,
                 allowlist: Sequence[Acknowledgement]) -> pd.DataFrame:
    """The report's inventory: its self-signed servers and the failing servers a C2
    entry matches (see ``inventory.c2_marked``), with their beacons and acknowledgement."""
    settle(signed, now, GONE_AFTER)
    return to_frame(signed, now, allowlist)


def self_signed(kept: pd.DataFrame, failing: pd.DataFrame) -> pd.DataFrame:
    """The failing servers that presented a self-signed certificate, with acknowledgement
    and their most regular client (see ``regularity``), from ``kept_records``.

    ``self_signed_connections`` counts the connections that showed the certificate;
    ``connections`` also counts resumed sessions and TLS 1.3, which showed none.
    """
    rows = failing.loc[failing["causes"].map(lambda cs: Cause.SELF_SIGNED.value in cs)
                       .astype(bool)]
    inv = kept[["resp_h", "resp_p", "total_connections", *BEACON_COLUMNS]].rename(
        columns={"total_connections": "self_signed_connections"})
    inv = inv.astype({"resp_h": str, "resp_p": "Int64"})
    merged = rows.astype({"resp_h": str}).merge(inv, on=["resp_h", "resp_p"], how="left")
    merged["self_signed_connections"] = merged["self_signed_connections"].fillna(0).astype(
        "int64")
    merged["acknowledged"] = merged["acknowledged"].fillna(False).astype(bool)
    merged["clockwork"] = merged["clockwork"].fillna(False).astype(bool)
    for name in ("acknowledged_by", "beacon_client"):  # None, never NaN, for "none"
        merged[name] = merged[name].astype(object).where(merged[name].notna(), None)
    return merged.reset_index(drop=True)


def _by_cause(tally: ReportTally, failing: pd.DataFrame) -> dict[str, CauseCount]:
    """Servers, connections and clients per cause code, in order of precedence."""
    servers = Counter(c for causes in failing["causes"] for c in causes)
    return {c.value: CauseCount(servers=servers.get(c.value, 0),
                                connections=tally.cause_connections.get(c.value, 0),
                                clients=len(tally.cause_clients[c.value])) for c in Cause}


def _timeline(tally: ReportTally) -> pd.DataFrame:
    """Failing connections per time bin (hours, or days past three days) by primary cause."""
    hours = tally.hours
    lo, hi = tally.failing_window
    if not len(hours) or lo is None or hi is None:
        return pd.DataFrame(columns=[c.value for c in Cause])
    freq = "h" if hi - lo <= pd.Timedelta(days=3) else "D"
    bins = pd.DatetimeIndex(hours.index)
    table = hours.groupby(bins.floor(freq)).sum() if freq == "D" else hours
    full = pd.date_range(table.index.min(), table.index.max(), freq=freq, name="bin")
    columns = [c.value for c in Cause if c.value in table.columns]
    return table.reindex(index=full, columns=columns, fill_value=0).astype("int64")
