"""Parse the time arguments users type: ISO dates, 'yesterday', 'today', '7d', '12h'."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dateutil import parser as dateparser

from ..errors import UsageError

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


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
        when: datetime = dateparser.isoparse(text.strip())
    except ValueError as exc:
        raise ValueError(f"not a time: {text!r} (use an ISO date, 'yesterday' or '7d')") from exc
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def when_arg(text: str | None, now: datetime) -> datetime | None:
    """``parse_when`` for a command-line argument: a bad time is a usage error."""
    try:
        return parse_when(text, now)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
