"""What a log file's name says: its kind and, for archives, the hours it covers.

The content always wins; names are used only to pick files, to prune by time before
opening them, and to name the kind of a file whose content does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

# <prefix?><kind><anything>.<log|json|ndjson>[.<compression>], e.g. ssl.23:00:00-00:00:00.log.gz
_NAME = re.compile(
    r"^(?:json_streaming_)?(?P<kind>[a-z][a-z0-9_]*?)(?:__.*|[.-].*)?"
    r"\.(?:log|json|ndjson)(?:\.(?:gz|bz2|xz|zst|zstd|lz4))?$"
)
_ZEEKCTL = re.compile(r"\.(\d\d:\d\d:\d\d)-(\d\d:\d\d:\d\d)")
_ZEEKCTL_DAY = re.compile(r"^\d{4}-\d\d-\d\d$")
_ZEEK_ROTATED = re.compile(r"\.(\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)\.")
_ARCHIVER = re.compile(r"__(\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)__(\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)__")
# Names carry the sensor's local time; no zone is more than 14 hours from UTC.
SLACK = timedelta(hours=14)


def kind_from_name(path: str | Path) -> str | None:
    """Return the log kind a file name suggests (``ssl`` for ``json_streaming_ssl.1.log``)."""
    match = _NAME.match(Path(path).name)
    return match.group("kind") if match else None


@dataclass(frozen=True)
class Span:
    """The local-time hours a file name says it covers; either end may be unknown."""

    start: datetime | None
    end: datetime | None

    def may_overlap(self, start: datetime | None, end: datetime | None) -> bool:
        """False only when the name proves the file lies outside ``[start, end)``."""
        if end is not None and self.start is not None and self.start - SLACK >= end:
            return False
        return start is None or self.end is None or self.end + SLACK >= start


def span_from_name(path: str | Path) -> Span:
    """Read the covered hours from zeekctl, Zeek-rotation or zeek-archiver names."""
    path = Path(path)
    if (m := _ARCHIVER.search(path.name)) is not None:
        return Span(_stamp(m.group(1)), _stamp(m.group(2)))
    if (m := _ZEEK_ROTATED.search(path.name)) is not None:
        return Span(_stamp(m.group(1)), None)
    m = _ZEEKCTL.search(path.name)
    if m is None or not _ZEEKCTL_DAY.match(path.parent.name):
        return Span(None, None)
    day = datetime.fromisoformat(path.parent.name)
    start = day + _clock(m.group(1))
    end = day + _clock(m.group(2))
    if end <= start:  # the last hour closes at 00:00:00 of the next day
        end += timedelta(days=1)
    return Span(start, end)


def _stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d-%H-%M-%S")


def _clock(text: str) -> timedelta:
    hours, minutes, seconds = (int(p) for p in text.split(":"))
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)
