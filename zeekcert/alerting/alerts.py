"""What an alert is: its reason, the server it is about, and the evidence it carries.

An alert is raised once per server and reason for one event: the server's first record
(new), a fingerprint it had not shown (changed), an acknowledgement's end, or its going.
Its ``alert_id`` is a hash of the reason, the server and that event, so the same event
raised again (a retry, a run after a crash) carries the same id, and a SIEM can
deduplicate on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Reason(StrEnum):
    """Why an alert is raised: its ``rule.name``."""

    NEW_SELF_SIGNED_SERVER = "new_self_signed_server"
    NEW_FAILING_SERVER = "new_failing_server"
    CERTIFICATE_CHANGED = "certificate_changed"
    ACKNOWLEDGEMENT_EXPIRED = "acknowledgement_expired"
    SERVER_GONE = "server_gone"
    TOOLING_MATCH = "tooling_match"
    MORE_SERVERS = "more_servers"

    @property
    def description(self) -> str:
        """One line saying what raised it."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Reason.NEW_SELF_SIGNED_SERVER: "a server not recorded before presented a self-signed "
                                   "certificate",
    Reason.NEW_FAILING_SERVER: "a server not recorded before failed certificate validation",
    Reason.CERTIFICATE_CHANGED: "a known server showed a fingerprint not seen on it before",
    Reason.ACKNOWLEDGEMENT_EXPIRED: "the allowlist entry that acknowledged a server has "
                                    "passed its date",
    Reason.SERVER_GONE: "a recorded server has not been seen for the gone-after period",
    Reason.TOOLING_MATCH: "a server's certificate matched command-and-control tooling in the "
                          "catalogue",
    Reason.MORE_SERVERS: "more servers than one pass alerts on one by one: the rest, in one",
}


@dataclass(frozen=True)
class Alert:
    """One alert, as raised: a server (none for ``MORE_SERVERS``), and its evidence."""

    reason: Reason
    raised: str  # ISO 8601 UTC
    event: str  # what makes it this event and no other: a time, a fingerprint, an entry
    resp_h: str | None = None
    resp_p: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def alert_id(self) -> str:
        """The same for the same reason, server and event, on every retry."""
        key = "\x1f".join([self.reason.value, str(self.resp_h), str(self.resp_p), self.event])
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    @property
    def server(self) -> str:
        """``203.0.113.44:443``, ``[2001:db8::1]:443``, or ``-``."""
        if self.resp_h is None:
            return "-"
        host = f"[{self.resp_h}]" if ":" in self.resp_h else self.resp_h
        return f"{host}:{self.resp_p}"
