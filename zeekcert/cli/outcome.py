"""What a run tells the operator about its input, on stderr, and the exit code that earns.

The rule is the same for every command and every source: a log that was not read
cleanly (truncated, ragged, unreadable, not a Zeek log) or no log of the kind the
command needs is a partial read, exit 3, whether the file was named on the command line
or found in a tree. A partial read never looks like a clean one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from ..reading import LoadReport
from ..sanitize import terminal_safe
from .exit_codes import Exit


def input_outcome(report: LoadReport, sources: Sequence[str], err: TextIO,
                  needed: str = "ssl") -> Exit:
    """Name every file not read cleanly on ``err``; PARTIAL if any, or none of ``needed``."""
    for bad in report.problems:
        err.write(terminal_safe(f"zeekcert: {bad.status}: {bad.path}: {bad.message}") + "\n")
    if not any(f.kind == needed for f in report.files):
        err.write(terminal_safe(f"zeekcert: no {needed} log found in {' '.join(sources)}")
                  + "\n")
        return Exit.PARTIAL
    return Exit.PARTIAL if report.problems else Exit.OK


def worst(*codes: Exit) -> Exit:
    """The exit code that tells the most: FOUND over PARTIAL over OK."""
    for code in (Exit.FOUND, Exit.PARTIAL):
        if code in codes:
            return code
    return Exit.OK
