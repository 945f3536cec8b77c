"""Fold classified connections into per-server and per-pair records that merge exactly.

Both the notebook ``inventory()`` and the nightly job use this: a record of first and
last seen, connection counts, clients, names, fingerprints, causes and the latest
certificate, plus per client–server pair the latest connection times. The merge is
exact in any order and any grouping of batches, runs or workers:

- a connection counts when it shows the cause itself, so what a batch adds never depends
  on what came before (resumed sessions and TLS 1.3 show no certificate: the report
  counts them beside, the inventory does not);
- every field is a min, a max, a sum or a union; the latest certificate is the one with
  the greatest (time, fingerprint);
- a pair keeps the latest ``MAX_TIMES`` connection times of all it saw, a set that does
  not depend on the order they came in, so regularity is that of the latest
  ``MAX_TIMES - 1`` intervals.

``prune`` drops what was last seen before the retention period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from ..causes import Cause
from ..classification import SERVER_KEY, cause_flags
from ..formatting import iso_micros_many, records

# Per pair: 2,048 times of 8 bytes (16 KiB as an array, at most 35 KiB as JSON text in the
# state), enough for the median of a 145-s poll over 3.4 days, or a 10-minute poll over
# two weeks. Past it, the earliest go: the latest 2,048 of all seen stay, in any order.
MAX_TIMES = 2048
RETENTION = timedelta(days=90)  # records last seen longer ago are pruned from the state
CERT_COLUMNS = ["fingerprint", "subject", "issuer", "not_valid_before", "not_valid_after",
                "key_type", "key_length", "sig_alg"]
Key = tuple[Any, ...]
CAUSE_NAMES = [c.value for c in Cause]


class ServerStatus(StrEnum):
    """What one run says about a server it has a record of (see ``settle``)."""

    NEW = "new"
    CHANGED = "changed"
    ACTIVE = "active"
    QUIET = "quiet"
    GONE = "gone"

    @property
    def description(self) -> str:
        """One line saying what the status means."""
        return _STATUS_DESCRIPTIONS[self]


_STATUS_DESCRIPTIONS = {
    ServerStatus.NEW: "first recorded in this run and seen lately (new in one run only)",
    ServerStatus.CHANGED: "known, and showed a fingerprint not seen on it before",
    ServerStatus.ACTIVE: "known, and seen again in this run",
    ServerStatus.QUIET: "known, not seen in this run, not yet gone",
    ServerStatus.GONE: "not seen for the gone-after period",
}


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
        """Take in one batch of classified connections, in any order of batches.

        Aggregates are computed per batch with pandas; only the per-server and per-pair
        results (hundreds, thousands) are folded into the records in Python.
        """
        rows = self._selected(classified)
        rows = rows[rows["ts"].notna()]
        if not len(rows):
            return
        rows = rows.assign(_us=pd.to_datetime(rows["ts"], utc=True).astype(
            "datetime64[us, UTC]").astype("int64"))
        self._servers_from(rows)
        self._pairs_from(rows)

    def merge(self, other: Accumulator) -> None:
        """Take in the records of another accumulator (a file, a batch, a worker), exactly.

        ``other`` holds records of the same run: what it saw counts as seen in this run.
        """
        for key, theirs in other.servers.items():
            if key not in self.servers:
                self.fresh.add(key)
                self.servers[key] = _new_server()
            _merge_server(self.servers[key], theirs)
        self.seen_now |= other.seen_now
        for key, pair in other.pairs.items():
            mine = self.pairs.setdefault(key, {"connections": 0, "times": []})
            mine["connections"] += pair["connections"]
            mine["times"] = merge_times(mine["times"], pair["times"])

    def _selected(self, classified: pd.DataFrame) -> pd.DataFrame:
        """The connections that show the cause, each on its own, with a server to key."""
        flags = cause_flags(classified)
        hit = flags.any(axis=1) if self.cause == "any" else flags[Cause(self.cause).value]
        keep = (hit.to_numpy(dtype=bool) & classified["id.resp_p"].notna().to_numpy()
                & classified["id.resp_h"].notna().to_numpy())
        frame = classified[keep]
        frame = frame.assign(**{k: frame[k].astype(object) for k in ("id.resp_h", "id.orig_h")})
        return frame.astype({"id.resp_p": "int64"})

    def _servers_from(self, rows: pd.DataFrame) -> None:
        """Per-server aggregates by pandas; the loop only files them into the records."""
        groups = rows.groupby(SERVER_KEY, sort=False)
        size = groups.size()
        first = iso_micros_many(groups["_us"].min().reindex(size.index).to_numpy())
        last = iso_micros_many(groups["_us"].max().reindex(size.index).to_numpy())
        flags = cause_flags(rows).groupby([rows[k] for k in SERVER_KEY], sort=False).any()
        bits = flags.reindex(size.index)[list(CAUSE_NAMES)].to_numpy(dtype=bool)
        patterns, which = np.unique(bits, axis=0, return_inverse=True)
        named = [[CAUSE_NAMES[j] for j in np.flatnonzero(p)] for p in patterns]
        for key, lo, hi, n, w in zip(size.index, first, last, size.tolist(),
                                     which.reshape(-1).tolist(), strict=True):
            self._server(key, lo, hi, n, named[w])
        clients = rows.groupby([*SERVER_KEY, "id.orig_h"], sort=False).size()
        for (host, port, client), n in zip(clients.index, clients.tolist(), strict=True):
            counts = self.servers[(host, port)]["clients"]
            counts[str(client)] = counts.get(str(client), 0) + n
        self._add_distinct(rows, "server_name", "server_names")
        self._add_distinct(rows[rows["subject"].notna()], "fingerprint", "fingerprints")
        self._latest_certificates(rows)

    def _server(self, key: Key, first: str, last: str, size: int, causes: list[str]) -> None:
        record = self.servers.get(key)
        if record is None:
            self.fresh.add(key)
            record = self.servers[key] = _new_server()
        self.seen_now.add(key)
        record["first_seen"] = _min(record["first_seen"], first)
        record["last_seen"] = _max(record["last_seen"], last)
        record["connections"] += size
        record["window_connections"] += size
        if not set(causes) <= set(record["causes"]):
            had = set(record["causes"]) | set(causes)
            record["causes"] = [c for c in CAUSE_NAMES if c in had]

    def _add_distinct(self, rows: pd.DataFrame, column: str, field: str) -> None:
        pairs = rows[[*SERVER_KEY, column]].dropna().astype({column: str}).drop_duplicates()
        found: dict[Key, set[str]] = {}
        for host, port, value in pairs.itertuples(index=False):
            found.setdefault((host, port), set()).add(value)
        for key, values in found.items():
            record = self.servers[key]
            record[field] = sorted(set(record[field]) | values)

    def _latest_certificates(self, rows: pd.DataFrame) -> None:
        """Each server's certificate of greatest (time, fingerprint): a tie has one winner."""
        known = rows[rows["subject"].notna()]
        if not len(known):
            return
        known = known.assign(_fp=known["fingerprint"].astype(object).fillna("").astype(str))
        known = known.sort_values(["_us", "_fp"], kind="stable")
        latest = known.drop_duplicates(SERVER_KEY, keep="last")
        certs = records(latest[CERT_COLUMNS])  # column by column: times formatted at once
        stamps = iso_micros_many(latest["_us"].to_numpy())
        keys = zip(latest[SERVER_KEY[0]].tolist(), latest[SERVER_KEY[1]].tolist(), strict=True)
        for key, cert, when in zip(keys, certs, stamps, strict=True):
            record = self.servers[key]
            cert["ts"] = when
            if not record["cert"] or _rank(cert) > _rank(record["cert"]):
                record["cert"] = cert

    def _pairs_from(self, rows: pd.DataFrame) -> None:
        """Connection times per (client, server), the latest ``MAX_TIMES`` of all seen."""
        codes = rows.groupby(["id.orig_h", *SERVER_KEY], sort=False).ngroup().to_numpy()
        us = rows["_us"].to_numpy()
        order = np.lexsort((us, codes))
        codes, us = codes[order], us[order]
        starts = np.flatnonzero(np.r_[True, np.diff(codes) != 0])
        ends = np.r_[starts[1:], len(codes)]
        keys = rows[["id.orig_h", *SERVER_KEY]].to_numpy()[order][starts].tolist()
        firsts = us[starts].tolist()
        for (client, host, port), start, end, first in zip(keys, starts.tolist(), ends.tolist(),
                                                           firsts, strict=True):
            key = (client, host, int(port))
            if end - start == 1 and key not in self.pairs:  # the common case: cheap
                self.pairs[key] = {"connections": 1, "times": [first]}
            else:
                self._pair(key, us[start:end])

    def _pair(self, key: Key, us: np.ndarray) -> None:
        record = self.pairs.setdefault(key, {"connections": 0, "times": []})
        record["times"] = merge_times(record["times"], us)
        record["connections"] += len(us)


def _merge_server(mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Fold one server record into another: extremes, sums and unions."""
    mine["first_seen"] = theirs["first_seen"] if mine["first_seen"] is None else _min(
        mine["first_seen"], theirs["first_seen"] or mine["first_seen"])
    mine["last_seen"] = theirs["last_seen"] if mine["last_seen"] is None else _max(
        mine["last_seen"], theirs["last_seen"] or mine["last_seen"])
    mine["connections"] += theirs["connections"]
    mine["window_connections"] += theirs["window_connections"]
    for client, n in theirs["clients"].items():
        mine["clients"][client] = mine["clients"].get(client, 0) + n
    for name in ("server_names", "fingerprints"):
        mine[name] = sorted(set(mine[name]) | set(theirs[name]))
    causes = set(mine["causes"]) | set(theirs["causes"])
    mine["causes"] = [c.value for c in Cause if c.value in causes]
    if theirs["cert"] and (not mine["cert"] or _rank(theirs["cert"]) > _rank(mine["cert"])):
        mine["cert"] = dict(theirs["cert"])


def merge_times(kept: list[int], more: np.ndarray | list[int]) -> list[int]:
    """The latest ``MAX_TIMES`` of two multisets of times, sorted: the same in any order."""
    both = np.sort(np.r_[np.asarray(kept, dtype=np.int64), np.asarray(more, dtype=np.int64)])
    return [int(t) for t in both[-MAX_TIMES:]]


def intervals_of(pair: dict[str, Any]) -> list[float]:
    """The seconds between a pair's kept connection times."""
    steps: list[float] = (np.diff(np.asarray(pair["times"], dtype=np.int64)) / 1e6).tolist()
    return steps


def _rank(cert: dict[str, Any]) -> tuple[str, str]:
    return str(cert.get("ts") or ""), str(cert.get("fingerprint") or "")


def _new_server() -> dict[str, Any]:
    return {"first_seen": None, "last_seen": None, "connections": 0,
            "window_connections": 0, "clients": {}, "server_names": [], "fingerprints": [],
            "causes": [], "cert": {}, "status": ServerStatus.NEW.value, "known_fingerprints": []}


def _min(old: str | None, new: str) -> str:
    return new if old is None or new < old else old


def _max(old: str | None, new: str) -> str:
    return new if old is None or new > old else old


def settle(acc: Accumulator, now: datetime, gone_after: timedelta) -> None:
    """Set each server's status for this run: new, changed, active, quiet or gone.

    ``new``: first recorded in this run, and seen within ``gone_after`` of ``now``.
    ``changed``: a known server showed a fingerprint it had not shown before this run.
    ``active``: a known server seen again. ``quiet``: a known server not seen in this run,
    but within ``gone_after``. ``gone``: not seen for ``gone_after``, even when first
    recorded in this run (a first run over a long archive), so ``--fail-on new`` never
    fires for a server long gone. A server is ``new`` in one run only.
    """
    limit = pd.Timestamp(now) - gone_after
    for key, record in acc.servers.items():
        before = set(record["known_fingerprints"])
        long_gone = bool(record["last_seen"]) and pd.Timestamp(record["last_seen"]) < limit
        if key in acc.fresh and long_gone:
            status = ServerStatus.GONE
        elif key in acc.fresh:
            status = ServerStatus.NEW
        elif key in acc.seen_now:
            changed = set(record["fingerprints"]) - before
            status = ServerStatus.CHANGED if changed else ServerStatus.ACTIVE
        elif long_gone:
            status = ServerStatus.GONE
        else:
            status = ServerStatus.QUIET
        record["status"] = status.value
        record["known_fingerprints"] = list(record["fingerprints"])


def prune(acc: Accumulator, now: datetime, retention: timedelta = RETENTION) -> int:
    """Drop servers and pairs last seen before ``now - retention``; return how many servers.

    A pair goes with its server, or when its own latest connection is that old.
    """
    limit = _utc(now) - retention
    old = [key for key, record in acc.servers.items()
           if record["last_seen"] and pd.Timestamp(record["last_seen"]) < limit]
    for key in old:
        del acc.servers[key]
    cutoff = limit.value // 1000  # ns to µs, as the times are kept
    acc.pairs = {key: pair for key, pair in acc.pairs.items()
                 if key[1:] in acc.servers and pair["times"] and pair["times"][-1] >= cutoff}
    return len(old)


def _utc(when: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(when)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
