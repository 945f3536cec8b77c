"""The classifier on real certificates: a private PKI made with ``cryptography``, SHA-1 and
MD5 signatures made by ``openssl``, ``validation_status`` taken from ``openssl verify`` at
the connection's time, all written as Zeek 6.x ssl.log and x509.log files (and, in a second
folder, notice.log) and loaded back with ``zeekcert.load``.

Every connection happens at ``CONN_TIME``; ``classify`` is given a different ``now``, so
a verdict taken at "now" instead of at ``ts`` would show. Expected causes and evidence are
written out per case; the chain errors are also checked against ``openssl verify``'s error
codes, mapped here independently of ``zeekcert.classification.validation_status``.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import certfactory as cf
import pandas as pd
import pytest
from cryptography import x509

import zeekcert
from zeekcert.classification import hostname

# No skip: the openssl command line (for SHA-1/MD5 signatures and `openssl verify`) is
# part of the test environment, like the cryptography package in the test extra.
assert shutil.which("openssl"), "the openssl command line is needed by these tests"

CONN_TIME = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 1, tzinfo=UTC)  # not the connection time, on purpose
EXPIRED = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
NOT_YET = (datetime(2026, 7, 1, tzinfo=UTC), datetime(2027, 7, 1, tzinfo=UTC))
# openssl verify error code -> cause, written from OpenSSL's x509_vfy.h, not from zeekcert.
OPENSSL_CODE_CAUSE = {18: "self_signed", 19: "untrusted_root", 20: "incomplete_chain",
                      2: "incomplete_chain", 21: "incomplete_chain", 10: "expired",
                      9: "not_yet_valid", 7: "invalid_signature"}


@dataclass(frozen=True)
class Case:
    """One connection: the certificate, what else the server sent, and what we expect."""

    name: str
    leaf: cf.Issued | None
    sent: tuple[cf.Issued, ...]
    server_name: str | None
    causes: list[str]
    evidence: list[str]
    primary: str
    sni_matches_cert: bool | None = None
    status: str | None = None  # set to override what openssl verify says
    verdict: cf.Verdict | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Pki:
    factory: cf.Factory
    root: cf.Issued
    inter: cf.Issued
    ec_inter: cf.Issued
    private_root: cf.Issued
    trusted: Path


def _pki(workdir: Path) -> Pki:
    f = cf.Factory(workdir)
    root = f.ca("root", cf.name("Zeekcert Test Root CA"))
    inter = f.ca("inter", cf.name("Zeekcert Test Intermediate CA"), issuer=root)
    ec_inter = f.ca("ec-inter", cf.name("Zeekcert Test EC CA"), issuer=root,
                    key=cf.ec_key("secp256r1"))
    private = f.ca("private-root", cf.name("Private Root CA", org="Private Labs"))
    return Pki(f, root, inter, ec_inter, private, cf.bundle(workdir, "trusted", [root]))


def _ok(name: str, leaf: cf.Issued, sent: tuple[cf.Issued, ...], sni: str | None,
        **kw: object) -> Case:
    return Case(name, leaf, sent, sni, [], [], "valid", **kw)  # type: ignore[arg-type]


def _policy_only(name: str, cause: str, leaf: cf.Issued, sent: tuple[cf.Issued, ...],
                 sni: str | None) -> Case:
    return Case(name, leaf, sent, sni, [cause], [f"{cause}:policy"], cause)


def _status_and_policy(name: str, cause: str, leaf: cf.Issued, sent: tuple[cf.Issued, ...],
                       sni: str | None) -> Case:
    return Case(name, leaf, sent, sni, [cause], [f"{cause}:zeek_status", f"{cause}:policy"],
                cause)


def _status_only(name: str, cause: str, leaf: cf.Issued, sent: tuple[cf.Issued, ...],
                 sni: str | None, status: str | None = None) -> Case:
    return Case(name, leaf, sent, sni, [cause], [f"{cause}:zeek_status"], cause, status=status)


def _validity_cases(p: Pki) -> list[Case]:
    f, i = p.factory, (p.inter,)
    www = f.leaf("www", "www.example.com", p.inter, dns=["www.example.com", "example.com"])
    appliance = f.leaf("appliance", "appliance.example.com", None)
    expired = f.leaf("expired", "old.example.com", p.inter, not_before=EXPIRED[0],
                     not_after=EXPIRED[1])
    early = f.leaf("early", "new.example.com", p.inter, not_before=NOT_YET[0],
                   not_after=NOT_YET[1])
    sink = f.leaf("kitchen-sink", "sink.example.com", None, key=cf.rsa_key(1024),
                  not_before=EXPIRED[0], not_after=EXPIRED[1], digest="sha1")
    hour = timedelta(hours=1)
    just_expired = f.leaf("just-expired", "late.example.com", p.inter,
                          not_before=EXPIRED[0], not_after=CONN_TIME - hour)
    almost_valid = f.leaf("almost-valid", "soon.example.com", p.inter,
                          not_before=CONN_TIME + hour, not_after=NOT_YET[1])
    decade = f.leaf("decade", "decade.example.com", p.inter, not_after=cf.CA_TO)
    return [
        _ok("valid", www, i, "www.example.com"),
        _ok("valid_upper_case_sni", www, i, "WWW.Example.COM"),
        _status_and_policy("self_signed", "self_signed", appliance, (), "appliance.example.com"),
        _status_and_policy("expired", "expired", expired, i, "old.example.com"),
        _status_and_policy("not_yet_valid", "not_yet_valid", early, i, "new.example.com"),
        Case("kitchen_sink", sink, (), "sink.example.com",
             ["expired", "self_signed", "weak_key", "weak_signature"],
             ["expired:policy", "self_signed:zeek_status", "self_signed:policy",
              "weak_key:policy", "weak_signature:policy"], "self_signed"),
        _status_and_policy("expired_an_hour_ago", "expired", just_expired, i, "late.example.com"),
        _status_and_policy("valid_in_an_hour", "not_yet_valid", almost_valid, i,
                           "soon.example.com"),
        _ok("ten_year_validity", decade, i, "decade.example.com"),
    ]


def _hostname_cases(p: Pki) -> list[Case]:
    f, i, mm = p.factory, (p.inter,), "hostname_mismatch"
    www = f.leaf("www-2", "www.example.com", p.inter)
    wild = f.leaf("wildcard", "*.example.com", p.inter)
    legacy = f.leaf("cn-only", "legacy.example.com", p.inter, dns=(), org="Legacy, Inc")
    mixed = f.leaf("cn-and-san", "cn.example.com", p.inter, dns=["www2.example.com"])
    device = f.leaf("ip-san", "device", p.inter, dns=(), ips=["192.0.2.10"])
    return [
        _policy_only("wrong_name", mm, www, i, "mail.example.org"),
        Case("wrong_name_zeek_says_F", www, i, "mail.example.org", [mm], [f"{mm}:zeek_status"],
             mm, sni_matches_cert=False),
        _ok("wrong_name_zeek_says_T", www, i, "mail.example.org", sni_matches_cert=True),
        _ok("no_sni", www, i, None),
        _ok("wildcard_one_label", wild, i, "a.example.com"),
        _policy_only("wildcard_two_labels", mm, wild, i, "a.b.example.com"),
        _policy_only("wildcard_bare_domain", mm, wild, i, "example.com"),
        _ok("cn_only_match", legacy, i, "legacy.example.com"),
        _policy_only("cn_only_mismatch", mm, legacy, i, "other.example.com"),
        _policy_only("cn_ignored_when_san", mm, mixed, i, "cn.example.com"),
        _ok("san_beside_cn", mixed, i, "www2.example.com"),
        _ok("ip_san_match", device, i, "192.0.2.10"),
        _policy_only("ip_san_mismatch", mm, device, i, "192.0.2.11"),
    ]


def _key_and_signature_cases(p: Pki) -> list[Case]:
    f, i = p.factory, (p.inter,)
    rsa1024 = f.leaf("rsa1024", "small.example.com", p.inter, key=cf.rsa_key(1024))
    p256 = f.leaf("p256", "ec.example.com", p.ec_inter, key=cf.ec_key("secp256r1"))
    p192 = f.leaf("p192", "ec192.example.com", p.inter, key=cf.ec_key("secp192r1"))
    sha1 = f.leaf("sha1", "sha1.example.com", p.inter, digest="sha1")
    md5 = f.leaf("md5", "md5.example.com", p.inter, digest="md5")
    return [
        _policy_only("rsa_1024", "weak_key", rsa1024, i, "small.example.com"),
        _ok("ec_p256", p256, (p.ec_inter,), "ec.example.com"),
        _policy_only("ec_p192", "weak_key", p192, i, "ec192.example.com"),
        _policy_only("sha1_signature", "weak_signature", sha1, i, "sha1.example.com"),
        _policy_only("md5_signature", "weak_signature", md5, i, "md5.example.com"),
    ]


def _chain_cases(p: Pki) -> list[Case]:
    f = p.factory
    shop = f.leaf("shop", "shop.example.com", p.inter)
    intranet = f.leaf("intranet", "intranet.example.com", p.private_root)
    old_ca = f.ca("expired-inter", cf.name("Zeekcert Old Intermediate CA"), issuer=p.root,
                  not_before=datetime(2016, 1, 1, tzinfo=UTC), not_after=EXPIRED[1])
    under_old = f.leaf("under-old-ca", "legacy-chain.example.com", old_ca)
    forged = f.leaf("forged", "forged.example.com", p.inter, forged_by=cf.rsa_key())
    return [
        _status_only("missing_intermediate", "incomplete_chain", shop, (), "shop.example.com"),
        _status_only("private_ca_root_not_sent", "incomplete_chain", intranet, (),
                     "intranet.example.com"),
        _status_only("untrusted_root_sent", "untrusted_root", intranet, (p.private_root,),
                     "intranet.example.com"),
        _status_only("untrusted_root_openssl_1_1_wording", "untrusted_root", intranet,
                     (p.private_root,), "intranet.example.com",
                     status="self signed certificate in certificate chain"),
        _status_only("expired_intermediate", "expired", under_old, (old_ca,),
                     "legacy-chain.example.com"),
        _status_only("bad_signature", "invalid_signature", forged, (p.inter,),
                     "forged.example.com"),
    ]


def _unverified_cases() -> list[Case]:
    return [Case("tls13_no_certificate", None, (), "hidden.example.com", [], [], "unverified")]


def _with_verdict(case: Case, p: Pki, workdir: Path) -> Case:
    if case.leaf is None:
        return case
    sent = cf.bundle(workdir, f"sent-{case.name}", case.sent) if case.sent else None
    verdict = cf.openssl_verify(case.leaf, p.trusted, sent, CONN_TIME)
    return replace(case, verdict=verdict, status=case.status or cf.zeek_status(verdict))


def _connection(index: int, case: Case) -> cf.Connection:
    chain = (case.leaf, *case.sent) if case.leaf else ()
    return cf.Connection(uid=_uid(index), ts=CONN_TIME + timedelta(seconds=index),
                         resp_h=f"198.51.100.{index + 1}", server_name=case.server_name,
                         chain=chain, validation_status=case.status,
                         sni_matches_cert=case.sni_matches_cert, orig_p=50000 + index,
                         version="TLSv13" if case.leaf is None else "TLSv12")


def _uid(index: int) -> str:
    return f"Ccert{index:013d}"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return _pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def cases(pki: Pki) -> dict[str, Case]:
    made = (_validity_cases(pki) + _hostname_cases(pki) + _key_and_signature_cases(pki)
            + _chain_cases(pki) + _unverified_cases())
    return {c.name: _with_verdict(c, pki, pki.factory.workdir) for c in made}


@pytest.fixture(scope="module")
def logdir(cases: dict[str, Case], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("zeek-logs")
    cf.write_logs(folder, [_connection(i, c) for i, c in enumerate(cases.values())])
    return folder


@pytest.fixture(scope="module")
def classified(logdir: Path) -> dict[str, dict[str, object]]:
    """The classifier's row per case name, with the default policy."""
    return _classify(logdir, zeekcert.Policy())


ALL = [
    "valid", "valid_upper_case_sni", "self_signed", "expired", "not_yet_valid", "kitchen_sink",
    "expired_an_hour_ago", "valid_in_an_hour", "ten_year_validity",
    "wrong_name", "wrong_name_zeek_says_F", "wrong_name_zeek_says_T", "no_sni",
    "wildcard_one_label", "wildcard_two_labels", "wildcard_bare_domain", "cn_only_match",
    "cn_only_mismatch", "cn_ignored_when_san", "san_beside_cn", "ip_san_match",
    "ip_san_mismatch", "rsa_1024", "ec_p256", "ec_p192", "sha1_signature", "md5_signature",
    "missing_intermediate", "private_ca_root_not_sent", "untrusted_root_sent",
    "untrusted_root_openssl_1_1_wording", "expired_intermediate", "bad_signature",
    "tls13_no_certificate",
]
# What openssl verify (OpenSSL 3) says at CONN_TIME, and what Zeek >= 4.2 logs for it.
EXPECTED_STATUS = {
    "self_signed": "self signed certificate", "kitchen_sink": "self signed certificate",
    "expired": "certificate has expired", "not_yet_valid": "certificate is not yet valid",
    "missing_intermediate": "unable to get local issuer certificate",
    "private_ca_root_not_sent": "unable to get local issuer certificate",
    "untrusted_root_sent": "self-signed certificate in certificate chain",
    "untrusted_root_openssl_1_1_wording": "self signed certificate in certificate chain",
    "expired_an_hour_ago": "certificate has expired",
    "valid_in_an_hour": "certificate is not yet valid",
    "expired_intermediate": "certificate has expired",
    "bad_signature": "certificate signature failure",
    "tls13_no_certificate": None,
}
CHAIN_CASES = ["self_signed", "missing_intermediate", "private_ca_root_not_sent",
               "untrusted_root_sent", "expired_intermediate", "bad_signature"]


def _as_list(value: object) -> list[str]:
    return [] if value is None else [str(v) for v in value]  # type: ignore[attr-defined]


def test_every_case_is_listed(cases: dict[str, Case]) -> None:
    assert list(cases) == ALL


@pytest.mark.parametrize("name", ALL)
def test_validation_status_is_what_openssl_says(name: str, cases: dict[str, Case]) -> None:
    assert cases[name].status == EXPECTED_STATUS.get(name, "ok")


@pytest.mark.parametrize("name", ALL)
def test_causes(name: str, cases: dict[str, Case], classified: dict) -> None:
    assert _as_list(classified[name]["causes"]) == cases[name].causes


@pytest.mark.parametrize("name", ALL)
def test_evidence(name: str, cases: dict[str, Case], classified: dict) -> None:
    assert sorted(_as_list(classified[name]["evidence"])) == sorted(cases[name].evidence)


@pytest.mark.parametrize("name", ALL)
def test_primary_cause(name: str, cases: dict[str, Case], classified: dict) -> None:
    assert classified[name]["primary_cause"] == cases[name].primary


@pytest.mark.parametrize("name", CHAIN_CASES)
def test_chain_verdict_matches_openssl_verify(name: str, cases: dict[str, Case],
                                              classified: dict) -> None:
    verdict = cases[name].verdict
    assert verdict is not None and verdict.code in OPENSSL_CODE_CAUSE
    from_status = [e.split(":")[0] for e in _as_list(classified[name]["evidence"])
                   if e.endswith(":zeek_status")]
    assert from_status == [OPENSSL_CODE_CAUSE[verdict.code]]


def test_openssl_error_codes_and_depths(cases: dict[str, Case]) -> None:
    got = {n: (cases[n].verdict.code, cases[n].verdict.depth)  # type: ignore[union-attr]
           for n in [*CHAIN_CASES, "expired", "not_yet_valid", "kitchen_sink"]}
    assert got == {"self_signed": (18, 0), "missing_intermediate": (20, 0),
                   "private_ca_root_not_sent": (20, 0), "untrusted_root_sent": (19, 1),
                   "expired_intermediate": (10, 1), "bad_signature": (7, 0),
                   "expired": (10, 0), "not_yet_valid": (9, 0), "kitchen_sink": (18, 0)}


def test_unverified_reason(classified: dict) -> None:
    assert classified["tls13_no_certificate"]["unverified_reason"] == "tls13"
    assert pd.isna(classified["valid"]["unverified_reason"])
    assert pd.isna(classified["expired"]["unverified_reason"])


def test_kitchen_sink_certificate_columns(cases: dict[str, Case], classified: dict) -> None:
    row, leaf = classified["kitchen_sink"], cases["kitchen_sink"].leaf
    assert leaf is not None
    assert (row["fingerprint"], row["subject"], row["issuer"]) == (
        leaf.fingerprint, "CN=sink.example.com,O=Zeekcert Tests,C=US",
        "CN=sink.example.com,O=Zeekcert Tests,C=US")
    assert (row["key_type"], row["key_length"], row["sig_alg"]) == (
        "rsa", 1024, "sha1WithRSAEncryption")
    assert pd.Timestamp(row["not_valid_before"]) == pd.Timestamp("2025-01-01", tz="UTC")
    assert pd.Timestamp(row["not_valid_after"]) == pd.Timestamp("2026-01-01", tz="UTC")
    assert pd.Timestamp(row["ts"]) == pd.Timestamp(CONN_TIME) + pd.Timedelta(seconds=ALL.index("kitchen_sink"))


def test_ec_certificate_columns(classified: dict) -> None:
    got = [(classified[n]["key_type"], classified[n]["key_length"], classified[n]["sig_alg"])
           for n in ("ec_p256", "ec_p192")]
    assert got == [("ecdsa", 256, "ecdsa-with-SHA256"), ("ecdsa", 192, "sha256WithRSAEncryption")]


# --- the policy is what we set ----------------------------------------------------------


def _classify(logdir: Path, policy: zeekcert.Policy) -> dict[str, dict[str, object]]:
    """Load the logs, classify them at NOW, and key the rows by case name."""
    frame = zeekcert.classify(zeekcert.load(logdir), policy=policy, now=NOW)
    rows = frame.set_index("uid").to_dict("index")
    return {name: rows[_uid(i)] for i, name in enumerate(ALL)}


def _causes_of(rows: dict[str, dict[str, object]], names: list[str]) -> dict[str, list[str]]:
    return {n: _as_list(rows[n]["causes"]) for n in names}


LENIENT = zeekcert.Policy(min_rsa_bits=1024, min_ec_bits=192, weak_signature_hashes=("md5",))


def test_lenient_policy(logdir: Path) -> None:
    got = _causes_of(_classify(logdir, LENIENT), ["rsa_1024", "ec_p192", "sha1_signature",
                                                  "md5_signature", "kitchen_sink"])
    assert got == {"rsa_1024": [], "ec_p192": [], "sha1_signature": [],
                   "md5_signature": ["weak_signature"], "kitchen_sink": ["expired", "self_signed"]}


def test_strict_policy(logdir: Path) -> None:
    strict = zeekcert.Policy(min_rsa_bits=3072, min_ec_bits=384)
    got = _causes_of(_classify(logdir, strict), ["valid", "ec_p256", "rsa_1024"])
    assert got == {"valid": ["weak_key"], "ec_p256": ["weak_key"], "rsa_1024": ["weak_key"]}


def test_clock_tolerance_silences_only_our_own_check(logdir: Path) -> None:
    rows = _classify(logdir, zeekcert.Policy(clock_tolerance=timedelta(hours=2)))
    got = {n: sorted(_as_list(rows[n]["evidence"]))
           for n in ("expired_an_hour_ago", "valid_in_an_hour", "expired")}
    assert got == {"expired_an_hour_ago": ["expired:zeek_status"],
                   "valid_in_an_hour": ["not_yet_valid:zeek_status"],
                   "expired": ["expired:policy", "expired:zeek_status"]}


def test_max_validity_days(logdir: Path) -> None:
    rows = _classify(logdir, zeekcert.Policy(max_validity_days=398))
    got = {n: (_as_list(rows[n]["causes"]), _as_list(rows[n]["evidence"]))
           for n in ("ten_year_validity", "valid")}
    assert got == {"ten_year_validity": (["other"], ["other:policy"]), "valid": ([], [])}


def test_policy_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[policy]\nmin_rsa_bits = 1024\nmin_ec_bits = 192\n'
                    'weak_signature_hashes = ["MD5"]\nclock_tolerance = "2h"\n')
    assert zeekcert.Policy.from_toml(path) == replace(LENIENT, clock_tolerance=timedelta(hours=2))


# --- hostname.matches on the certificates' own names -------------------------------------


def _names(leaf: cf.Issued) -> tuple[list[str], list[str], str]:
    cert = leaf.cert
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns, ips = san.get_values_for_type(x509.DNSName), san.get_values_for_type(x509.IPAddress)
    except x509.ExtensionNotFound:
        dns, ips = [], []
    cn = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
    return dns, [str(i) for i in ips], str(cn)


HOSTNAME_CASES = [n for n in ALL if n.startswith(("valid", "wrong_name", "wildcard", "cn_",
                                                  "san_", "ip_san"))
                  and not n.startswith(("wrong_name_zeek", "valid_in"))]


@pytest.mark.parametrize("name", HOSTNAME_CASES)
def test_hostname_matches_on_certificate_names(name: str, cases: dict[str, Case]) -> None:
    case = cases[name]
    assert case.leaf is not None and case.server_name is not None
    covered = hostname.matches(case.server_name, *_names(case.leaf))
    assert covered == ("hostname_mismatch" not in case.causes)


def test_hostname_cases_cover_the_wildcard_rules() -> None:
    assert HOSTNAME_CASES == [
        "valid", "valid_upper_case_sni", "wrong_name", "wildcard_one_label",
        "wildcard_two_labels", "wildcard_bare_domain", "cn_only_match", "cn_only_mismatch",
        "cn_ignored_when_san", "san_beside_cn", "ip_san_match", "ip_san_mismatch"]


@pytest.mark.parametrize(("sni", "dns", "ips", "cn", "expected"), [
    ("bücher.example", ["xn--bcher-kva.example"], [], None, True),  # IDNA, A-label form
    ("WWW.EXAMPLE.COM.", ["www.example.com"], [], None, True),  # case, trailing dot
    ("a.example.co.uk", ["*.co.uk"], [], None, False),  # wildcard over a public suffix
    ("a.example.com", ["a*.example.com"], [], None, False),  # partial-label wildcard
    ("2001:db8::1", [], ["2001:db8:0:0::1"], None, True),  # IPv6 compared as addresses
    ("192.0.2.20", ["192.0.2.20"], [], None, False),  # an IP is never a dNSName
])
def test_hostname_matches_rules(sni: str, dns: list[str], ips: list[str], cn: str | None,
                                expected: bool) -> None:
    assert hostname.matches(sni, dns, ips, cn) is expected


def test_hostname_matches_takes_loaded_x509_values(logdir: Path, cases: dict[str, Case]) -> None:
    x509_log = zeekcert.load(logdir).x509.set_index("fingerprint")
    row = x509_log.loc[cases["valid"].leaf.fingerprint]  # type: ignore[union-attr]
    got = [hostname.matches(sni, row["san.dns"], row["san.ip"], None)
           for sni in ("example.com", "www.example.com", "mail.example.com")]
    assert got == [True, True, False]


# --- the factory writes what Zeek would --------------------------------------------------


def _openssl_x509(leaf: cf.Issued) -> dict[str, str]:
    out = subprocess.run([cf.OPENSSL, "x509", "-noout", "-nameopt", "RFC2253", "-subject",
                          "-issuer", "-serial", "-fingerprint", "-sha256", "-in",
                          str(leaf.cert_path)], capture_output=True, text=True, check=True)
    fields = dict(line.split("=", 1) for line in out.stdout.splitlines())
    text = subprocess.run([cf.OPENSSL, "x509", "-noout", "-text", "-in", str(leaf.cert_path)],
                          capture_output=True, text=True, check=True).stdout
    fields["sig_alg"] = text.split("Signature Algorithm: ")[1].split()[0]
    fields["key_alg"] = text.split("Public Key Algorithm: ")[1].split()[0]
    fields["bits"] = text.split("Public-Key: (")[1].split()[0]
    return fields


@pytest.mark.parametrize("name", ["kitchen_sink", "cn_only_match", "ec_p192", "ec_p256",
                                  "md5_signature", "ip_san_match"])
def test_x509_row_agrees_with_openssl(name: str, cases: dict[str, Case]) -> None:
    leaf = cases[name].leaf
    assert leaf is not None
    row, ref = cf.x509_row(leaf, CONN_TIME), _openssl_x509(leaf)
    ours = (row["certificate.subject"], row["certificate.issuer"], row["certificate.serial"],
            row["fingerprint"], row["certificate.sig_alg"], row["certificate.key_alg"])
    theirs = (ref["subject"], ref["issuer"], ref["serial"],
              ref["sha256 Fingerprint"].replace(":", "").lower(), ref["sig_alg"], ref["key_alg"])
    assert ours == theirs
    # OpenSSL prints the field size; Zeek logs the group order's bits (equal on these curves).
    assert str(row["certificate.key_length"]) == ref["bits"]


def test_x509_log_escapes_and_round_trips(logdir: Path, cases: dict[str, Case]) -> None:
    legacy = cases["cn_only_match"].leaf
    assert legacy is not None
    assert "CN=legacy.example.com,O=Legacy\\\\, Inc,C=US" in (logdir / "x509.log").read_text()
    row = zeekcert.load(logdir).x509.set_index("fingerprint").loc[legacy.fingerprint]
    assert row["certificate.subject"] == "CN=legacy.example.com,O=Legacy\\, Inc,C=US"
    assert (pd.isna(row["san.dns"]), pd.isna(row["san.ip"]), row["basic_constraints.ca"]) == (
        True, True, False)


def _real_header(data_dir: Path, log: str) -> tuple[list[str], list[str]]:
    path = data_dir / "real/zed-sample-data/wrccdc2018-zeek-6.2.0-tsv" / f"{log}.log.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        meta = dict(line.rstrip("\n").split("\t", 1) for line in fh if line.startswith("#f")
                    or line.startswith("#t"))
    return meta["#fields"].split("\t"), meta["#types"].split("\t")


def test_written_headers_are_zeek_6_2s(data_dir: Path) -> None:
    assert _real_header(data_dir, "x509") == (cf.X509_FIELDS, cf.X509_TYPES)
    assert _real_header(data_dir, "ssl") == (cf.SSL_FIELDS, cf.SSL_TYPES)


# --- notices add evidence, not causes -----------------------------------------------------


def _notices(cases: dict[str, Case]) -> list[dict[str, object]]:
    conn = {n: _connection(i, c) for i, (n, c) in enumerate(cases.items())}
    subject = {n: c.leaf.cert.subject.rfc4514_string() for n, c in cases.items() if c.leaf}
    small = cases["rsa_1024"].leaf
    assert small is not None
    return [
        cf.notice_row(conn["self_signed"], "SSL::Invalid_Server_Cert",
                      "SSL certificate validation failed with (self signed certificate)",
                      sub=subject["self_signed"], suppress_hours=1),
        cf.notice_row(conn["untrusted_root_sent"], "SSL::Invalid_Server_Cert",
                      "SSL certificate validation failed with (self-signed certificate in "
                      "certificate chain)", sub=subject["untrusted_root_sent"], suppress_hours=1),
        cf.notice_row(conn["expired"], "SSL::Certificate_Expired",
                      f"Certificate {subject['expired']} expired at {cf.zeek_T(EXPIRED[1])}"),
        cf.notice_row(conn["not_yet_valid"], "SSL::Certificate_Not_Valid_Yet",
                      f"Certificate {subject['not_yet_valid']} isn't valid until "
                      f"{cf.zeek_T(NOT_YET[0])}"),
        cf.notice_row(conn["rsa_1024"], "SSL::Weak_Key",
                      "Host uses weak certificate with 1024 bit key",
                      sub=f"Subject: {subject['rsa_1024']}",
                      file_desc=f"Fingerprint: {small.fingerprint}"),
    ]


@pytest.fixture(scope="module")
def with_notices(logdir: Path, cases: dict[str, Case],
                 tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    folder = tmp_path_factory.mktemp("zeek-logs-notices")
    for log in ("ssl.log", "x509.log"):
        shutil.copy(logdir / log, folder / log)
    cf.write_notices(folder, _notices(cases))
    return _classify(folder, zeekcert.Policy())


NOTICED = {"self_signed": "self_signed", "untrusted_root_sent": "untrusted_root",
           "expired": "expired", "not_yet_valid": "not_yet_valid", "rsa_1024": "weak_key"}


@pytest.mark.parametrize("name", list(NOTICED))
def test_notice_evidence(name: str, cases: dict[str, Case], with_notices: dict) -> None:
    row = with_notices[name]
    assert _as_list(row["causes"]) == cases[name].causes
    assert sorted(_as_list(row["evidence"])) == sorted(
        [*cases[name].evidence, f"{NOTICED[name]}:notice"])


def test_notices_leave_other_connections_alone(cases: dict[str, Case],
                                               with_notices: dict) -> None:
    changed = [n for n in ALL if n not in NOTICED
               and sorted(_as_list(with_notices[n]["evidence"])) != sorted(cases[n].evidence)]
    assert changed == []
