"""An alert as an Elastic Common Schema (ECS) document, which SIEMs ingest as it is.

ECS's own fields say what any SIEM rule expects (``@timestamp``, ``event.*``, ``rule.*``,
``source.ip``, ``destination.ip`` and ``.port``, ``tls.server.x509.*``, ``tls.server.hash.*``);
zeekcert's own are under ``zeekcert.*``, with ``zeekcert.schema_version``: fields are only
ever added within a version. Elastic and OpenSearch take the document as it is, Splunk as
the event of a JSON sourcetype. Texts from the logs stay as they are here: JSON escapes
them, and each sink that shows text to a person escapes it for its own medium.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .alerts import Alert, Reason

SCHEMA_VERSION = 1
ECS_VERSION = "8.11.0"
_SEVERITY = {Reason.NEW_SELF_SIGNED_SERVER: 47, Reason.NEW_FAILING_SERVER: 47,
             Reason.CERTIFICATE_CHANGED: 47, Reason.ACKNOWLEDGEMENT_EXPIRED: 21,
             Reason.SERVER_GONE: 21, Reason.MORE_SERVERS: 47, Reason.TOOLING_MATCH: 73}
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")


def document(alert: Alert) -> dict[str, Any]:
    """The alert's ECS document."""
    evidence = alert.evidence
    doc: dict[str, Any] = {
        "@timestamp": alert.raised,
        "ecs": {"version": ECS_VERSION},
        "message": message(alert),
        "event": {"kind": "alert", "category": ["network"], "type": ["info"],
                  "module": "zeekcert", "dataset": "zeekcert.alert", "id": alert.alert_id,
                  "severity": _SEVERITY[alert.reason], "reason": alert.reason.description},
        "rule": {"name": alert.reason.value, "description": alert.reason.description,
                 "ruleset": "zeekcert"},
        "zeekcert": {"schema_version": SCHEMA_VERSION, "alert_id": alert.alert_id,
                     "reason": alert.reason.value, **evidence},
    }
    if alert.resp_h is not None:
        doc["destination"] = {"ip": alert.resp_h, "port": alert.resp_p}
    if evidence.get("client"):
        doc["source"] = {"ip": evidence["client"]}
    tls = _tls(evidence)
    if tls:
        doc["tls"] = tls
    return doc


def _tls(evidence: dict[str, Any]) -> dict[str, Any]:
    cert = evidence.get("certificate") or {}
    server: dict[str, Any] = {}
    x509 = {key: value for key, value in (
        ("subject", {"distinguished_name": cert.get("subject")}),
        ("issuer", {"distinguished_name": cert.get("issuer")}),
        ("not_before", cert.get("not_valid_before")), ("not_after", cert.get("not_valid_after")),
        ("public_key_algorithm", cert.get("key_type")), ("public_key_size", cert.get("key_length")),
        ("signature_algorithm", cert.get("sig_alg")),
    ) if value is not None and value != {"distinguished_name": None}}
    if x509:
        server["x509"] = x509
    fingerprint = str(cert.get("fingerprint") or "")
    if _SHA256.fullmatch(fingerprint):
        server["hash"] = {"sha256": fingerprint.upper()}
    elif _SHA1.fullmatch(fingerprint):
        server["hash"] = {"sha1": fingerprint.upper()}
    tls: dict[str, Any] = {"server": server} if server else {}
    names = evidence.get("server_names") or []
    if names:
        tls["client"] = {"server_name": names[0]}
    return tls


def message(alert: Alert) -> str:
    """One line for a person: what happened, to which server."""
    evidence = alert.evidence
    subject = (evidence.get("certificate") or {}).get("subject")
    about = f" ({subject})" if subject else ""
    if alert.reason is Reason.MORE_SERVERS:
        return f"{evidence.get('count')} more servers to look at, in one alert"
    words = {Reason.NEW_SELF_SIGNED_SERVER: "New self-signed server",
             Reason.NEW_FAILING_SERVER: "New server failing validation",
             Reason.CERTIFICATE_CHANGED: "Certificate changed on",
             Reason.ACKNOWLEDGEMENT_EXPIRED: "Acknowledgement expired for",
             Reason.SERVER_GONE: "Server gone",
             Reason.TOOLING_MATCH: "C2 tooling's certificate on"}[alert.reason]
    if alert.reason is Reason.TOOLING_MATCH:
        return f"{words} {alert.server}{about}: {evidence.get('label')}"
    causes = ", ".join(evidence.get("causes") or [])
    return f"{words} {alert.server}{about}" + (f": {causes}" if causes else "")


def json_line(doc: dict[str, Any]) -> str:
    """One JSON line, ASCII only: no log text reaches a terminal as a control character."""
    return json.dumps(doc, ensure_ascii=True, sort_keys=False, default=str)
