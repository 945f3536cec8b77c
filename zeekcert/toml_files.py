"""The TOML files users write (the policy, the allowlist), read with errors that name the line.

``tomllib`` gives no positions for what it parsed, so a mistake found afterwards (an
unknown key, a bad value) is located by scanning the text for the key or the table
header. A file that is not TOML at all gets the line ``tomllib`` reports.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True)
class TomlFile:
    """A parsed TOML file and its text, for locating what a check found wrong."""

    path: str
    data: dict[str, Any]
    lines: tuple[str, ...]

    def error(self, message: str, line: int | None = None) -> ConfigError:
        """A ConfigError naming this file and, when known, the line."""
        return ConfigError(message, self.path, line)

    def key_line(self, key: str, after: int = 0) -> int | None:
        """The first line at or after ``after`` that sets ``key`` (``key = …``)."""
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        return self._first(pattern, after)

    def table_line(self, name: str) -> int | None:
        """The line of the ``[name]`` header, if the file has one."""
        return self._first(re.compile(rf"^\s*\[\s*{re.escape(name)}\s*\]"), 0)

    def table_lines(self, name: str) -> list[int]:
        """The line of every ``[[name]]`` header, in order."""
        pattern = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
        return [i for i, text in enumerate(self.lines, 1) if pattern.match(text)]

    def _first(self, pattern: re.Pattern[str], after: int) -> int | None:
        for number, text in enumerate(self.lines, 1):
            if number >= after and pattern.match(text):
                return number
        return None


def read_toml(path: str | Path, what: str) -> TomlFile:
    """Parse ``path``; an unreadable file or bad TOML raises ConfigError naming the line."""
    try:
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror or exc}", path) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} is not UTF-8 text: {exc.reason}", path) from exc
    except tomllib.TOMLDecodeError as exc:
        found = _AT_LINE.search(str(exc))
        message = _AT_LINE.sub("", str(exc)).strip()
        raise ConfigError(f"{what} is not valid TOML: {message}", path,
                          int(found.group(1)) if found else None) from exc
    return TomlFile(str(path), data, tuple(text.splitlines()))
