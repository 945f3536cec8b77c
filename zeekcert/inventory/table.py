"""The inventory of servers that presented a self-signed certificate (or another cause).

One row per ``(id.resp_h, id.resp_p)``, IPv4 and IPv6 alike: when it was seen, how much,
by whom, under which names and certificates, which other causes it has, how regularly
its clients connect, whether an allowlist entry acknowledges it, and its
``ServerStatus``: ``new``, ``changed`` (a new fingerprint), ``active``, ``quiet`` or
``gone``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from ..causes import Cause
from ..classification import sort_worst_first
from .accumulate import Accumulator, intervals_of, settle
from .allowlist import Acknowledgement, acknowledged_by
from .beacons import interval_stats, is_clockwork

TOP_CLIENTS = 3
GONE_AFTER = timedelta(days=7)
COLUMNS = ["resp_h", "resp_p", "status", "acknowledged", "acknowledged_by", "causes",
           "other_causes", "connections", "total_connections", "clients", "top_clients",
           "first_seen", "last_seen", "server_names", "fingerprints", "fingerprint",
           "subject", "issuer", "not_valid_before", "not_valid_after", "key_type",
           "key_length", "sig_alg", "beacon_client", "median_interval_s", "jitter",
           "clockwork"]


def inventory(classified: pd.DataFrame, now: datetime, cause: str = Cause.SELF_SIGNED.value,
              allowlist: Sequence[Acknowledgement] = ()) -> pd.DataFrame:
    """The inventory of one window of classified connections (every server is ``new``)."""
    acc = Accumulator(cause=cause)
    acc.add(classified)
    settle(acc, now, GONE_AFTER)
    return to_frame(acc, now, allowlist)


def to_frame(acc: Accumulator, now: datetime,
             allowlist: Sequence[Acknowledgement] = ()) -> pd.DataFrame:
    """The inventory as a DataFrame, worst first, with acknowledgements as of ``now``."""
    pairs: dict[tuple[Any, ...], list[tuple[str, dict[str, Any]]]] = {}
    for (client, host, port), pair in acc.pairs.items():
        pairs.setdefault((host, port), []).append((client, pair))
    rows = [_row(key, record, acc.cause, pairs.get(key, []), now, allowlist)
            for key, record in acc.servers.items()]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for name in ("first_seen", "last_seen", "not_valid_before", "not_valid_after"):
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    frame["primary_cause"] = [c[0] if c else None for c in frame["causes"]]
    ordered = sort_worst_first(frame, host="resp_h", port="resp_p", count="total_connections")
    return ordered.drop(columns="primary_cause")


def _row(key: tuple[Any, ...], record: dict[str, Any], cause: str,
         pairs: list[tuple[str, dict[str, Any]]], now: datetime,
         allowlist: Sequence[Acknowledgement]) -> dict[str, Any]:
    host, port = key
    cert = record["cert"]
    entry = acknowledged_by(list(allowlist), pd.Timestamp(now).date(), str(host), int(port),
                            record["fingerprints"], cert.get("subject"))
    clients = sorted(record["clients"].items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "resp_h": host, "resp_p": int(port), "status": record["status"],
        "acknowledged": entry is not None,
        "acknowledged_by": entry.describe() if entry else None,
        "causes": record["causes"],
        "other_causes": [c for c in record["causes"] if c != cause],
        "connections": record["window_connections"],
        "total_connections": record["connections"], "clients": len(clients),
        "top_clients": [f"{c} ({n})" for c, n in clients[:TOP_CLIENTS]],
        "first_seen": record["first_seen"], "last_seen": record["last_seen"],
        "server_names": record["server_names"], "fingerprints": record["fingerprints"],
        **{name: cert.get(name) for name in ("fingerprint", "subject", "issuer",
                                             "not_valid_before", "not_valid_after",
                                             "key_type", "key_length", "sig_alg")},
        **_beacon(pairs),
    }


def _beacon(pairs: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The most regular client of the server: its median interval, jitter and flag."""
    best: dict[str, Any] = {"beacon_client": None, "median_interval_s": None, "jitter": None,
                            "clockwork": False}
    for client, pair in sorted(pairs, key=lambda cp: str(cp[0])):  # ties: the same winner
        if len(pair["times"]) < 3:  # fewer than two intervals: nothing to measure
            continue
        intervals = intervals_of(pair)
        if len(intervals) < 2:
            continue
        median, jitter = interval_stats(intervals)
        if math.isnan(jitter):
            continue
        clockwork = is_clockwork(len(intervals), median, jitter)
        if best["jitter"] is None or (clockwork, -jitter) > (best["clockwork"], -best["jitter"]):
            best = {"beacon_client": client if clockwork else None, "median_interval_s": median,
                    "jitter": jitter, "clockwork": clockwork}
    return best
