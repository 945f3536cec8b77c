"""A tiny log tree for command-line tests: one self-signed server, six connections.

Written the way Zeek 6.x writes TSV (``zeekwriter``), fast enough to make per test.
"""

from __future__ import annotations

from pathlib import Path

from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
from zeekwriter import write_tsv

SERVER = "203.0.113.9"
FINGERPRINT = "a" * 64
T0 = 1_795_000_000_000_000  # 2026-11-18T09:06:40Z, in µs


def ssl_row(i: int, resp_h: str = SERVER, status: str = "self signed certificate") -> list:
    """One ssl.log row: a client polling ``resp_h`` every 144 s."""
    row = {"ts": T0 + i * 144_000_000, "uid": f"Ctiny{i:013d}", "id.orig_h": "10.0.0.5",
           "id.orig_p": 40000 + i, "id.resp_h": resp_h, "id.resp_p": 443,
           "version": "TLSv12", "cipher": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
           "curve": "x25519", "server_name": None, "resumed": False, "last_alert": None,
           "next_protocol": None, "established": True, "ssl_history": "CsiI",
           "cert_chain_fps": [FINGERPRINT], "client_cert_chain_fps": [],
           "sni_matches_cert": None, "validation_status": status}
    return [row[f] for f in SSL_FIELDS]


def x509_row() -> list:
    """The server's self-signed certificate."""
    row = {"ts": T0, "fingerprint": FINGERPRINT, "certificate.version": 3,
           "certificate.serial": "01", "certificate.subject": "CN=localhost",
           "certificate.issuer": "CN=localhost", "certificate.not_valid_before": T0 - 10**13,
           "certificate.not_valid_after": T0 + 10**13, "certificate.key_alg": "rsaEncryption",
           "certificate.sig_alg": "sha256WithRSAEncryption", "certificate.key_type": "rsa",
           "certificate.key_length": 2048, "certificate.exponent": "65537",
           "certificate.curve": None, "san.dns": None, "san.uri": None, "san.email": None,
           "san.ip": None, "basic_constraints.ca": False, "basic_constraints.path_len": None,
           "host_cert": True, "client_cert": False}
    return [row[f] for f in X509_FIELDS]


def write_tree(folder: Path, connections: int = 6) -> Path:
    """``folder/ssl.log`` and ``folder/x509.log``; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    write_tsv(str(folder / "ssl.log"), SSL_FIELDS, SSL_TYPES,
              [ssl_row(i) for i in range(connections)], log_path="ssl")
    write_tsv(str(folder / "x509.log"), X509_FIELDS, X509_TYPES, [x509_row()],
              log_path="x509")
    return folder
