"""Distinguished names as Zeek logs them, taken apart so that two spellings compare equal.

Zeek writes OpenSSL's one-line RFC 2253 form, most specific first
(``CN=x,O=Example\\, Inc.,C=US``); a catalogue writes the form people read
(``CN=x, O=Example, C=US``), in either order. A name is kept as a sorted tuple of
``(ATTRIBUTE, value)``: attribute names upper-cased and aliased, values with their
escapes undone and outer spaces dropped. An empty value (Go writes ``ST=`` for a state it
left blank) is kept.
"""

from __future__ import annotations

import re

Name = tuple[tuple[str, str], ...]

_ALIASES = {"COMMONNAME": "CN", "ORGANIZATIONNAME": "O", "ORGANIZATIONALUNITNAME": "OU",
            "LOCALITYNAME": "L", "STATEORPROVINCENAME": "ST", "S": "ST",
            "COUNTRYNAME": "C", "STREETADDRESS": "STREET", "POSTALCODE": "POSTALCODE",
            "EMAILADDRESS": "EMAILADDRESS", "E": "EMAILADDRESS"}
_HEX_PAIR = re.compile(r"\\([0-9A-Fa-f]{2})")


def parse_dn(text: str | None) -> Name | None:
    """The attributes of a DN, sorted; None for a missing or unparseable name."""
    if not text or not isinstance(text, str):
        return None
    pairs = []
    for part in _split(text):
        attribute, sep, value = part.partition("=")
        if not sep or not attribute.strip():
            return None
        name = attribute.strip().upper()
        pairs.append((_ALIASES.get(name, name), _unescape(value.strip())))
    return tuple(sorted(pairs))


def attribute(name: Name | None, key: str) -> list[str]:
    """Every value of one attribute (``CN``, ``O``, …) in a parsed name."""
    return [] if name is None else [v for k, v in name if k == key]


def _split(text: str) -> list[str]:
    """The RDN parts, split at commas (and ``+``) that no backslash escapes."""
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current += ["\\", char]
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",+":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def _unescape(value: str) -> str:
    """``\\,`` to ``,`` and ``\\2C`` to ``,``: RFC 4514's two escapes."""
    value = _HEX_PAIR.sub(lambda m: chr(int(m.group(1), 16)), value)
    return re.sub(r"\\(.)", r"\1", value)
