"""The alerts a state keeps: raised once, suppressed for a while, delivered at least once.

``record`` runs inside the run's transaction, so an alert is in the state before any sink
is tried, and is committed with the inventory it comes from: a run killed before its
commit raises it again, with the same ``alert_id``. An alert is recorded with one
undelivered row per sink of the run; ``Delivery`` marks a row delivered only once its
sink took it, so a sink that failed gets it again on the next run.

Suppression: an alert whose ``alert_id`` the state has is not raised again, nor one of
the same server and reason raised within the window. Past ``options.burst`` alerts in
one pass, the rest are recorded as not shown and go out as one ``more_servers`` alert.
Alerts older than ``RETENTION`` and delivered everywhere are forgotten.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from ..formatting import iso
from .alerts import Alert, Reason
from .ecs import document, json_line
from .raising import AlertOptions

RETENTION = timedelta(days=30)  # longer than any suppression window
MORE_LISTED = 100  # servers a ``more_servers`` alert names


class AlertStore:
    """The alerts of one open state (``inventory.State.db``), in its transaction."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def record(self, alerts: Sequence[Alert], now: datetime, sinks: Sequence[str],
               options: AlertOptions | None = None) -> list[Alert]:
        """Keep the alerts not suppressed, each to be delivered to ``sinks``; the ones to
        show, in order (a burst's rest as one ``more_servers`` alert)."""
        options = options or AlertOptions()
        fresh = [a for a in _once(alerts) if not self._suppressed(a, now, options.suppress)]
        shown, rest = fresh[:options.burst], fresh[options.burst:]
        if rest:
            shown.append(_more(rest, iso(now) or ""))
        for alert in shown:
            self._insert(alert, True, sinks)
        for alert in rest:
            self._insert(alert, False, ())
        self._forget(now)
        return shown

    def _suppressed(self, alert: Alert, now: datetime, window: timedelta) -> bool:
        if self.db.execute("SELECT 1 FROM alerts WHERE alert_id=?",
                           (alert.alert_id,)).fetchone():
            return True
        if alert.resp_h is None:
            return False
        since = iso(now - window) or ""
        return self.db.execute(
            "SELECT 1 FROM alerts WHERE resp_h=? AND resp_p=? AND reason=? AND raised>?",
            (alert.resp_h, alert.resp_p, alert.reason.value, since)).fetchone() is not None

    def _insert(self, alert: Alert, shown: bool, sinks: Sequence[str]) -> None:
        text = json_line(document(alert))
        self.db.execute("INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (alert.alert_id, alert.reason.value, alert.resp_h, alert.resp_p,
                         alert.raised, int(shown), text))
        self.db.executemany("INSERT OR IGNORE INTO deliveries VALUES (?, ?, NULL)",
                            [(alert.alert_id, sink) for sink in sinks])

    def _forget(self, now: datetime) -> None:
        before = iso(now - RETENTION) or ""
        self.db.execute("DELETE FROM alerts WHERE raised<? AND alert_id NOT IN "
                        "(SELECT alert_id FROM deliveries WHERE delivered IS NULL)", (before,))
        self.db.execute("DELETE FROM deliveries WHERE alert_id NOT IN "
                        "(SELECT alert_id FROM alerts)")

    def pending(self, sink: str) -> list[dict[str, Any]]:
        """The documents not yet delivered to ``sink``, oldest first."""
        rows = self.db.execute(
            "SELECT a.document FROM deliveries d JOIN alerts a USING (alert_id) "
            "WHERE d.sink=? AND d.delivered IS NULL ORDER BY a.raised, a.rowid", (sink,))
        return [json.loads(text) for (text,) in rows.fetchall()]

    def delivered(self, alert_id: str, sink: str, when: datetime) -> None:
        """Mark one alert delivered to ``sink``."""
        self.db.execute("UPDATE deliveries SET delivered=? WHERE alert_id=? AND sink=?",
                        (iso(when), alert_id, sink))

    def documents(self) -> list[dict[str, Any]]:
        """Every alert kept, shown or not, oldest first."""
        rows = self.db.execute("SELECT document FROM alerts ORDER BY raised, rowid")
        return [json.loads(text) for (text,) in rows.fetchall()]


def _once(alerts: Sequence[Alert]) -> list[Alert]:
    seen: set[str] = set()
    out = []
    for alert in alerts:
        if alert.alert_id not in seen:
            seen.add(alert.alert_id)
            out.append(alert)
    return out


def _more(rest: Sequence[Alert], stamp: str) -> Alert:
    """One alert for the servers past the burst: how many, and the first of them."""
    listed = [{"server": a.server, "reason": a.reason.value} for a in rest[:MORE_LISTED]]
    event = ",".join(sorted(a.alert_id for a in rest))
    return Alert(Reason.MORE_SERVERS, stamp, event,
                 evidence={"count": len(rest), "servers": listed,
                           "not_listed": max(0, len(rest) - MORE_LISTED)})
