"""Make the sample's certificates, once: real keys, real signatures, real openssl verdicts.

Writes the PEM certificates (never the private keys, which stay in a temporary folder and
are thrown away) to ``sample_logs/certs/`` and, for every chain a server sends,
``openssl verify -attime`` at the start and at the end of the window into
``certs/verdicts.json``. It stops if a verdict changes inside the window: every date is
chosen so that nothing expires or becomes valid between 2026-11-25 and 2026-11-28, but
for the Jenkins server's second certificate, made by its installer on 2026-11-26 and only
presented after that (a self-signed leaf fails with error 18 before any date check, so
its verdict is the same at both ends all the same).

    python sample_logs/make_certs.py [--force]
    python sample_logs/make_certs.py --only LABEL [--only LABEL ...] [--force]

Keys are random, so a new run gives new certificates and fingerprints; run
``generate.py`` after it. Without ``--force`` it refuses to replace existing certificates.
``--only`` makes just the named self-signed server certificates (the CAs' keys were thrown
away, so a CA-issued one cannot be made again alone) and adds their verdicts to
``verdicts.json``: every other certificate and verdict stays byte for byte as it is.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import certfactory as cf  # noqa: E402

CERTS = HERE / "certs"
# openssl verify runs at both ends; generate.py writes 2026-11-25 00:00 to 2026-11-27 00:40.
WINDOW = (datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC))
ROOT_LABEL = "sample-root-ca"


def day(text: str) -> datetime:
    """An ISO date or date-time, UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Leaf:
    """A server certificate: who issues it, its names and key, what the server sends."""

    label: str
    cn: str
    issuer: str | None  # label of the issuing CA; None: self-signed
    dns: tuple[str, ...] = ()
    org: str | None = None
    valid: tuple[str, str] = ("2026-03-01", "2027-03-01")
    sends: tuple[str, ...] = ("issuing-ca-1",)  # the certificates after the leaf, in order
    key: str = "rsa2048"  # rsa2048, rsa1024, p256
    digest: str = "sha256"
    openssl_req: bool = False  # like `openssl req -x509 -subj /CN=...`
    device: bool = False  # made by a device's firmware: CN and O only; see device_leaf()


CAS = [
    # label, CN, O, issuer label, validity
    (ROOT_LABEL, "Zeekcert Sample Root CA", "Zeekcert Sample Trust Services", None,
     ("2020-01-01", "2040-01-01")),
    ("issuing-ca-1", "Zeekcert Sample Issuing CA 1", "Zeekcert Sample Trust Services",
     ROOT_LABEL, ("2024-01-01", "2032-01-01")),
    ("issuing-ca-2", "Zeekcert Sample Issuing CA 2", "Zeekcert Sample Trust Services",
     ROOT_LABEL, ("2024-01-01", "2032-01-01")),
    ("partner-root-ca", "Example Partner Internal Root CA", "Example Partner Ltd", None,
     ("2022-06-01", "2042-06-01")),
    ("partner-issuing-ca", "Example Partner Issuing CA", "Example Partner Ltd",
     "partner-root-ca", ("2022-06-01", "2030-06-01")),
]

LEAVES = [
    # Background: valid chains to the trusted sample root through Issuing CA 1.
    Leaf("www", "www.example.com", "issuing-ca-1", ("www.example.com", "example.com"),
         "Example Inc", ("2026-06-10", "2027-07-12")),
    Leaf("mail", "mail.example.com", "issuing-ca-1", ("mail.example.com", "imap.example.com"),
         "Example Inc", ("2026-02-01", "2027-03-05")),
    Leaf("api", "api.example.net", "issuing-ca-1", ("api.example.net",), "Example Networks",
         ("2026-10-05", "2027-01-03")),
    Leaf("cdn", "cdn.example.net", "issuing-ca-1", ("cdn.example.net", "*.cdn.example.net"),
         "Example Networks", ("2026-09-20", "2026-12-19"), key="p256"),
    Leaf("login", "login.example.org", "issuing-ca-1", ("login.example.org",),
         "Example Foundation", ("2026-04-15", "2027-05-17")),
    Leaf("updates", "updates.example.org", "issuing-ca-1",
         ("updates.example.org", "dl.example.org"), "Example Foundation"),
    Leaf("docs", "docs.example.com", "issuing-ca-1", ("docs.example.com",), "Example Inc",
         ("2026-08-01", "2027-09-02")),
    Leaf("files", "files.example.org", "issuing-ca-1", ("files.example.org",),
         "Example Foundation", ("2026-11-02", "2027-01-31")),
    Leaf("news", "news.example.com", "issuing-ca-1", ("news.example.com",), "Example Inc",
         ("2026-05-20", "2027-06-21"), key="p256"),
    # One server per cause.
    Leaf("expired", "legacy.example.net", "issuing-ca-1", ("legacy.example.net",),
         "Example Networks", ("2025-10-01", "2026-10-31T23:59:59")),
    Leaf("not-yet-valid", "staging.example.net", "issuing-ca-1", ("staging.example.net",),
         "Example Networks", ("2027-01-15", "2028-01-15")),
    Leaf("missing-intermediate", "shop.example.org", "issuing-ca-2",
         ("shop.example.org", "www.shop.example.org"), "Example Foundation",
         ("2026-07-01", "2027-08-01"), sends=()),
    Leaf("private-ca", "portal.partner.example", "partner-issuing-ca",
         ("portal.partner.example",), "Example Partner Ltd", ("2026-01-10", "2027-01-10"),
         sends=("partner-issuing-ca", "partner-root-ca")),
    Leaf("wrong-name", "hosting.example.net", "issuing-ca-1",
         ("hosting.example.net", "*.hosting.example.net"), "Example Networks",
         ("2026-05-01", "2027-05-01")),
    Leaf("weak-key", "vpn.example.org", "issuing-ca-1", ("vpn.example.org",),
         "Example Foundation", ("2026-01-20", "2027-02-20"), key="rsa1024"),
    Leaf("sha1", "legacy-api.example.com", "issuing-ca-1", ("legacy-api.example.com",),
         "Example Inc", ("2026-02-15", "2027-03-15"), digest="sha1"),
    # Self-signed: the two beacon servers (`openssl req -x509 -subj /CN=localhost`, its
    # default 30 days) and the developers' Jenkins.
    Leaf("ext4", "localhost", None, valid=("2026-11-09T14:02:17", "2026-12-09T14:02:17"),
         sends=(), openssl_req=True),
    Leaf("ext6", "localhost", None, valid=("2026-11-09T14:06:51", "2026-12-09T14:06:51"),
         sends=(), openssl_req=True),
    Leaf("jenkins-dev", "jenkins-dev.corp.example", None,
         ("jenkins-dev.corp.example", "jenkins-dev"), "Example Corp",
         ("2026-03-02T09:41:12", "2028-03-01T09:41:12"), sends=()),
    # The same Jenkins after its upgrade on 2026-11-26: the installer made a new key and a
    # new self-signed certificate with the same subject, while the service was down.
    Leaf("jenkins-dev-2", "jenkins-dev.corp.example", None,
         ("jenkins-dev.corp.example", "jenkins-dev"), "Example Corp",
         ("2026-11-26T08:57:43", "2028-11-25T08:57:43"), sends=()),
    # A network printer's web UI (HP Jetdirect/EWS): the self-signed certificate its
    # firmware made at first boot, named after its default host name NPI + end of the MAC.
    Leaf("printer", "NPI0A1B2C", None, ("NPI0A1B2C",), "HP",
         ("2022-04-11T13:07:52", "2032-04-08T13:07:52"), sends=(), device=True),
]


def _key(kind: str) -> cf.Key:
    return cf.ec_key("secp256r1") if kind == "p256" else cf.rsa_key(int(kind[3:]))


def device_leaf(workdir: Path, leaf: Leaf) -> cf.Issued:
    """A printer's own self-signed certificate: subject ``CN=<host name>,O=<vendor>`` (no
    country), SAN the host name, no BasicConstraints, usage for TLS server and client."""
    key = _key(leaf.key)
    subject = cf.name(leaf.cn, leaf.org, None)
    ku = x509.KeyUsage(digital_signature=True, content_commitment=False,
                       key_encipherment=True, data_encipherment=False, key_agreement=False,
                       key_cert_sign=False, crl_sign=False, encipher_only=False,
                       decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(day(leaf.valid[0])).not_valid_after(day(leaf.valid[1]))
            .add_extension(ku, True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in leaf.dns]),
                           False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256()))
    cert_path = workdir / f"{leaf.label}.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cf.Issued(cert, key, cert_path, workdir / f"{leaf.label}.key")


def make_leaf(factory: cf.Factory, leaf: Leaf, made: dict[str, cf.Issued]) -> cf.Issued:
    """One server certificate; ``made`` holds its issuer."""
    start, end = day(leaf.valid[0]), day(leaf.valid[1])
    if leaf.device:
        return device_leaf(factory.workdir, leaf)
    if leaf.openssl_req:
        return factory.ca(leaf.label, cf.name(leaf.cn, None, None), key=_key(leaf.key),
                          not_before=start, not_after=end, key_usage=False)
    return factory.leaf(leaf.label, leaf.cn, made[leaf.issuer] if leaf.issuer else None,
                        dns=list(leaf.dns), key=_key(leaf.key), not_before=start,
                        not_after=end, digest=leaf.digest, org=leaf.org)


def make(workdir: Path) -> dict[str, cf.Issued]:
    """Every certificate, by label."""
    factory = cf.Factory(workdir)
    made: dict[str, cf.Issued] = {}
    for label, cn, org, issuer, (start, end) in CAS:
        made[label] = factory.ca(label, cf.name(cn, org), made[issuer] if issuer else None,
                                 not_before=day(start), not_after=day(end))
    for leaf in LEAVES:
        made[leaf.label] = make_leaf(factory, leaf, made)
    return made


def verdict(workdir: Path, leaf: Leaf, made: dict[str, cf.Issued],
            trusted: Path) -> dict[str, object]:
    """``openssl verify`` of one leaf with what its server sends, at both window ends."""
    rest = [made[label] for label in leaf.sends]
    untrusted = cf.bundle(workdir, f"{leaf.label}-sent", rest) if rest else None
    found = {when: cf.openssl_verify(made[leaf.label], trusted, untrusted, when)
             for when in WINDOW}
    if len(set(found.values())) != 1:
        raise SystemExit(f"{leaf.label}: verdict changes inside the window: {found}")
    first = found[WINDOW[0]]
    return {
        "sent": [f"{label}.pem" for label in (leaf.label, *leaf.sends)],
        "openssl_code": first.code, "openssl_depth": first.depth,
        "openssl_message": first.message,
        "validation_status": cf.zeek_status(first),
    }


def verdicts(workdir: Path, made: dict[str, cf.Issued]) -> dict[str, dict[str, object]]:
    """The verdict of every leaf."""
    return {leaf.label: verdict(workdir, leaf, made, made[ROOT_LABEL].cert_path)
            for leaf in LEAVES}


def openssl_version() -> str:
    return subprocess.run([cf.OPENSSL, "version"], capture_output=True, text=True,
                          check=True).stdout.strip()


def write_pem(label: str, issued: cf.Issued) -> None:
    (CERTS / f"{label}.pem").write_bytes(issued.cert.public_bytes(serialization.Encoding.PEM))


def add_only(parser: argparse.ArgumentParser, labels: list[str],
             force: bool) -> dict[str, dict[str, object]]:
    """Make just these self-signed leaves and add their verdicts to ``verdicts.json``."""
    by_label = {leaf.label: leaf for leaf in LEAVES}
    record_path = CERTS / "verdicts.json"
    for label in labels:
        leaf = by_label.get(label)
        if leaf is None:
            parser.error(f"--only {label}: no such server certificate "
                         f"(one of {', '.join(sorted(by_label))})")
        if leaf.issuer is not None or leaf.sends:
            parser.error(f"--only {label}: issued by {leaf.issuer}, whose key was thrown away;"
                         " only self-signed certificates can be made alone")
        if (CERTS / f"{label}.pem").exists() and not force:
            parser.error(f"--only {label}: {CERTS / label}.pem exists; --force replaces it")
    if not record_path.exists():
        parser.error(f"{record_path} is missing: make every certificate first")
    record = json.loads(record_path.read_text())
    if record["openssl"] != openssl_version():
        parser.error(f"verdicts.json was made with {record['openssl']}, this is "
                     f"{openssl_version()}: remake every certificate instead")
    chains: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        factory = cf.Factory(workdir)
        for label in dict.fromkeys(labels):
            made = {label: make_leaf(factory, by_label[label], {})}
            chains[label] = verdict(workdir, by_label[label], made,
                                    CERTS / f"{ROOT_LABEL}.pem")
            write_pem(label, made[label])
    record["chains"] |= chains
    record_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return chains


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true",
                        help="replace the existing certificates (new keys, new fingerprints)")
    parser.add_argument("--only", metavar="LABEL", action="append",
                        help="make only this self-signed server certificate and add its "
                             "verdict; leave every other one alone (repeatable)")
    args = parser.parse_args(argv)
    if args.only:
        for label, chain in add_only(parser, args.only, args.force).items():
            print(f"{label:22} {chain['validation_status']}")
        return 0
    if any(CERTS.glob("*.pem")) and not args.force:
        parser.error(f"{CERTS} already holds certificates; --force replaces them")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        made = make(workdir)
        chains = verdicts(workdir, made)
        CERTS.mkdir(exist_ok=True)
        for old in CERTS.glob("*.pem"):
            old.unlink()
        for label, issued in sorted(made.items()):
            write_pem(label, issued)
    record = {
        "openssl": openssl_version(),
        "trust_store": [f"{ROOT_LABEL}.pem"],
        "checked_at": [w.strftime("%Y-%m-%dT%H:%M:%SZ") for w in WINDOW],
        "chains": chains,
    }
    (CERTS / "verdicts.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    for label, chain in chains.items():
        print(f"{label:22} {chain['validation_status']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
