"""What a report says, as data: the summary by cause, the servers, the self-signed
inventory, the data quality and a timeline. Every renderer (table, Markdown, JSON, CSV,
HTML) draws on one ``Findings``, so the formats cannot disagree.

The pipeline, top to bottom: classify the connections, roll them up per server, keep the
failing ones, take the self-signed ones with their acknowledgement, then count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from ..causes import Cause, Unverified, Verdict
from ..classification import cause_flags, classify, servers
from ..inventory import Acknowledgement, inventory
from ..policy import Policy
from ..sanitize import html_escape
from .activity import activity
from .quality import DataQuality, data_quality

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
          since: datetime | None = None, until: datetime | None = None) -> Findings:
    """Classify ``logs`` (what ``zeekcert.load`` returns) and gather the report's content."""
    now = now or datetime.now(UTC)
    classified = classify(logs, policy=policy, now=now)
    flags = cause_flags(classified)
    failed = flags.any(axis=1).to_numpy()
    failing = failing_servers(servers(_hosts_of(classified, failed)))
    start, end = _window(classified, since, until)
    signed = self_signed(classified, failing, now, allowlist or ())
    return Findings(
        window_start=start, window_end=end, connections=len(classified),
        failed_connections=int(failed.sum()),
        unverified=unverified_counts(classified), by_cause=count_by_cause(classified, flags),
        servers=failing, self_signed=signed,
        quality=data_quality(logs, classified), timeline=timeline(classified),
        allowlist_given=allowlist is not None,
        activity=activity(classified, failing, signed),
    )


def _hosts_of(classified: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """Every connection to an address that some of ``rows`` went to.

    Rolling up only these servers, not every server in the logs, keeps a report on a big
    site's day quick; a server's totals still count all its connections.
    """
    hosts = classified["id.resp_h"]
    return classified[hosts.isin(hosts[rows].unique()).to_numpy()]


def failing_servers(table: pd.DataFrame) -> pd.DataFrame:
    """The servers with at least one cause, renamed to the report's column names."""
    failing = table.loc[(table["causes"].map(len) > 0).astype(bool)]
    return failing.rename(columns={"id.resp_h": "resp_h", "id.resp_p": "resp_p"}).reset_index(
        drop=True).astype({"resp_p": "Int64"})  # a port may be unset in a damaged log


def self_signed(classified: pd.DataFrame, failing: pd.DataFrame, now: datetime,
                allowlist: Sequence[Acknowledgement]) -> pd.DataFrame:
    """The failing servers that presented a self-signed certificate, with acknowledgement
    and their most regular client (see ``regularity``)."""
    rows = failing.loc[failing["causes"].map(lambda cs: Cause.SELF_SIGNED.value in cs)
                       .astype(bool)]
    mine = classified["id.resp_h"].isin(list(rows["resp_h"].astype(str))).to_numpy()
    inv = inventory(classified[mine], now, allowlist=allowlist)
    inv = inv[["resp_h", "resp_p", *BEACON_COLUMNS]]
    inv = inv.astype({"resp_h": str, "resp_p": "Int64"})
    merged = rows.astype({"resp_h": str}).merge(inv, on=["resp_h", "resp_p"], how="left")
    merged["self_signed_connections"] = _self_signed_connections(classified, merged)
    merged["acknowledged"] = merged["acknowledged"].fillna(False).astype(bool)
    merged["clockwork"] = merged["clockwork"].fillna(False).astype(bool)
    for name in ("acknowledged_by", "beacon_client"):  # None, never NaN, for "none"
        merged[name] = merged[name].astype(object).where(merged[name].notna(), None)
    return merged.reset_index(drop=True)


def _self_signed_connections(classified: pd.DataFrame, rows: pd.DataFrame) -> list[int]:
    """Per server, the connections that showed its self-signed certificate; resumed
    sessions and TLS 1.3 showed none, and ``connections`` counts them too."""
    signed = cause_flags(classified)[Cause.SELF_SIGNED.value].to_numpy()
    counts = classified[signed].groupby(
        [classified["id.resp_h"][signed].astype(str), classified["id.resp_p"][signed]],
        observed=True).size()
    return [int(counts.get((str(h), p), 0)) for h, p in zip(rows["resp_h"], rows["resp_p"],
                                                           strict=True)]


def unverified_counts(classified: pd.DataFrame) -> dict[str, int]:
    """Connections that could not be judged, by reason (every reason, zeros included)."""
    judged = (classified["primary_cause"] == Verdict.UNVERIFIED.value).to_numpy(dtype=bool)
    reasons = classified.loc[judged, "unverified_reason"].value_counts()
    return {r.value: int(reasons.get(r.value, 0)) for r in Unverified}


def count_by_cause(classified: pd.DataFrame,
                   flags: pd.DataFrame | None = None) -> dict[str, CauseCount]:
    """Servers, connections and clients per cause code, in order of precedence.

    ``flags`` is ``cause_flags(classified)``, when the caller has it already.
    """
    flags = cause_flags(classified) if flags is None else flags
    ports = classified["id.resp_p"].fillna(0).to_numpy(dtype=np.int64)
    servers = _codes(classified["id.resp_h"]) * 65536 + ports
    clients = _codes(classified["id.orig_h"])
    out = {}
    for cause in Cause:
        has = flags[cause.value].to_numpy()
        out[cause.value] = CauseCount(servers=len(np.unique(servers[has])),
                                      connections=int(has.sum()),
                                      clients=len(np.unique(clients[has])))
    return out


def _codes(column: pd.Series) -> np.ndarray:
    """Integer codes of a column's values (categorical codes when it is one)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(dtype=np.int64)
    return pd.factorize(column)[0].astype(np.int64)


def timeline(classified: pd.DataFrame) -> pd.DataFrame:
    """Failing connections per time bin (hours, or days past three days) by primary cause."""
    failing = classified[classified["primary_cause"].isin([c.value for c in Cause]).to_numpy()]
    if failing.empty or failing["ts"].isna().all():
        return pd.DataFrame(columns=[c.value for c in Cause])
    ts = failing["ts"]
    freq = "h" if ts.max() - ts.min() <= pd.Timedelta(days=3) else "D"
    bins = ts.dt.floor(freq)
    table = pd.crosstab(bins, failing["primary_cause"].astype(str))
    full = pd.date_range(bins.min(), bins.max(), freq=freq, name="bin")
    columns = [c.value for c in Cause if c.value in table.columns]
    return table.reindex(index=full, columns=columns, fill_value=0)


def _window(classified: pd.DataFrame, since: datetime | None,
            until: datetime | None) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The window asked for; where not asked, the first and last connection seen."""
    ts = classified["ts"].dropna() if "ts" in classified.columns else pd.Series([])
    start = pd.Timestamp(since) if since else (ts.min() if len(ts) else None)
    end = pd.Timestamp(until) if until else (ts.max() if len(ts) else None)
    return start, end
