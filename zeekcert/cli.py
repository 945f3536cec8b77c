"""The command line: ``zeekcert report PATH`` (for now, a load summary) and ``inventory``.

Exit codes: 0 ok; 1 new unacknowledged servers (``inventory --fail-on new``); 2 usage
error; 3 some input could not be read, the rest was processed; 4 another run holds the
state's lock.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from . import __version__, inventory_cli
from .errors import ZeekLogError
from .loader import Logs, load
from .report import FileStatus
from .sanitize import terminal_safe
from .schema import KINDS
from .state import StateLocked
from .timeparse import parse_when

EXIT_OK, EXIT_USAGE, EXIT_PARTIAL, EXIT_LOCKED = 0, 2, 3, 4


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of exiting, so main() owns every exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="zeekcert", description="TLS certificate failures in Zeek logs.")
    parser.add_argument("--version", action="version", version=f"zeekcert {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    report = sub.add_parser("report", help="load a log tree and summarise it")
    report.add_argument("path", nargs="+", help="log files, directories or glob patterns")
    report.add_argument("--since", help="start of the window: ISO date, 'yesterday' or '7d'")
    report.add_argument("--until", help="end of the window (exclusive)")
    report.add_argument("--kinds", default=",".join(KINDS), help="log kinds to load")
    report.add_argument("--format", choices=("table", "json"), default="table")
    report.add_argument("--strict", action="store_true", help="fail on any skipped line")
    inventory_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run the command line; every error ends here as a message on stderr and an exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
        if args.command == "inventory":
            return inventory_cli.run(args, out, err)
        return _report(args, out)
    except (_UsageError, argparse.ArgumentTypeError) as exc:
        err.write(f"zeekcert: usage error: {terminal_safe(exc)}\n")
        return EXIT_USAGE
    except StateLocked as exc:
        err.write(f"zeekcert: {terminal_safe(exc)}; try again when it has finished\n")
        return EXIT_LOCKED
    except ZeekLogError as exc:
        err.write(f"zeekcert: {terminal_safe(exc)}\n")
        return EXIT_PARTIAL
    except BrokenPipeError:  # the reader went away (``| head``): not an error of ours
        return EXIT_OK
    except KeyboardInterrupt:
        err.write("zeekcert: interrupted\n")
        return 130


def _report(args: argparse.Namespace, out: TextIO) -> int:
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise _UsageError(f"unknown log kind(s): {', '.join(unknown)}")
    try:
        start, end = parse_when(args.since), parse_when(args.until)
    except ValueError as exc:
        raise _UsageError(str(exc)) from exc
    logs = load(args.path, kinds=kinds, start=start, end=end, strict=args.strict)
    if args.format == "json":
        out.write(json.dumps(summary(logs), indent=2, sort_keys=True) + "\n")
    else:
        write_summary(logs, out)
    bad = any(f.status is FileStatus.UNREADABLE for f in logs.report.files)
    return EXIT_PARTIAL if bad else EXIT_OK


def summary(logs: Logs) -> dict[str, object]:
    """The load summary as plain data: rows per kind, files per status, problem files."""
    report = logs.report
    return {
        "files": len(report.files),
        "files_by_status": dict(sorted(report.counts().items())),
        "rows": {k: len(logs[k]) for k in KINDS},
        "lines_skipped": sum(f.skipped for f in report.files),
        "problems": [
            {"path": f.path, "status": str(f.status), "skipped": f.skipped,
             "skipped_lines": f.skipped_lines[:10], "message": f.message}
            for f in report.problems
        ],
    }


def write_summary(logs: Logs, out: TextIO) -> None:
    """Write the load summary as a plain-text table; every log-derived string is escaped."""
    data = summary(logs)
    out.write(f"Files read: {data['files']}\n")
    for status, count in data["files_by_status"].items():  # type: ignore[attr-defined]
        out.write(f"  {status:<11} {count:>8}\n")
    out.write("Rows by kind:\n")
    for kind, count in data["rows"].items():  # type: ignore[attr-defined]
        out.write(f"  {kind:<11} {count:>8}\n")
    out.write(f"Lines skipped: {data['lines_skipped']}\n")
    for problem in data["problems"]:  # type: ignore[attr-defined]
        lines = ",".join(str(n) for n in problem["skipped_lines"])
        out.write(terminal_safe(f"  {problem['status']}: {problem['path']} "
                                f"({problem['skipped']} skipped; lines {lines or '-'}) "
                                f"{problem['message']}") + "\n")
