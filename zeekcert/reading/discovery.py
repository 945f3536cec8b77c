"""Which files: find the logs in a tree, and read what their names say.

A name gives a file's kind and, for archives, the hours it covers. The content always
wins; names are used only to pick files, to prune by time before opening them, and to
name the kind of a file whose content does not.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from .file_report import FileReport, FileStatus
from .schema import KINDS

Source = str | Path | Iterable[str | Path]
TimeLike = str | datetime | pd.Timestamp | None
_GLOB_CHARS = set("*?[")

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


@dataclass
class Found:
    """What a search found: the log files, and what it could not search or left the tree.

    ``problems`` are the folders that could not be listed (no permission, a path longer
    than the system allows), as reports with status ``unreadable``; ``links`` maps each
    file reached through a symbolic link that points outside the folder searched to
    where it points. Such files are read, and the load report says so.
    """

    paths: list[Path] = field(default_factory=list)
    problems: list[FileReport] = field(default_factory=list)
    links: dict[Path, str] = field(default_factory=dict)


def find_logs(source: Source, kinds: Iterable[str] = KINDS) -> list[Path]:
    """Return the log files of the given kinds under ``source``, oldest archive first.

    ``source`` may be a file (always taken), a directory (searched recursively by name),
    a glob pattern, or a list of these. ``discover`` also says what could not be searched.
    """
    return discover(source, kinds).paths


def discover(source: Source, kinds: Iterable[str] = KINDS) -> Found:
    """``find_logs``, with the folders that could not be listed and the links that leave."""
    wanted = set(kinds)
    found = Found()
    for item in _items(source):
        if any(c in item for c in _GLOB_CHARS):
            found.paths += [Path(p) for p in sorted(glob.glob(item, recursive=True))
                            if not Path(p).is_dir()]
        elif Path(item).is_dir():
            _walk(Path(item), wanted, found)
        else:
            found.paths.append(Path(item))
    found.paths = sorted(dict.fromkeys(found.paths), key=archive_order)
    return found


def _items(source: Source) -> list[str]:
    if isinstance(source, (str, Path)):
        return [str(source)]
    return [str(s) for s in source]


def _walk(root: Path, wanted: set[str], found: Found) -> None:
    """Add the logs under ``root``; a folder that cannot be listed is a reported problem."""
    inside = os.path.realpath(root)

    def unlisted(error: OSError) -> None:
        found.problems.append(FileReport(
            str(error.filename or root), status=FileStatus.UNREADABLE,
            message=f"cannot list folder: {error.strerror or error}"))

    for folder, dirs, files in os.walk(root, onerror=unlisted):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and kind_from_name(name) in wanted:
                path = Path(folder) / name
                found.paths.append(path)
                if os.path.islink(path) and not _within(os.path.realpath(path), inside):
                    found.links[path] = os.path.realpath(path)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def archive_order(path: str | Path) -> tuple[str, str]:
    """The order in which files are read: oldest archive first, then by path."""
    path = Path(path)
    span = span_from_name(path)
    # Archives sort by the time their name gives; ``current/`` and unnamed files come last.
    return (span.start.isoformat() if span.start else "~", str(path))


def utc(value: TimeLike) -> pd.Timestamp | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def select_window(paths: list[Path], start: TimeLike, end: TimeLike) -> list[Path]:
    """Drop the files whose archive name proves they lie outside the window."""
    lo, hi = utc(start), utc(end)
    naive_lo = None if lo is None else lo.tz_localize(None).to_pydatetime()
    naive_hi = None if hi is None else hi.tz_localize(None).to_pydatetime()
    return [p for p in paths if span_from_name(p).may_overlap(naive_lo, naive_hi)]
