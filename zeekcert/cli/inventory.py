"""``zeekcert inventory LOGDIR --state FILE``: the nightly job's command line."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from ..causes import Cause
from ..errors import UsageError
from ..formatting import PIPE_WIDTH
from ..inventory import (
    RETENTION,
    NightlyResult,
    Progress,
    ServerStatus,
    load_allowlist,
    run_nightly,
    write_csv,
    write_json,
    write_parquet,
    write_table,
)
from ..parquet_export import ConnectionExport
from ..policy import Policy
from .alerting import Alerting, add_alert_arguments
from .destination import STDOUT, Destination, new_folder
from .exit_codes import Exit
from .hunt_options import add_hunt_arguments, hunt_settings
from .outcome import input_outcome, worst
from .scheduler import add_scheduler_argument, executor_for
from .sensors import add_sensor_arguments, sources
from .terminal import width_of
from .time_phrases import when_arg

FORMATS = ("table", "json", "csv", "parquet")
_SUFFIXES = {".json": "json", ".csv": "csv", ".parquet": "parquet", ".txt": "table"}


EXAMPLES = """examples:
  zeekcert inventory /nsm/zeek/logs --state /var/lib/zeekcert/state.db
  zeekcert inventory /nsm/zeek/logs --state state.db --allowlist allow.toml \\
      --fail-on new -o /var/lib/zeekcert/inventory.json
  zeekcert inventory /nsm/zeek/logs --state state.db --cause any -o inventory.parquet
  zeekcert inventory --sensor east=/data/east --sensor west=/data/west --state central.db
  zeekcert inventory /nsm/zeek/logs --state state.db --alert-to jsonl:/var/log/zeekcert.jsonl
"""


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """The ``inventory`` subcommand's arguments."""
    cmd = sub.add_parser("inventory", parents=parents, epilog=EXAMPLES,
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         help="update the self-signed server inventory",
                         description="Take in what is new in a log tree and keep the "
                                     "inventory of self-signed servers between runs.")
    cmd.add_argument("logdir", nargs="*", metavar="LOGDIR",
                     help="the Zeek log directory (zeekctl layout or any tree); several: "
                          "one per sensor, each named by its folder")
    cmd.add_argument("--state", required=True, help="the SQLite state file (created if new)")
    cmd.add_argument("--allowlist", help="TOML file of [[acknowledged]] servers")
    cmd.add_argument("--policy", help="TOML file of policy settings")
    add_hunt_arguments(cmd)
    cmd.add_argument("--since", help="only logs from this time: ISO date, 'yesterday', '7d'")
    cmd.add_argument("--until", help="only logs before this time")
    cmd.add_argument("--cause", default=Cause.SELF_SIGNED.value,
                     choices=[c.value for c in Cause] + ["any"],
                     help="the cause that puts a server in the inventory (default self_signed)")
    cmd.add_argument("--gone-after", type=int, default=7, metavar="DAYS",
                     help="a server not seen for this many days is gone (default 7)")
    cmd.add_argument("--retention", type=int, default=RETENTION.days, metavar="DAYS",
                     help="forget servers and pairs not seen for this many days, so the "
                          f"state stays bounded (default {RETENTION.days})")
    cmd.add_argument("--format", choices=FORMATS,
                     help="output format (default: from --output's suffix; on stdout, table "
                          "on a terminal, else json)")
    cmd.add_argument("-o", "--output", metavar="FILE",
                     help="write the inventory to FILE, replaced only once complete "
                          "('-': stdout)")
    cmd.add_argument("--fail-on", choices=("new",),
                     help="exit 1 when the run finds new unacknowledged servers")
    cmd.add_argument("--width", type=int, metavar="COLUMNS",
                     help="fit the table to this width (default: the terminal's, or "
                          f"{PIPE_WIDTH} on a pipe; 0: no limit)")
    cmd.add_argument("--export-parquet", metavar="DIR",
                     help="also write this run's classified connections (by day) and the "
                          "inventory as Parquet into DIR, a new or empty folder")
    add_alert_arguments(cmd)
    add_sensor_arguments(cmd)
    add_scheduler_argument(cmd)


def run(args: argparse.Namespace, out: TextIO, err: TextIO, now: datetime | None = None) -> int:
    """Run the job, write the inventory, and return the documented exit code.

    An output file and the ``--export-parquet`` folder are written and renamed into place
    before the state is committed: killed in between, the next run reports the same news
    again rather than never.
    """
    now = now or datetime.now(UTC)
    allowlist = load_allowlist(args.allowlist) if args.allowlist else []
    policy = Policy.from_toml(args.policy) if args.policy else Policy()
    since, until = when_arg(args.since, now), when_arg(args.until, now)
    read_from = sources(args, args.logdir, by_folder=True)
    if "stdout" in args.alert_to and args.output in (None, STDOUT):
        raise UsageError("--alert-to stdout would mix alerts into the inventory on stdout: "
                         "give --output FILE, or another sink")
    alerting = Alerting(args, out, now, allowlist)
    catalogue, hunting = hunt_settings(args)
    fmt = _format(args, out)
    with (Destination(args.output, out, binary=fmt == "parquet") as dest,
          new_folder(args.export_parquet, "--export-parquet") as folder,
          executor_for(args.scheduler) as executor):
        writer = _writer(fmt, args, out if dest.is_stdout else None)

        def publish(result: NightlyResult) -> None:
            if folder is not None:
                with open(folder.path / "inventory.parquet", "wb") as fh:
                    write_parquet(result.inventory, fh)
                folder.commit()
            if not dest.is_stdout:
                dest.write(lambda fh: writer(result.inventory, fh))
                dest.commit()

        result = run_nightly(read_from.paths, args.state, now, allowlist=allowlist, since=since,
                             until=until, cause=args.cause,
                             gone_after=timedelta(days=args.gone_after), policy=policy,
                             retention=timedelta(days=args.retention),
                             progress=_progress(err, args.quiet), publish=publish,
                             executor=executor, sensors=read_from.sensors,
                             record=alerting.record, catalogue=catalogue, hunt_policy=hunting,
                             export=None if folder is None else ConnectionExport(folder.path))
        if dest.is_stdout:  # stdout cannot be made atomic: written once the state is safe
            dest.write(lambda fh: writer(result.inventory, fh))
    told = alerting.tell(args.state, err)
    read = input_outcome(result.report, read_from.paths, err)
    return int(worst(read, told, _found(result.inventory, args.fail_on)))


def _format(args: argparse.Namespace, out: TextIO) -> str:
    if args.format:
        return str(args.format)
    if args.output not in (None, STDOUT):
        return _SUFFIXES.get(Path(args.output).suffix.lower(), "json")
    return "table" if _isatty(out) else "json"


def _writer(fmt: str, args: argparse.Namespace, terminal: TextIO | None
            ) -> Callable[[pd.DataFrame, Any], None]:
    """The writer of ``fmt``; the table fits the terminal, or a fixed width elsewhere."""
    if fmt != "table":
        return _WRITERS[fmt]
    width = width_of(terminal, args.width) if terminal is not None else (
        args.width or None if args.width is not None else PIPE_WIDTH)
    return functools.partial(write_table, width=width)


def _found(inventory: pd.DataFrame, fail_on: str | None) -> Exit:
    new = (inventory["status"] == ServerStatus.NEW) & ~inventory["acknowledged"].astype(bool)
    return Exit.FOUND if fail_on == "new" and new.any() else Exit.OK


def _isatty(stream: TextIO) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


def _progress(err: TextIO, quiet: bool) -> Progress | None:
    """A one-line progress count on a terminal; nothing otherwise, or with ``-q``."""
    if quiet or not _isatty(err):
        return None

    def show(done: int, total: int, _path: str) -> None:
        err.write(f"\rzeekcert: {done}/{total} files")
        if done == total:
            err.write("\n")
        err.flush()

    return show


_WRITERS: dict[str, Callable[[pd.DataFrame, Any], None]] = {
    "table": write_table, "json": write_json, "csv": write_csv, "parquet": write_parquet,
}
