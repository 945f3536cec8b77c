"""Where alerts go: ``--alert-to`` specs, each a real transport.

- ``stdout``: one JSON line per alert;
- ``jsonl:FILE``: appended, one JSON object a line, flushed and fsync'd per alert. The
  file is opened for each alert, so a log rotator may move it at any time; it is never
  replaced, and ``/dev/null`` or a FIFO is written as it is;
- ``webhook:URL``: an HTTP(S) POST of each alert's JSON, with a timeout, retried with
  backoff; a 2xx answer is delivery;
- ``syslog:…``: RFC 5424 over a unix socket, UDP or TCP (``syslog``);
- ``zeek-notice:FILE``: a Zeek-format notice log (``notice_log``).

Every line is ASCII JSON (``ecs.json_line``): a log's text reaches a terminal or a
file only as JSON escapes. A sink that fails raises ``AlertError``.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from ..errors import AlertError
from .ecs import json_line


def append_synced(path: str, data: bytes, header: bytes = b"") -> None:
    """Append ``data`` to ``path`` (created if new, with ``header`` first when empty) and
    sync it: the one way an alert sink writes a file. AlertError if it cannot."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    except OSError as exc:
        raise AlertError(f"cannot open: {exc.strerror or exc}", path) from exc
    try:
        regular = os.path.isfile(path)  # a device or a FIFO: written as it is, not synced
        if header and regular and os.fstat(fd).st_size == 0:
            data = header + data
        os.write(fd, data)
        if regular:
            os.fsync(fd)
    except OSError as exc:
        raise AlertError(f"cannot write: {exc.strerror or exc}", path) from exc
    finally:
        os.close(fd)


class Sink(Protocol):
    """A transport that takes one alert document at a time."""

    @property
    def name(self) -> str:
        """The spec it was made from: how the state knows it between runs."""
        ...

    def send(self, doc: dict[str, Any]) -> None:
        """Deliver one document, or raise AlertError."""
        ...


@dataclass(frozen=True)
class StdoutSink:
    """JSON lines on the command's standard output."""

    out: TextIO
    name: str = "stdout"

    def send(self, doc: dict[str, Any]) -> None:
        """Write one line and flush it."""
        try:
            self.out.write(json_line(doc) + "\n")
            self.out.flush()
        except OSError as exc:
            raise AlertError(f"cannot write alerts to stdout: {exc.strerror or exc}") from exc


@dataclass(frozen=True)
class JsonlSink:
    """JSON lines appended to a file."""

    path: str

    @property
    def name(self) -> str:
        """``jsonl:FILE``."""
        return f"jsonl:{self.path}"

    def send(self, doc: dict[str, Any]) -> None:
        """Append one line; on return it is on the disk."""
        append_synced(self.path, (json_line(doc) + "\n").encode("ascii"))


@dataclass(frozen=True)
class WebhookSink:
    """An HTTP POST of each document."""

    url: str
    timeout: float = 10.0
    attempts: int = 3
    backoff: float = 0.5  # seconds before the second attempt, doubled after each
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    @property
    def name(self) -> str:
        """``webhook:URL``."""
        return f"webhook:{self.url}"

    def send(self, doc: dict[str, Any]) -> None:
        """POST one document; AlertError once every attempt failed."""
        body = json_line(doc).encode("ascii")
        problem = ""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(self.url, data=body, method="POST", headers={
                "Content-Type": "application/json", "User-Agent": "zeekcert",
                "Idempotency-Key": str(doc.get("zeekcert", {}).get("alert_id", ""))})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                    if 200 <= answer.status < 300:
                        return
                    problem = f"HTTP {answer.status}"
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError, ValueError) as exc:
                problem = str(getattr(exc, "reason", exc))
        raise AlertError(f"webhook {self.url} failed {self.attempts} times: {problem}")
