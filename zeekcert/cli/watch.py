"""``zeekcert watch LOGDIR --state FILE``: the nightly job's pass, every few seconds, live.

Each pass looks at the ssl, x509 and notice logs of ``LOGDIR/current`` (or of LOGDIR
itself when it is named ``current``), and at the files of LOGDIR's dated folders changed
since the watch started: a file Zeek rotated between two passes is read to its end there,
once compressed into the archive. When none of them changed (size, time, inode), the
pass does nothing: an idle watch costs a few ``stat`` calls a poll. Otherwise it runs
the nightly job over them with the same state and lock, and its alerts. The ledger knows
files by their content, so a rotated or archived file is never counted twice, by the
watch or by the nightly job after it; a growing file gives its new complete rows only, and
a file that shrank or was replaced is a new file.

A connection whose certificate no x509 row holds yet waits, with the rows after it in its
file, for up to ``--hold`` (two intervals): Zeek may write the x509.log row after the
ssl.log row that needs it. Past that it is judged as it is.

SIGTERM or SIGINT stop the watch after the current pass, its state committed. Killed
with -9, it loses nothing: a pass commits at its end or not at all, and its alerts are
raised again with the same ``alert_id``.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from ..causes import Cause
from ..errors import StateLocked, ZeekLogError
from ..inventory import Kept, load_allowlist, run_nightly
from ..policy import Policy
from ..reading import kind_from_name
from ..sanitize import terminal_safe
from .alerting import Alerting, add_alert_arguments
from .exit_codes import Exit
from .hunt_options import add_hunt_arguments, hunt_settings
from .time_phrases import seconds_arg

KINDS = {"ssl", "x509", "notice"}
Signature = dict[str, tuple[int, int, int]]


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """The ``watch`` subcommand's arguments."""
    cmd = sub.add_parser("watch", parents=parents, help="follow current/ and alert live",
                         description="Follow the live logs of LOGDIR/current and raise "
                                     "alerts within seconds, into the nightly job's state.")
    cmd.add_argument("logdir", metavar="LOGDIR", help="the Zeek log directory (its current/)")
    cmd.add_argument("--state", required=True, help="the SQLite state file (created if new)")
    cmd.add_argument("--allowlist", help="TOML file of [[acknowledged]] servers")
    cmd.add_argument("--policy", help="TOML file of policy settings")
    add_hunt_arguments(cmd)
    cmd.add_argument("--cause", default=Cause.SELF_SIGNED.value,
                     choices=[c.value for c in Cause] + ["any"],
                     help="the cause that puts a server in the inventory (default "
                          "self_signed; any: every failing server is alerted on)")
    cmd.add_argument("--interval", default="5s", metavar="TIME",
                     help="time between passes: 5s (default), 500ms, 1m")
    cmd.add_argument("--hold", metavar="TIME",
                     help="how long a connection waits for its certificate's x509 row "
                          "before it is judged without it (default: two intervals)")
    cmd.add_argument("--passes", type=int, metavar="N", help=argparse.SUPPRESS)  # tests
    add_alert_arguments(cmd)


def run(args: argparse.Namespace, out: TextIO, err: TextIO, now: datetime | None = None) -> int:
    """Watch until SIGTERM or SIGINT; exit 0, or 3 if the last pass left alerts pending."""
    interval = seconds_arg(args.interval, "--interval")
    start = now or datetime.now(UTC)
    began = time.monotonic()
    watcher = Watcher(args, out, err, lambda: start + timedelta(seconds=time.monotonic() - began))
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        passes = 0
        while not stop.is_set() and (args.passes is None or passes < args.passes):
            begun = time.monotonic()
            watcher.step()
            passes += 1
            stop.wait(max(0.0, interval - (time.monotonic() - begun)))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return int(watcher.last)


class Watcher:
    """One watch: what it saw at its last pass, and its alerting."""

    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO,
                 clock: Callable[[], datetime]):
        self.logdir, self.state, self.err, self.clock = Path(args.logdir), args.state, err, clock
        self.allowlist = load_allowlist(args.allowlist) if args.allowlist else []
        self.policy = Policy.from_toml(args.policy) if args.policy else Policy()
        self.catalogue, self.hunting = hunt_settings(args)
        self.args, self.out = args, out
        self.since = time.time()  # archive files changed from now on are read
        seconds = (seconds_arg(args.hold, "--hold") if args.hold
                   else 2 * seconds_arg(args.interval, "--interval"))
        self.hold = timedelta(seconds=seconds)
        self.seen: Signature = {}
        self.archived: Signature = {}  # archive files a pass has read, as they were then
        self.kept = Kept()  # the records between passes, not loaded again each time
        self.last = Exit.OK
        Alerting(args, out, clock(), self.allowlist)  # a bad --alert-to fails here, at once

    def step(self) -> None:
        """One pass: nothing if no file changed, else the job and its alerts. An archive
        file is read in the pass after it appears (or changes), not in every pass."""
        signature = {path: sig for path, sig in _signature(watched(self.logdir, self.since)).items()
                     if _is_live(Path(path), self.logdir) or self.archived.get(path) != sig}
        if signature == self.seen:
            return
        paths = list(signature)
        now = self.clock()
        alerting = Alerting(self.args, self.out, now, self.allowlist)
        try:
            run_nightly(paths, self.state, now, allowlist=self.allowlist,
                        policy=self.policy, cause=self.args.cause, record=alerting.record,
                        hold=self.hold, kept=self.kept, catalogue=self.catalogue,
                        hunt_policy=self.hunting)
            self.seen = signature
            self.archived |= {p: s for p, s in signature.items()
                              if not _is_live(Path(p), self.logdir)}
            self.last = alerting.tell(self.state, self.err)
        except (ZeekLogError, StateLocked) as exc:  # a file went, or the nightly job runs:
            # what was committed stays, and what is pending is delivered next pass
            self.err.write(terminal_safe(f"zeekcert: {exc}; trying again next pass") + "\n")


def watched(logdir: Path, since: float) -> list[Path]:
    """The live logs, and the archive's files changed since ``since`` (epoch seconds)."""
    live = logdir if logdir.name == "current" else logdir / "current"
    found = [p for p in _files(live) if kind_from_name(p.name) in KINDS]
    for folder in _folders(logdir, live, since):
        found += [p for p in _files(folder)
                  if kind_from_name(p.name) in KINDS and _mtime(p) >= since]
    return found


def _is_live(path: Path, logdir: Path) -> bool:
    live = logdir if logdir.name == "current" else logdir / "current"
    return path.parent == live


def _files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_file())
    except OSError:  # not there yet, or not listable: next pass
        return []


def _folders(logdir: Path, live: Path, since: float) -> list[Path]:
    """The folders beside ``live`` that a file was added to since ``since``: a folder's
    time changes when a file is moved into it, so old days are not listed each pass."""
    root = logdir if live != logdir else logdir.parent
    try:
        return sorted(p for p in root.iterdir() if p.is_dir() and p != live
                      and _mtime(p) >= since)
    except OSError:
        return []


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def _signature(paths: list[Path]) -> Signature:
    out: Signature = {}
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue
        out[str(path)] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out
