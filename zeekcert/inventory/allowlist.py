"""Acknowledged servers: an allowlist in TOML of ``[[acknowledged]]`` entries.

An entry matches a server on any of ``resp_h`` (an address or a CIDR), ``resp_p``,
``fingerprint`` and ``subject`` (a regular expression, searched); every key it gives
must match. It carries ``owner``, ``reason`` and an optional ``expires`` date, after
which it no longer counts. An entry that pins a fingerprint stops matching as soon as
the server shows another certificate: a changed certificate is news.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..toml_files import TomlFile, read_toml

_KEYS = {"resp_h", "resp_p", "fingerprint", "subject", "owner", "reason", "expires"}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Acknowledgement:
    """One ``[[acknowledged]]`` entry."""

    number: int  # its position in the file, from 1, so a report can name it
    owner: str
    reason: str
    resp_h: Network | None = None
    resp_p: int | None = None
    fingerprint: str | None = None
    subject: re.Pattern[str] | None = None
    expires: date | None = None

    def active(self, on: date) -> bool:
        """True until the end of the ``expires`` day."""
        return self.expires is None or on <= self.expires

    def matches(self, resp_h: str, resp_p: int, fingerprints: list[str], subject: str | None,
                ) -> bool:
        """True when every key the entry gives matches the server."""
        if self.resp_h is not None and not _in(resp_h, self.resp_h):
            return False
        if self.resp_p is not None and int(resp_p) != self.resp_p:
            return False
        if self.fingerprint is not None and any(f.lower() != self.fingerprint
                                                for f in fingerprints):
            return False
        return self.subject is None or (subject is not None and bool(self.subject.search(subject)))

    def describe(self) -> str:
        """``#2 (owner: reason)``, for reports."""
        return f"#{self.number} ({self.owner}: {self.reason})"


def _in(address: str, network: Network) -> bool:
    try:
        return ipaddress.ip_address(address) in network
    except ValueError:
        return False


def load_allowlist(path: str | Path) -> list[Acknowledgement]:
    """Read and check an allowlist file; a mistake raises ConfigError naming entry and line."""
    file = read_toml(path, "allowlist")
    entries = file.data.get("acknowledged", [])
    other = sorted(set(file.data) - {"acknowledged"})
    if other:
        line = file.table_line(other[0]) or file.key_line(other[0])
        raise file.error(f"expected only [[acknowledged]] entries, found {other[0]}", line)
    if not isinstance(entries, list):
        raise file.error("expected [[acknowledged]] entries", file.key_line("acknowledged"))
    lines = file.table_lines("acknowledged")
    return [_entry(raw, number, file, lines[number - 1] if number <= len(lines) else None)
            for number, raw in enumerate(entries, 1)]


def _entry(raw: dict[str, Any], number: int, file: TomlFile,
           line: int | None) -> Acknowledgement:
    where = f"[[acknowledged]] #{number}"
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise file.error(f"{where}: unknown key(s) {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(_KEYS))}", _key_line(file, unknown[0], line))
    if not raw.get("owner") or not raw.get("reason"):
        raise file.error(f"{where}: owner and reason are required", line)
    if not set(raw) & {"resp_h", "resp_p", "fingerprint", "subject"}:
        raise file.error(f"{where}: give resp_h, resp_p, fingerprint or subject", line)
    try:
        return _acknowledgement(raw, number)
    except (ValueError, TypeError, re.error) as exc:
        raise file.error(f"{where}: {exc}", line) from exc


def _key_line(file: TomlFile, key: str, entry_line: int | None) -> int | None:
    return file.key_line(key, entry_line or 0) or entry_line


def _acknowledgement(raw: dict[str, Any], number: int) -> Acknowledgement:
    return Acknowledgement(
        number=number, owner=str(raw["owner"]), reason=str(raw["reason"]),
        resp_h=ipaddress.ip_network(raw["resp_h"], strict=False) if "resp_h" in raw else None,
        resp_p=int(raw["resp_p"]) if "resp_p" in raw else None,
        fingerprint=str(raw["fingerprint"]).lower() if "fingerprint" in raw else None,
        subject=re.compile(raw["subject"]) if "subject" in raw else None,
        expires=_date(raw.get("expires")),
    )


def _date(value: object) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value))


def acknowledging(servers: pd.DataFrame, entries: Sequence[Acknowledgement], now: datetime
                  ) -> list[Acknowledgement | None]:
    """Per server (``resp_h``, ``resp_p``, ``fingerprints``, ``subject``), the first entry
    active on ``now``'s date that matches it, or None. A step per server: lists are short,
    and only given ones cost. A server without a port matches no port."""
    on, given = pd.Timestamp(now).date(), list(entries)
    return [acknowledged_by(given, on, str(h), -1 if pd.isna(p) else int(p),
                            [] if fps is None else list(fps), subject)
            for h, p, fps, subject in zip(servers["resp_h"], servers["resp_p"],
                                          servers["fingerprints"], servers["subject"],
                                          strict=True)]


def acknowledged_by(entries: list[Acknowledgement], on: date, resp_h: str, resp_p: int,
                    fingerprints: list[str], subject: str | None) -> Acknowledgement | None:
    """The first active entry that matches the server, if any."""
    for entry in entries:
        if entry.active(on) and entry.matches(resp_h, resp_p, fingerprints, subject):
            return entry
    return None
