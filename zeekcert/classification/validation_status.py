"""Map the OpenSSL strings Zeek writes in ``validation_status`` to causes.

Matching is case-insensitive and treats a hyphen as a space, so OpenSSL 1.x and 3.x
wordings (``self signed`` / ``self-signed``) map alike. ``ok`` is the only success; unset
(``-``, or absent in JSON) is not ``ok``: nothing was validated.
"""

from __future__ import annotations

import re

from ..causes import Cause

OK = "ok"

# Prefix patterns on the normalised text, first match wins; sources: zeek-facts.md (e).
_RULES: tuple[tuple[str, Cause], ...] = (
    ("self signed certificate in certificate chain", Cause.UNTRUSTED_ROOT),
    ("self signed certificate", Cause.SELF_SIGNED),
    ("unable to get local issuer certificate", Cause.INCOMPLETE_CHAIN),
    ("unable to get issuer certificate", Cause.INCOMPLETE_CHAIN),
    ("unable to verify the first certificate", Cause.INCOMPLETE_CHAIN),
    ("certificate has expired", Cause.EXPIRED),
    ("certificate is not yet valid", Cause.NOT_YET_VALID),
    ("certificate revoked", Cause.REVOKED),
    ("certificate signature failure", Cause.INVALID_SIGNATURE),
    ("unable to decrypt certificate's signature", Cause.INVALID_SIGNATURE),
    ("unable to decode issuer public key", Cause.INVALID_SIGNATURE),
    ("format error in certificate's", Cause.INVALID_SIGNATURE),
    ("unhandled critical extension", Cause.INVALID_SIGNATURE),
    ("ee certificate key too weak", Cause.WEAK_KEY),
    ("ca certificate key too weak", Cause.WEAK_KEY),
    ("ca signature digest algorithm too weak", Cause.WEAK_SIGNATURE),
    ("hostname mismatch", Cause.HOSTNAME_MISMATCH),
    ("ip address mismatch", Cause.HOSTNAME_MISMATCH),
)
_SPACES = re.compile(r"[\s-]+")


def normalise(text: str) -> str:
    """Lower-case, hyphens as spaces, runs of spaces folded."""
    return _SPACES.sub(" ", text.strip().lower())


def cause_of(status: str | None) -> Cause | None:
    """The cause a validation_status names; None for ``ok`` and for unset."""
    if status is None:
        return None
    text = normalise(status)
    if text == OK:
        return None
    for prefix, cause in _RULES:
        if text.startswith(prefix):
            return cause
    return Cause.OTHER


def is_ok(status: str | None) -> bool:
    """True only for Zeek's ``ok``."""
    return status is not None and normalise(status) == OK
