"""The report's charts as inline SVG: failing connections over time by cause, and the
strips of ticks that show each listed server's connections (``ticks_svg``).

matplotlib is an optional extra (``zeekcert[html]``); without it the HTML report says
so where the chart would be (the strips need no library). The chart's SVG is made
without pyplot's global state, with text kept as text and a fixed hash salt, so the same
data gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..causes import Cause

# One colour per cause, from the colour-blind-safe Okabe-Ito palette, in cause order.
PALETTE = ["#D55E00", "#E69F00", "#F0E442", "#000000", "#CC79A7", "#0072B2", "#56B4E9",
           "#009E73", "#999999", "#666666", "#BBBBBB"]
COLOURS = {c.value: PALETTE[i % len(PALETTE)] for i, c in enumerate(Cause)}


def available() -> bool:
    """Whether matplotlib is installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def timeline_svg(timeline: pd.DataFrame, width: float = 9.0, height: float = 3.2) -> str | None:
    """A stacked bar chart of ``timeline`` (bins × causes) as an ``<svg>`` element.

    None when matplotlib is missing or there is nothing to draw.
    """
    if timeline.empty or not available():
        return None
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.hashsalt": "zeekcert", "svg.fonttype": "none",
                                "font.size": 9}):
        fig = Figure(figsize=(width, height))
        ax = fig.add_subplot()
        _bars(ax, timeline)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _bars(ax: Any, timeline: pd.DataFrame) -> None:
    step = timeline.index[1] - timeline.index[0] if len(timeline) > 1 else pd.Timedelta(hours=1)
    x = pd.DatetimeIndex(timeline.index).tz_convert("UTC").tz_localize(None)
    bottom = pd.Series(0, index=timeline.index).to_numpy()
    for cause in timeline.columns:
        values = timeline[cause].to_numpy()
        ax.bar(x, values, width=step * 0.9, bottom=bottom, align="edge",
               color=COLOURS.get(cause, "#999999"), label=cause)
        bottom = bottom + values
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.set_ylabel("failing connections")
    ax.set_xlabel("time (UTC)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def ticks_svg(times: np.ndarray, failing: np.ndarray, start: int, end: int, width: int,
              marks: Sequence[int] = (), cut: int | None = None) -> str:
    """One strip of ticks, one per connection, as a bare ``<svg>`` for the HTML page.

    ``times`` are integer microseconds since the epoch, ``failing`` says which ticks are
    drawn as failing, ``start`` and ``end`` (microseconds) span the strip's ``width``
    pixels, ``marks`` are times drawn as thin lines (midnights), and before ``cut`` a
    dashed line says that older connections were left out. Connections in the same pixel
    column make one tick and neighbouring ticks one bar, so a strip is at most a few
    kilobytes however many connections it shows; integer arithmetic only, so the same
    data gives the same bytes. The element has no attributes: the page's stylesheet sizes
    it (``width`` by ``16`` pixels) and colours its paths.
    """
    parts = ["<svg>"]
    left_out = _columns(np.array([] if cut is None else [cut], dtype=np.int64), start, end,
                        width)
    if len(left_out) and left_out[0] > 0:
        parts.append(f"<path class=\"cut\" d=\"M0 8h{int(left_out[0])}\"/>")
    for klass, column in (("g", _columns(np.asarray(marks, dtype=np.int64), start, end, width)),
                          ("ok", _columns(times[~failing], start, end, width)),
                          ("bad", _columns(times[failing], start, end, width))):
        if len(column):
            parts.append(f"<path class=\"{klass}\" d=\"{_runs(column)}\"/>")
    parts.append("</svg>")
    return "".join(parts)


def _columns(times: np.ndarray, start: int, end: int, width: int) -> np.ndarray:
    """The distinct pixel columns of ``times`` on a strip from ``start`` to ``end``."""
    if not len(times):
        return np.empty(0, dtype=np.int64)
    span = end - start
    if span <= 0:
        return np.array([width // 2], dtype=np.int64)
    x = (times.astype(np.int64) - start) * width // span
    return np.unique(np.clip(x, 0, width - 1))


def _runs(columns: np.ndarray) -> str:
    """Path data drawing each run of neighbouring columns as one horizontal stroke."""
    breaks = np.flatnonzero(np.diff(columns) > 1) + 1
    return "".join(f"M{int(run[0])} 8h{len(run)}" for run in np.split(columns, breaks))
