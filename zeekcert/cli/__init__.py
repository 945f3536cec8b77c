"""The command line: ``zeekcert report PATH`` and ``zeekcert inventory LOGDIR``.

Exit codes, the same for both: 0 ok; 1 what ``--fail-on`` asked about was found; 2 usage
error; 3 some input could not be read, the rest was processed; 4 another run holds the
state's lock. ``main`` is the one error boundary: every error ends there as one line on
stderr, escaped for the terminal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from .. import __version__
from ..errors import ZeekLogError
from ..inventory import StateLocked
from ..sanitize import terminal_safe
from . import inventory as inventory_cli
from . import report as report_cli

__all__ = ["build_parser", "main"]

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
    report_cli.add_parser(sub)
    inventory_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None, now: datetime | None = None) -> int:
    """Run the command line; every error ends here as a message on stderr and an exit code.

    ``now`` (default: the clock) is when relative times and allowlist expiry are judged.
    """
    out, err = out or sys.stdout, err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
        command = inventory_cli.run if args.command == "inventory" else report_cli.run
        return command(args, out, err, now)
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
    except OSError as exc:  # e.g. --output in a folder that does not exist
        err.write(f"zeekcert: {terminal_safe(exc)}\n")
        return EXIT_PARTIAL
    except KeyboardInterrupt:
        err.write("zeekcert: interrupted\n")
        return 130
