"""Cause flags per connection, and the worst-first order of servers ``(id.resp_h, id.resp_p)``."""

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
