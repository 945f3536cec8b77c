"""Which alerts a run's inventory raises, before suppression (``store`` decides that).

A server raises at most one alert per reason and run, a C2 match first:

- ``new`` and not acknowledged: ``new_self_signed_server`` when it presented a
  self-signed certificate, else ``new_failing_server``, with its causes;
- ``changed`` and not acknowledged: ``certificate_changed``. An entry that pins the old
  fingerprint stops acknowledging the server at once, so its change is alerted;
- an allowlist entry that would match the server but for its ``expires`` date, once past
  it: ``acknowledgement_expired``;
- ``gone``, when asked for: ``server_gone``;
- a certificate that matched C2 tooling in the catalogue (a ``tooling:`` label):
  ``tooling_match``, once per server and label, whatever the server's status.

Every alert carries the server's hunt score, labels and components (``inventory.hunted``).

An acknowledged server raises nothing until its acknowledgement ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from ..formatting import iso, records
from ..hunting import Family
from ..inventory import Acknowledgement, ServerStatus
from .alerts import Alert, Reason

CERTIFICATE = ["fingerprint", "subject", "issuer", "not_valid_before", "not_valid_after",
               "key_type", "key_length", "sig_alg"]


@dataclass(frozen=True)
class AlertOptions:
    """How alerts are raised: the suppression window, the burst size, whether gone
    servers are alerted on."""

    suppress: timedelta = timedelta(hours=24)  # as Zeek suppresses its SSL notices
    burst: int = 20  # alerts of one pass one by one; the rest in one ``more_servers``
    gone: bool = False


def raised(inventory: pd.DataFrame, now: datetime,
           allowlist: Sequence[Acknowledgement] = (),
           options: AlertOptions | None = None) -> list[Alert]:
    """The alerts the inventory's servers raise, best hunt lead first (then in the
    inventory's own order), so that a burst cut keeps the strongest leads one by one."""
    options = options or AlertOptions()
    stamp = iso(now) or ""
    if "hunt_rank" in inventory.columns:
        inventory = inventory.sort_values("hunt_rank", kind="stable", na_position="last")
    found = []
    for row in records(inventory):
        found += _alerts_of(row, stamp, pd.Timestamp(now).date(), allowlist, options)
    return found


def _alerts_of(row: dict[str, Any], stamp: str, on: Any,
               allowlist: Sequence[Acknowledgement], options: AlertOptions) -> list[Alert]:
    status, acknowledged = row["status"], bool(row.get("acknowledged"))
    active = not acknowledged and status != ServerStatus.GONE
    c2 = Family.C2.prefix + ":"
    evidence = evidence_of(row)

    def alert(reason: Reason, event: Any, extra: dict[str, Any] | None = None) -> Alert:
        return Alert(reason, stamp, str(event), str(row["resp_h"]), int(row["resp_p"]),
                     {**evidence, **(extra or {})})

    out = []
    if active:
        # A C2 match first: of one server's alerts it is the one to read.
        for label in row.get("labels") or []:
            if str(label).startswith(c2):
                out.append(alert(Reason.TOOLING_MATCH, label, {"label": label}))
    if status == ServerStatus.NEW and not acknowledged:
        reason = (Reason.NEW_SELF_SIGNED_SERVER if "self_signed" in (row.get("causes") or [])
                  else Reason.NEW_FAILING_SERVER)
        out.append(alert(reason, row.get("first_seen")))
    elif status == ServerStatus.CHANGED and not acknowledged:
        out.append(alert(Reason.CERTIFICATE_CHANGED, row.get("fingerprint")))
    elif status == ServerStatus.GONE and options.gone:
        out.append(alert(Reason.SERVER_GONE, row.get("last_seen")))
    if active:
        for entry in _expired(allowlist, on, row):
            out.append(alert(Reason.ACKNOWLEDGEMENT_EXPIRED, f"{entry.number} {entry.expires}",
                             {"acknowledgement": entry.describe(),
                              "expired": str(entry.expires)}))
    return out


def _expired(allowlist: Sequence[Acknowledgement], on: Any, row: dict[str, Any]
             ) -> list[Acknowledgement]:
    fingerprints = [str(f) for f in row.get("fingerprints") or []]
    return [e for e in allowlist if not e.active(on) and e.matches(
        str(row["resp_h"]), int(row["resp_p"]), fingerprints, row.get("subject"))]


def evidence_of(row: dict[str, Any]) -> dict[str, Any]:
    """What an alert says of its server: causes, first and last connection, clients,
    names, sensors, certificate and, when known, how regularly a client polls it."""
    tops = row.get("top_clients") or []
    client = row.get("beacon_client") if row.get("clockwork") else None
    client = client or (str(tops[0]).split(" ")[0] if tops else None)
    evidence = {
        "causes": list(row.get("causes") or []), "sources": sources_of(row.get("evidence")),
        "status": row.get("status"),
        "first_seen": row.get("first_seen"), "last_seen": row.get("last_seen"),
        "connections": row.get("total_connections"), "clients": row.get("clients"),
        "client": client, "top_clients": list(tops),
        "server_names": list(row.get("server_names") or []),
        "sensors": list(row.get("sensors") or []),
        "certificate": {name: row.get(name) for name in CERTIFICATE},
        "acknowledged_by": row.get("acknowledged_by"),
    }
    if row.get("hunt_score") is not None:
        evidence["hunt"] = {"score": row.get("hunt_score"), "rank": row.get("hunt_rank"),
                            "labels": list(row.get("labels") or []),
                            "fresh": bool(row.get("fresh")),
                            "clusters": list(row.get("clusters") or []),
                            "components": list(row.get("hunt_components") or [])}
    if row.get("median_interval_s") is not None:
        evidence["beacon"] = {"client": row.get("beacon_client"),
                              "median_interval_s": row.get("median_interval_s"),
                              "jitter": row.get("jitter"),
                              "clockwork": bool(row.get("clockwork"))}
    return evidence


def sources_of(evidence: object) -> dict[str, list[str]]:
    """Each cause and the sources that raised it (``zeek_status``, ``notice``, ``policy``),
    from the inventory's ``self_signed:zeek_status`` items."""
    sources: dict[str, list[str]] = {}
    for item in evidence if isinstance(evidence, (list, tuple)) else []:
        cause, _, source = str(item).partition(":")
        sources.setdefault(cause, []).append(source)
    return {cause: sorted(found) for cause, found in sources.items()}
