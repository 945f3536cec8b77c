"""``zeekcert report PATH``: classify a log tree and report its certificate failures."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from ..errors import UsageError
from ..inventory import load_allowlist
from ..policy import Policy
from ..reading import load
from ..report import (
    Findings,
    build_report,
    target_lines,
    write_csv,
    write_html,
    write_json,
    write_markdown,
    write_table,
    write_targets,
)
from .destination import STDOUT, Destination
from .exit_codes import Exit
from .outcome import input_outcome, worst
from .time_phrases import when_arg

FORMATS = ("table", "json", "csv", "markdown", "html")
_SUFFIXES = {".json": "json", ".csv": "csv", ".md": "markdown", ".html": "html",
             ".htm": "html", ".txt": "table"}


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """The ``report`` subcommand's arguments."""
    cmd = sub.add_parser("report", parents=parents,
                         help="report the certificate failures in a log tree")
    cmd.add_argument("path", nargs="+", help="log files, directories or glob patterns")
    cmd.add_argument("--since", help="start of the window: ISO date, 'yesterday' or '7d'")
    cmd.add_argument("--until", help="end of the window (exclusive)")
    cmd.add_argument("--policy", help="TOML file of policy settings")
    cmd.add_argument("--allowlist", help="TOML file of [[acknowledged]] servers")
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


def run(args: argparse.Namespace, out: TextIO, err: TextIO, now: datetime | None = None) -> int:
    """Load, classify, write the report (and targets); return the documented exit code."""
    now = now or datetime.now(UTC)
    since, until = when_arg(args.since, now), when_arg(args.until, now)
    allowlist = load_allowlist(args.allowlist) if args.allowlist else None
    policy = Policy.from_toml(args.policy) if args.policy else Policy()
    if args.targets == STDOUT and args.output in (None, STDOUT):
        raise UsageError("--targets - needs the report in a file: give --output FILE")
    with Destination(args.output, out) as report_out, _targets(args.targets, out) as targets:
        logs = load(args.path, kinds=["ssl", "x509", "notice"], start=since, end=until,
                    strict=args.strict)
        findings = build_report(logs, policy=policy, now=now, allowlist=allowlist,
                                since=since, until=until)
        report_out.write(lambda fh: _WRITERS[_format(args)](findings, fh))
        if targets is not None:
            lines = target_lines(findings.servers, findings.self_signed)
            targets.write(lambda fh: write_targets(lines, fh))
    read = input_outcome(logs.report, args.path, err)
    return int(worst(read, _found(findings, args.fail_on)))


def _targets(path: str | None, out: TextIO) -> AbstractContextManager[Destination | None]:
    return Destination(path, out, option="--targets") if path else nullcontext()


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.output in (None, STDOUT):
        return "table"
    return _SUFFIXES.get(Path(args.output).suffix.lower(), "table")


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
