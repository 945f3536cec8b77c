"""Roll classified connections up to one row per server, ``(id.resp_h, id.resp_p)``."""

from __future__ import annotations

import ipaddress

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..causes import Cause

SERVER_KEY = ["id.resp_h", "id.resp_p"]


def cause_flags(classified: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per cause code: does the connection have it?"""
    lists = pa.array(classified["causes"], from_pandas=True)
    flat = pc.list_flatten(lists).to_numpy(zero_copy_only=False)
    parents = pc.list_parent_indices(lists).to_numpy()
    flags = {}
    for cause in Cause:
        row = np.zeros(len(classified), dtype=bool)
        row[parents[flat == cause.value]] = True
        flags[cause.value] = row
    return pd.DataFrame(flags, index=classified.index)


def servers(classified: pd.DataFrame) -> pd.DataFrame:
    """One row per server: causes (union, by precedence), connections, clients, times, names.

    ``connections`` counts every TLS connection to the server; ``failed_connections``
    those with at least one cause, ``unverified_connections`` those that could not be
    judged. Servers are sorted worst first: by primary cause, then by connections.
    """
    frame = classified.copy()
    frame[SERVER_KEY[0]] = frame[SERVER_KEY[0]].astype(object)
    flags = cause_flags(frame)
    groups = frame.groupby(SERVER_KEY, sort=False, dropna=False)
    out = pd.DataFrame({
        "connections": groups.size(),
        "failed_connections": flags.any(axis=1).groupby([frame[k] for k in SERVER_KEY],
                                                         dropna=False).sum(),
        "unverified_connections": (frame["primary_cause"] == "unverified").groupby(
            [frame[k] for k in SERVER_KEY], dropna=False).sum(),
        "clients": groups["id.orig_h"].nunique(),
        "first_seen": groups["ts"].min(),
        "last_seen": groups["ts"].max(),
        "subject": groups["subject"].last(),
        "issuer": groups["issuer"].last(),
        "not_valid_after": groups["not_valid_after"].max(),
    })
    out["server_names"] = _distinct(frame, "server_name").reindex(out.index)
    out["fingerprints"] = _distinct(frame, "fingerprint").reindex(out.index)
    out[["server_names", "fingerprints"]] = out[["server_names", "fingerprints"]].map(
        lambda v: v if isinstance(v, list) else [])
    has = flags.groupby([frame[k] for k in SERVER_KEY], dropna=False).any().reindex(out.index)
    names = np.array([c.value for c in Cause])
    out["causes"] = [list(names[row]) for row in has[list(names)].to_numpy(dtype=bool)]
    out["primary_cause"] = [cs[0] if cs else None for cs in out["causes"]]
    return sort_worst_first(out.reset_index())


def _distinct(frame: pd.DataFrame, column: str) -> pd.Series:
    """The sorted distinct values of ``column`` per server, deduplicated before grouping."""
    pairs = frame[[*SERVER_KEY, column]].dropna(subset=[column]).astype({column: str})
    pairs = pairs.drop_duplicates().sort_values(column)
    return pairs.groupby(SERVER_KEY, sort=False, dropna=False)[column].agg(list)


def sort_worst_first(frame: pd.DataFrame, host: str = SERVER_KEY[0], port: str = SERVER_KEY[1],
                     count: str = "connections") -> pd.DataFrame:
    """By primary cause, then most connections, then address (IPv4 first) and port."""
    rank = frame["primary_cause"].map({c.value: i for i, c in enumerate(Cause)}).fillna(99)
    keys = [_address_key(h) for h in frame[host]]
    address = np.empty(len(keys), dtype=np.int64)
    address[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    order = np.lexsort((frame[port].to_numpy(dtype=float, na_value=np.nan), address,
                        -frame[count].to_numpy(), rank.to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def _address_key(host: object) -> tuple[int, int, str]:
    try:
        ip = ipaddress.ip_address(str(host))
    except ValueError:
        return (9, 0, str(host))
    return (ip.version, int(ip), "")
