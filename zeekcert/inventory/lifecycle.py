"""What one run says of the records it holds: each server's status, and what is pruned.

``settle`` gives every server its status for the run; ``prune`` drops what was last seen
before the retention period, so the state stays bounded. Both work on whole tables.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
import pandas as pd

from .accumulate import Accumulator
from .columnar import KEY2, KEY3, NO_TIME

RETENTION = timedelta(days=90)  # records last seen longer ago are pruned from the state


class ServerStatus(StrEnum):
    """What one run says about a server it has a record of (see ``settle``)."""

    NEW = "new"
    CHANGED = "changed"
    ACTIVE = "active"
    QUIET = "quiet"
    GONE = "gone"

    @property
    def description(self) -> str:
        """One line saying what the status means."""
        return _STATUS_DESCRIPTIONS[self]


_STATUS_DESCRIPTIONS = {
    ServerStatus.NEW: "first recorded in this run and seen lately (new in one run only)",
    ServerStatus.CHANGED: "known, and showed a fingerprint not seen on it before",
    ServerStatus.ACTIVE: "known, and seen again in this run",
    ServerStatus.QUIET: "known, not seen in this run, not yet gone",
    ServerStatus.GONE: "not seen for the gone-after period",
}


def settle(acc: Accumulator, now: datetime, gone_after: timedelta) -> None:
    """Set each server's status for this run: new, changed, active, quiet or gone.

    ``new``: first recorded in this run, and seen within ``gone_after`` of ``now``.
    ``changed``: a known server showed a fingerprint it had not shown before this run.
    ``active``: a known server seen again. ``quiet``: a known server not seen in this run,
    but within ``gone_after``. ``gone``: not seen for ``gone_after``, even when first
    recorded in this run (a first run over a long archive), so ``--fail-on new`` never
    fires for a server long gone. A server is ``new`` in one run only.
    """
    servers = acc.table("servers")
    last = servers["last_us"].to_numpy()
    long_gone = (last != NO_TIME) & (last < _ceil_us(_utc(now) - gone_after))
    fresh = ~servers["prior"].to_numpy(dtype=bool)
    seen = servers["seen"].to_numpy(dtype=bool)
    fingerprints = acc.table("fingerprints")
    shown = fingerprints.merge(acc.table("known"), how="left", on=[*KEY2, "value"],
                               indicator=True)
    unseen = shown[shown["_merge"] == "left_only"]
    changed = _keys(servers).isin(_keys(unseen))
    status = np.select(
        [fresh & long_gone, fresh, seen & changed, seen, long_gone],
        [ServerStatus.GONE.value, ServerStatus.NEW.value, ServerStatus.CHANGED.value,
         ServerStatus.ACTIVE.value, ServerStatus.GONE.value], ServerStatus.QUIET.value)
    acc.put("servers", servers.assign(status=pd.Series(status, dtype=object)))
    acc.put("known", fingerprints)


def prune(acc: Accumulator, now: datetime, retention: timedelta = RETENTION) -> int:
    """Drop servers and pairs last seen before ``now - retention``; return how many servers.

    A pair goes with its server, or when its own latest connection is that old.
    """
    limit = _utc(now) - retention
    servers = acc.table("servers")
    last = servers["last_us"].to_numpy()
    old = (last != NO_TIME) & (last < _ceil_us(limit))
    if old.any():
        kept = servers[~old]
        acc.put("servers", kept)
        for name in ("clients", "names", "fingerprints", "known", "sensors", "evidence"):
            table = acc.table(name)
            acc.put(name, table[_keys(table).isin(_keys(kept))])
    times = acc.table("times")
    if not old.any() and len(times) and times["us"].min() >= limit.value // 1000:
        return 0  # nothing to drop: most runs, and a live watch's every pass
    latest = times.groupby(KEY3, sort=False)["us"].max()
    live = latest[latest >= limit.value // 1000].index  # ns to µs, as the times are kept
    live = live[pd.MultiIndex.from_arrays([live.get_level_values(k) for k in KEY2]).isin(
        _keys(acc.table("servers")))]
    pairs = acc.table("pairs")
    acc.put("pairs", pairs[pd.MultiIndex.from_frame(pairs[KEY3]).isin(live)])
    acc.put("times", times[pd.MultiIndex.from_frame(times[KEY3]).isin(live)])
    return int(old.sum())


def _keys(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[KEY2])


def _ceil_us(stamp: pd.Timestamp) -> int:
    """The first whole µs at or after ``stamp``: ``t < stamp`` as µs is ``t < this``."""
    return -(-stamp.value // 1000)


def _utc(when: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(when)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
