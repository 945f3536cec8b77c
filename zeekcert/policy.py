"""The local policy zeekcert re-checks certificates against, loadable from TOML.

Defaults follow the CA/Browser Forum baseline: RSA and DSA keys of at least 2048 bits,
EC keys of at least 256 bits, no MD5 or SHA-1 signatures.

``clock_tolerance`` exists because Zeek before 8.0 logged ``not_valid_before`` and
``not_valid_after`` in the sensor's local time zone as if it were UTC: on a sensor
running at UTC-7 every validity date is 7 hours late. A tolerance of the sensor's
offset (at most 14 hours) stops certificates that expire or start within that margin of
the connection from being called expired or not yet valid. It is zero by default, which
is right for Zeek 8.0 and later, and for any sensor that runs in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .toml_files import read_toml

LineOf = Callable[[str], int | None]


@dataclass(frozen=True)
class Policy:
    """What zeekcert counts as a weak key, a weak signature or a too-long validity."""

    min_rsa_bits: int = 2048
    min_dsa_bits: int = 2048
    min_ec_bits: int = 256
    weak_signature_hashes: tuple[str, ...] = ("md5", "sha1")
    max_validity_days: int | None = None
    clock_tolerance: timedelta = timedelta(0)

    @classmethod
    def from_toml(cls, path: str | Path) -> Policy:
        """Read ``[policy]`` (or top-level keys) from a TOML file; unknown keys are errors.

        ``clock_tolerance`` is given in seconds or as ``"7h"``/``"30m"``. Every mistake
        raises ConfigError naming the file and the line.
        """
        file = read_toml(path, "policy")
        data = file.data.get("policy", file.data)
        if "policy" not in file.data:  # top-level keys: the hunt's table is its own
            data = {k: v for k, v in data.items() if k != "hunt"}
        start = file.table_line("policy") or 0
        return cls.from_dict(data, path, lambda key: file.key_line(key, start))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | Path = "<policy>",
                  line_of: LineOf | None = None) -> Policy:
        """Build a policy from plain values, checking names and types.

        ``line_of`` tells where a key was set, for the error's line.
        """
        where = line_of or (lambda _key: None)
        if not isinstance(data, dict):
            raise ConfigError("[policy] must be a table of settings", source)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown policy setting(s): {', '.join(unknown)}; known: "
                              f"{', '.join(sorted(known))}", source, where(unknown[0]))
        values = {name: _checked(name, value, source, where(name))
                  for name, value in data.items()}
        return cls(**values)

    def min_key_bits(self, key_type: str | None) -> int | None:
        """The smallest acceptable key length for a key type; None when it is not judged."""
        kind = (key_type or "").lower()
        if kind == "rsa":
            return self.min_rsa_bits
        if kind == "dsa":
            return self.min_dsa_bits
        if kind in ("ecdsa", "ec", "id-ecpublickey"):
            return self.min_ec_bits
        return None

    def weak_signature(self, sig_alg: str | None) -> bool:
        """True when the signature algorithm uses a forbidden hash (``sha1WithRSAEncryption``)."""
        name = (sig_alg or "").lower().replace("-", "")
        return any(name.startswith(h) or f"with{h}" in name or name.endswith(h)
                   for h in self.weak_signature_hashes)


def _checked(name: str, value: Any, source: str | Path, line: int | None) -> Any:
    """One setting's value in the type the field needs; a wrong type is a ConfigError."""
    if name == "clock_tolerance":
        return _duration(value, source, line)
    if name == "weak_signature_hashes":
        if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
            raise ConfigError(f"{name}: expected a list of hash names such as "
                              f'["md5", "sha1"], got {value!r}', source, line)
        return tuple(h.lower() for h in value)
    if name == "max_validity_days" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name}: expected a whole number of at least 0, got {value!r}",
                          source, line)
    return value


def _duration(value: object, source: str | Path, line: int | None) -> timedelta:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    text = str(value).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        return timedelta(seconds=float(text[:-1]) * units[text[-1]])
    except (KeyError, ValueError, IndexError):
        raise ConfigError(f"clock_tolerance: not a duration: {value!r} (use seconds or "
                          '"7h", "30m")', source, line) from None
