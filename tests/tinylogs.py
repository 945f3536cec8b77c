"""Tiny log trees for command-line tests, and the way to run the command line in one.

Written the way Zeek 6.x writes TSV (``zeekwriter``), fast enough to make per test. The
default tree is one self-signed server, ``SERVER``, polled six times by one client.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
from zeekwriter import write_tsv

from zeekcert.cli import main

SERVER = "203.0.113.9"
FINGERPRINT = "a" * 64
T0 = 1_795_000_000_000_000  # 2026-11-18T09:06:40Z, in µs
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def ssl_row(i: int, resp_h: str = SERVER, sni: str | None = None,
            fp: str | None = FINGERPRINT, status: str | None = "self signed certificate",
            ) -> list:
    """One ssl.log row: a client polling ``resp_h`` every 144 s; no ``fp`` is TLS 1.3."""
    row = {"ts": T0 + i * 144_000_000, "uid": f"Ctest{i:013d}", "id.orig_h": "10.0.0.5",
           "id.orig_p": 40000 + i, "id.resp_h": resp_h, "id.resp_p": 443,
           "version": "TLSv12" if fp else "TLSv13", "cipher": "TLS_AES_128_GCM_SHA256",
           "curve": "x25519", "server_name": sni, "resumed": False, "last_alert": None,
           "next_protocol": None, "established": True, "ssl_history": "CsiI",
           "cert_chain_fps": [fp] if fp else None, "client_cert_chain_fps": [],
           "sni_matches_cert": None, "validation_status": status}
    return [row[f] for f in SSL_FIELDS]


def x509_row(fp: str = FINGERPRINT, subject: str = "CN=localhost",
             issuer: str = "CN=localhost", dns: list[str] | None = None) -> list:
    """One x509.log row of a 2048-bit RSA leaf valid around ``T0``."""
    row = {"ts": T0, "fingerprint": fp, "certificate.version": 3,
           "certificate.serial": "01", "certificate.subject": subject,
           "certificate.issuer": issuer, "certificate.not_valid_before": T0 - 10**13,
           "certificate.not_valid_after": T0 + 10**13, "certificate.key_alg": "rsaEncryption",
           "certificate.sig_alg": "sha256WithRSAEncryption", "certificate.key_type": "rsa",
           "certificate.key_length": 2048, "certificate.exponent": "65537",
           "certificate.curve": None, "san.dns": dns, "san.uri": None, "san.email": None,
           "san.ip": None, "basic_constraints.ca": False, "basic_constraints.path_len": None,
           "host_cert": True, "client_cert": False}
    return [row[f] for f in X509_FIELDS]


def write_tree(folder: Path, connections: int = 6) -> Path:
    """``folder/ssl.log`` and ``folder/x509.log`` of the default tree; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    write_tsv(str(folder / "ssl.log"), SSL_FIELDS, SSL_TYPES,
              [ssl_row(i) for i in range(connections)], log_path="ssl")
    write_tsv(str(folder / "x509.log"), X509_FIELDS, X509_TYPES, [x509_row()],
              log_path="x509")
    return folder


def run_cli(argv: list[object], now: datetime = NOW,
            out: io.StringIO | None = None) -> tuple[int, str, str]:
    """``main(argv)`` with ``now`` fixed: the exit code, stdout and stderr."""
    out, err = out or io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err, now=now)
    return code, out.getvalue(), err.getvalue()
