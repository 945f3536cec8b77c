"""Certificates made to each catalogue entry's recipe with ``cryptography``, and the Zeek
logs a sensor would write of servers presenting them: >= 4.1 (fingerprints) or <= 4.0
(file ids, subject and issuer in ssl.log), as TSV or JSON.

Each recipe follows the tool's public source or documentation, as the catalogue's
provenance names it: the DN, the serial, the validity period and who signs the leaf.
Subjects are written as Zeek writes them: OpenSSL's RFC 2253 one-line form, most specific
attribute first, with OpenSSL's short names (``postalCode``, ``street``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import certfactory as cf
from certfactory import zeek_dn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from zeekwriter import write_json, write_tsv

UTC = dt.UTC
START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
_OIDS = {"C": NameOID.COUNTRY_NAME, "ST": NameOID.STATE_OR_PROVINCE_NAME,
         "L": NameOID.LOCALITY_NAME, "O": NameOID.ORGANIZATION_NAME,
         "OU": NameOID.ORGANIZATIONAL_UNIT_NAME, "CN": NameOID.COMMON_NAME,
         "STREET": NameOID.STREET_ADDRESS, "POSTALCODE": NameOID.POSTAL_CODE}
_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # one key: fast
_EC = ec.generate_private_key(ec.SECP384R1())


def dn(*pairs: tuple[str, str]) -> x509.Name:
    """A name from (attribute, value) pairs, in ASN.1 order (least specific first). A
    country is not checked to be two letters: Cobalt Strike's keystore says ``C=Earth``."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Attribute's length", UserWarning)
        return x509.Name([x509.NameAttribute(_OIDS[k], v, _validate=k != "C")
                          for k, v in pairs])


@dataclass(frozen=True)
class Made:
    """One server certificate (and the CA that signed it, if not self-signed)."""

    entry: str
    leaf: x509.Certificate
    ca: x509.Certificate | None = None

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.leaf.public_bytes(serialization.Encoding.DER)).hexdigest()


def _certificate(subject: x509.Name, issuer: x509.Name, serial: int, days: float,
                 key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
                 signer: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, ca: bool,
                 before: dt.datetime = START - dt.timedelta(days=100),
                 dns: Sequence[str] = ()) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(serial)
               .not_valid_before(before).not_valid_after(before + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(d) for d in dns]), critical=False)
    return builder.sign(signer, hashes.SHA256())


def self_signed(entry: str, name: x509.Name, serial: int = 0x1F2E3D, days: float = 365,
                ca: bool = False, key: rsa.RSAPrivateKey | None = None,
                before: dt.datetime = START - dt.timedelta(days=100),
                dns: Sequence[str] = ()) -> Made:
    return Made(entry, _certificate(name, name, serial, days, key or _RSA, key or _RSA, ca,
                                    before, dns))


def issued(entry: str, leaf_name: x509.Name, ca_name: x509.Name, days: float = 365,
           ca_days: float = 3650, serial: int = 0x2A2A2A, dns: Sequence[str] = (),
           key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None) -> Made:
    signer = key or _RSA
    ca = _certificate(ca_name, ca_name, 1, ca_days, signer, signer, True)
    leaf = _certificate(leaf_name, ca_name, serial, days, signer, signer, False, dns=dns)
    return Made(entry, leaf, ca)


GENERATED_CA = dn(("C", "US"), ("O", "Cloud corp"), ("L", "Boulder"), ("ST", "Colorado"),
                  ("POSTALCODE", "5123"), ("CN", "sliver-ca"))


def recipes() -> list[Made]:
    """One certificate per shipped catalogue entry, made as the tool makes it."""
    return [
        # Cobalt Strike's keystore (keytool -genkey): self-signed, serial 0x8BB00EE.
        self_signed("cobalt_strike_default", dn(
            ("C", "Earth"), ("ST", "Cyberspace"), ("L", "Somewhere"), ("O", "cobaltstrike"),
            ("OU", "AdvancedPenTesting"), ("CN", "Major Cobalt Strike")), serial=0x8BB00EE,
            days=3650),
        # Sliver's multiplayer listener: ECDSA P-384, issued by the operators CA.
        issued("sliver_multiplayer", dn(("CN", "multiplayer")), dn(("CN", "operators")),
               days=3 * 365, key=_EC),
        # Sliver's HTTPS: a generated subject, 3 x 365 days, issued by a generated CA.
        issued("sliver_https", dn(("C", "US"), ("O", "ACME LLC"), ("L", "Tampa"),
                                  ("ST", "Florida"), ("POSTALCODE", "7311"),
                                  ("CN", "cdn.example.net")), GENERATED_CA,
               days=3 * 365, ca_days=3 * 365, dns=["cdn.example.net"]),
        # Havoc: the same generator, self-signed as a CA, 3 x 365 days; blank state and city.
        self_signed("havoc_https", dn(("C", "US"), ("O", ""), ("L", ""), ("ST", ""),
                                      ("STREET", ""), ("POSTALCODE", "2048"),
                                      ("CN", "203.0.113.99")), days=3 * 365, ca=True),
        # PoshC2's Config.py certificate options: serial 1000, ten years.
        self_signed("poshc2_default", dn(("C", "US"), ("ST", "Minnesota"), ("L", "Minnetonka"),
                                         ("O", "Pajfds"), ("OU", "Jethpro"),
                                         ("CN", "P18055077")), serial=1000, days=3650),
        self_signed("covenant_default", dn(("CN", "Covenant")), days=3650),
        self_signed("mythic_default", dn(("C", "US"), ("O", "Mythic"), ("CN", "mythic")),
                    days=365),
        self_signed("metasploit_default", dn(("CN", "MetasploitSelfSignedCA")), days=3650,
                    ca=True),
        self_signed("kubernetes_ingress_fake", dn(
            ("O", "Acme Co"), ("CN", "Kubernetes Ingress Controller Fake Certificate")),
            dns=["ingress.local"]),
        self_signed("traefik_default", dn(("CN", "TRAEFIK DEFAULT CERT")), days=365),
        issued("splunk_default", dn(("O", "SplunkUser"), ("CN", "SplunkServerDefaultCert")),
               dn(("C", "US"), ("ST", "CA"), ("L", "San Francisco"), ("O", "Splunk"),
                  ("CN", "SplunkCommonCA")), days=3 * 365),
        self_signed("fortigate_factory", dn(("C", "US"), ("ST", "California"),
                                            ("L", "Sunnyvale"), ("O", "Fortinet"),
                                            ("OU", "FortiGate"), ("CN", "FGT60E4Q16000000"))),
        self_signed("unifi_default", dn(("C", "US"), ("ST", "New York"), ("L", "New York"),
                                        ("O", "Ubiquiti Inc."), ("OU", "UniFi"),
                                        ("CN", "UniFi"))),
    ]


def x509_fields(cert: x509.Certificate) -> dict[str, object]:
    """The x509.log fields Zeek derives from a certificate (without ts and its key)."""
    issued_ = cf.Issued(cert, _RSA, Path(), Path())
    with warnings.catch_warnings():  # Cobalt Strike's C=Earth is not two letters
        warnings.filterwarnings("ignore", "Attribute's length", UserWarning)
        row = cf.x509_row(issued_, START)
        row["certificate.subject"] = zeek_dn(cert.subject)
        row["certificate.issuer"] = zeek_dn(cert.issuer)
    return row


SSL40_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "version",
                "cipher", "curve", "server_name", "resumed", "last_alert", "next_protocol",
                "established", "cert_chain_fuids", "client_cert_chain_fuids", "subject",
                "issuer", "client_subject", "client_issuer", "validation_status"]
SSL40_TYPES = ["time", "string", "addr", "port", "addr", "port", "string", "string", "string",
               "string", "bool", "string", "string", "bool", "vector[string]",
               "vector[string]", "string", "string", "string", "string", "string"]
X50940_FIELDS = ["ts", "id", *[f for f in cf.X509_FIELDS[2:] if f not in ("host_cert",
                                                                          "client_cert")]]
X50940_TYPES = ["time", "string", *cf.X509_TYPES[2:-2]]


def write_servers(folder: Path, servers: Sequence[tuple[str, Made]], generation: str,
                  form: str, connections: int = 3, client: str = "10.0.0.5") -> None:
    """ssl.log and x509.log of each (address, certificate) server, ``connections`` each
    from ``client``, an hour apart; ``generation`` "4.1" or "4.0", ``form`` "tsv" or
    "json"."""
    folder.mkdir(parents=True, exist_ok=True)
    ssl, certs = [], []
    for s, (host, made) in enumerate(servers):
        status = ("self signed certificate" if made.ca is None
                  else "unable to get local issuer certificate")
        for c in range(connections):
            ts = cf._micros(START + dt.timedelta(hours=c, minutes=s))
            uid, fuid = f"C{s:04d}{c:04d}", f"F{s:04d}{c:04d}"
            x509_row = x509_fields(made.leaf) | {"ts": ts}
            if generation == "4.1":
                ssl.append([ts, uid, client, 50000 + c, host, 443, "TLSv12", "X", None,
                            None, False, None, None, True, "CsxknGIi", [made.fingerprint],
                            [], None, status])
                if c == 0 and made.fingerprint not in {r[1] for r in certs}:
                    certs.append([x509_row[f] for f in cf.X509_FIELDS])
            else:  # one x509 row per connection, joined by file id
                ssl.append([ts, uid, client, 50000 + c, host, 443, "TLSv12", "X", None,
                            None, False, None, None, True, [fuid], [],
                            x509_row["certificate.subject"], x509_row["certificate.issuer"],
                            None, None, status])
                certs.append([x509_row.get(f) if f != "id" else fuid for f in X50940_FIELDS])
    fields = (cf.SSL_FIELDS, cf.SSL_TYPES, cf.X509_FIELDS, cf.X509_TYPES) if (
        generation == "4.1") else (SSL40_FIELDS, SSL40_TYPES, X50940_FIELDS, X50940_TYPES)
    for name, (names, types, rows) in {"ssl": (fields[0], fields[1], ssl),
                                        "x509": (fields[2], fields[3], certs)}.items():
        if form == "tsv":
            write_tsv(str(folder / f"{name}.log"), names, types, rows, log_path=name)
        else:
            write_json(str(folder / f"{name}.log"), names, types, rows)
