"""Alerts taken from the state to their sinks, each marked delivered once it was taken.

A sink that fails is left at its first undelivered alert: what remains is tried again
on the next run, in order, with the same ``alert_id``. One sink's failure does not stop
the others. Marks are committed at the end: after a crash, a sink may get an alert a
second time (delivery is at least once, never less).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import AlertError
from ..inventory import State
from .sinks import Sink
from .store import AlertStore


@dataclass
class DeliveryReport:
    """Per sink: alerts delivered now, and for a sink that failed, why and how many wait."""

    delivered: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """One line per failed sink, for stderr."""
        return [f"alert sink {name}: {why}; {self.pending[name]} alerts wait for the next run"
                for name, why in self.failed.items()]


def deliver(state_path: str | Path, sinks: Sequence[Sink], now: datetime) -> DeliveryReport:
    """Send each sink what the state holds undelivered for it."""
    report = DeliveryReport()
    with State.open(state_path) as state:
        store = AlertStore(state.db)
        for sink in sinks:
            docs = store.pending(sink.name)
            report.delivered[sink.name] = 0
            for i, doc in enumerate(docs):
                try:
                    sink.send(doc)
                except AlertError as exc:
                    report.failed[sink.name] = str(exc)
                    report.pending[sink.name] = len(docs) - i
                    break
                store.delivered(doc["zeekcert"]["alert_id"], sink.name, now)
                report.delivered[sink.name] += 1
    return report
