"""The inventory of servers that presented a self-signed certificate (or another cause).

One row per ``(id.resp_h, id.resp_p)``, IPv4 and IPv6 alike: when it was seen, how much,
by whom, under which names and certificates, which other causes it has, how regularly
its clients connect, whether an allowlist entry acknowledges it, and its
``ServerStatus``: ``new``, ``changed`` (a new fingerprint), ``active``, ``quiet`` or
``gone``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pandas as pd

from ..causes import Cause
from ..classification import STACK_FIELDS, cause_lists, lists_per, sort_worst_first
from ..hunting import Catalogue, load_catalogue
from ..reading import split_names
from .accumulate import Accumulator
from .allowlist import Acknowledgement, acknowledging
from .batch import C2Marks
from .beacons import pair_stats
from .columnar import (
    CAUSE_COLUMNS,
    CERT_COLUMNS,
    KEY2,
    KEY3,
    NO_FIRST,
    NO_TIME,
    sorted_lists,
    stamps,
)
from .lifecycle import settle

TOP_CLIENTS = 3
GONE_AFTER = timedelta(days=7)
COLUMNS = ["resp_h", "resp_p", "status", "acknowledged", "acknowledged_by", "causes",
           "other_causes", "evidence", "connections", "total_connections", "clients", "top_clients",
           "first_seen", "last_seen", "server_names", "fingerprints", "sensors", "fingerprint",
           "subject", "issuer", "not_valid_before", "not_valid_after", "key_type",
           "key_length", "sig_alg", "beacon_client", "median_interval_s", "jitter",
           "clockwork", *STACK_FIELDS]


def inventory(classified: pd.DataFrame, now: datetime, cause: str = Cause.SELF_SIGNED.value,
              allowlist: Sequence[Acknowledgement] = (), catalogue: Catalogue | None = None
              ) -> pd.DataFrame:
    """The inventory of one window of classified connections (every server is ``new``).

    As the nightly job's, it holds the servers of ``cause`` and those whose failing leaf
    a C2 entry of ``catalogue`` (the shipped one by default) matches.
    """
    acc = Accumulator(cause=cause)
    if cause != "any":
        classified = C2Marks(catalogue or load_catalogue()).marked(classified)
    acc.add(classified)
    settle(acc, now, GONE_AFTER)
    return to_frame(acc, now, allowlist)


def to_frame(acc: Accumulator, now: datetime,
             allowlist: Sequence[Acknowledgement] = ()) -> pd.DataFrame:
    """The inventory as a DataFrame, worst first, with acknowledgements as of ``now``."""
    servers = acc.table("servers")
    index = pd.MultiIndex.from_frame(servers[KEY2])
    causes = cause_lists(servers[CAUSE_COLUMNS].to_numpy(dtype=bool))
    clients = acc.table("clients")
    counts = clients.groupby(KEY2, sort=False).size().reindex(index, fill_value=0)
    frame = pd.DataFrame({
        "resp_h": servers["resp_h"].tolist(), "resp_p": servers["resp_p"].to_numpy(),
        "status": [s if isinstance(s, str) else "new" for s in servers["status"].tolist()],
        "acknowledged": False, "acknowledged_by": None, "causes": causes,
        "other_causes": [[c for c in cs if c != acc.cause] for cs in causes],
        "evidence": sorted_lists(acc.table("evidence"), index),
        "connections": servers["window"], "total_connections": servers["connections"],
        "clients": counts.to_numpy(), "top_clients": _top_clients(clients, index),
        "first_seen": stamps(servers["first_us"], NO_FIRST),
        "last_seen": stamps(servers["last_us"], NO_TIME),
        "server_names": sorted_lists(acc.table("names"), index),
        "fingerprints": sorted_lists(acc.table("fingerprints"), index),
        "sensors": [split_names(v) for v in sorted_lists(acc.table("sensors"), index)],
        **{name: sorted_lists(acc.table(name), index) for name in STACK_FIELDS},
        **{name: servers[f"cert.{name}"].where(servers["cert_us"] != NO_TIME, None).tolist()
           for name in CERT_COLUMNS},
    })
    for name in ("not_valid_before", "not_valid_after"):
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    frame = frame.join(_beacons(acc.table("times"), index))
    if allowlist:
        _acknowledge(frame, list(allowlist), now)
    frame["primary_cause"] = [c[0] if c else None for c in frame["causes"]]
    ordered = sort_worst_first(frame[[*COLUMNS, "primary_cause"]], host="resp_h",
                               port="resp_p", count="total_connections")
    return ordered.drop(columns="primary_cause")


def _top_clients(clients: pd.DataFrame, index: pd.MultiIndex) -> list[list[str]]:
    """Each server's busiest clients, most connections first, then by address text."""
    ordered = clients.assign(_n=-clients["n"]).sort_values(["_n", "orig_h"], kind="stable")
    ordered = ordered.assign(text=ordered["orig_h"].astype(str) + " ("
                             + ordered["n"].astype(str) + ")")
    return lists_per(ordered, "text", index, KEY2, most=TOP_CLIENTS)


def _beacons(times: pd.DataFrame, index: pd.MultiIndex) -> pd.DataFrame:
    """Each server's most regular client: clockwork first, then least jitter, then the
    first client in address-text order, so a tie always has the same winner."""
    stats = pair_stats(times, KEY3)
    best = stats.assign(_cw=~stats["clockwork"]).sort_values(
        [*KEY2, "_cw", "jitter", "orig_h"], kind="stable").drop_duplicates(KEY2)
    best = best.set_index(KEY2).reindex(index)
    clockwork = best["clockwork"].fillna(False).astype(bool).to_numpy()
    return pd.DataFrame({
        "beacon_client": pd.Series(best["orig_h"].to_numpy(), dtype=object).where(
            clockwork, None).tolist(),
        "median_interval_s": best["median_interval_s"].to_numpy(dtype=float),
        "jitter": best["jitter"].to_numpy(dtype=float), "clockwork": clockwork})


def _acknowledge(frame: pd.DataFrame, allowlist: list[Acknowledgement], now: datetime,
                 ) -> None:
    """Mark the servers an active allowlist entry matches."""
    entries = acknowledging(frame, allowlist, now)
    frame["acknowledged"] = [e is not None for e in entries]
    frame["acknowledged_by"] = [e.describe() if e else None for e in entries]
