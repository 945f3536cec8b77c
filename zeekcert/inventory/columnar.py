"""The inventory's records as tables: their columns, and how parts of each reduce exactly.

Eleven tables, each kept as ``Parts``:

- ``servers``, one row per ``(resp_h, resp_p)``: first and last time seen (µs), connection
  counts (all runs, and this run's ``window``), whether the server was known before this
  run (``prior``) and seen in it (``seen``), its status, a flag per cause, and its latest
  certificate: the one of greatest ``(cert_us, cert_fp)``, so a tie has one winner;
- ``clients``, connections per (server, client); ``pairs``, the same per pair for
  regularity (a pruned pair leaves its server's client count alone);
- ``times``, per pair the latest ``MAX_TIMES`` connection times of all it saw, a multiset
  that does not depend on the order they came in;
- ``names``, ``fingerprints``, ``known`` (the fingerprints before this run),
  ``sensors`` (the sensors that logged it, one or several names a value) and
  ``evidence`` (each cause with the source that raised it, ``self_signed:zeek_status``),
  and ``ja3s`` and ``ja4s`` (the server's TLS stack, when a package logs it): sets.

Every reduction is a min, a max, a sum, an any, a union or a greatest-of, so any order and
any grouping of the same rows reduces to the same table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..causes import Cause
from ..classification import STACK_FIELDS, lists_per
from .parts import Parts, distinct, summed

# Per pair: 2,048 times of 8 bytes (16 KiB, at most 35 KiB as JSON text in the state),
# enough for the median of a 145-s poll over 3.4 days, or a 10-minute poll over two
# weeks. Past it, the earliest go: the latest 2,048 of all seen stay, in any order.
MAX_TIMES = 2048
KEY2 = ["resp_h", "resp_p"]
KEY3 = ["orig_h", "resp_h", "resp_p"]
CAUSE_NAMES = [c.value for c in Cause]
CAUSE_COLUMNS = [f"cause.{c}" for c in CAUSE_NAMES]
CERT_COLUMNS = ["fingerprint", "subject", "issuer", "not_valid_before", "not_valid_after",
                "key_type", "key_length", "sig_alg"]
CERT_FIELDS = ["cert_us", "cert_fp", *[f"cert.{c}" for c in CERT_COLUMNS]]
NO_TIME = np.iinfo(np.int64).min  # a server with no certificate shown: loses every tie
NO_FIRST = np.iinfo(np.int64).max  # a record from a state without a first time


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


SERVERS = _empty({"resp_h": "object", "resp_p": "int64", "first_us": "int64",
                  "last_us": "int64", "connections": "int64", "window": "int64",
                  "prior": "bool", "seen": "bool", "status": "object",
                  **dict.fromkeys(CAUSE_COLUMNS, "bool"), "cert_us": "int64",
                  "cert_fp": "object", **{f"cert.{c}": "object" for c in CERT_COLUMNS}})
CLIENTS = _empty({"resp_h": "object", "resp_p": "int64", "orig_h": "object", "n": "int64"})
PAIRS = _empty({"orig_h": "object", "resp_h": "object", "resp_p": "int64",
                "connections": "int64"})
TIMES = _empty({"orig_h": "object", "resp_h": "object", "resp_p": "int64", "us": "int64"})
VALUES = _empty({"resp_h": "object", "resp_p": "int64", "value": "object"})
_AGGREGATES = {"first_us": "min", "last_us": "max", "connections": "sum", "window": "sum",
               "prior": "max", "seen": "max", "status": "first",
               **dict.fromkeys(CAUSE_COLUMNS, "max")}


def reduce_servers(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per server: extremes, sums and flags, and the certificate of the greatest
    ``(cert_us, cert_fp)``; the status is the first one set (that of the earlier runs)."""
    out = frame.groupby(KEY2, sort=False).agg(_AGGREGATES)
    certs = frame.sort_values(["cert_us", "cert_fp"], kind="stable").drop_duplicates(
        KEY2, keep="last").set_index(KEY2)[CERT_FIELDS]
    return out.join(certs).reset_index()[list(SERVERS.columns)]


def reduce_times(frame: pd.DataFrame) -> pd.DataFrame:
    """Each pair's latest ``MAX_TIMES`` times; sorted only when a pair has more."""
    codes = frame.groupby(KEY3, sort=False).ngroup().to_numpy()
    if not len(codes) or np.bincount(codes).max() <= MAX_TIMES:
        return frame
    us = frame["us"].to_numpy()
    order = np.lexsort((us, codes))
    codes = codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, len(codes)])
    place = np.arange(len(codes)) - np.repeat(starts, sizes)
    keep = np.repeat(sizes, sizes) - place <= MAX_TIMES
    return frame.iloc[order[keep]]


def new_tables() -> dict[str, Parts]:
    """The eleven empty tables of an accumulator."""
    return {
        "servers": Parts(SERVERS, reduce_servers),
        "clients": Parts(CLIENTS, summed([*KEY2, "orig_h"], "n")),
        "pairs": Parts(PAIRS, summed(KEY3, "connections")),
        "times": Parts(TIMES, reduce_times),
        "names": Parts(VALUES, distinct),
        "fingerprints": Parts(VALUES, distinct),
        "known": Parts(VALUES, distinct),
        "sensors": Parts(VALUES, distinct),
        "evidence": Parts(VALUES, distinct),
        **{name: Parts(VALUES, distinct) for name in STACK_FIELDS},
    }


def sorted_lists(values: pd.DataFrame, index: pd.MultiIndex) -> list[list[str]]:
    """Per key of ``index``, its values of a set table, sorted; empty where it has none."""
    return lists_per(values.sort_values("value", kind="stable"), "value", index, KEY2)


def stamps(us: pd.Series, missing: int) -> pd.Series:
    """µs since the epoch as UTC times; NaT where a column holds its ``missing`` mark."""
    values = us.to_numpy()
    stamps = np.where(values == missing, np.datetime64("NaT", "us"),
                      values.astype("datetime64[us]"))
    return pd.Series(pd.DatetimeIndex(stamps).tz_localize("UTC"), index=us.index)
