"""Real X.509 certificates for tests, and the Zeek logs a sensor would write about them.

* A private PKI made with ``cryptography``: roots, intermediates and leaves with explicit
  validity dates, RSA or EC keys, SAN DNS/IP entries or none.
* SHA-1 and MD5 signatures, which ``cryptography`` refuses to make, come from the ``openssl``
  command line: the certificate is first made self-signed with SHA-256, then re-signed by
  ``openssl x509 [-signkey | -CA] -preserve_dates -md5``, which keeps names, dates and
  extensions.
* ``openssl verify -attime`` at the connection's time gives the first verification error,
  which is what Zeek's ``x509_verify`` reports (it sets no callback, so it stops there), and
  ``zeek_status`` turns it into ssl.log ``validation_status`` as Zeek >= 4.2 writes it.
* ``x509_row`` gives the x509.log fields exactly as Zeek >= 4.1 logs them; ``write_logs``
  writes Zeek 6.x ssl.log and x509.log files with ``zeekwriter.write_tsv``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
import shutil
import subprocess
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from zeekwriter import write_tsv

UTC = dt.UTC
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
VALID_FROM = dt.datetime(2026, 1, 1, tzinfo=UTC)
VALID_TO = dt.datetime(2027, 1, 1, tzinfo=UTC)
CA_FROM = dt.datetime(2020, 1, 1, tzinfo=UTC)
CA_TO = dt.datetime(2036, 1, 1, tzinfo=UTC)

Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# OpenSSL long names (what Zeek's i2t_ASN1_OBJECT prints) of the OIDs our certificates use.
OPENSSL_NAMES = {
    "1.2.840.113549.1.1.1": "rsaEncryption",
    "1.2.840.10045.2.1": "id-ecPublicKey",
    "1.2.840.10040.4.1": "dsaEncryption",
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
    "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
    "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
    "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
    "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
}
# OpenSSL short curve names and the bit length of the group order (Zeek's key_length for EC).
CURVES = {
    "secp192r1": ("prime192v1", 192),
    "secp224r1": ("secp224r1", 224),
    "secp256r1": ("prime256v1", 256),
    "secp384r1": ("secp384r1", 384),
    "secp521r1": ("secp521r1", 521),
}

X509_FIELDS = [
    "ts", "fingerprint", "certificate.version", "certificate.serial", "certificate.subject",
    "certificate.issuer", "certificate.not_valid_before", "certificate.not_valid_after",
    "certificate.key_alg", "certificate.sig_alg", "certificate.key_type", "certificate.key_length",
    "certificate.exponent", "certificate.curve", "san.dns", "san.uri", "san.email", "san.ip",
    "basic_constraints.ca", "basic_constraints.path_len", "host_cert", "client_cert"
]
X509_TYPES = [
    "time", "string", "count", "string", "string", "string", "time", "time", "string", "string",
    "string", "count", "string", "string", "vector[string]", "vector[string]", "vector[string]",
    "vector[addr]", "bool", "count", "bool", "bool"
]
SSL_FIELDS = [
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "version", "cipher", "curve",
    "server_name", "resumed", "last_alert", "next_protocol", "established", "ssl_history",
    "cert_chain_fps", "client_cert_chain_fps", "sni_matches_cert", "validation_status"
]
SSL_TYPES = [
    "time", "string", "addr", "port", "addr", "port", "string", "string", "string", "string",
    "bool", "string", "string", "bool", "string", "vector[string]", "vector[string]", "bool",
    "string"
]


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key and PEM files."""

    cert: x509.Certificate
    key: Key
    cert_path: Path
    key_path: Path

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER, lower-case hex: Zeek's ``fingerprint``/``cert_chain_fps``."""
        return hashlib.sha256(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """A fresh RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key(curve: str = "secp256r1") -> ec.EllipticCurvePrivateKey:
    """A fresh EC key on a curve named as ``cryptography`` names it (``secp256r1``)."""
    return ec.generate_private_key(getattr(ec, curve.upper())())


def name(cn: str, org: str | None = "Zeekcert Tests", country: str | None = "US") -> x509.Name:
    """A DN encoded C, O, CN, so that Zeek prints it ``CN=…,O=…,C=…``."""
    attrs = []
    if country:
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _san(dns: Sequence[str], ips: Sequence[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
    entries += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    return x509.SubjectAlternativeName(entries)


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not ca, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)


class Factory:
    """Makes certificates into ``workdir``; every certificate gets a unique file name."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)

    def ca(self, label: str, subject: x509.Name, issuer: Issued | None = None,
           key: Key | None = None, not_before: dt.datetime = CA_FROM,
           not_after: dt.datetime = CA_TO, key_usage: bool = True) -> Issued:
        """A CA certificate: a self-signed root when ``issuer`` is None, else an intermediate.

        ``key_usage=False`` leaves out the KeyUsage extension, as ``openssl req -x509`` with
        the default configuration does (basicConstraints CA:TRUE only)."""
        key = key or rsa_key()
        builder = self._builder(subject, issuer, key, not_before, not_after)
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        if key_usage:
            builder = builder.add_extension(_key_usage(True), True)
        signer = issuer.key if issuer else key
        return self._save(label, builder.sign(signer, hashes.SHA256()), key)

    def leaf(self, label: str, cn: str, issuer: Issued | None, *,
             dns: Sequence[str] | None = None, ips: Sequence[str] = (), key: Key | None = None,
             not_before: dt.datetime = VALID_FROM, not_after: dt.datetime = VALID_TO,
             digest: str = "sha256", org: str | None = "Zeekcert Tests",
             forged_by: Key | None = None) -> Issued:
        """A server certificate, self-signed when ``issuer`` is None.

        ``dns`` defaults to ``[cn]``; with no DNS and no IP entries there is no SAN at all.
        ``digest`` ``md5`` or ``sha1`` makes ``openssl`` sign it. ``forged_by`` signs it with
        another key while it still names ``issuer``: its signature does not verify.
        """
        key = key or rsa_key()
        dns = [cn] if dns is None else list(dns)
        weak = digest in ("md5", "sha1")
        first_issuer = None if weak else issuer
        builder = self._builder(name(cn, org), first_issuer, key, not_before, not_after)
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        builder = builder.add_extension(_key_usage(False), True)
        if dns or ips:
            builder = builder.add_extension(_san(dns, ips), False)
        signer = forged_by or (first_issuer.key if first_issuer else key)
        issued = self._save(label, builder.sign(signer, hashes.SHA256()), key)
        return self.resign(issued, issuer, digest) if weak else issued

    def resign(self, issued: Issued, issuer: Issued | None, digest: str) -> Issued:
        """Re-sign a self-signed certificate with ``openssl``, by its own key or by ``issuer``."""
        out = issued.cert_path.with_name(issued.cert_path.stem + f"-{digest}.pem")
        serial = f"0x{issued.cert.serial_number:X}"
        cmd = [OPENSSL, "x509", "-in", str(issued.cert_path), "-preserve_dates",
               f"-{digest}", "-set_serial", serial, "-out", str(out)]
        if issuer is None:
            cmd += ["-signkey", str(issued.key_path)]
        else:
            cmd += ["-CA", str(issuer.cert_path), "-CAkey", str(issuer.key_path)]
        subprocess.run(cmd, check=True, capture_output=True)
        cert = x509.load_pem_x509_certificate(out.read_bytes())
        return Issued(cert, issued.key, out, issued.key_path)

    def _builder(self, subject: x509.Name, issuer: Issued | None, key: Key,
                 not_before: dt.datetime, not_after: dt.datetime) -> x509.CertificateBuilder:
        builder = x509.CertificateBuilder().subject_name(subject).public_key(key.public_key())
        builder = builder.issuer_name(issuer.cert.subject if issuer else subject)
        builder = builder.serial_number(x509.random_serial_number())
        builder = builder.not_valid_before(not_before).not_valid_after(not_after)
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        builder = builder.add_extension(ski, False)
        if issuer is not None:
            aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())
            builder = builder.add_extension(aki, False)
        return builder

    def _save(self, label: str, cert: x509.Certificate, key: Key) -> Issued:
        cert_path, key_path = self.workdir / f"{label}.pem", self.workdir / f"{label}.key"
        if cert_path.exists():
            raise ValueError(f"certificate {label!r} made twice")
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return Issued(cert, key, cert_path, key_path)


def load_certificate(path: Path) -> Issued:
    """A certificate from a PEM file, without its private key (``key`` is None): enough for
    ``fingerprint``, ``x509_row``, ``ssl_row`` and ``openssl_verify``."""
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return Issued(cert, None, path, path)  # type: ignore[arg-type]


# --- openssl verify -> Zeek validation_status --------------------------------------------

_VERIFY_ERROR = re.compile(r"^error (\d+) at (\d+) depth lookup: (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Verdict:
    """The first error ``openssl verify`` reported (code 0 and ``ok`` when none)."""

    code: int
    depth: int
    message: str


def bundle(workdir: Path, label: str, certs: Sequence[Issued]) -> Path:
    """Concatenate certificates into one PEM file (``-CAfile``/``-untrusted``)."""
    path = workdir / f"{label}.bundle.pem"
    path.write_bytes(b"".join(c.cert_path.read_bytes() for c in certs))
    return path


def openssl_verify(leaf: Issued, trusted: Path, untrusted: Path | None,
                   at: dt.datetime) -> Verdict:
    """Run ``openssl verify`` at time ``at``, with only ``trusted`` as trust store."""
    cmd = [OPENSSL, "verify", "-no-CApath", "-no-CAstore", "-CAfile", str(trusted),
           "-attime", str(int(at.timestamp()))]
    if untrusted is not None:
        cmd += ["-untrusted", str(untrusted)]
    proc = subprocess.run([*cmd, str(leaf.cert_path)], capture_output=True, text=True)
    found = _VERIFY_ERROR.search(proc.stdout + proc.stderr)
    if found is None:
        if proc.returncode != 0 or not proc.stdout.rstrip().endswith(": OK"):
            raise RuntimeError(f"openssl verify said neither OK nor an error: {proc!r}")
        return Verdict(0, 0, "ok")
    return Verdict(int(found[1]), int(found[2]), found[3].strip())


def zeek_status(verdict: Verdict) -> str:
    """ssl.log ``validation_status`` for a verdict: Zeek >= 4.2 rewrites error 18
    (X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) to ``self signed certificate``; every other
    string is OpenSSL's, as it is."""
    return "self signed certificate" if verdict.code == 18 else verdict.message


# --- x509.log rows -----------------------------------------------------------------------


def _micros(when: dt.datetime) -> int:
    return int(when.timestamp()) * 1_000_000 + when.microsecond


def zeek_serial(number: int) -> str:
    """The serial as OpenSSL's i2a_ASN1_INTEGER prints it: upper-case hex, whole bytes."""
    text = f"{abs(number):X}"
    text = "0" + text if len(text) % 2 else text
    return ("-" if number < 0 else "") + text


def _key_fields(cert: x509.Certificate) -> dict[str, object]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return {"certificate.key_type": "rsa", "certificate.key_length": key.key_size,
                "certificate.exponent": str(key.public_numbers().e),
                "certificate.curve": None}
    if isinstance(key, ec.EllipticCurvePublicKey):
        curve, order_bits = CURVES[key.curve.name]
        return {"certificate.key_type": "ecdsa", "certificate.key_length": order_bits,
                "certificate.exponent": None, "certificate.curve": curve}
    raise TypeError(f"no Zeek fields for {type(key).__name__}")


def _san_fields(cert: x509.Certificate) -> dict[str, object]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return {"san.dns": None, "san.uri": None, "san.email": None, "san.ip": None}
    dns = san.get_values_for_type(x509.DNSName)
    ips = [str(i) for i in san.get_values_for_type(x509.IPAddress)]
    # Zeek assigns each vector only when it has an entry: never an empty vector.
    return {"san.dns": dns or None, "san.uri": None, "san.email": None, "san.ip": ips or None}


def _constraints(cert: x509.Certificate) -> dict[str, object]:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return {"basic_constraints.ca": None, "basic_constraints.path_len": None}
    return {"basic_constraints.ca": bc.ca, "basic_constraints.path_len": bc.path_length}


_SHORT = {NameOID.POSTAL_CODE: "postalCode", NameOID.STREET_ADDRESS: "street",
          NameOID.EMAIL_ADDRESS: "emailAddress"}


def zeek_dn(name: x509.Name) -> str:
    """A name as Zeek logs it (OpenSSL's XN_FLAG_RFC2253, with OpenSSL's short names). A
    country that is not two letters (Cobalt Strike's ``C=Earth``) is written as it is."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Attribute's length", UserWarning)
        return name.rfc4514_string(_SHORT)


def x509_row(issued: Issued, ts: dt.datetime, host_cert: bool = True) -> dict[str, object]:
    """The x509.log fields of one certificate, as Zeek >= 4.1 logs them (times in µs)."""
    cert = issued.cert
    with warnings.catch_warnings():  # Cobalt Strike's C=Earth is not two letters
        warnings.filterwarnings("ignore", "Attribute's length", UserWarning)
        subject, issuer = zeek_dn(cert.subject), zeek_dn(cert.issuer)
    row: dict[str, object] = {
        "ts": _micros(ts), "fingerprint": issued.fingerprint,
        "certificate.version": cert.version.value + 1,
        "certificate.serial": zeek_serial(cert.serial_number),
        "certificate.subject": subject, "certificate.issuer": issuer,
        "certificate.not_valid_before": _micros(cert.not_valid_before_utc),
        "certificate.not_valid_after": _micros(cert.not_valid_after_utc),
        "certificate.key_alg": OPENSSL_NAMES[cert.public_key_algorithm_oid.dotted_string],
        "certificate.sig_alg": OPENSSL_NAMES[cert.signature_algorithm_oid.dotted_string],
    }
    row |= _key_fields(cert) | _san_fields(cert) | _constraints(cert)
    return row | {"host_cert": host_cert, "client_cert": False}


# --- ssl.log rows and files --------------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """One TLS connection a sensor saw: what the server sent and what Zeek made of it."""

    uid: str
    ts: dt.datetime
    resp_h: str
    server_name: str | None
    chain: tuple[Issued, ...]
    validation_status: str | None
    sni_matches_cert: bool | None = None
    orig_h: str = "10.0.0.1"
    orig_p: int = 50000
    resp_p: int = 443
    version: str = "TLSv12"


def ssl_row(conn: Connection) -> dict[str, object]:
    """The ssl.log fields of one connection, Zeek 6.x columns."""
    return {
        "ts": _micros(conn.ts), "uid": conn.uid, "id.orig_h": conn.orig_h,
        "id.orig_p": conn.orig_p, "id.resp_h": conn.resp_h, "id.resp_p": conn.resp_p,
        "version": conn.version, "cipher": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "curve": "x25519", "server_name": conn.server_name, "resumed": False,
        "last_alert": None, "next_protocol": None, "established": True,
        "ssl_history": "CsxknGIi",
        "cert_chain_fps": [c.fingerprint for c in conn.chain] if conn.chain else None,
        "client_cert_chain_fps": [], "sni_matches_cert": conn.sni_matches_cert,
        "validation_status": conn.validation_status,
    }


def write_logs(folder: Path, conns: Sequence[Connection]) -> None:
    """Write ``ssl.log`` and ``x509.log`` as a Zeek 6.x sensor with ``log-hostcerts-only``
    would: one x509 row per distinct server certificate, at its first connection."""
    folder.mkdir(parents=True, exist_ok=True)
    ssl_rows = [ssl_row(c) for c in sorted(conns, key=lambda c: c.ts)]
    write_tsv(str(folder / "ssl.log"), SSL_FIELDS, SSL_TYPES,
              [[r[f] for f in SSL_FIELDS] for r in ssl_rows], log_path="ssl")
    seen: dict[str, dict[str, object]] = {}
    for conn in sorted(conns, key=lambda c: c.ts):
        if conn.chain and conn.chain[0].fingerprint not in seen:
            seen[conn.chain[0].fingerprint] = x509_row(conn.chain[0], conn.ts)
    write_tsv(str(folder / "x509.log"), X509_FIELDS, X509_TYPES,
              [[r[f] for f in X509_FIELDS] for r in seen.values()], log_path="x509")


NOTICE_FIELDS = [
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "fuid", "file_mime_type",
    "file_desc", "proto", "note", "msg", "sub", "src", "dst", "p", "n", "peer_descr", "actions",
    "email_dest", "suppress_for", "remote_location.country_code", "remote_location.region",
    "remote_location.city", "remote_location.latitude", "remote_location.longitude"
]
NOTICE_TYPES = [
    "time", "string", "addr", "port", "addr", "port", "string", "string", "string", "enum",
    "enum", "string", "string", "addr", "addr", "port", "count", "string", "set[enum]",
    "set[string]", "interval", "string", "string", "string", "double", "double"
]


def zeek_T(when: dt.datetime) -> str:
    """A time as Zeek's ``%T`` format renders it in notice messages."""
    return when.astimezone(UTC).strftime("%Y-%m-%d-%H:%M:%S") + ".000000000"


def notice_row(conn: Connection, note: str, msg: str, sub: str | None = None,
               file_desc: str | None = None, suppress_hours: int = 24) -> dict[str, object]:
    """One SSL notice about ``conn``, as the validate-certs/expiring-certs/weak-keys
    scripts log it (``fuid`` is a file id even in Zeek >= 4.1; we make one up)."""
    return {
        "ts": _micros(conn.ts) + 1000, "uid": conn.uid, "id.orig_h": conn.orig_h,
        "id.orig_p": conn.orig_p, "id.resp_h": conn.resp_h, "id.resp_p": conn.resp_p,
        "fuid": "F" + conn.uid[1:], "file_mime_type": None, "file_desc": file_desc,
        "proto": "tcp", "note": note, "msg": msg, "sub": sub, "src": conn.orig_h,
        "dst": conn.resp_h, "p": conn.resp_p, "n": None, "peer_descr": None,
        "actions": ["Notice::ACTION_LOG"], "email_dest": [],
        "suppress_for": suppress_hours * 3_600_000_000, "remote_location.country_code": None,
        "remote_location.region": None, "remote_location.city": None,
        "remote_location.latitude": None, "remote_location.longitude": None,
    }


def write_notices(folder: Path, rows: Sequence[dict[str, object]]) -> None:
    """Write ``notice.log`` with the Zeek 6.x columns."""
    write_tsv(str(folder / "notice.log"), NOTICE_FIELDS, NOTICE_TYPES,
              [[r[f] for f in NOTICE_FIELDS] for r in sorted(rows, key=lambda r: r["ts"])],
              log_path="notice")
