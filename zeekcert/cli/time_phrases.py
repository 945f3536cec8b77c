"""Parse the time arguments users type: ISO dates, 'yesterday', 'today', '7d', '12h', and
the lengths of time a watch waits: '5s', '500ms', '1m'."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dateutil import parser as dateparser

from ..errors import UsageError

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_SPAN = re.compile(r"^(\d+\.?\d*|\.\d+)(ms|s|m|h)?$")
_SPAN_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_when(text: str | None, now: datetime | None = None) -> datetime | None:
    """Return a UTC datetime for ``text``; relative phrases count back from ``now``."""
    if text is None:
        return None
    now = now or datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    phrase = text.strip().lower()
    if phrase in ("today", "yesterday", "now"):
        return {"today": today, "yesterday": today - timedelta(days=1), "now": now}[phrase]
    if match := _RELATIVE.match(phrase):
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        return iso_time(text)
    except ValueError as exc:
        raise ValueError(f"not a time: {text!r} (use an ISO date, 'yesterday' or '7d')") from exc


def iso_time(text: str) -> datetime:
    """An ISO 8601 time as UTC (a time without a zone is UTC); ValueError otherwise."""
    when: datetime = dateparser.isoparse(text.strip())
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def seconds_arg(text: str, option: str) -> float:
    """``5s``, ``500ms``, ``1m``, ``1h`` or a number of seconds, for ``option``; more than
    zero, or a usage error."""
    match = _SPAN.match(text)
    if match is None:
        raise UsageError(f"{option} {text!r}: give a time such as 5s, 500ms or 1m")
    value = float(match.group(1)) * _SPAN_SECONDS[match.group(2)]
    if value <= 0:
        raise UsageError(f"{option} {text!r}: must be more than 0")
    return value


def when_arg(text: str | None, now: datetime) -> datetime | None:
    """``parse_when`` for a command-line argument: a bad time is a usage error."""
    try:
        return parse_when(text, now)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
