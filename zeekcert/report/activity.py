"""Who connected to the servers a report shows, and when.

For each server a report lists (the worst failing ones and the self-signed ones), its
connections' times and clients, so that a claim such as "polled every 144 s" can be
seen on a timeline and not only read. Bounded: ``MAX_SERVERS`` servers, and each
server's latest ``MAX_CONNECTIONS`` connections.

Which servers are shown is known only at the end, so ``Activity`` keeps the rows of every
server seen failing, from the first batch in which it failed, as 25 bytes a row: the
server and the client as 64-bit hashes, the time in µs and whether the connection
failed. Client addresses are kept once each, beside (``classification.hashed``). Past
``MAX_CONNECTIONS`` rows a server keeps its latest ones, ties at the cut included, so the
final cut (by time, then client, then flag, on text) is the one a single batch would make.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..causes import Cause
from ..classification import hashed, lookup, merged_texts, server_hashes

MAX_SERVERS = 100
MAX_CONNECTIONS = 500
COLUMNS = ["resp_h", "resp_p", "orig_h", "ts", "failing"]
MIN_ROWS = 50_000  # rows held before the first cut
_NO_CLIENT = np.uint64(0)  # the hash of a missing client: a text hash is 0 with odds 2⁻⁶⁴


@dataclass
class Activity:
    """The connections of servers seen failing; ``add`` a batch, ``merge`` another."""

    failing: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))  # sorted
    parts: list[pd.DataFrame] = field(default_factory=list)
    clients: list[pd.DataFrame] = field(default_factory=list)  # tables of texts
    held: int = 0  # rows after the last cut

    def add(self, classified: pd.DataFrame, failed: np.ndarray) -> None:
        """Fold in one batch; ``failed`` says which of its connections failed."""
        servers = server_hashes(classified["id.resp_h"], classified["id.resp_p"])
        self.failing = np.union1d(self.failing, servers[failed])
        keep = np.isin(servers, self.failing) & classified["ts"].notna().to_numpy()
        if not keep.any():
            return
        near = classified[keep]
        client, names = hashed(near["id.orig_h"])
        client[near["id.orig_h"].isna().to_numpy()] = _NO_CLIENT
        us = pd.DatetimeIndex(pd.to_datetime(near["ts"], utc=True)).as_unit("us").asi8
        failing = near["primary_cause"].isin([c.value for c in Cause]).to_numpy(dtype=bool)
        self._keep(pd.DataFrame({"server": servers[keep], "client": client,
                                 "us": us, "failing": failing}),
                   names)

    def merge(self, other: Activity) -> None:
        """Fold in another tally's activity (of another file or worker)."""
        self.failing = np.union1d(self.failing, other.failing)
        self.clients += other.clients
        for rows in other.parts:
            self._keep(rows)

    def rows(self, keys: set[tuple[str, int]]) -> pd.DataFrame:
        """The rows kept of the servers ``keys`` and of no other, in ``COLUMNS``, in no
        order."""
        if not keys or not self.parts:
            return pd.DataFrame({c: [] for c in COLUMNS})
        hosts = pd.Series([h for h, _ in keys], dtype=object)
        ports = pd.Series([p for _, p in keys], dtype="Int64")
        wanted = pd.DataFrame({"server": server_hashes(hosts, ports), "resp_h": hosts,
                               "resp_p": ports})
        held = pd.concat(self.parts, ignore_index=True).merge(wanted, on="server")
        names = merged_texts(self.clients)
        return pd.DataFrame({
            "resp_h": held["resp_h"].astype("str").array, "resp_p": held["resp_p"].array,
            "orig_h": pd.array(lookup(names, held["client"].to_numpy()), dtype="str"),
            "ts": pd.to_datetime(held["us"].to_numpy(), unit="us", utc=True).as_unit("us"),
            "failing": held["failing"].to_numpy(dtype=bool)})

    def _keep(self, rows: pd.DataFrame, clients: pd.DataFrame | None = None) -> None:
        """Hold rows; once they have doubled, cut servers past the cap (see the module)."""
        self.parts.append(rows)
        if clients is not None:
            self.clients.append(clients)
        self.held += len(rows)
        if self.held <= 2 * max(len(self.parts[0]), MIN_ROWS):
            return
        self.parts = [_latest_of_each(pd.concat(self.parts, ignore_index=True))]
        self.clients = [merged_texts(self.clients)]
        self.held = len(self.parts[0])


def _latest_of_each(rows: pd.DataFrame) -> pd.DataFrame:
    """Each server's rows from its ``MAX_CONNECTIONS``-th latest time on (ties kept)."""
    server, us = rows["server"].to_numpy(), rows["us"].to_numpy()
    order = np.lexsort((us, server))
    server, us = server[order], us[order]
    ends = np.r_[np.flatnonzero(server[1:] != server[:-1]), len(server) - 1]
    sizes = np.diff(np.r_[-1, ends])
    if not (sizes > MAX_CONNECTIONS).any():
        return rows
    cut_at = np.repeat(np.where(sizes > MAX_CONNECTIONS, ends - MAX_CONNECTIONS + 1,
                                ends - sizes + 1), sizes)
    keep: np.ndarray = us >= us[cut_at]
    kept: pd.DataFrame = rows.iloc[order[keep]].reset_index(drop=True)
    return kept


def latest(rows: pd.DataFrame) -> pd.DataFrame:
    """Each server's latest ``MAX_CONNECTIONS`` rows, in time order (ties: client, flag)."""
    ordered = rows.sort_values(["resp_h", "resp_p", "ts", "orig_h", "failing"], kind="stable")
    return ordered.groupby(["resp_h", "resp_p"], sort=False, dropna=False).tail(
        MAX_CONNECTIONS).reset_index(drop=True)


def shown(servers: pd.DataFrame, self_signed: pd.DataFrame) -> set[tuple[str, int]]:
    """The servers the report lists first: the worst failing ones, and the self-signed."""
    keys: set[tuple[str, int]] = set()
    for frame in (self_signed, servers):
        for host, port in zip(frame["resp_h"].head(MAX_SERVERS),
                              frame["resp_p"].head(MAX_SERVERS), strict=True):
            if pd.notna(port):
                keys.add((str(host), int(port)))
    return keys


def activity(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per shown connection: server, client, time and whether it failed.

    ``rows`` are the connections of the shown servers, as ``Activity.rows`` gives them.
    """
    if not len(rows):
        return pd.DataFrame(columns=COLUMNS)
    return latest(rows)[COLUMNS]
