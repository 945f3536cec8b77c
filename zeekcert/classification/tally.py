"""Per-server rollups of classified batches, merged exactly in any order.

A report on a big site's day sees its connections a batch at a time. Each batch becomes
partial records, all computed by pandas per group: per server its counts, first and
last time, cause flags and latest certificate; the distinct (server, client),
(server, name), (server, fingerprint), (server, sensors) and (server, JA3S or JA4S)
pairs. Partials are merged by sum, min, max, any and union, and the latest certificate
is the one of greatest (time, subject), so any order and any cut into batches give the
same table. Partials are compacted when they outgrow what is already compacted: the cost
is amortised, and memory follows the number of servers, not of connections.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..causes import Cause, Verdict
from ..reading import split_names, text_hashes
from .distinct import lists_per
from .hashed_texts import hashed, lookup, merged_texts, no_texts
from .rollup import cause_flags, cause_lists, sort_worst_first
from .verdicts import STACK_FIELDS

KEY = ["id.resp_h", "id.resp_p"]
FLAGS = [c.value for c in Cause]
_SUMS = {"connections": "sum", "failed_connections": "sum", "unverified_connections": "sum",
         "first_seen": "min", "last_seen": "max", "not_valid_after": "max",
         **{f: "max" for f in FLAGS}}
_DISTINCT = {"clients": "id.orig_h", "server_names": "server_name",
             "fingerprints": "fingerprint", "sensors": "sensor",
             **{name: name for name in STACK_FIELDS}}
# Kept as text and listed as they are; sensors are kept as text too, and split when listed.
_LISTED = ("server_names", "fingerprints", *STACK_FIELDS)

MIN_COMPACT = 50_000  # partial rows kept before the first compaction


@dataclass
class Part:
    """Partial records: per server, its latest certificate; the distinct-pair sets, as
    (server, value) hashes; and the texts of the values. A client's text is kept once
    however many servers it reached, so they cost the site's clients, not its pairs."""

    servers: pd.DataFrame
    latest: pd.DataFrame
    pairs: dict[str, pd.DataFrame]
    texts: dict[str, pd.DataFrame]

    def rows(self) -> int:
        """How many rows the part holds in all."""
        return (len(self.servers) + len(self.latest) + sum(len(p) for p in self.pairs.values())
                + sum(len(t) for t in self.texts.values()))


def part_of(classified: pd.DataFrame) -> Part:
    """The partial records of one batch of classified connections.

    Grouping is done on the batch's own (categorical) columns; only the per-server
    results are turned into text keys, which are the same in every batch.
    """
    keys = {KEY[0]: classified[KEY[0]].array, KEY[1]: classified[KEY[1]].astype("Int64").array}
    flags = cause_flags(classified)
    rows = pd.DataFrame({
        **keys, "connections": 1,
        "failed_connections": flags.any(axis=1).to_numpy(dtype=np.int64),
        "unverified_connections": (classified["primary_cause"] == Verdict.UNVERIFIED.value)
        .to_numpy(dtype=np.int64),
        "first_seen": _times(classified["ts"]), "last_seen": _times(classified["ts"]),
        "not_valid_after": _times(classified["not_valid_after"]),
        **{f: flags[f].to_numpy() for f in FLAGS}})
    servers = _text_keys(rows.groupby(KEY, sort=False, dropna=False, observed=True).agg(
        _SUMS).reset_index())
    certs = pd.DataFrame({**keys, "ts": _times(classified["ts"]),
                          "subject": classified["subject"].array,
                          "issuer": classified["issuer"].array})
    server = server_hashes(classified[KEY[0]], classified[KEY[1]])
    pairs, texts = {}, {}
    for name, column in _DISTINCT.items():
        values = classified[column] if column in classified.columns else pd.Series(
            pd.NA, index=classified.index, dtype="string")  # sensor, JA3S: when there
        pairs[name], texts[name] = _hashed_pairs(server, values)
    return Part(servers, _latest(certs[certs["subject"].notna().to_numpy()]), pairs, texts)


def _hashed_pairs(server: np.ndarray, values: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The distinct (server, value) pairs as two 64-bit hashes, and the values' texts.

    Nearly every connection of a big day is a (server, client) pair of its own, so
    these pairs are as many as the connections: 16 bytes each, where text took a hundred.
    """
    present = values.notna().to_numpy()
    value, texts = hashed(values[present])
    pairs = pd.DataFrame({"server": server[present], "value": value}).drop_duplicates(
        ignore_index=True)
    return pairs, texts


def server_hashes(hosts: pd.Series, ports: pd.Series) -> np.ndarray:
    """A 64-bit hash of each (address, port), the same in every batch and process."""
    host = text_hashes(hosts)
    port = pd.util.hash_array(ports.astype("Int64").fillna(-1).to_numpy(dtype=np.int64))
    return pd.util.hash_array(host ^ (port * np.uint64(0x9E3779B97F4A7C15)))


def _times(column: pd.Series) -> pd.api.extensions.ExtensionArray:
    """A time column's array as it is: ``to_numpy`` would make one object per value."""
    return pd.to_datetime(column, utc=True).astype("datetime64[us, UTC]").array


def _text_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the address as text, the same in every batch, and the port Int64."""
    out = frame.copy()
    out[KEY[0]] = frame[KEY[0]].astype("str")  # Arrow-backed text: no Python string a row
    out[KEY[1]] = frame[KEY[1]].astype("Int64")
    return out


def _latest(certs: pd.DataFrame) -> pd.DataFrame:
    """Per server, the certificate row of greatest (time, subject, issuer).

    Only the rows at a server's latest time are compared as text: the few ties.
    """
    if not len(certs):
        return _text_keys(certs)
    latest = certs.groupby(KEY, sort=False, dropna=False, observed=True)["ts"].transform("max")
    at_latest = (certs["ts"] == latest).fillna(False) | latest.isna()  # no time: all tie
    tied = _text_keys(certs[at_latest.to_numpy(dtype=bool)])
    tied = tied.astype({"subject": str, "issuer": str})
    ordered = tied.sort_values(["subject", "issuer"], kind="stable")
    return ordered.drop_duplicates(KEY, keep="last").reset_index(drop=True)


def merge(parts: list[Part]) -> Part:
    """One part holding what all of ``parts`` hold: sums, extremes and unions."""
    if len(parts) == 1:
        return parts[0]
    servers = pd.concat([p.servers for p in parts], ignore_index=True)
    servers = servers.groupby(KEY, sort=False, dropna=False).agg(_SUMS).reset_index()
    latest = _latest(pd.concat([p.latest for p in parts], ignore_index=True))
    pairs = {name: pd.concat([p.pairs[name] for p in parts], ignore_index=True)
             .drop_duplicates(ignore_index=True) for name in _DISTINCT}
    texts = {name: merged_texts([p.texts[name] for p in parts]) for name in parts[0].texts}
    return Part(servers, latest, pairs, texts)


class ServerTally:
    """Folds batches into per-server records; ``table()`` gives ``servers()``'s table."""

    def __init__(self) -> None:
        self._done: Part | None = None
        self._parts: list[Part] = []

    def add(self, classified: pd.DataFrame) -> None:
        """Take in one batch, in any order of batches."""
        if len(classified):
            self.take(part_of(classified))

    def take(self, part: Part) -> None:
        """Take in a part made elsewhere (another batch, file or worker)."""
        self._parts.append(part)
        done = self._done.rows() if self._done else 0
        if sum(p.rows() for p in self._parts) > max(done, MIN_COMPACT):
            self.compact()

    def compact(self) -> Part:
        """Merge everything taken so far into one part, and return it."""
        parts = ([self._done] if self._done else []) + self._parts
        if parts:
            self._done, self._parts = merge(parts), []
        return self._done or part_of_nothing()

    def table(self, failing_only: bool = False,
              local: Callable[[str], bool] | None = None) -> pd.DataFrame:
        """One row per server, worst first (see ``rollup.servers``); with ``local`` (which
        addresses are the site's own), ``internal_clients`` counts the clients it says are."""
        done = self.compact()
        servers = done.servers
        if failing_only:
            servers = servers[servers[FLAGS].any(axis=1).to_numpy()]
        out = _finish(servers.reset_index(drop=True), done)
        if local is not None:
            out["internal_clients"] = _internal_clients(done, out, local)
        return sort_worst_first(out)


def part_of_nothing() -> Part:
    """The part of no connections."""
    empty = pd.DataFrame({KEY[0]: pd.Series(dtype=object), KEY[1]: pd.Series(dtype="Int64")})
    servers = empty.assign(**{c: pd.Series(dtype="int64") for c in _SUMS})
    for name in ("first_seen", "last_seen", "not_valid_after"):
        servers[name] = pd.Series(dtype="datetime64[us, UTC]")
    servers[FLAGS] = servers[FLAGS].astype(bool)
    latest = empty.assign(ts=pd.Series(dtype="datetime64[us, UTC]"), subject=pd.Series(
        dtype=object), issuer=pd.Series(dtype=object))
    pairs = {n: pd.DataFrame({"server": pd.Series(dtype=np.uint64),
                              "value": pd.Series(dtype=np.uint64)}) for n in _DISTINCT}
    return Part(servers, latest, pairs, {n: no_texts() for n in (*_LISTED, "sensors",
                                                                 "clients")})


def _finish(servers: pd.DataFrame, done: Part) -> pd.DataFrame:
    """The selected servers with clients counted, lists sorted and causes named."""
    index = pd.MultiIndex.from_frame(servers[KEY])
    out = servers[[*KEY, "connections", "failed_connections", "unverified_connections"]].copy()
    clients = done.pairs["clients"].groupby("server").size()
    mine = server_hashes(servers[KEY[0]], servers[KEY[1]])
    out["clients"] = clients.reindex(mine).fillna(0).to_numpy(dtype=np.int64)
    out["first_seen"] = servers["first_seen"].array
    out["last_seen"] = servers["last_seen"].array
    latest = done.latest.set_index(KEY).reindex(index)
    out["subject"] = latest["subject"].to_numpy()
    out["issuer"] = latest["issuer"].to_numpy()
    out["not_valid_after"] = servers["not_valid_after"].array
    for name in _LISTED:
        out[name] = _lists(done.pairs[name], done.texts[name], mine)
    out["sensors"] = [split_names(v) for v in _lists(done.pairs["sensors"],
                                                     done.texts["sensors"], mine)]
    out["causes"] = cause_lists(servers[FLAGS].to_numpy(dtype=bool))
    out["primary_cause"] = [cs[0] if cs else None for cs in out["causes"]]
    return out


def _internal_clients(done: Part, out: pd.DataFrame, local: Callable[[str], bool]
                      ) -> np.ndarray:
    """Per server of ``out``, how many of its distinct clients ``local`` calls local;
    each distinct client address is judged once."""
    texts = done.texts["clients"]
    inside = [bool(local(str(t))) for t in texts["text"]] if len(texts) else []
    local_hashes = texts["hash"].to_numpy()[np.asarray(inside, dtype=bool)]
    pairs = done.pairs["clients"]
    mine = pairs[np.isin(pairs["value"].to_numpy(), local_hashes)]
    counts = mine.groupby("server").size()
    servers = server_hashes(out[KEY[0]], out[KEY[1]])
    return counts.reindex(servers).fillna(0).to_numpy(dtype=np.int64)


def _lists(pairs: pd.DataFrame, texts: pd.DataFrame, servers: np.ndarray) -> list[list[str]]:
    """The sorted distinct values of each server (by hash) of ``servers``."""
    index = pd.MultiIndex.from_arrays([servers], names=["server"])
    pairs = pairs[np.isin(pairs["server"].to_numpy(), servers)]
    named = pd.DataFrame({"server": pairs["server"].to_numpy(),
                          "value": lookup(texts, pairs["value"].to_numpy())})
    ordered = named.astype({"value": str}).sort_values("value", kind="stable")
    return lists_per(ordered, "value", index, ["server"])


def servers(classified: pd.DataFrame) -> pd.DataFrame:
    """One row per server: causes (union, by precedence), connections, clients, times, names.

    ``connections`` counts every TLS connection to the server; ``failed_connections``
    those with at least one cause, ``unverified_connections`` those that could not be
    judged. Servers are sorted worst first: by primary cause, then by connections.
    """
    tally = ServerTally()
    tally.add(classified)
    return tally.table()
