"""The errors zeekcert raises on purpose: one family, each naming its file and line.

``ZeekcertError`` is the base; each subsystem has one subclass, and the command line
maps each subclass to one exit code (``zeekcert.cli.exit_codes``). A bad line in a log
is not an error but a counted skip in the file's ``FileReport``; a file that cannot be
used raises.
"""

from __future__ import annotations

from pathlib import Path


class ZeekcertError(Exception):
    """Every error zeekcert raises on purpose; carries the file and, where known, the line."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.path is None and self.line is None:
            return self.message
        where = self.path or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"


class ZeekLogError(ZeekcertError):
    """A log file could not be read (or, with ``strict``, was not read cleanly)."""


class ConfigError(ZeekcertError):
    """A policy, an allowlist, an argument or an output destination is wrong or unusable."""


class UsageError(ConfigError):
    """A command-line argument is wrong: an unknown option, a bad time, a bad combination."""


class StateError(ZeekcertError):
    """The nightly state cannot be opened, read or written; it is left as it was."""


class StateLocked(StateError):
    """Another run holds the state's write lock."""


class AlertError(ZeekcertError):
    """An alert sink did not take an alert: the alert stays pending for the next run."""


class SchedulerError(ZeekcertError):
    """The executor a run was given lost its work: a worker, the client or the scheduler
    went away. Nothing was committed."""
