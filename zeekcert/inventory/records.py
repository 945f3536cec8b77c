"""The inventory's records as the state keeps them: one JSON-ready dict per server and pair.

A server is ``{first_seen, last_seen, connections, window_connections, clients,
server_names, fingerprints, causes, evidence, cert, status, known_fingerprints,
sensors, ja3s, ja4s}`` and a pair ``{connections, times}`` (state schema 4; a record
written before ``sensors``, ``evidence`` or the TLS stacks were kept has none). These
turn an accumulator's tables into such records and back, once per run of the nightly
job; batches never make a Python record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..causes import Cause
from ..classification import STACK_FIELDS, cause_lists
from ..formatting import iso_column
from ..reading import split_names
from .accumulate import Accumulator
from .columnar import (
    CAUSE_COLUMNS,
    CAUSE_NAMES,
    CERT_COLUMNS,
    KEY2,
    NO_FIRST,
    NO_TIME,
    sorted_lists,
    stamps,
)

Key = tuple[Any, ...]
Records = dict[Key, dict[str, Any]]


def server_records(acc: Accumulator) -> Records:
    """Each server's record, keyed ``(resp_h, resp_p)``."""
    servers = acc.table("servers")
    index = pd.MultiIndex.from_frame(servers[KEY2])
    columns = {
        "first_seen": _texts(servers["first_us"], NO_FIRST),
        "last_seen": _texts(servers["last_us"], NO_TIME),
        "connections": servers["connections"].tolist(),
        "window_connections": servers["window"].tolist(),
        "clients": _clients(acc.table("clients"), index),
        "server_names": sorted_lists(acc.table("names"), index),
        "fingerprints": sorted_lists(acc.table("fingerprints"), index),
        "causes": cause_lists(servers[CAUSE_COLUMNS].to_numpy(dtype=bool)),
        "evidence": sorted_lists(acc.table("evidence"), index),
        "cert": _certificates(servers),
        "status": [s if isinstance(s, str) else "new" for s in servers["status"].tolist()],
        "known_fingerprints": sorted_lists(acc.table("known"), index),
        "sensors": [split_names(v) for v in sorted_lists(acc.table("sensors"), index)],
        **{name: sorted_lists(acc.table(name), index) for name in STACK_FIELDS},
    }
    names = list(columns)
    return {key: dict(zip(names, values, strict=True))
            for key, *values in zip(index.tolist(), *columns.values(), strict=True)}


def pair_records(acc: Accumulator) -> Records:
    """Each pair's connections and its kept times, sorted, keyed ``(orig_h, resp_h, resp_p)``."""
    times = acc.table("times").sort_values(["orig_h", "resp_h", "resp_p", "us"], kind="stable")
    kept: dict[Key, list[int]] = {}
    for client, host, port, us in zip(*(times[c].tolist() for c in times.columns), strict=True):
        kept.setdefault((client, host, port), []).append(us)
    pairs = acc.table("pairs")
    return {(c, h, p): {"connections": n, "times": kept.get((c, h, p), [])}
            for c, h, p, n in zip(*(pairs[k].tolist() for k in pairs.columns), strict=True)}


def from_records(servers: Records, pairs: Records, cause: str = Cause.SELF_SIGNED.value,
                 ) -> Accumulator:
    """An accumulator holding the records a state kept."""
    acc = Accumulator(cause=cause)
    keys = [(h, int(p)) for h, p in servers]
    records = list(servers.values())
    acc.put("servers", _server_table(keys, records))
    acc.put("clients", pd.DataFrame(
        [(h, p, c, n) for (h, p), r in zip(keys, records, strict=True)
         for c, n in r["clients"].items()], columns=["resp_h", "resp_p", "orig_h", "n"]))
    for table, name in (("names", "server_names"), ("fingerprints", "fingerprints"),
                        ("known", "known_fingerprints"), ("sensors", "sensors"),
                        ("evidence", "evidence"), *((n, n) for n in STACK_FIELDS)):
        acc.put(table, _values(keys, (r.get(name) or [] for r in records)))
    pair_keys = [(o, h, int(p)) for o, h, p in pairs]
    acc.put("pairs", pd.DataFrame([(*k, r["connections"]) for k, r in zip(
        pair_keys, pairs.values(), strict=True)], columns=["orig_h", "resp_h", "resp_p",
                                                           "connections"]))
    acc.put("times", pd.DataFrame([(*k, int(t)) for k, r in zip(
        pair_keys, pairs.values(), strict=True) for t in r["times"]],
        columns=["orig_h", "resp_h", "resp_p", "us"]))
    return acc


def _server_table(keys: list[Key], records: list[dict[str, Any]]) -> pd.DataFrame:
    certs = [r.get("cert") or {} for r in records]
    frame = pd.DataFrame({
        "resp_h": pd.Series([k[0] for k in keys], dtype=object),
        "resp_p": [k[1] for k in keys],
        "first_us": _micros([r.get("first_seen") for r in records], NO_FIRST),
        "last_us": _micros([r.get("last_seen") for r in records], NO_TIME),
        "connections": [int(r["connections"]) for r in records],
        "window": [int(r.get("window_connections", 0)) for r in records],
        "prior": False, "seen": False,
        "status": pd.Series([r.get("status") for r in records], dtype=object),
        "cert_us": _micros([c.get("ts") for c in certs], NO_TIME),
        "cert_fp": pd.Series([str(c.get("fingerprint") or "") for c in certs], dtype=object),
        **{f"cert.{n}": pd.Series([c.get(n) for c in certs], dtype=object)
           for n in CERT_COLUMNS},
    })
    had = [set(r.get("causes") or []) for r in records]
    for name, column in zip(CAUSE_NAMES, CAUSE_COLUMNS, strict=True):
        frame[column] = np.array([name in h for h in had], dtype=bool)
    return frame


def _values(keys: list[Key], lists: Iterable[list[str]]) -> pd.DataFrame:
    return pd.DataFrame([(h, p, str(v)) for (h, p), values in zip(keys, lists, strict=True)
                         for v in values], columns=["resp_h", "resp_p", "value"])


def _micros(texts: list[str | None], missing: int) -> np.ndarray:
    """ISO 8601 times as µs since the epoch; ``missing`` where there is none."""
    if not texts:
        return np.array([], dtype=np.int64)
    stamps = pd.to_datetime(pd.Series(texts, dtype=object), utc=True, format="ISO8601")
    us = stamps.dt.tz_convert(None).to_numpy(dtype="datetime64[us]").view(np.int64).copy()
    us[stamps.isna().to_numpy()] = missing
    return us


def _texts(us: pd.Series, missing: int) -> list[str | None]:
    return iso_column(stamps(us, missing))


def _clients(clients: pd.DataFrame, index: pd.MultiIndex) -> list[dict[str, int]]:
    """Each server's clients and their counts, in the order of their addresses' text, so
    the record's JSON does not depend on the order connections were folded in."""
    clients = clients.sort_values(["resp_h", "resp_p", "orig_h"], kind="stable")
    found: dict[Key, dict[str, int]] = {}
    for host, port, client, n in zip(*(clients[c].tolist() for c in clients.columns),
                                     strict=True):
        found.setdefault((host, port), {})[client] = n
    return [found.get(key, {}) for key in index.tolist()]


def _certificates(servers: pd.DataFrame) -> list[dict[str, Any]]:
    stamps = _texts(servers["cert_us"], NO_TIME)
    columns = [servers[f"cert.{n}"].tolist() for n in CERT_COLUMNS]
    return [{} if when is None else {**dict(zip(CERT_COLUMNS, values, strict=True)),
                                     "ts": when}
            for when, *values in zip(stamps, *columns, strict=True)]
