"""The inventory of servers that presented a self-signed certificate (or another cause).

One row per ``(id.resp_h, id.resp_p)``, IPv4 and IPv6 alike: when it was seen, how much,
by whom, under which names and certificates, which other causes it has, how regularly
its clients connect, whether an allowlist entry acknowledges it, and its status against
the previous inventory: ``new``, ``active``, ``changed`` (a new fingerprint) or ``gone``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from .allowlist import Acknowledgement, acknowledged_by
from .causes import Cause
from .regularity import regularity
from .servers import KEY, cause_flags, servers

TOP_CLIENTS = 3
CERT_COLUMNS = ["subject", "issuer", "not_valid_before", "not_valid_after", "key_type",
                "key_length", "sig_alg"]


def selected(classified: pd.DataFrame, cause: str = Cause.SELF_SIGNED.value) -> pd.Series:
    """Which connections go to a server that showed ``cause`` (``any``: any cause)."""
    flags = cause_flags(classified)
    hit = flags.any(axis=1) if cause == "any" else flags[Cause(cause).value]
    keys = classified[KEY].astype(object)
    bad = keys[hit.to_numpy()].drop_duplicates()
    return keys.merge(bad.assign(_hit=True), on=KEY, how="left")["_hit"].fillna(False).astype(
        bool).set_axis(classified.index)


def inventory(classified: pd.DataFrame, now: datetime, cause: str = Cause.SELF_SIGNED.value,
              allowlist: Sequence[Acknowledgement] = ()) -> pd.DataFrame:
    """The inventory of one window of classified connections."""
    rows = classified[selected(classified, cause)]
    if not len(rows):
        return _empty()
    rows = rows.assign(**{k: rows[k].astype(object) for k in ("id.resp_h", "id.orig_h")})
    table = servers(rows).set_index(KEY).drop(columns=["subject", "issuer", "not_valid_after"])
    table = table.join(_current_certificate(rows)).join(_top_clients(rows)).join(
        _beacons(rows))
    table["other_causes"] = [[c for c in cs if c != cause] for cs in table["causes"]]
    table = table.reset_index()
    return _acknowledge(table, now, allowlist)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=[*KEY, "connections", "clients", "first_seen", "last_seen",
                                 "server_names", "fingerprints", "causes", "acknowledged"])


def _current_certificate(rows: pd.DataFrame) -> pd.DataFrame:
    """The certificate of each server's latest connection that showed one."""
    known = rows[rows["subject"].notna()].sort_values("ts", kind="stable")
    latest = known.groupby(KEY, sort=False, observed=True).tail(1).set_index(KEY)
    latest = latest[["fingerprint", *CERT_COLUMNS]].rename(
        columns={"fingerprint": "current_fingerprint"})
    return latest


def _top_clients(rows: pd.DataFrame) -> pd.Series:
    """The busiest few clients of each server, busiest first, as ``host (connections)``."""
    counts = rows.groupby([*KEY, "id.orig_h"], observed=True).size().rename("n").reset_index()
    counts = counts.sort_values(["n", "id.orig_h"], ascending=[False, True], kind="stable")
    top = counts.groupby(KEY, sort=False).head(TOP_CLIENTS).copy()
    top["label"] = [f"{h} ({n})" for h, n in zip(top["id.orig_h"], top["n"], strict=True)]
    return top.groupby(KEY, sort=False)["label"].agg(list).rename("top_clients")


def _beacons(rows: pd.DataFrame) -> pd.DataFrame:
    """Per server: the most regular client's median interval and jitter, and a flag."""
    pairs = regularity(rows).sort_values(["clockwork", "jitter"], ascending=[False, True])
    best = pairs.groupby(KEY, sort=False).head(1).set_index(KEY)
    out = best[["median_interval_s", "jitter"]].copy()
    out["beacon_client"] = best["id.orig_h"].where(best["clockwork"], None)
    out["clockwork"] = best["clockwork"]
    return out


def _acknowledge(table: pd.DataFrame, now: datetime,
                 allowlist: Sequence[Acknowledgement]) -> pd.DataFrame:
    """Mark each server with the active allowlist entry that matches it, if any."""
    on = pd.Timestamp(now).date()
    entries = [acknowledged_by(list(allowlist), on, str(h), int(p), list(f), s)
               for h, p, f, s in zip(table["id.resp_h"], table["id.resp_p"],
                                     table["fingerprints"], table["subject"], strict=True)]
    table["acknowledged"] = [e is not None for e in entries]
    table["acknowledged_by"] = [e.describe() if e else None for e in entries]
    return table


def merge_runs(previous: pd.DataFrame | None, current: pd.DataFrame, now: datetime,
               gone_after: timedelta = timedelta(days=7)) -> pd.DataFrame:
    """Fold this window's inventory into the one kept so far; set each server's status.

    ``new``: first seen in this run. ``changed``: a fingerprint not seen before on a known
    server. ``active``: seen before and now, same certificates. ``gone``: not seen for
    ``gone_after``. Counts and times cover all runs; ``connections`` stays this window's.
    """
    cur = current.set_index(KEY)
    if previous is None or not len(previous):
        out = cur.copy()
        out["total_connections"] = out["connections"]
        out["status"] = "new"
        return out.reset_index()
    prev = previous.set_index(KEY)
    out = cur.copy()
    known = out.index.isin(prev.index)
    before = prev.reindex(out.index)
    out["first_seen"] = np.where(known, np.minimum(before["first_seen"].fillna(
        out["first_seen"]), out["first_seen"]), out["first_seen"])
    out["total_connections"] = out["connections"] + before["total_connections"].fillna(0).astype(
        int)
    old_fps = before["fingerprints"].map(lambda f: set(f) if isinstance(f, list) else set())
    changed = [known[i] and bool(set(f) - old_fps.iloc[i]) for i, f in enumerate(out[
        "fingerprints"])]
    out["fingerprints"] = [sorted(set(f) | old_fps.iloc[i]) for i, f in enumerate(
        out["fingerprints"])]
    out["status"] = np.where(~known, "new", np.where(changed, "changed", "active"))
    absent = prev[~prev.index.isin(out.index)].copy()
    stale = pd.to_datetime(absent["last_seen"], utc=True) < pd.Timestamp(now) - gone_after
    absent["status"] = np.where(stale, "gone", absent["status"].replace({"new": "active",
                                                                         "changed": "active"}))
    absent["connections"] = 0
    return pd.concat([out, absent]).reset_index()
