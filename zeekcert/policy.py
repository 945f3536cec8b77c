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

import tomllib
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from .errors import ZeekLogError


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

        ``clock_tolerance`` is given in seconds or as ``"7h"``/``"30m"``.
        """
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ZeekLogError(f"cannot read policy: {exc}", path) from exc
        return cls.from_dict(data.get("policy", data), path)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | Path = "<policy>") -> Policy:
        """Build a policy from plain values, checking names and types."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ZeekLogError(f"unknown policy setting(s): {', '.join(unknown)}", source)
        values = dict(data)
        if "weak_signature_hashes" in values:
            values["weak_signature_hashes"] = tuple(
                str(h).lower() for h in values["weak_signature_hashes"])
        if "clock_tolerance" in values:
            values["clock_tolerance"] = _duration(values["clock_tolerance"], source)
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


def _duration(value: object, source: str | Path) -> timedelta:
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    text = str(value).strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        return timedelta(seconds=float(text[:-1]) * units[text[-1]])
    except (KeyError, ValueError, IndexError):
        raise ZeekLogError(f"clock_tolerance: not a duration: {value!r}", source) from None
