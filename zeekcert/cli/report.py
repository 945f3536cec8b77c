"""``zeekcert report PATH``: classify a log tree and report its certificate failures."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from ..inventory import load_allowlist
from ..policy import Policy
from ..reading import FileStatus, load
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
from ..sanitize import terminal_safe
from .time_phrases import when_arg

EXIT_OK, EXIT_FOUND, EXIT_PARTIAL = 0, 1, 3
FORMATS = ("table", "json", "csv", "markdown", "html")
_SUFFIXES = {".json": "json", ".csv": "csv", ".md": "markdown", ".html": "html",
             ".htm": "html", ".txt": "table"}


def add_parser(sub: Any) -> None:
    """The ``report`` subcommand's arguments."""
    cmd = sub.add_parser("report", help="report the certificate failures in a log tree")
    cmd.add_argument("path", nargs="+", help="log files, directories or glob patterns")
    cmd.add_argument("--since", help="start of the window: ISO date, 'yesterday' or '7d'")
    cmd.add_argument("--until", help="end of the window (exclusive)")
    cmd.add_argument("--policy", help="TOML file of policy settings")
    cmd.add_argument("--allowlist", help="TOML file of [[acknowledged]] servers")
    cmd.add_argument("--format", choices=FORMATS,
                     help="output format (default: from --output's suffix, else table)")
    cmd.add_argument("--output", help="write the report to this file instead of stdout")
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
    logs = load(args.path, kinds=["ssl", "x509", "notice"], start=since, end=until,
                strict=args.strict)
    findings = build_report(logs, policy=policy, now=now, allowlist=allowlist, since=since,
                     until=until)
    _emit(findings, _format(args), args.output, out)
    if args.targets:
        write_targets(target_lines(findings.servers, findings.self_signed), args.targets)
    for bad in logs.report.problems:
        err.write(terminal_safe(f"zeekcert: {bad.status}: {bad.path}: {bad.message}") + "\n")
    if not any(f.kind == "ssl" for f in logs.report.files):
        err.write(terminal_safe(f"zeekcert: no ssl log found in {' '.join(args.path)}") + "\n")
        return EXIT_PARTIAL
    return _exit_code(findings, args.fail_on, logs.report.files)


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    return _SUFFIXES.get(Path(args.output).suffix.lower(), "table") if args.output else "table"


def _emit(findings: Findings, fmt: str, output: str | None, out: TextIO) -> None:
    writer = _WRITERS[fmt]
    if output is None:
        writer(findings, out)
        return
    # Written beside the target and renamed: a crash never leaves half a report.
    fd, tmp = tempfile.mkstemp(dir=Path(output).resolve().parent, prefix=".zeekcert-",
                               suffix=".tmp")
    try:
        with open(fd, "w", encoding="utf-8", newline="") as fh:
            writer(findings, fh)
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _exit_code(findings: Findings, fail_on: str | None, files: list[Any]) -> int:
    if fail_on == "any" and len(findings.servers):
        return EXIT_FOUND
    if fail_on == "new" and (~findings.self_signed["acknowledged"]).any():
        return EXIT_FOUND
    return EXIT_PARTIAL if any(f.status is FileStatus.UNREADABLE for f in files) else EXIT_OK


_WRITERS: dict[str, Callable[[Findings, TextIO], None]] = {
    "table": write_table, "markdown": write_markdown, "html": write_html,
    "json": write_json, "csv": write_csv,
}
