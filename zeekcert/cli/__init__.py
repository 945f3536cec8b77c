"""The command line: ``zeekcert report PATH``, ``zeekcert inventory LOGDIR`` and
``zeekcert state merge``.

``main(argv) -> int`` is the one error boundary: every error ends there as one line on
stderr, escaped for the terminal, and one exit code from ``exit_codes`` (the same for
every subcommand). ``destination`` is the one way any command writes an output;
``time_phrases`` reads ``--since``/``--until``. This layer sits on top of every other.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TextIO

from .. import __version__
from ..errors import StateLocked, UsageError, ZeekcertError
from ..sanitize import terminal_safe
from . import inventory as inventory_command
from . import report as report_command
from . import state as state_command
from . import watch as watch_command
from .exit_codes import Exit, exit_for
from .terminal import COLOR_CHOICES
from .time_phrases import iso_time

__all__ = ["Exit", "build_parser", "main"]

Command = Callable[[argparse.Namespace, TextIO, TextIO, "datetime | None"], int]
_COMMANDS: dict[str, Command] = {"report": report_command.run,
                                 "inventory": inventory_command.run,
                                 "state": state_command.run,
                                 "watch": watch_command.run}


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of exiting, so main() owns every exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


EXAMPLES = """examples:
  zeekcert report /nsm/zeek/logs --since yesterday
  zeekcert inventory /nsm/zeek/logs --state state.db --fail-on new -o inventory.json
  zeekcert report --help
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="zeekcert", description="TLS certificate failures in Zeek logs.",
                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"zeekcert {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    loud = common.add_mutually_exclusive_group()
    loud.add_argument("-v", "--verbose", action="count", default=0,
                      help="more detail on stderr; with an internal error, the traceback")
    loud.add_argument("-q", "--quiet", action="store_true",
                      help="no progress on stderr (problems and errors are still said)")
    common.add_argument("--color", "--colour", choices=COLOR_CHOICES, default="auto",
                        help="colour our own words: auto (a terminal, unless NO_COLOR; "
                             "FORCE_COLOR forces it), always, never")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    report_command.add_parser(sub, [common])
    inventory_command.add_parser(sub, [common])
    state_command.add_parser(sub, [common])
    watch_command.add_parser(sub, [common])
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None, now: datetime | None = None) -> int:
    """Run the command line; every error ends here as a message on stderr and an exit code.

    ``now`` (default: ``ZEEKCERT_NOW``, an ISO 8601 time, else the clock) is when relative
    times, statuses and allowlist expiry are judged: a replay of old logs, or a test of a
    recipe as written, sets it.
    """
    out, err = out or sys.stdout, err or sys.stderr
    args: argparse.Namespace | None = None
    try:
        now = now or _now_from(os.environ.get("ZEEKCERT_NOW"))
        parsed = _parse(argv, out)
        if isinstance(parsed, int):
            return parsed
        args = parsed
        return int(_COMMANDS[args.command](args, out, err, now))
    except ZeekcertError as exc:
        err.write(f"zeekcert: {_explain(exc)}\n")
        return int(exit_for(exc))
    except BrokenPipeError:  # the reader went away (``| head``): not an error of ours
        return int(Exit.OK)
    except KeyboardInterrupt:
        err.write("zeekcert: interrupted\n")
        return int(Exit.INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - the boundary: a bug gets exit 5, not a traceback
        return _internal(exc, err, getattr(args, "verbose", 0))


def _now_from(text: str | None) -> datetime | None:
    """``ZEEKCERT_NOW`` as a time (UTC unless it says otherwise); UsageError if it is not one."""
    if not text:
        return None
    try:
        return iso_time(text)
    except ValueError as exc:
        raise UsageError(f"ZEEKCERT_NOW={text!r} is not an ISO 8601 time") from exc


def _parse(argv: Sequence[str] | None, out: TextIO) -> argparse.Namespace | int:
    """The parsed arguments, or the exit code of ``--help`` and ``--version``, which
    argparse prints (to ``out``, not ``sys.stdout``) and then exits on."""
    try:
        with contextlib.redirect_stdout(out):
            return build_parser().parse_args(argv)
    except SystemExit as exc:  # only help and version: _Parser.error raises UsageError
        return int(exc.code or 0)


def _explain(exc: ZeekcertError) -> str:
    text = terminal_safe(exc)
    if isinstance(exc, UsageError):
        return f"usage error: {text}"
    if isinstance(exc, StateLocked):
        return f"{text}; try again when it has finished"
    return text


def _internal(exc: Exception, err: TextIO, verbose: int) -> int:
    """One line saying it is a bug; the traceback only with ``-v``."""
    err.write(f"zeekcert: internal error, a bug in zeekcert: {type(exc).__name__}: "
              f"{terminal_safe(exc)}\n")
    if verbose:
        lines = "".join(traceback.format_exception(exc)).splitlines()
        err.write("".join(terminal_safe(line) + "\n" for line in lines))
    else:
        err.write("zeekcert: run again with -v for the traceback, and please report it\n")
    return int(Exit.INTERNAL)
