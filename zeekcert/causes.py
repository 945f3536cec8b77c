"""The vocabulary of certificate validation failures: causes, evidence and verdicts.

These codes are stable: the API, the command line and the JSON output all use them.
"""

from __future__ import annotations

from enum import StrEnum


class Cause(StrEnum):
    """Why a server's certificate failed validation; members are in order of precedence.

    The primary cause of a connection is the first of its causes in this order: what
    most changes the analyst's next step comes first (a self-signed certificate says
    more about who runs the server than its expiry does).
    """

    SELF_SIGNED = "self_signed"
    UNTRUSTED_ROOT = "untrusted_root"
    INCOMPLETE_CHAIN = "incomplete_chain"
    REVOKED = "revoked"
    INVALID_SIGNATURE = "invalid_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    HOSTNAME_MISMATCH = "hostname_mismatch"
    WEAK_KEY = "weak_key"
    WEAK_SIGNATURE = "weak_signature"
    OTHER = "other"

    @property
    def description(self) -> str:
        """One line saying what the cause means."""
        return _DESCRIPTIONS[self]

    @property
    def rank(self) -> int:
        """Position in the order of precedence, 0 first."""
        return _ORDER.index(self)


_DESCRIPTIONS = {
    Cause.SELF_SIGNED: "the server's own certificate is self-signed",
    Cause.UNTRUSTED_ROOT: "the chain ends in a self-signed CA that is not trusted",
    Cause.INCOMPLETE_CHAIN: (
        "the issuer could not be found: a missing intermediate, or a private CA"),
    Cause.EXPIRED: "the certificate has expired",
    Cause.NOT_YET_VALID: "the certificate is not yet valid",
    Cause.HOSTNAME_MISMATCH: "the certificate does not cover the name the client asked for",
    Cause.WEAK_KEY: "the key is too short by local policy",
    Cause.WEAK_SIGNATURE: "the signature hash is forbidden by local policy",
    Cause.REVOKED: "the certificate is revoked",
    Cause.INVALID_SIGNATURE: "the signature does not verify, or the certificate is malformed",
    Cause.OTHER: "any other failure; the raw text is kept",
}
_ORDER = list(Cause)


class Evidence(StrEnum):
    """Which source raised a cause."""

    ZEEK_STATUS = "zeek_status"  # ssl.log validation_status (or sni_matches_cert)
    NOTICE = "notice"  # notice.log
    POLICY = "policy"  # zeekcert's own re-check of the certificate fields


def bit(cause: Cause, source: Evidence) -> int:
    """The bit standing for one cause raised by one source, in a per-connection mask."""
    return 1 << (_ORDER.index(cause) * len(_SOURCES) + _SOURCES.index(source))


_SOURCES = list(Evidence)


class Verdict(StrEnum):
    """The primary cause column holds a Cause, or one of these."""

    VALID = "valid"
    UNVERIFIED = "unverified"


class Unverified(StrEnum):
    """Why a connection's certificate could not be judged, the first that applies."""

    HANDSHAKE_FAILED = "handshake_failed"  # established = F: no certificate was exchanged
    RESUMED = "resumed"  # a resumed session: the certificate was shown in an earlier one
    TLS13 = "tls13"  # TLS 1.3 encrypts the certificate
    NO_CERTIFICATE = "no_certificate"  # none seen, and the log says no more
    NOT_IN_X509 = "certificate_not_in_x509"  # referenced, but not in the loaded x509 logs
    NO_VALIDATION = "no_validation_logged"  # validate-certs not loaded: no validation_status

    @property
    def description(self) -> str:
        """One line saying what the reason means."""
        return {
            Unverified.HANDSHAKE_FAILED: "the handshake did not complete (established = F): "
            "no certificate was exchanged",
            Unverified.RESUMED: "a resumed session: the certificate was shown in an earlier "
            "connection",
            Unverified.TLS13: "TLS 1.3 encrypts the certificate: the sensor cannot see it",
            Unverified.NO_CERTIFICATE: "no certificate seen, and the log does not say why",
            Unverified.NOT_IN_X509: "the certificate is not in the loaded x509 logs",
            Unverified.NO_VALIDATION: "no validation logged (validate-certs not loaded)",
        }[self]
