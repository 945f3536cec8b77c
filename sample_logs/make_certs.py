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
``--only`` makes just the named server certificates and adds their verdicts to
``verdicts.json``: every other certificate and verdict stays byte for byte as it is. A
self-signed one can be made alone, and so can a leaf of a per-server CA (``Recipe.ca``),
which is made again with it; one issued by the shared CAs cannot (their keys were thrown
away).

``RECIPES`` are the simulated command-and-control servers and the vendor default: each is
made to its tool's recipe (the DN attribute by attribute in its order, the serial, the
validity, who signs it), as ``zeekcert/hunting/catalogue.toml`` documents each tool.
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
from c2certs import dn  # noqa: E402

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


@dataclass(frozen=True)
class Recipe:
    """A certificate made to a tool's recipe: its DN as (attribute, value) pairs in ASN.1
    order, its serial, validity and extensions; ``ca``, if set, is a per-server CA made
    with it (its own subject pairs), as a C2 framework makes one when it first starts."""

    label: str
    subject: tuple[tuple[str, str], ...]
    valid: tuple[str, str]
    serial: int | None = None  # None: random, as most tools do
    dns: tuple[str, ...] = ()
    ca: tuple[tuple[str, str], ...] | None = None  # None: self-signed
    ca_valid: tuple[str, str] | None = None
    basic_ca: bool | None = None  # BasicConstraints CA flag; None: no such extension
    sends: tuple[str, ...] = ()  # what the server sends after its leaf: nothing

    @property
    def ca_label(self) -> str | None:
        return f"{self.label}-ca" if self.ca else None


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

# The simulated command-and-control servers and an internal appliance's vendor default.
RECIPES = [
    # Cobalt Strike's default keystore, as its team server ships it: the DN, serial
    # 0x8BB00EE (146473198) and keytool's 90 days, which ended in 2015.
    Recipe("cobalt-strike", (("C", "Earth"), ("ST", "Cyberspace"), ("L", "Somewhere"),
                             ("O", "cobaltstrike"), ("OU", "AdvancedPenTesting"),
                             ("CN", "Major Cobalt Strike")),
           ("2015-05-20T18:26:24", "2015-08-18T18:26:24"), serial=0x8BB00EE),
    # Sliver's HTTPS listener: a subject from its generator (C=US, a state and one of its
    # cities, a postal code, an organisation with a legal suffix, the host as CN), valid
    # exactly 3 x 365 days from a random day of the past year, signed by the per-server
    # CA its server generated at first start (Go writes C, ST, L, postalCode, O, CN).
    Recipe("sliver-https", (("C", "US"), ("ST", "Washington"), ("L", "Tacoma"),
                            ("POSTALCODE", "4417"), ("O", "Partners Inc"),
                            ("CN", "assets.cdn-update.example")),
           ("2026-04-19T06:31:08", "2029-04-18T06:31:08"), dns=("assets.cdn-update.example",),
           ca=(("C", "US"), ("ST", "Colorado"), ("L", "Boulder"), ("POSTALCODE", "5123"),
               ("O", "cloud corp")),
           ca_valid=("2026-03-02T11:52:40", "2029-03-01T11:52:40"), basic_ca=False),
    # A new server made three days before the first connection to it, like `openssl req
    # -x509 -days 365 -subj /CN=<name> -addext subjectAltName=DNS:<name>`, under a
    # generated-looking name.
    Recipe("fresh-self-signed", (("CN", "www.kq7vzxb2mtw.example"),),
           ("2026-11-22T03:12:40", "2027-11-22T03:12:40"), dns=("www.kq7vzxb2mtw.example",),
           basic_ca=True),
    # ingress-nginx's fake certificate, made at the controller's start (one year), served
    # for a host that has no TLS secret of its own.
    Recipe("ingress-fake", (("O", "Acme Co"),
                            ("CN", "Kubernetes Ingress Controller Fake Certificate")),
           ("2026-10-02T07:45:19", "2027-10-02T07:45:19"), dns=("ingress.local",),
           basic_ca=True),
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


def _signed(workdir: Path, label: str, subject: x509.Name, issuer: cf.Issued | None,
            valid: tuple[str, str], serial: int | None, dns: tuple[str, ...],
            basic_ca: bool | None) -> cf.Issued:
    key = cf.rsa_key()
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer.cert.subject if issuer else subject)
               .public_key(key.public_key())
               .serial_number(serial or x509.random_serial_number())
               .not_valid_before(day(valid[0])).not_valid_after(day(valid[1]))
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              False))
    if basic_ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=basic_ca, path_length=None),
                                        True)
    if dns:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(d) for d in dns]), False)
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    cert_path = workdir / f"{label}.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cf.Issued(cert, key, cert_path, workdir / f"{label}.key")


def make_recipe(workdir: Path, recipe: Recipe, made: dict[str, cf.Issued]) -> cf.Issued:
    """A tool's certificate, and its per-server CA first (into ``made``) if it has one."""
    issuer = None
    if recipe.ca and recipe.ca_label and recipe.ca_valid:
        issuer = _signed(workdir, recipe.ca_label, dn(*recipe.ca), None, recipe.ca_valid,
                         None, (), True)
        made[recipe.ca_label] = issuer
    return _signed(workdir, recipe.label, dn(*recipe.subject), issuer, recipe.valid,
                   recipe.serial, recipe.dns, recipe.basic_ca)


def make(workdir: Path) -> dict[str, cf.Issued]:
    """Every certificate, by label."""
    factory = cf.Factory(workdir)
    made: dict[str, cf.Issued] = {}
    for label, cn, org, issuer, (start, end) in CAS:
        made[label] = factory.ca(label, cf.name(cn, org), made[issuer] if issuer else None,
                                 not_before=day(start), not_after=day(end))
    for leaf in LEAVES:
        made[leaf.label] = make_leaf(factory, leaf, made)
    for recipe in RECIPES:
        made[recipe.label] = make_recipe(workdir, recipe, made)
    return made


def verdict(workdir: Path, leaf: Leaf | Recipe, made: dict[str, cf.Issued],
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
            for leaf in [*LEAVES, *RECIPES]}


def openssl_version() -> str:
    return subprocess.run([cf.OPENSSL, "version"], capture_output=True, text=True,
                          check=True).stdout.strip()


def write_pem(label: str, issued: cf.Issued) -> None:
    (CERTS / f"{label}.pem").write_bytes(issued.cert.public_bytes(serialization.Encoding.PEM))


def add_only(parser: argparse.ArgumentParser, labels: list[str],
             force: bool) -> dict[str, dict[str, object]]:
    """Make just these leaves (self-signed, or with their own CA) and add their verdicts
    to ``verdicts.json``."""
    by_label: dict[str, Leaf | Recipe] = {leaf.label: leaf for leaf in [*LEAVES, *RECIPES]}
    record_path = CERTS / "verdicts.json"
    for label in labels:
        leaf = by_label.get(label)
        if leaf is None:
            parser.error(f"--only {label}: no such server certificate "
                         f"(one of {', '.join(sorted(by_label))})")
        if isinstance(leaf, Leaf) and (leaf.issuer is not None or leaf.sends):
            parser.error(f"--only {label}: issued by {leaf.issuer}, whose key was thrown away;"
                         " only self-signed certificates or those of their own CA can be "
                         "made alone")
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
            leaf, made = by_label[label], {}
            made[label] = (make_recipe(workdir, leaf, made) if isinstance(leaf, Recipe)
                           else make_leaf(factory, leaf, {}))
            chains[label] = verdict(workdir, leaf, made, CERTS / f"{ROOT_LABEL}.pem")
            for made_label, issued in made.items():
                write_pem(made_label, issued)
    record["chains"] |= chains
    record_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return chains


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true",
                        help="replace the existing certificates (new keys, new fingerprints)")
    parser.add_argument("--only", metavar="LABEL", action="append",
                        help="make only this server certificate (self-signed, or with its "
                             "own CA) and add its verdict; leave every other one alone "
                             "(repeatable)")
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
