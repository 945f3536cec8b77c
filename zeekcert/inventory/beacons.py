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


def pair_stats(times: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per pair of ``keys`` with two intervals or more, from its connection times ``us``
    (µs): ``intervals``, ``median_interval_s``, ``jitter`` and ``clockwork``.

    The same numbers as ``interval_stats`` of each pair's sorted intervals, for every pair
    at once. A pair with a median of 0 (a burst) has no jitter, so it is left out.
    """
    codes = times.groupby(keys, sort=False).ngroup().to_numpy()
    order = np.lexsort((times["us"].to_numpy(), codes))
    codes, us = codes[order], times["us"].to_numpy()[order]
    step = np.zeros(len(codes), dtype=bool)
    step[1:] = codes[1:] == codes[:-1]  # an interval: a time after another of its pair
    steps = pd.DataFrame({"pair": codes[step], "s": np.diff(us)[step[1:]] / 1e6})
    groups = steps.groupby("pair", sort=False)["s"]
    stats = pd.DataFrame({"intervals": groups.size(), "median_interval_s": groups.median()})
    stats = stats[(stats["intervals"] >= 2) & (stats["median_interval_s"] > 0)]
    steps = steps[steps["pair"].isin(stats.index)]
    deviation = (steps["s"] - stats["median_interval_s"].reindex(steps["pair"]).to_numpy()).abs()
    stats["jitter"] = deviation.groupby(steps["pair"].to_numpy()).median() / stats[
        "median_interval_s"]
    stats["clockwork"] = ((stats["intervals"] >= MIN_INTERVALS)
                          & (stats["jitter"] <= CLOCKWORK_JITTER)
                          & (stats["median_interval_s"] >= MIN_PERIOD_S))
    first = np.flatnonzero(~step)
    named = times.iloc[order[first]][keys].set_index(codes[first])
    return named.join(stats, how="inner").reset_index(drop=True)


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
