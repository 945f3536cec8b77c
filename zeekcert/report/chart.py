"""The report's chart, failing connections over time by cause, as inline SVG.

matplotlib is an optional extra (``zeekcert[html]``); without it the HTML report says
so where the chart would be. The SVG is made without pyplot's global state, with text
kept as text and a fixed hash salt, so the same data gives the same bytes.
"""

from __future__ import annotations

import io
from typing import Any

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
