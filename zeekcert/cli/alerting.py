"""``--alert-to``: the nightly job's alerts, recorded with its state and then delivered.

Every run records the alerts its inventory raises, sinks or not, so that suppression
holds across runs. With sinks, what is pending is delivered once the state is
committed; a sink that fails is named on stderr, its alerts wait for the next run, and
the run exits 3. With no sink and no ``-q``, a run that raised alerts says so in a few
lines on stderr, such as ``2 new self-signed servers: 203.0.113.44:443,
[2001:db8:44::44]:443``, so that cron mails them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from ..alerting import (
    Alert,
    AlertOptions,
    AlertStore,
    Reason,
    Sink,
    deliver,
    raised,
    sink_of,
)
from ..inventory import Acknowledgement, NightlyResult, State
from ..sanitize import terminal_safe
from .exit_codes import Exit

SHOWN = 5  # servers named per line of the summary
_PHRASES = {Reason.NEW_SELF_SIGNED_SERVER: ("new self-signed server", "new self-signed servers"),
            Reason.NEW_FAILING_SERVER: ("new failing server", "new failing servers"),
            Reason.CERTIFICATE_CHANGED: ("changed certificate", "changed certificates"),
            Reason.ACKNOWLEDGEMENT_EXPIRED: ("expired acknowledgement",
                                             "expired acknowledgements"),
            Reason.SERVER_GONE: ("server gone", "servers gone"),
            Reason.TOOLING_MATCH: ("server with C2 tooling's certificate",
                                   "servers with C2 tooling's certificates"),
            Reason.MORE_SERVERS: ("alert for more servers", "alerts for more servers")}


def add_alert_arguments(cmd: argparse.ArgumentParser) -> None:
    """The alert options of the nightly job."""
    cmd.add_argument("--alert-to", action="append", default=[], metavar="SINK",
                     help="send each new alert to SINK: stdout, jsonl:FILE, webhook:URL, "
                          "syslog:[unix:PATH|udp://HOST:PORT|tcp://HOST:PORT] or "
                          "zeek-notice:FILE (repeatable)")
    cmd.add_argument("--alert-burst", type=int, default=AlertOptions.burst, metavar="N",
                     help="alert on at most N servers one by one per run, the rest in one "
                          f"alert (default {AlertOptions.burst})")
    cmd.add_argument("--alert-gone", action="store_true",
                     help="also alert when a server is gone")


class Alerting:
    """One run's alerts: recorded in its transaction, delivered after its commit."""

    def __init__(self, args: argparse.Namespace, out: TextIO, now: datetime,
                 allowlist: Sequence[Acknowledgement]):
        self.sinks: list[Sink] = [sink_of(spec, out) for spec in args.alert_to]
        self.options = AlertOptions(burst=max(1, args.alert_burst), gone=args.alert_gone)
        self.now, self.allowlist, self.quiet = now, allowlist, args.quiet
        self.shown: list[Alert] = []

    def record(self, state: State, result: NightlyResult) -> None:
        """Keep the alerts the run raises, to be delivered to every sink."""
        found = raised(result.inventory, self.now, self.allowlist, self.options)
        self.shown = AlertStore(state.db).record(found, self.now, [s.name for s in self.sinks],
                                                 self.options)

    def tell(self, state_path: str | Path, err: TextIO) -> Exit:
        """Deliver what is pending, or say what was raised; PARTIAL if a sink failed."""
        if not self.sinks:
            if not self.quiet:
                err.writelines(terminal_safe(line) + "\n" for line in summary(self.shown))
            return Exit.OK
        report = deliver(state_path, self.sinks, self.now)
        for line in report.lines():
            err.write(terminal_safe(f"zeekcert: {line}") + "\n")
        return Exit.PARTIAL if report.failed else Exit.OK


def summary(alerts: Sequence[Alert]) -> list[str]:
    """A line per reason: how many, and the first servers."""
    lines = []
    for reason in Reason:
        mine = [a for a in alerts if a.reason is reason]
        if not mine:
            continue
        one, many = _PHRASES[reason]
        servers = ", ".join(a.server for a in mine[:SHOWN] if a.resp_h is not None)
        more = f" and {len(mine) - SHOWN} more" if len(mine) > SHOWN else ""
        if reason is Reason.MORE_SERVERS:
            servers = f"{mine[0].evidence.get('count')} servers not named one by one"
        lines.append(f"{len(mine)} {one if len(mine) == 1 else many}: {servers}{more}")
    return lines
