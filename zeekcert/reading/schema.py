"""Built-in field lists and Zeek types of ssl, x509, notice and known_certs logs, every version.

JSON logs omit unset fields, so a column that is never set in a file is absent from it.
These tables give such columns their type, and give header-less or zero-byte files a schema.
Sources: Zeek's btest baselines v2.2 to 9.1-dev, see ``zeek-facts.md`` section (c).
"""

from __future__ import annotations

import functools
import re

_CONN = "ts:time uid:string id.orig_h:addr id.orig_p:port id.resp_h:addr id.resp_p:port"

# Default columns in the order each Zeek generation writes them.
_LAYOUTS: dict[str, dict[str, str]] = {
    "ssl": {
        "bro-2.2": f"{_CONN} version:string cipher:string server_name:string session_id:string "
        "subject:string issuer_subject:string not_valid_before:time not_valid_after:time "
        "last_alert:string client_subject:string client_issuer_subject:string cert_hash:string "
        "validation_status:string",
        "fuids": f"{_CONN} version:string cipher:string curve:string server_name:string "
        "resumed:bool last_alert:string next_protocol:string established:bool "
        "cert_chain_fuids:vector[string] client_cert_chain_fuids:vector[string] subject:string "
        "issuer:string client_subject:string client_issuer:string validation_status:string",
        "fps": f"{_CONN} version:string cipher:string curve:string server_name:string resumed:bool "
        "last_alert:string next_protocol:string established:bool ssl_history:string "
        "cert_chain_fps:vector[string] client_cert_chain_fps:vector[string] sni_matches_cert:bool "
        "validation_status:string",
    },
    "x509": {
        "id": "ts:time id:string certificate.version:count certificate.serial:string "
        "certificate.subject:string certificate.issuer:string certificate.not_valid_before:time "
        "certificate.not_valid_after:time certificate.key_alg:string certificate.sig_alg:string "
        "certificate.key_type:string certificate.key_length:count certificate.exponent:string "
        "certificate.curve:string san.dns:vector[string] san.uri:vector[string] "
        "san.email:vector[string] san.ip:vector[addr] basic_constraints.ca:bool "
        "basic_constraints.path_len:count",
        "fingerprint": "ts:time fingerprint:string certificate.version:count "
        "certificate.serial:string certificate.subject:string certificate.issuer:string "
        "certificate.not_valid_before:time certificate.not_valid_after:time "
        "certificate.key_alg:string certificate.sig_alg:string certificate.key_type:string "
        "certificate.key_length:count certificate.exponent:string certificate.curve:string "
        "san.dns:vector[string] san.uri:vector[string] san.email:vector[string] "
        "san.ip:vector[addr] basic_constraints.ca:bool basic_constraints.path_len:count "
        "host_cert:bool client_cert:bool",
    },
    "notice": {
        "bro-2.3": f"{_CONN} fuid:string file_mime_type:string file_desc:string proto:enum "
        "note:enum msg:string sub:string src:addr dst:addr p:port n:count peer_descr:string "
        "actions:set[enum] suppress_for:interval dropped:bool "
        "remote_location.country_code:string remote_location.region:string "
        "remote_location.city:string remote_location.latitude:double "
        "remote_location.longitude:double",
        "zeek-4.1": f"{_CONN} fuid:string file_mime_type:string file_desc:string proto:enum "
        "note:enum msg:string sub:string src:addr dst:addr p:port n:count peer_descr:string "
        "actions:set[enum] email_dest:set[string] suppress_for:interval "
        "remote_location.country_code:string remote_location.region:string "
        "remote_location.city:string remote_location.latitude:double "
        "remote_location.longitude:double",
    },
    "known_certs": {
        "all": "ts:time host:addr port_num:port subject:string issuer_subject:string serial:string",
    },
}

# Columns that scripts and packages add; typed here so JSON gets them right too.
_EXTRAS: dict[str, str] = {
    "ssl": "ocsp_status:string valid_ct_logs:count valid_ct_operators:count ja3:string "
    "ja3s:string ja4:string ja4s:string "
    "requested_client_certificate_authorities:vector[string] server_version:count "
    "client_version:count client_ciphers:vector[count] ssl_client_exts:vector[count] "
    "ssl_server_exts:vector[count] ticket_lifetime_hint:count dh_param_size:count "
    "point_formats:vector[count] client_curves:vector[count] orig_alpn:vector[string] "
    "client_supported_versions:vector[count] server_supported_version:count "
    "psk_key_exchange_modes:vector[count] client_key_share_groups:vector[count] "
    "server_key_share_group:count client_comp_methods:vector[count] sigalgs:vector[count] "
    "hashalgs:vector[count] ech_kdf_id:count ech_aead_id:count community_id:string",
    "x509": "cert:string certificate.tbs_sig_alg:string",
    "notice": "community_id:string",
    "known_certs": "",
}

# Fields whose presence tells which generation wrote a file.
_MARKERS: dict[str, list[tuple[str, str]]] = {
    "ssl": [("cert_chain_fps", "fps"), ("cert_chain_fuids", "fuids"), ("cert_hash", "bro-2.2")],
    "x509": [("fingerprint", "fingerprint"), ("id", "id")],
    "notice": [("email_dest", "zeek-4.1"), ("dropped", "bro-2.3")],
    "known_certs": [],
}

# The layout assumed when nothing in the file says otherwise: the newest.
_NEWEST = {"ssl": "fps", "x509": "fingerprint", "notice": "zeek-4.1", "known_certs": "all"}

KINDS: tuple[str, ...] = ("ssl", "x509", "notice", "known_certs")
# What a log's kind (``#path``, ``_path``) may look like; anything else is not a kind.
LOG_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _parse(spec: str) -> dict[str, str]:
    """Turn ``"name:type name:type"`` into an ordered mapping."""
    return dict(item.split(":", 1) for item in spec.split())


def layout(kind: str, generation: str | None = None) -> dict[str, str]:
    """Return the default columns of a log kind for one generation (the newest by default)."""
    layouts = _LAYOUTS[kind]
    return _parse(layouts[generation or _NEWEST[kind]])


def generation_of(kind: str, columns: list[str] | set[str]) -> str:
    """Return the generation whose marker field is among ``columns``."""
    present = set(columns)
    for marker, generation in _MARKERS.get(kind, []):
        if marker in present:
            return generation
    return _NEWEST[kind]


def known_types(kind: str) -> dict[str, str]:
    """Return every field this kind has had in any version, mapped to its Zeek type."""
    return dict(_known_types(kind))


@functools.cache
def _known_types(kind: str) -> dict[str, str]:
    """``known_types``, parsed once per kind; never changed (``known_types`` copies it)."""
    merged: dict[str, str] = {}
    for spec in _LAYOUTS[kind].values():
        merged.update(_parse(spec))
    merged.update(_parse(_EXTRAS[kind]))
    return merged


def zeek_type(kind: str | None, field: str) -> str | None:
    """Return the Zeek type of ``field`` in logs of ``kind``, or None when unknown."""
    if kind is None:
        return None
    base = kind.removeprefix("open_")
    if base not in _LAYOUTS:
        return None
    return _known_types(base).get(field)
