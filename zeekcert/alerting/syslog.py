"""``syslog:``: each alert as one RFC 5424 message, over a unix socket, UDP or TCP.

Specs: ``syslog:`` (the local daemon's ``/dev/log``), ``syslog:unix:PATH``,
``syslog:udp://HOST:PORT`` and ``syslog:tcp://HOST:PORT`` (``[::1]`` for IPv6). The
message is ``<PRI>1 TIMESTAMP HOST zeekcert PID MSGID [zeekcert@32473 alert_id="…"] JSON``:
facility local0, severity warning, MSGID the rule name, the alert's ECS document as the
message, ASCII only. TCP frames each message by octet counting (RFC 6587), so a message
is never cut by a newline in it. Each alert opens its own connection: a daemon
restarted between alerts costs nothing.
"""

from __future__ import annotations

import errno
import os
import re
import socket
from dataclasses import dataclass
from typing import Any

from ..errors import AlertError, UsageError
from ..sanitize import syslog_param, syslog_token
from .ecs import json_line

FACILITY, SEVERITY = 16, 4  # local0, warning
ENTERPRISE = 32473  # RFC 5612's number for documentation: no number is ours to register
TIMEOUT = 5.0
_HOSTPORT = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\[\]]+)):(?P<port>\d{1,5})")


@dataclass(frozen=True)
class SyslogSink:
    """RFC 5424 messages to one syslog receiver."""

    name: str
    transport: str  # unix, udp or tcp
    path: str = ""
    host: str = ""
    port: int = 0

    def send(self, doc: dict[str, Any]) -> None:
        """Send one message; AlertError if the receiver cannot be reached."""
        data = rfc5424(doc).encode("ascii")
        try:
            if self.transport == "unix":
                self._unix(data)
            elif self.transport == "udp":
                with socket.socket(_family(self.host), socket.SOCK_DGRAM) as sock:
                    sock.settimeout(TIMEOUT)
                    sock.sendto(data, (self.host, self.port))
            else:
                with socket.create_connection((self.host, self.port), timeout=TIMEOUT) as sock:
                    sock.sendall(f"{len(data)} ".encode() + data)
        except OSError as exc:
            raise AlertError(f"syslog {self.name}: {exc.strerror or exc}") from exc

    def _unix(self, data: bytes) -> None:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(self.path)
                sock.send(data)
        except OSError as exc:
            if exc.errno != errno.EPROTOTYPE:
                raise
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:  # a stream daemon
                sock.settimeout(TIMEOUT)
                sock.connect(self.path)
                sock.sendall(data + b"\n")


def rfc5424(doc: dict[str, Any]) -> str:
    """The alert as one RFC 5424 message."""
    alert_id = str(doc.get("zeekcert", {}).get("alert_id", "-"))
    msgid = syslog_token(str(doc.get("rule", {}).get("name", "-")), 32)
    sd = f'[zeekcert@{ENTERPRISE} alert_id="{syslog_param(alert_id)}"]'
    stamp = str(doc.get("@timestamp") or "-")
    host = syslog_token(socket.gethostname(), 255)
    return (f"<{FACILITY * 8 + SEVERITY}>1 {stamp} {host} zeekcert {os.getpid()} {msgid} {sd} "
            + json_line(doc))


def syslog_sink(spec: str) -> SyslogSink:
    """The sink of a ``syslog:…`` spec; UsageError for one that names no receiver."""
    where = spec.removeprefix("syslog:")
    if where in ("", "unix"):
        return SyslogSink(spec, "unix", path="/dev/log")
    if where.startswith("unix:"):
        return SyslogSink(spec, "unix", path=where.removeprefix("unix:"))
    for transport in ("udp", "tcp"):
        if where.startswith(f"{transport}://"):
            match = _HOSTPORT.fullmatch(where.removeprefix(f"{transport}://"))
            if match and 0 < int(match["port"]) < 65536:
                host = match["v6"] or match["host"]
                return SyslogSink(spec, transport, host=host, port=int(match["port"]))
    raise UsageError(f"--alert-to {spec!r}: give syslog:, syslog:unix:PATH, "
                     "syslog:udp://HOST:PORT or syslog:tcp://HOST:PORT")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
