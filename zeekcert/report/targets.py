"""``--targets FILE``: the failing servers as ``host:port`` lines for active verification.

The file is what ``testssl.sh --file`` reads, one target per line, worst first. Hosts are
the servers' IP addresses, checked with ``ipaddress`` and written in canonical form
(IPv6 in brackets), never a name from the logs: SNI values are chosen by whoever runs the
server, and a target file is fed to a scanner's command line. Acknowledged servers are
left out; the hunter has already looked at them.
"""

from __future__ import annotations

import ipaddress
from typing import TextIO

import pandas as pd


def target_lines(servers: pd.DataFrame, acknowledged: pd.DataFrame | None = None) -> list[str]:
    """``host:port`` for every failing server with a valid address, worst first, once each."""
    skip = set()
    if acknowledged is not None and len(acknowledged):
        done = acknowledged[acknowledged["acknowledged"]]
        skip = {(str(h), int(p)) for h, p in zip(done["resp_h"], done["resp_p"], strict=True)}
    lines: dict[str, None] = {}
    for host, port in zip(servers["resp_h"], servers["resp_p"], strict=True):
        line = target(host, port)
        if line and (str(host), int(port)) not in skip:
            lines[line] = None
    return list(lines)


def target(host: object, port: object) -> str | None:
    """One ``host:port`` (``[v6]:port``), or None when either is not a valid value."""
    try:
        address = ipaddress.ip_address(str(host))
        number = int(port)  # type: ignore[call-overload]
    except (ValueError, TypeError):
        return None
    if not 0 < number < 65536:
        return None
    return f"[{address}]:{number}" if address.version == 6 else f"{address}:{number}"


def write_targets(lines: list[str], out: TextIO) -> None:
    """Write the lines, newline-terminated (nothing at all when there are none)."""
    out.write("".join(f"{line}\n" for line in lines))
