"""The exit codes, the same for every subcommand, and the one table of errors to codes.

The README's "Exit codes" table is this module's ``Exit`` and ``ERROR_EXITS``;
``tests/test_exit_codes.py`` checks that the two agree. cron and systemd see only the
number, so each code says what happened to the run, not only that something failed:

- 2: nothing was processed; fix the command or a file it names (policy, allowlist,
  output) and run again;
- 3: some input could not be read: a log (the output covers the rest, or held no log of
  the kind needed), or the nightly state (nothing was changed; see the README's recovery
  steps), or the cluster lost the run's work (nothing was changed), or an alert sink
  failed (its alerts wait for the next run);
- 4: another run is going; try again later;
- 5: a bug in zeekcert.
"""

from __future__ import annotations

from enum import IntEnum

from ..errors import (
    AlertError,
    ConfigError,
    SchedulerError,
    StateError,
    StateLocked,
    ZeekcertError,
    ZeekLogError,
)


class Exit(IntEnum):
    """What a run's exit status says."""

    OK = 0
    FOUND = 1
    USAGE = 2
    PARTIAL = 3
    LOCKED = 4
    INTERNAL = 5
    INTERRUPTED = 130

    @property
    def description(self) -> str:
        """One line saying what the code means, as in the README."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Exit.OK: "every input was read and nothing that --fail-on names was found",
    Exit.FOUND: "--fail-on found what it names (new: an unacknowledged self-signed server; "
                "any: any failing server)",
    Exit.USAGE: "usage or configuration error: nothing was processed",
    Exit.PARTIAL: "some input could not be read: a log (the rest was processed, or no log of "
                  "the needed kind was found), or the state (nothing was changed), or the "
                  "cluster lost the run's work (nothing was changed), or an alert sink did "
                  "not take its alerts (they wait for the next run)",
    Exit.LOCKED: "another run holds the state's lock; nothing was changed",
    Exit.INTERNAL: "internal error, a bug in zeekcert: one line on stderr, the traceback with -v",
    Exit.INTERRUPTED: "interrupted (Ctrl-C or SIGINT); nothing was changed",
}

# Each error class to its one exit code. The most specific class comes first, since a
# subclass matches its base too; an error of no class here is a bug (Exit.INTERNAL).
ERROR_EXITS: tuple[tuple[type[ZeekcertError], Exit], ...] = (
    (StateLocked, Exit.LOCKED),
    (StateError, Exit.PARTIAL),
    (ConfigError, Exit.USAGE),
    (ZeekLogError, Exit.PARTIAL),
    (SchedulerError, Exit.PARTIAL),
    (AlertError, Exit.PARTIAL),
)


def exit_for(error: BaseException) -> Exit:
    """The exit code for an error that reached the command line's boundary."""
    for kind, code in ERROR_EXITS:
        if isinstance(error, kind):
            return code
    return Exit.INTERNAL
