"""How leads are scored: the points of each component, and what counts as internal.

The ``[hunt]`` table of the policy file sets them; every key is optional and an unknown
one is a ConfigError naming its line::

    [hunt]
    local_nets = ["10.0.0.0/8", "192.168.0.0/16", "fd00::/8"]
    fresh_days = 30        # a certificate this new at its first connection is fresh
    cluster_min = 2        # distinct addresses sharing a certificate make a cluster
    rare_clients = 2       # a server with this many clients or fewer is rare
    lead_threshold = 5     # a server scoring this much or more is a lead
    top = 10               # the leads a report lists first

    [hunt.weights]
    self_signed = 3
    catalogue_high = 6
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..toml_files import read_toml

PRIVATE_NETS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
                "169.254.0.0/16", "fc00::/7", "::1/128", "fe80::/10")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Weights:
    """The points each score component gives; negative ones lower a server."""

    self_signed: int = 3
    other_cause: int = 1
    external: int = 2
    beacon: int = 3
    catalogue_high: int = 6
    catalogue_medium: int = 4
    catalogue_low: int = 2
    vendor_default: int = 1
    fresh: int = 2
    cluster: int = 2
    tls_stack: int = 0  # a shared JA3S or JA4S groups servers; alone it proves little
    random_name: int = 2
    rare: int = 1
    acknowledged: int = -5


@dataclass(frozen=True)
class HuntPolicy:
    """The weights, the thresholds and the local networks of the hunt."""

    weights: Weights = field(default_factory=Weights)
    local_nets: tuple[Network, ...] = tuple(ipaddress.ip_network(n) for n in PRIVATE_NETS)
    fresh_days: int = 30
    cluster_min: int = 2
    rare_clients: int = 2
    lead_threshold: int = 5
    top: int = 10

    @classmethod
    def from_toml(cls, path: str | Path) -> HuntPolicy:
        """The ``[hunt]`` table of a policy file; defaults where it has none."""
        file = read_toml(path, "policy")
        data = file.data.get("hunt", {})
        start = file.table_line("hunt") or 0
        if not isinstance(data, dict):
            raise ConfigError("[hunt] must be a table of settings", path, start or None)
        return cls.from_dict(data, path, lambda key: file.key_line(key, start))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | Path = "<policy>",
                  line_of: Any = None) -> HuntPolicy:
        """Build from plain values, checking names and types."""
        where = line_of or (lambda _key: None)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown [hunt] setting(s): {', '.join(unknown)}; known: "
                              f"{', '.join(sorted(known))}", source, where(unknown[0]))
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name == "weights":
                values[name] = _weights(value, source, where)
            elif name == "local_nets":
                values[name] = _nets(value, source, where(name))
            else:
                values[name] = _count(name, value, source, where(name))
        return replace(cls(), **values)

    def is_local(self, address: str) -> bool:
        """Whether an address is in one of the local networks; False if not an address."""
        try:
            ip = ipaddress.ip_address(str(address).split("%")[0])
        except ValueError:
            return False
        return any(ip.version == net.version and ip in net for net in self.local_nets)


def _weights(value: Any, source: str | Path, where: Any) -> Weights:
    if not isinstance(value, dict):
        raise ConfigError("[hunt.weights] must be a table of points", source, where("weights"))
    known = {f.name for f in fields(Weights)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ConfigError(f"unknown weight(s): {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(known))}", source, where(unknown[0]))
    for name, points in value.items():
        if isinstance(points, bool) or not isinstance(points, int) or abs(points) > 1000:
            raise ConfigError(f"weight {name}: expected a whole number from -1000 to 1000, "
                              f"got {points!r}", source, where(name))
    return replace(Weights(), **value)


def _nets(value: Any, source: str | Path, line: int | None) -> tuple[Network, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError('local_nets: expected a list of CIDRs such as ["10.0.0.0/8"]',
                          source, line)
    try:
        return tuple(ipaddress.ip_network(v, strict=False) for v in value)
    except ValueError as exc:
        raise ConfigError(f"local_nets: {exc}", source, line) from None


def _count(name: str, value: Any, source: str | Path, line: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name}: expected a whole number of at least 0, got {value!r}",
                          source, line)
    return value
