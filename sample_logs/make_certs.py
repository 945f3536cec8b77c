"""Make the sample's certificates, once: real keys, real signatures, real openssl verdicts.

Writes the PEM certificates (never the private keys, which stay in a temporary folder and
are thrown away) to ``sample_logs/certs/`` and, for every chain a server sends,
``openssl verify -attime`` at the start and at the end of the window into
``certs/verdicts.json``. It stops if a verdict changes inside the window: every date is
chosen so that nothing expires or becomes valid between 2026-11-25 and 2026-11-28.

    python sample_logs/make_certs.py [--force]

Keys are random, so a new run gives new certificates and fingerprints; run
``generate.py`` after it. Without ``--force`` it refuses to replace existing certificates.
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

from cryptography.hazmat.primitives import serialization

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
]


def _key(kind: str) -> cf.Key:
    return cf.ec_key("secp256r1") if kind == "p256" else cf.rsa_key(int(kind[3:]))


def make(workdir: Path) -> dict[str, cf.Issued]:
    """Every certificate, by label."""
    factory = cf.Factory(workdir)
    made: dict[str, cf.Issued] = {}
    for label, cn, org, issuer, (start, end) in CAS:
        made[label] = factory.ca(label, cf.name(cn, org), made[issuer] if issuer else None,
                                 not_before=day(start), not_after=day(end))
    for leaf in LEAVES:
        start, end = day(leaf.valid[0]), day(leaf.valid[1])
        if leaf.openssl_req:
            made[leaf.label] = factory.ca(leaf.label, cf.name(leaf.cn, None, None),
                                          key=_key(leaf.key), not_before=start,
                                          not_after=end, key_usage=False)
            continue
        made[leaf.label] = factory.leaf(
            leaf.label, leaf.cn, made[leaf.issuer] if leaf.issuer else None,
            dns=list(leaf.dns), key=_key(leaf.key), not_before=start, not_after=end,
            digest=leaf.digest, org=leaf.org)
    return made


def verdicts(workdir: Path, made: dict[str, cf.Issued]) -> dict[str, dict[str, object]]:
    """``openssl verify`` of every leaf with what its server sends, at both window ends."""
    out: dict[str, dict[str, object]] = {}
    for leaf in LEAVES:
        rest = [made[label] for label in leaf.sends]
        untrusted = cf.bundle(workdir, f"{leaf.label}-sent", rest) if rest else None
        found = {when: cf.openssl_verify(made[leaf.label], made[ROOT_LABEL].cert_path,
                                         untrusted, when) for when in WINDOW}
        if len(set(found.values())) != 1:
            raise SystemExit(f"{leaf.label}: verdict changes inside the window: {found}")
        verdict = found[WINDOW[0]]
        out[leaf.label] = {
            "sent": [f"{label}.pem" for label in (leaf.label, *leaf.sends)],
            "openssl_code": verdict.code, "openssl_depth": verdict.depth,
            "openssl_message": verdict.message,
            "validation_status": cf.zeek_status(verdict),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true",
                        help="replace the existing certificates (new keys, new fingerprints)")
    args = parser.parse_args(argv)
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
            pem = issued.cert.public_bytes(serialization.Encoding.PEM)
            (CERTS / f"{label}.pem").write_bytes(pem)
    version = subprocess.run([cf.OPENSSL, "version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    record = {
        "openssl": version,
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
