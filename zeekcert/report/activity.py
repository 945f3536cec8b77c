"""Who connected to the servers a report shows, and when.

For each server a report lists (the worst failing ones and the self-signed ones), its
connections' times and clients, so that a claim such as "polled every 144 s" can be
seen on a timeline and not only read. Bounded: ``MAX_SERVERS`` servers, and each
server's latest ``MAX_CONNECTIONS`` connections.
"""

from __future__ import annotations

import pandas as pd

from ..causes import Cause

MAX_SERVERS = 100
MAX_CONNECTIONS = 500
COLUMNS = ["resp_h", "resp_p", "orig_h", "ts", "failing"]


def rows_of(classified: pd.DataFrame, hosts: set[str]) -> pd.DataFrame:
    """The connections to ``hosts``, in the columns a timeline needs."""
    near = classified[classified["id.resp_h"].isin(list(hosts)).to_numpy(dtype=bool)]
    return pd.DataFrame({
        "resp_h": near["id.resp_h"].astype("str").array,  # Arrow-backed: compact
        "resp_p": near["id.resp_p"].astype("Int64").array,
        "orig_h": near["id.orig_h"].astype("str").array,
        "ts": near["ts"].array,
        "failing": near["primary_cause"].isin([c.value for c in Cause]).to_numpy(),
    }).dropna(subset=["ts"])


def latest(rows: pd.DataFrame) -> pd.DataFrame:
    """Each server's latest ``MAX_CONNECTIONS`` rows, in time order (ties: client, flag)."""
    ordered = rows.sort_values(["resp_h", "resp_p", "ts", "orig_h", "failing"], kind="stable")
    return ordered.groupby(["resp_h", "resp_p"], sort=False, dropna=False).tail(
        MAX_CONNECTIONS).reset_index(drop=True)


def activity(rows: pd.DataFrame, servers: pd.DataFrame,
             self_signed: pd.DataFrame) -> pd.DataFrame:
    """One row per shown connection: server, client, time and whether it failed.

    ``rows`` holds (at least) the connections of the shown servers, as ``rows_of`` makes
    them; the shown servers are the worst failing ones and the self-signed.
    """
    keys = _shown(servers, self_signed)
    if not keys or not len(rows):
        return pd.DataFrame(columns=COLUMNS)
    wanted = pd.MultiIndex.from_tuples(sorted(keys), names=["resp_h", "resp_p"])
    shown = rows[pd.MultiIndex.from_frame(rows[["resp_h", "resp_p"]]).isin(wanted)]
    return latest(shown)[COLUMNS]


def _shown(servers: pd.DataFrame, self_signed: pd.DataFrame) -> set[tuple[str, int]]:
    """The servers the report lists first: the worst failing ones, and the self-signed."""
    keys: set[tuple[str, int]] = set()
    for frame in (self_signed, servers):
        for host, port in zip(frame["resp_h"].head(MAX_SERVERS),
                              frame["resp_p"].head(MAX_SERVERS), strict=True):
            if pd.notna(port):
                keys.add((str(host), int(port)))
    return keys
