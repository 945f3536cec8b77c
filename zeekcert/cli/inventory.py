"""``zeekcert inventory LOGDIR --state FILE``: the nightly job's command line."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from ..causes import Cause
from ..inventory import (
    Progress,
    load_allowlist,
    run_nightly,
    write_csv,
    write_json,
    write_parquet,
    write_table,
)
from ..policy import Policy
from ..reading import FileStatus
from ..sanitize import terminal_safe
from .time_phrases import when_arg

EXIT_OK, EXIT_NEW, EXIT_PARTIAL = 0, 1, 3


def add_parser(sub: Any) -> None:
    """The ``inventory`` subcommand's arguments."""
    cmd = sub.add_parser("inventory", help="update the self-signed server inventory")
    cmd.add_argument("logdir", help="the Zeek log directory (zeekctl layout or any tree)")
    cmd.add_argument("--state", required=True, help="the SQLite state file (created if new)")
    cmd.add_argument("--allowlist", help="TOML file of [[acknowledged]] servers")
    cmd.add_argument("--policy", help="TOML file of policy settings")
    cmd.add_argument("--since", help="only logs from this time: ISO date, 'yesterday', '7d'")
    cmd.add_argument("--until", help="only logs before this time")
    cmd.add_argument("--cause", default=Cause.SELF_SIGNED.value,
                     choices=[c.value for c in Cause] + ["any"],
                     help="the cause that puts a server in the inventory (default self_signed)")
    cmd.add_argument("--gone-after", type=int, default=7, metavar="DAYS",
                     help="a server not seen for this many days is gone (default 7)")
    cmd.add_argument("--format", choices=("table", "json", "csv", "parquet"),
                     help="output format (default: table on a terminal, else json)")
    cmd.add_argument("--output", help="write to this file instead of stdout")
    cmd.add_argument("--fail-on", choices=("new",),
                     help="exit 1 when the run finds new unacknowledged servers")


def run(args: argparse.Namespace, out: TextIO, err: TextIO, now: datetime | None = None) -> int:
    """Run the job, write the inventory, and return the documented exit code."""
    now = now or datetime.now(UTC)
    allowlist = load_allowlist(args.allowlist) if args.allowlist else []
    policy = Policy.from_toml(args.policy) if args.policy else Policy()
    result = run_nightly(args.logdir, args.state, now, allowlist=allowlist,
                         since=when_arg(args.since, now), until=when_arg(args.until, now),
                         cause=args.cause, gone_after=timedelta(days=args.gone_after),
                         policy=policy, progress=_progress(err))
    _write(result.inventory, args, out)
    for bad in result.report.problems:
        err.write(terminal_safe(f"zeekcert: {bad.status}: {bad.path}: {bad.message}") + "\n")
    inv = result.inventory
    if args.fail_on == "new" and ((inv["status"] == "new") & ~inv["acknowledged"]).any():
        return EXIT_NEW
    unreadable = any(f.status is FileStatus.UNREADABLE for f in result.report.files)
    return EXIT_PARTIAL if unreadable else EXIT_OK


def _write(frame: pd.DataFrame, args: argparse.Namespace, out: TextIO) -> None:
    fmt = args.format or ("table" if out.isatty() else "json")
    if fmt == "parquet":
        if not args.output:
            raise argparse.ArgumentTypeError("--format parquet needs --output")
        with open(args.output, "wb") as fh:
            write_parquet(frame, fh)
        return
    writer = {"table": write_table, "json": write_json, "csv": write_csv}[fmt]
    if args.output:
        with open(Path(args.output), "w", encoding="utf-8", newline="") as fh:
            writer(frame, fh)
    else:
        writer(frame, out)


def _progress(err: TextIO) -> Progress | None:
    """A one-line progress count on a terminal; nothing otherwise."""
    if not (hasattr(err, "isatty") and err.isatty()):
        return None

    def show(done: int, total: int, _path: str) -> None:
        err.write(f"\rzeekcert: {done}/{total} files")
        if done == total:
            err.write("\n")
        err.flush()

    return show



