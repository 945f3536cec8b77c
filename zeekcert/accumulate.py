"""Fold classified connections into per-server and per-pair records that merge exactly.

Both the notebook ``inventory()`` and the nightly job use this: a record of first and
last seen, connection counts, clients, names, fingerprints, causes and the latest
certificate, plus per client–server pair the intervals between connections. Adding
day 1 and then day 2 gives the same records as adding both at once, because every field
is a min, a max, a sum, a union or a (capped) list of intervals carried across the seam.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from .causes import Cause
from .servers import KEY, cause_flags

MAX_INTERVALS = 2000  # per pair: enough for a median over two weeks of 10-minute polls
CERT_COLUMNS = ["fingerprint", "subject", "issuer", "not_valid_before", "not_valid_after",
                "key_type", "key_length", "sig_alg"]
Key = tuple[Any, ...]


@dataclass
class Accumulator:
    """Server and pair records, keyed ``(resp_h, resp_p)`` and ``(orig_h, resp_h, resp_p)``."""

    cause: str = Cause.SELF_SIGNED.value
    servers: dict[Key, dict[str, Any]] = field(default_factory=dict)
    pairs: dict[Key, dict[str, Any]] = field(default_factory=dict)
    seen_now: set[Key] = field(default_factory=set)
    fresh: set[Key] = field(default_factory=set)

    def start_run(self) -> None:
        """Begin a new run over records kept from earlier runs."""
        self.seen_now, self.fresh = set(), set()
        for record in self.servers.values():
            record["window_connections"] = 0

    def add(self, classified: pd.DataFrame) -> None:
        """Take in one batch of classified connections, in any order of batches."""
        rows = self._selected(classified)
        if not len(rows):
            return
        for key, group in rows.groupby(KEY, sort=False):
            self._server(tuple(key), group)
        for key, group in rows.groupby(["id.orig_h", *KEY], sort=False):
            self._pair(tuple(key), group["ts"])

    def _selected(self, classified: pd.DataFrame) -> pd.DataFrame:
        """Connections to servers that show the cause now, or that are already recorded."""
        flags = cause_flags(classified)
        hit = flags.any(axis=1) if self.cause == "any" else flags[Cause(self.cause).value]
        frame = classified.assign(**{k: classified[k].astype(object) for k in
                                     ("id.resp_h", "id.orig_h")})
        frame["id.resp_p"] = frame["id.resp_p"].astype("int64")
        keys = list(zip(frame["id.resp_h"], frame["id.resp_p"], strict=True))
        wanted = {k for k, h in zip(keys, hit.to_numpy(), strict=True) if h} | set(self.servers)
        mask = np.fromiter((k in wanted for k in keys), dtype=bool, count=len(keys))
        return frame[mask]

    def _server(self, key: Key, group: pd.DataFrame) -> None:
        if key not in self.servers:
            self.fresh.add(key)
        record = self.servers.setdefault(key, _new_server())
        self.seen_now.add(key)
        ts = pd.to_datetime(group["ts"], utc=True)
        record["first_seen"] = _min(record["first_seen"], ts.min())
        record["last_seen"] = _max(record["last_seen"], ts.max())
        record["connections"] += len(group)
        record["window_connections"] += len(group)
        for client, n in group["id.orig_h"].value_counts().items():
            record["clients"][str(client)] = record["clients"].get(str(client), 0) + int(n)
        record["server_names"] = sorted(set(record["server_names"]) | _strings(
            group["server_name"]))
        record["fingerprints"] = sorted(set(record["fingerprints"]) | _strings(
            group["fingerprint"][group["subject"].notna()]))
        flags = cause_flags(group).any()
        record["causes"] = [c.value for c in Cause if c.value in set(record["causes"]) or
                            flags[c.value]]
        self._latest_certificate(record, group)

    def _latest_certificate(self, record: dict[str, Any], group: pd.DataFrame) -> None:
        known = group[group["subject"].notna()]
        if not len(known):
            return
        last = known.iloc[int(np.argmax(pd.to_datetime(known["ts"], utc=True).to_numpy()))]
        when = pd.Timestamp(last["ts"]).isoformat()
        if record["cert"] and record["cert"]["ts"] >= when:
            return
        record["cert"] = {c: _plain(last[c]) for c in CERT_COLUMNS} | {"ts": when}

    def _pair(self, key: Key, ts: pd.Series) -> None:
        record = self.pairs.setdefault(key, {"connections": 0, "intervals": [],
                                             "last_ts": None})
        times = sorted(pd.to_datetime(ts, utc=True).dropna())
        if record["last_ts"] is not None:
            times = [pd.Timestamp(record["last_ts"]), *times]
        steps = [float((b - a).total_seconds()) for a, b in itertools.pairwise(times)]
        record["intervals"] = (record["intervals"] + steps)[-MAX_INTERVALS:]
        record["last_ts"] = times[-1].isoformat() if times else record["last_ts"]
        record["connections"] += len(ts)


def _new_server() -> dict[str, Any]:
    return {"first_seen": None, "last_seen": None, "connections": 0,
            "window_connections": 0, "clients": {}, "server_names": [], "fingerprints": [],
            "causes": [], "cert": {}, "status": "new", "known_fingerprints": []}


def _min(old: str | None, new: pd.Timestamp) -> str:
    return new.isoformat() if old is None or new < pd.Timestamp(old) else old


def _max(old: str | None, new: pd.Timestamp) -> str:
    return new.isoformat() if old is None or new > pd.Timestamp(old) else old


def _strings(values: pd.Series) -> set[str]:
    return {str(v) for v in values.dropna().unique()}


def _plain(value: object) -> object:
    """A JSON-friendly scalar: times as ISO text, NA as None, numpy numbers as Python's."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return pd.Timestamp(value).isoformat() if not pd.isna(value) else None
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, int | float | str | bool) else str(value)


def settle(acc: Accumulator, now: datetime, gone_after: timedelta) -> None:
    """Set each server's status for this run: new, changed, active or gone.

    ``new``: first recorded in this run. ``changed``: a known server showed a fingerprint
    it had not shown before this run. ``gone``: not seen for ``gone_after``.
    """
    limit = pd.Timestamp(now) - gone_after
    for key, record in acc.servers.items():
        before = set(record["known_fingerprints"])
        if key in acc.fresh:
            record["status"] = "new"
        elif key in acc.seen_now:
            record["status"] = "changed" if set(record["fingerprints"]) - before else "active"
        elif record["last_seen"] and pd.Timestamp(record["last_seen"]) < limit:
            record["status"] = "gone"
        record["known_fingerprints"] = list(record["fingerprints"])
