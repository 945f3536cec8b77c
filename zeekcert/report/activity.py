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


def activity(classified: pd.DataFrame, servers: pd.DataFrame,
             self_signed: pd.DataFrame) -> pd.DataFrame:
    """One row per shown connection: server, client, time and whether it failed."""
    keys = _shown(servers, self_signed)
    if not keys or not len(classified):
        return pd.DataFrame(columns=COLUMNS)
    hosts = {h for h, _ in keys}
    near = classified[classified["id.resp_h"].astype(str).isin(hosts).to_numpy()]
    frame = pd.DataFrame({
        "resp_h": near["id.resp_h"].astype(str).to_numpy(),
        "resp_p": near["id.resp_p"].astype("Int64").to_numpy(),
        "orig_h": near["id.orig_h"].astype(str).to_numpy(),
        "ts": near["ts"].to_numpy(),
        "failing": near["primary_cause"].isin([c.value for c in Cause]).to_numpy(),
    })
    wanted = pd.MultiIndex.from_tuples(sorted(keys), names=["resp_h", "resp_p"])
    frame = frame[pd.MultiIndex.from_frame(frame[["resp_h", "resp_p"]]).isin(wanted)]
    frame = frame.dropna(subset=["ts"]).sort_values(["resp_h", "resp_p", "ts"], kind="stable")
    latest = frame.groupby(["resp_h", "resp_p"], sort=False).tail(MAX_CONNECTIONS)
    return latest.reset_index(drop=True)[COLUMNS]


def _shown(servers: pd.DataFrame, self_signed: pd.DataFrame) -> set[tuple[str, int]]:
    """The servers the report lists first: the worst failing ones, and the self-signed."""
    keys: set[tuple[str, int]] = set()
    for frame in (self_signed, servers):
        for host, port in zip(frame["resp_h"].head(MAX_SERVERS),
                              frame["resp_p"].head(MAX_SERVERS), strict=True):
            if pd.notna(port):
                keys.add((str(host), int(port)))
    return keys
