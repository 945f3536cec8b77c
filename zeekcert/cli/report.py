"""``zeekcert report PATH``: classify a log tree and report its certificate failures."""

from __future__ import annotations

import argparse
import functools
import io
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from ..errors import UsageError
from ..formatting import PIPE_WIDTH
from ..inventory import load_allowlist
from ..parquet_export import ConnectionExport
from ..policy import Policy
from ..report import (
    TOP,
    Findings,
    TextOptions,
    build_streaming,
    target_lines,
    write_csv,
    write_html,
    write_json,
    write_markdown,
    write_table,
    write_targets,
)
from .destination import STDOUT, Destination, new_folder
from .exit_codes import Exit
from .hunt_options import add_hunt_arguments, hunt_settings
from .outcome import input_outcome, worst
from .scheduler import add_scheduler_argument, executor_for
from .sensors import add_sensor_arguments, sources
from .terminal import Progress, use_colour, width_of
from .time_phrases import when_arg

FORMATS = ("table", "json", "csv", "markdown", "html")
_SUFFIXES = {".json": "json", ".csv": "csv", ".md": "markdown", ".html": "html",
             ".htm": "html", ".txt": "table"}
# Suffixes of formats the report has no form in: refused rather than filled with a table.
_REFUSED = {".parquet": "Parquet", ".pq": "Parquet", ".xlsx": "Excel", ".xls": "Excel"}
EXAMPLES = """examples:
  zeekcert report /nsm/zeek/logs --since yesterday
  zeekcert report /nsm/zeek/logs/2026-11-26 --allowlist allow.toml --targets targets.txt
  zeekcert report ssl.log.gz x509.log.gz --format json -o report.json
  zeekcert report /nsm/zeek/logs --since 7d -o report.html --fail-on new
  zeekcert report --sensor east=/data/east --sensor west=/data/west --since yesterday
"""


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """The ``report`` subcommand's arguments."""
    cmd = sub.add_parser("report", parents=parents, epilog=EXAMPLES,
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         help="report the certificate failures in a log tree",
                         description="Classify every TLS connection's certificate verdict "
                                     "and report the failing and self-signed servers.")
    cmd.add_argument("path", nargs="*",
                     help="log files, directories or glob patterns (of one sensor; name "
                          "several with --sensor)")
    cmd.add_argument("--since", help="start of the window: ISO date, 'yesterday' or '7d'")
    cmd.add_argument("--until", help="end of the window (exclusive)")
    cmd.add_argument("--policy", help="TOML file of policy settings")
    cmd.add_argument("--allowlist", help="TOML file of [[acknowledged]] servers")
    add_hunt_arguments(cmd)
    cmd.add_argument("--format", choices=FORMATS,
                     help="output format (default: from --output's suffix, else table)")
    cmd.add_argument("-o", "--output", metavar="FILE",
                     help="write the report to FILE, replaced only once complete ('-': stdout)")
    cmd.add_argument("--targets", metavar="FILE",
                     help="write failing servers as host:port lines (testssl.sh --file)")
    cmd.add_argument("--fail-on", choices=("new", "any"),
                     help="exit 1 if an unacknowledged self-signed server (new) or any "
                          "failing server (any) is found")
    cmd.add_argument("--strict", action="store_true", help="fail on any skipped line")
    cmd.add_argument("--width", type=int, metavar="COLUMNS",
                     help="fit the table to this width (default: the terminal's, or "
                          f"{PIPE_WIDTH} on a pipe; 0: no limit)")
    cmd.add_argument("--limit", type=int, metavar="N",
                     help=f"rows per table (default: {TOP} in the table, all in Markdown; "
                          "0: all)")
    cmd.add_argument("--export-parquet", metavar="DIR",
                     help="also write every classified connection (by day) and the failing "
                          "and self-signed servers as Parquet into DIR, a new or empty folder")
    add_sensor_arguments(cmd)
    add_scheduler_argument(cmd)


def run(args: argparse.Namespace, out: TextIO, err: TextIO, now: datetime | None = None) -> int:
    """Load, classify, write the report (and targets); return the documented exit code."""
    now = now or datetime.now(UTC)
    since, until = when_arg(args.since, now), when_arg(args.until, now)
    allowlist = load_allowlist(args.allowlist) if args.allowlist else None
    policy = Policy.from_toml(args.policy) if args.policy else Policy()
    catalogue, hunting = hunt_settings(args)
    fmt = _format(args)
    read_from = sources(args, args.path, by_folder=False)
    if args.targets == STDOUT and args.output in (None, STDOUT):
        raise UsageError("--targets - needs the report in a file: give --output FILE")
    progress = Progress(err, args.quiet)
    with (Destination(args.output, out) as report_out, _targets(args.targets, out) as targets,
          new_folder(args.export_parquet, "--export-parquet") as folder,
          executor_for(args.scheduler) as executor):
        streamed = build_streaming(read_from.paths, policy=policy, now=now, allowlist=allowlist,
                                   since=since, until=until, strict=args.strict,
                                   progress=progress.files, stage=progress.stage,
                                   executor=executor, sensors=read_from.sensors,
                                   export=None if folder is None else ConnectionExport(folder.path),
                                   catalogue=catalogue, hunt_policy=hunting)
        findings = streamed.findings
        if folder is not None:
            findings.servers.to_parquet(folder.path / "servers.parquet", index=False)
            findings.self_signed.to_parquet(folder.path / "self_signed.parquet", index=False)
        progress.stage("writing the report")
        writer = _writer(fmt, args, out if report_out.is_stdout else None)
        report_out.write(lambda fh: writer(findings, fh))
        if targets is not None:
            lines = target_lines(findings.servers, findings.self_signed)
            targets.write(lambda fh: write_targets(lines, fh))
        progress.done()
    read = input_outcome(streamed.load_report, read_from.paths, err)
    return int(worst(read, _found(findings, args.fail_on)))


def _writer(fmt: str, args: argparse.Namespace, terminal: TextIO | None
            ) -> Callable[[Findings, TextIO], None]:
    """The writer of ``fmt``, laid out for where it goes: stdout (``terminal``, a terminal
    or a pipe), or a file of ``--output``, which is never coloured, even with ``always``."""
    if fmt not in ("table", "markdown"):
        return _WRITERS[fmt]
    stream = terminal if terminal is not None else io.StringIO()
    limit = None if args.limit == 0 else args.limit
    if fmt == "markdown":
        return functools.partial(write_markdown, options=TextOptions(width=None, limit=limit))
    options = TextOptions(width=width_of(stream, args.width),
                          limit=TOP if args.limit is None else limit,
                          colour=terminal is not None and use_colour(args.color, stream))
    return functools.partial(write_table, options=options)


def _targets(path: str | None, out: TextIO) -> AbstractContextManager[Destination | None]:
    return Destination(path, out, option="--targets") if path else nullcontext()


def _format(args: argparse.Namespace) -> str:
    suffix = "" if args.output in (None, STDOUT) else Path(args.output).suffix.lower()
    if suffix in _REFUSED and args.format in (None, "table"):
        raise UsageError(f"the report has no {_REFUSED[suffix]} form: give --format json, "
                         "csv, markdown or html, or another name (for the inventory as "
                         "Parquet: zeekcert inventory -o FILE.parquet)")
    if args.format:
        return str(args.format)
    return _SUFFIXES.get(suffix, "table")


def _found(findings: Findings, fail_on: str | None) -> Exit:
    if fail_on == "any" and len(findings.servers):
        return Exit.FOUND
    if fail_on == "new" and (~findings.self_signed["acknowledged"]).any():
        return Exit.FOUND
    return Exit.OK


_WRITERS: dict[str, Callable[[Findings, TextIO], None]] = {
    "table": write_table, "markdown": write_markdown, "html": write_html,
    "json": write_json, "csv": write_csv,
}
