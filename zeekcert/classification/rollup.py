"""Cause flags per connection, and the worst-first order of servers ``(id.resp_h, id.resp_p)``."""

from __future__ import annotations

import ipaddress
import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..causes import Cause

SERVER_KEY = ["id.resp_h", "id.resp_p"]
_NAMES = [c.value for c in Cause]


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


def cause_lists(bits: np.ndarray) -> list[list[str]]:
    """Each row's cause names, in order of precedence, from a rows × causes bool array.

    Rows with the same causes share one list: a day of a million servers has a few
    dozen patterns.
    """
    if not len(bits):
        return []
    patterns, which = np.unique(bits, axis=0, return_inverse=True)
    named = [[_NAMES[j] for j in np.flatnonzero(p)] for p in patterns]
    return [named[w] for w in which.reshape(-1).tolist()]


def sort_worst_first(frame: pd.DataFrame, host: str = SERVER_KEY[0], port: str = SERVER_KEY[1],
                     count: str = "connections") -> pd.DataFrame:
    """By primary cause, then most connections, then address (IPv4 first) and port."""
    rank = frame["primary_cause"].map({c.value: i for i, c in enumerate(Cause)}).fillna(99)
    order = np.lexsort((frame[port].to_numpy(dtype=float, na_value=np.nan),
                        address_rank(frame[host]), -frame[count].to_numpy(), rank.to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


# A dotted quad as ``ipaddress`` accepts it: no leading zeros, each part at most 255.
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}$"


def address_rank(hosts: pd.Series) -> np.ndarray:
    """Each host's place in address order: IPv4 by value, then IPv6, then anything else.

    IPv4 addresses, nearly all of a site's servers, are ordered by numpy; the rest one by
    one with ``ipaddress``. Equal hosts share a rank, so a sort on it leaves their order
    to the next key (the port), not to where the rows happen to be.
    """
    text = pa.array(hosts.astype(object).where(hosts.notna(), "").astype(str).to_numpy(
        dtype=object), pa.string())
    v4 = pc.match_substring_regex(text, _IPV4).to_numpy(zero_copy_only=False)
    octets = pc.cast(pc.list_flatten(pc.split_pattern(text.filter(pa.array(v4)), ".")),
                     pa.int64()).to_numpy().reshape(-1, 4)
    value = (octets[:, 0] << 24) | (octets[:, 1] << 16) | (octets[:, 2] << 8) | octets[:, 3]
    by_value = np.argsort(value, kind="stable")
    fours, value = np.flatnonzero(v4)[by_value], value[by_value]
    names = text.to_pylist()
    keys = sorted((_address_key(names[i]), i) for i in np.flatnonzero(~v4).tolist())
    others = np.asarray([i for _, i in keys], dtype=np.int64)
    new = np.ones(len(hosts), dtype=bool)  # where a new address starts, in address order
    new[1:len(fours)] = value[1:] != value[:-1]
    new[len(fours) + 1:] = [a != b for (a, _), (b, _) in itertools.pairwise(keys)]
    rank = np.empty(len(hosts), dtype=np.int64)
    rank[np.r_[fours, others]] = np.cumsum(new) - 1  # equal hosts share a rank: ports decide
    return rank


def _address_key(host: object) -> tuple[int, int, str]:
    try:
        ip = ipaddress.ip_address(str(host))
    except ValueError:
        return (9, 0, str(host))
    return (ip.version, int(ip), str(host))  # two spellings of one address: by text
