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
    # ICANN suffixes only, as browsers do for certificates: the private section lists
    # domains such as googleapis.com whose owners do hold *.googleapis.com certificates.
    return PublicSuffixList(only_icann=True)


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
    """True when the certificate's SANs (or, with no SAN at all, its CN) cover the name.

    SAN arguments may be lists, arrays, None or NA, as they come out of a DataFrame.
    """
    dns, ips = _strings(san_dns), _strings(san_ip)
    cn = common_name if isinstance(common_name, str) and common_name else None
    wanted_ip = _ip(server_name)
    if not dns and not ips:  # RFC 6125 6.4.4: the CN only when there is no SAN at all
        if cn is None:
            return False
        return wanted_ip == _ip(cn) if wanted_ip is not None else name_matches(server_name, cn)
    if wanted_ip is not None:
        return any(_ip(i) == wanted_ip for i in ips)
    return any(name_matches(server_name, d) for d in dns)


def _strings(values: object) -> list[str]:
    """Non-empty strings from a list or array; None, NA and scalars give none."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        return []
    return [v for v in values if isinstance(v, str) and v]


def common_name(subject: object) -> str | None:
    """The CN of an OpenSSL one-line subject (``CN=a.example,O=Acme\\, Inc``), if any."""
    if not isinstance(subject, str) or not subject:
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
