"""How regularly each client connects to each server: beacons tick, people do not.

For every (client, server) pair with enough connections: the median interval between
connections, the jitter (median absolute deviation of the intervals over their median),
and a ``clockwork`` flag when the jitter is small. Malware polling its command server
every 144 s has jitter near 0; a person browsing a dev box has jitter near or above 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PAIR = ["id.orig_h", "id.resp_h", "id.resp_p"]
MIN_INTERVALS = 5  # fewer intervals say nothing about regularity
CLOCKWORK_JITTER = 0.1  # MAD within 10 % of the median interval
MIN_PERIOD_S = 1.0  # sub-second bursts are a scanner or a retry loop, not a poll


def regularity(conns: pd.DataFrame) -> pd.DataFrame:
    """One row per (client, server) pair: connections, median interval, jitter, clockwork."""
    frame = pd.DataFrame({k: conns[k].astype(object) for k in PAIR})
    frame["ts"] = pd.to_datetime(conns["ts"], utc=True)
    frame = frame.dropna(subset=["ts"]).sort_values([*PAIR, "ts"], kind="stable")
    seconds = frame.groupby(PAIR, sort=False)["ts"].diff().dt.total_seconds()
    frame["interval"] = seconds
    groups = frame.groupby(PAIR, sort=False)
    sizes = groups.size()
    stats = [interval_stats(g.dropna().tolist()) for _, g in groups["interval"]]
    out = pd.DataFrame({"connections": sizes.to_numpy(),
                        "median_interval_s": [m for m, _ in stats],
                        "jitter": [j for _, j in stats]}, index=sizes.index)
    out["clockwork"] = [is_clockwork(n - 1, m, j) for n, m, j in
                        zip(out["connections"], out["median_interval_s"], out["jitter"],
                            strict=True)]
    return out.reset_index()


def interval_stats(intervals: list[float]) -> tuple[float, float]:
    """Median interval and jitter (MAD over median); NaN when there are too few intervals."""
    values = np.asarray(intervals, dtype=float)
    if len(values) < 2:
        return float("nan"), float("nan")
    median = float(np.median(values))
    if median <= 0:
        return median, float("nan")
    return median, float(np.median(np.abs(values - median)) / median)


def is_clockwork(intervals: int, median: float, jitter: float) -> bool:
    """Enough intervals, little jitter, and a period of a second or more."""
    return bool(intervals >= MIN_INTERVALS and jitter <= CLOCKWORK_JITTER
                and median >= MIN_PERIOD_S)
