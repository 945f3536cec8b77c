"""Does a certificate cover the name the client asked for? RFC 6125, as browsers apply it.

Names compare case-insensitively in IDNA A-label form, ignoring a trailing dot. A
wildcard counts only as the whole left-most label (``*.example.com``), covers exactly
one label, and never covers a bare domain or a public suffix (``*.co.uk`` covers
nothing). The common name is used only when the certificate has no SAN at all.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from publicsuffixlist import PublicSuffixList


@functools.cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def a_label(name: str) -> str:
    """Lower-case A-label form of a DNS name; text that is not a valid name stays as is."""
    name = name.strip().rstrip(".").lower()
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def name_matches(server_name: str, pattern: str) -> bool:
    """True when one DNS pattern (maybe a wildcard) covers the server name."""
    host, want = a_label(server_name), a_label(pattern)
    if not host or not want:
        return False
    if not want.startswith("*."):
        return "*" not in want and host == want
    base = want[2:]
    if "*" in base or base.count(".") < 1 or _psl().is_public(base):
        return False
    first, _, rest = host.partition(".")
    return bool(first) and rest == base


def matches(server_name: str, san_dns: Iterable[str] | None, san_ip: Iterable[str] | None,
            common_name: str | None) -> bool:
    """True when the certificate's SANs (or, with no SAN at all, its CN) cover the name."""
    dns = [d for d in (san_dns or []) if d]
    ips = [i for i in (san_ip or []) if i]
    if not dns and not ips:
        dns = [common_name] if common_name else []
    wanted_ip = _ip(server_name)
    if wanted_ip is not None:
        return any(_ip(i) == wanted_ip for i in ips) or (not ips and wanted_ip == _ip(
            (dns or [""])[0]))
    return any(name_matches(server_name, d) for d in dns)


def common_name(subject: str | None) -> str | None:
    """The CN of an OpenSSL one-line subject (``CN=a.example,O=Acme\\, Inc``), if any."""
    if not subject:
        return None
    for part in _split_dn(subject):
        key, _, value = part.partition("=")
        if key.strip().upper() == "CN":
            return value.strip()
    return None


def _split_dn(dn: str) -> list[str]:
    """Split an RFC 2253 DN on unescaped commas, unescaping ``\\,``."""
    parts, current, escaped = [], [], False
    for char in dn:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts
