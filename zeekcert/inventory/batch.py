"""One batch of classified connections as the parts it adds to each table (see ``columnar``).

Keys are turned into integer codes once (``pd.factorize``, free for the reader's
categorical addresses); every aggregate is then a numpy reduction over codes, and each
part is built with one DataFrame call. A batch costs a few dozen array operations
whatever its number of servers or pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..causes import Cause
from ..classification import cause_flags
from ..formatting import plain_column
from ..hunting import Catalogue, c2_connections
from .columnar import (
    CAUSE_COLUMNS,
    CAUSE_NAMES,
    CERT_COLUMNS,
    CLIENTS,
    NO_TIME,
    PAIRS,
    SERVERS,
    TIMES,
    VALUES,
)
from .parts import typed

# A classified frame's column marking the connections whose failing leaf a C2 catalogue
# entry matches (``taking.classified``): kept whatever the run's cause.
C2_MATCH = "c2_match"


@dataclass
class C2Marks:
    """The catalogue whose C2 matches are kept whatever the cause, with the answer for
    each leaf seen so far, so that a run's batches match each certificate once."""

    catalogue: Catalogue
    known: dict[str, bool] = field(default_factory=dict)

    def marked(self, classified: pd.DataFrame) -> pd.DataFrame:
        """``classified`` with its ``C2_MATCH`` column (``hunting.c2_connections``)."""
        return classified.assign(**{C2_MATCH: c2_connections(classified, self.catalogue,
                                                             self.known)})


@dataclass
class Batch:
    """The selected rows of one batch: their server code, time and client code."""

    classified: pd.DataFrame
    rows: np.ndarray  # positions in ``classified`` of the rows that show the cause
    server: np.ndarray  # each row's server, an index into ``hosts`` and ``ports``
    hosts: np.ndarray
    ports: np.ndarray
    us: np.ndarray
    flags: pd.DataFrame

    @classmethod
    def of(cls, classified: pd.DataFrame, cause: str) -> Batch | None:
        """The connections that show the cause, or are marked ``C2_MATCH``, each on its
        own, with a server and a time; None when there are none."""
        flags = cause_flags(classified)
        hit = (flags.any(axis=1) if cause == "any" else flags[Cause(cause).value]).to_numpy(
            dtype=bool)
        if C2_MATCH in classified.columns:  # a C2's server is kept whatever its cause
            hit = hit | classified[C2_MATCH].to_numpy(dtype=bool)
        keep = (hit & classified["id.resp_p"].notna().to_numpy()
                & classified["id.resp_h"].notna().to_numpy()
                & classified["ts"].notna().to_numpy())
        rows = np.flatnonzero(keep)
        if not len(rows):
            return None
        host_code, hosts = _codes(classified["id.resp_h"].iloc[rows], text=False)
        port = classified["id.resp_p"].iloc[rows].to_numpy(dtype=np.int64)
        server = np.unique(host_code * (int(port.max()) + 1) + port,
                           return_inverse=True)[1].reshape(-1)
        first = np.unique(server, return_index=True)[1]
        us = pd.to_datetime(classified["ts"].iloc[rows], utc=True).astype(
            "datetime64[us, UTC]").to_numpy(dtype=np.int64)
        return cls(classified, rows, server, hosts[host_code[first]],
                   port[first], us, flags.iloc[rows].reset_index(drop=True))

    def column(self, name: str) -> pd.Series:
        """A column of ``classified`` at the selected rows."""
        return self.classified[name].iloc[self.rows]

    def servers(self) -> pd.DataFrame:
        """Per server: extremes, counts, cause flags and its latest certificate."""
        order = np.argsort(self.server, kind="stable")
        starts = np.searchsorted(self.server[order], np.arange(len(self.hosts)))
        counts = np.bincount(self.server, minlength=len(self.hosts))
        part = pd.DataFrame({
            "resp_h": self.hosts, "resp_p": self.ports,
            "first_us": np.minimum.reduceat(self.us[order], starts),
            "last_us": np.maximum.reduceat(self.us[order], starts),
            "connections": counts, "window": counts, "prior": False, "seen": True,
            "status": pd.Series([None] * len(self.hosts), dtype=object),
            **{column: np.logical_or.reduceat(self.flags[name].to_numpy(dtype=bool)[order],
                                              starts)
               for name, column in zip(CAUSE_NAMES, CAUSE_COLUMNS, strict=True)},
            **self._latest_certificates(),
        })
        return typed(part, SERVERS)

    def _latest_certificates(self) -> dict[str, object]:
        """Each server's certificate of greatest (time, fingerprint): a tie has one winner."""
        shown = np.flatnonzero(self.column("subject").notna().to_numpy())
        fp_code, fps = _codes(self.column("fingerprint").iloc[shown])
        rank = np.argsort(np.argsort(np.append(fps, ""), kind="stable"))  # "" for none
        order = np.lexsort((rank[fp_code], self.us[shown], self.server[shown]))
        servers = self.server[shown][order]
        last = np.flatnonzero(np.r_[servers[1:] != servers[:-1], True]) if len(order) else (
            np.zeros(0, dtype=np.int64))
        pick = shown[order[last]]
        at = servers[last]
        out: dict[str, object] = {}
        us = np.full(len(self.hosts), NO_TIME, dtype=np.int64)
        us[at] = self.us[pick]
        text = np.full(len(self.hosts), "", dtype=object)
        text[at] = np.append(fps, "")[fp_code[order[last]]]
        out |= {"cert_us": us, "cert_fp": text}
        for name in CERT_COLUMNS:
            values = np.full(len(self.hosts), None, dtype=object)
            values[at] = pd.Series(plain_column(self.column(name).iloc[pick]),
                                   dtype=object).to_numpy()
            out[f"cert.{name}"] = values
        return out

    def pairs(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Connections per (server, client), as ``clients`` and as ``pairs``, and the
        times of each pair; a connection without a client is in neither."""
        client_code, clients = _codes(self.column("id.orig_h"))
        known = client_code >= 0
        server, client, us = self.server[known], client_code[known], self.us[known]
        _, first, counts = np.unique(server * (len(clients) + 1) + client,
                                     return_index=True, return_counts=True)
        hosts, ports = self.hosts[server[first]], self.ports[server[first]]
        origs = clients[client[first]]
        per_server = pd.DataFrame({"resp_h": hosts, "resp_p": ports, "orig_h": origs,
                                   "n": counts})
        per_pair = pd.DataFrame({"orig_h": origs, "resp_h": hosts, "resp_p": ports,
                                 "connections": counts})
        times = pd.DataFrame({"orig_h": clients[client], "resp_h": self.hosts[server],
                              "resp_p": self.ports[server], "us": us})
        return typed(per_server, CLIENTS), typed(per_pair, PAIRS), typed(times, TIMES)

    def listed(self, name: str) -> pd.DataFrame:
        """The distinct (server, item) of a column of lists, such as ``evidence``."""
        at, items = _listed_codes(self.rows, self.classified[name])
        frame = pd.DataFrame({"resp_h": self.hosts[self.server[at]],
                              "resp_p": self.ports[self.server[at]], "value": items})
        return typed(frame.drop_duplicates(), VALUES)

    def values(self, name: str, shown_only: bool = False) -> pd.DataFrame:
        """The distinct (server, value) of one column, values as text."""
        code, uniques = _codes(self.column(name))
        if shown_only:
            code = np.where(self.column("subject").notna().to_numpy(), code, -1)
        known = code >= 0
        keys = np.unique(self.server[known] * (len(uniques) + 1) + code[known])
        server, value = keys // (len(uniques) + 1), keys % (len(uniques) + 1)
        return typed(pd.DataFrame({"resp_h": self.hosts[server], "resp_p": self.ports[server],
                                   "value": uniques[value]}), VALUES)


def _listed_codes(rows: np.ndarray, column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each list item's row (of ``rows``) and the items, for a column of lists, flattened
    by Arrow as ``classification.cause_flags`` does: no Python step per connection."""
    lists = pa.array(column.iloc[rows], from_pandas=True)
    items = pc.list_flatten(lists).to_numpy(zero_copy_only=False).astype(object)
    return pc.list_parent_indices(lists).to_numpy(), items


def _codes(column: pd.Series, text: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Each value's code (-1 for NA) and the distinct values, as text when ``text``."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    values = np.asarray(uniques, dtype=object)
    if text:
        values = np.array([v if isinstance(v, str) else str(v) for v in values], dtype=object)
    return codes.astype(np.int64), values
