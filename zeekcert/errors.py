"""The one exception zeekcert raises for bad input, always naming the file and line."""

from __future__ import annotations

from pathlib import Path


class ZeekLogError(Exception):
    """A log file could not be read; carries the file and, where known, the line."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"
