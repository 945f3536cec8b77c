"""The classifier on real Zeek output, on the status vocabulary and on notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from corpus_expectations import corpus_root, read_manifest

import zeekcert
from zeekcert import Cause, Policy
from zeekcert.classification.notices import notice_cause
from zeekcert.classification.validation_status import cause_of

REAL = Path(__file__).resolve().parent / "data" / "real"
WRCCDC = REAL / "zed-sample-data"
NOW = datetime(2026, 11, 27, tzinfo=UTC)

# Written from OpenSSL's x509_txt.c and zeek-facts.md (e), independently of status.py.
STATUS_CAUSES = {
    "ok": None,
    "self signed certificate": "self_signed",
    "self-signed certificate": "self_signed",
    "Self-Signed Certificate": "self_signed",
    "self signed certificate in certificate chain": "untrusted_root",
    "self-signed certificate in certificate chain": "untrusted_root",
    "unable to get local issuer certificate": "incomplete_chain",
    "unable to get issuer certificate": "incomplete_chain",
    "unable to verify the first certificate": "incomplete_chain",
    "certificate has expired": "expired",
    "certificate is not yet valid": "not_yet_valid",
    "certificate is not yet valid or the system clock is incorrect": "not_yet_valid",
    "certificate revoked": "revoked",
    "certificate signature failure": "invalid_signature",
    "unable to decrypt certificate's signature": "invalid_signature",
    "format error in certificate's notAfter field": "invalid_signature",
    "certificate chain too long": "other",
    "unsupported certificate purpose": "other",
    "Problem initializing root store": "other",
    "no certificates": "other",
}


def _counts(column: pd.Series) -> dict[str, int]:
    """value_counts without the zero counts a categorical column also lists."""
    return {str(k): int(v) for k, v in column.value_counts().items() if v}


@pytest.mark.parametrize("status,expected", sorted(STATUS_CAUSES.items()))
def test_status_vocabulary(status: str, expected: str | None) -> None:
    assert cause_of(status) == expected


def test_unset_status_is_not_ok() -> None:
    assert cause_of(None) is None
    frame = pd.DataFrame({"uid": ["C1"], "ts": [pd.Timestamp("2020-01-01", tz="UTC")],
                          "cert_chain_fps": [["ab"]], "validation_status": [pd.NA]})
    out = zeekcert.classify({"ssl": frame}, now=NOW)
    assert (out["primary_cause"][0], out["unverified_reason"][0]) == (
        "unverified", "certificate_not_in_x509")


def _real_statuses() -> list[tuple[str, str]]:
    """(file, status) for every validation_status MANIFEST lists for a file we can read."""
    root = corpus_root()
    return [(e.path, v.removeprefix("vs:")) for e in read_manifest(root)
            for v in sorted(e.values) if v.startswith("vs:") and (root / e.path).exists()]


@pytest.mark.parametrize("path,status", _real_statuses())
def test_every_real_status_maps_to_the_cause_it_names(path: str, status: str) -> None:
    frame = zeekcert.read_log(corpus_root() / path)
    rows = frame[frame["validation_status"] == status]
    out = zeekcert.classify({"ssl": rows}, now=NOW)
    expected = STATUS_CAUSES[status]
    assert len(out) == len(rows) > 0
    for causes, evidence in zip(out["causes"], out["evidence"], strict=True):
        assert (expected is None) == (f"{expected}:zeek_status" not in list(evidence))
        if expected is not None:
            assert expected in list(causes)


def _server_causes(folder: Path) -> dict[tuple[str, int], set[str]]:
    servers = zeekcert.servers(zeekcert.classify(zeekcert.load(folder), now=NOW))
    return {(str(h), int(p)): set(c) for h, p, c in
            zip(servers["id.resp_h"], servers["id.resp_p"], servers["causes"], strict=True)}


def test_zeek_3_and_6_agree_per_server_apart_from_the_trust_store() -> None:
    old = _server_causes(WRCCDC / "wrccdc2018-zeek-3.0.0-tsv")
    new = _server_causes(WRCCDC / "wrccdc2018-zeek-6.2.0-tsv")
    common = set(old) & set(new)
    differ = {k: (old[k], new[k]) for k in common if old[k] != new[k]}
    assert (len(old), len(new), len(common)) == (618, 663, 618)
    # Every difference is a chain error Zeek 6.2 reported where Zeek 3.0 said "ok": the
    # two builds bundle different Mozilla root stores (6.2's lacks roots the 2018 chains
    # used). None is an expiry: the time-zone offset explains no difference here.
    assert len(differ) == 131
    added = {frozenset(n - o) for o, n in differ.values()}
    assert added == {frozenset({"incomplete_chain"}), frozenset({"untrusted_root"})}
    assert all(o <= n for o, n in differ.values())


def test_zeek_3_servers_with_a_new_chain_error_were_ok_in_3() -> None:
    logs = zeekcert.load(WRCCDC / "wrccdc2018-zeek-3.0.0-tsv")
    out = zeekcert.classify(logs, now=NOW)
    row = out[(out["id.resp_h"] == "40.118.164.163") & (out["id.resp_p"] == 443)]
    assert row["validation_status"].tolist() == ["ok"]
    assert row["primary_cause"].tolist() == ["valid"]


def test_fuids_join_finds_the_certificate() -> None:
    out = zeekcert.classify(zeekcert.load(WRCCDC / "wrccdc2018-zeek-3.0.0-tsv"), now=NOW)
    with_chain = out[out["chain_length"] > 0]
    # One leaf is missing from this x509.log (an x509 row Zeek never wrote); it has a status.
    assert (len(with_chain), with_chain["subject"].isna().sum()) == (9974, 1)
    # Why no certificate was seen, counted apart (and checked independently from the
    # ssl.log columns): failed handshakes (established = F), then resumed sessions.
    assert _counts(out["unverified_reason"]) == {
        "handshake_failed": 17144, "resumed": 8375, "certificate_not_in_x509": 1}
    # ssl.log of Zeek 3.0 carries subject and issuer itself: the one leaf missing from
    # x509.log is known from those fields, and the join says so.
    assert zeekcert.join_summary(out) == {"connections": 35493, "matched": 9973,
                                          "ssl_log_fields": 0, "not_in_x509": 1,
                                          "no_certificate": 25519, "leaf_not_in_x509": 1}


def test_fingerprint_join_and_reasons_on_zeek_6() -> None:
    out = zeekcert.classify(zeekcert.load(WRCCDC / "wrccdc2018-zeek-6.2.0-tsv"), now=NOW)
    assert _counts(out["primary_cause"]) == {
        "unverified": 39500, "self_signed": 4733, "incomplete_chain": 3358, "valid": 1882,
        "untrusted_root": 1}
    assert _counts(out["unverified_reason"]) == {
        "handshake_failed": 31124, "resumed": 8355, "no_certificate": 20,
        "certificate_not_in_x509": 1}


def test_json_and_tsv_classify_alike() -> None:
    tsv = zeekcert.classify(zeekcert.load(WRCCDC / "wrccdc2018-zeek-6.2.0-tsv"), now=NOW)
    js = zeekcert.classify(zeekcert.load(WRCCDC / "wrccdc2018-zeek-6.2.0-json-streaming"),
                           now=NOW)
    key = ["ts", "uid"]
    a, b = tsv.sort_values(key).reset_index(drop=True), js.sort_values(key).reset_index(drop=True)
    assert a["causes"].map(list).tolist() == b["causes"].map(list).tolist()
    assert a["evidence"].map(list).tolist() == b["evidence"].map(list).tolist()


def test_self_signed_with_a_sha1_and_short_key_has_every_cause() -> None:
    out = zeekcert.classify(zeekcert.load(WRCCDC / "wrccdc2018-zeek-6.2.0-tsv"), now=NOW)
    row = out[out["evidence"].map(lambda e: "weak_key:policy" in list(e) and
                                  "self_signed:notice" not in list(e))].iloc[0]
    assert list(row["causes"]) == ["self_signed", "weak_key", "weak_signature"]
    assert list(row["evidence"]) == ["self_signed:policy", "self_signed:zeek_status",
                                     "weak_key:policy", "weak_signature:policy"]
    assert (row["key_length"], row["sig_alg"]) == (1024, "sha1WithRSAEncryption")


@pytest.mark.parametrize("note,msg,cause", [
    ("SSL::Invalid_Server_Cert", "SSL certificate validation failed with (self signed "
     "certificate)", "self_signed"),
    ("SSL::Invalid_Server_Cert", "SSL certificate validation failed with (unable to get "
     "local issuer certificate)", "incomplete_chain"),
    ("SSL::Certificate_Expired", "Certificate CN=a expired at 2014-03-04-23:59:59.000000000",
     "expired"),
    ("SSL::Certificate_Not_Valid_Yet", "Certificate CN=a isn't valid until x", "not_yet_valid"),
    ("SSL::Certificate_Expires_Soon", "Certificate CN=a is going to expire at x", None),
    ("SSL::Weak_Key", "Host uses weak certificate with 1024 bit key", "weak_key"),
    ("SSL::Weak_Key", "Host uses weak DH parameters with 1024 key bits", "other"),
    ("SSL::Weak_Cipher", "Host established connection using unsafe cipher suite X", "other"),
    ("SSL::Weak_Ciper", "Host established connection using unsafe ciper suite X", "other"),
    ("SSL::Old_Version", "Host uses protocol version SSLv2 which is lower", "other"),
    ("SSL::Invalid_Ocsp_Response", "OCSP response validation failed with (revoked)", "revoked"),
    ("SSL::Invalid_Ocsp_Response", "OCSP response validation failed with (unknown)", "other"),
    ("Conn::Content_Gap", "gap", None),
])
def test_notice_vocabulary(note: str, msg: str, cause: str | None) -> None:
    assert notice_cause(note, msg) == cause


# What each baseline notice must give, written from the notice texts in zeek-facts.md (d).
NOTE_EXPECTED = {"SSL::Certificate_Expired": "expired", "SSL::Certificate_Expires_Soon": None,
                 "SSL::Old_Version": "other", "SSL::Weak_Cipher": "other",
                 "SSL::Weak_Ciper": "other"}


def _expected_for(note: str, msg: str) -> str | None:
    if note == "SSL::Weak_Key":
        return "weak_key" if "weak certificate" in msg else "other"
    return NOTE_EXPECTED[note]


@pytest.mark.parametrize("version", ["v2.6.4", "v3.0.0", "master-9.1.0-dev"])
@pytest.mark.parametrize("test,name", [("expiring-certs", "notice.log"),
                                       ("weak-keys", "notice-out.log")])
def test_baseline_notices_alone_give_causes(version: str, test: str, name: str) -> None:
    path = REAL / "zeek" / f"btest-baselines-{version}" / f"scripts.policy.protocols.ssl.{test}"
    notices = zeekcert.read_log(path / name)
    out = zeekcert.classify({"notice": notices}, now=NOW)
    expected: dict[str, set[str]] = {}
    for uid, note, msg in zip(notices["uid"], notices["note"], notices["msg"], strict=True):
        cause = _expected_for(str(note), str(msg))
        expected.setdefault(uid, set()).update({cause} if cause else set())
    assert {u: set(c) for u, c in zip(out["uid"], out["causes"], strict=True)} == {
        u: c for u, c in expected.items() if c}
    assert {e.split(":")[1] for es in out["evidence"] for e in es} == {"notice"}


@pytest.mark.parametrize("version,statuses", [
    ("v2.6.4", ["unable to get local issuer certificate", "ok",
                "unable to get local issuer certificate"]),
    ("v3.0.0", ["unable to get local issuer certificate", "ok",
                "unable to get local issuer certificate"]),
])
def test_validate_certs_baselines(version: str, statuses: list[str]) -> None:
    path = (REAL / "zeek" / f"btest-baselines-{version}" /
            "scripts.policy.protocols.ssl.validate-certs-no-cache" / "ssl.log")
    out = zeekcert.classify(zeekcert.load(path), now=NOW)
    assert out["validation_status"].tolist() == statuses
    assert out["primary_cause"].tolist() == [
        "incomplete_chain" if s != "ok" else "valid" for s in statuses]


def test_expiry_is_judged_at_the_connection_time_with_tolerance() -> None:
    ssl = pd.DataFrame({"uid": ["C1", "C2"], "ts": pd.to_datetime(
        ["2020-06-01T12:00:00Z", "2020-06-01T02:00:00Z"]), "cert_chain_fps": [["f"], ["f"]],
        "validation_status": ["ok", "ok"]})
    x509 = pd.DataFrame({"fingerprint": ["f"], "ts": pd.to_datetime(["2020-05-01T00:00Z"]),
                         "certificate.subject": ["CN=a"], "certificate.issuer": ["CN=ca"],
                         "certificate.not_valid_before": pd.to_datetime(["2019-01-01T00:00Z"]),
                         "certificate.not_valid_after": pd.to_datetime(["2020-06-01T05:00Z"])})
    strict = zeekcert.classify({"ssl": ssl, "x509": x509}, now=NOW)
    assert strict["causes"].map(list).tolist() == [["expired"], []]
    assert strict["primary_cause"].tolist() == ["expired", "valid"]
    lenient = zeekcert.classify({"ssl": ssl, "x509": x509}, now=NOW,
                                policy=Policy(clock_tolerance=timedelta(hours=8)))
    assert lenient["causes"].map(list).tolist() == [[], []]


def test_certificate_cache_is_joined() -> None:
    ssl = pd.DataFrame({"uid": ["C1"], "ts": pd.to_datetime(["2020-06-01T12:00:00Z"]),
                        "cert_chain_fps": [["f"]], "validation_status": [pd.NA]})
    cache = pd.DataFrame({"fingerprint": ["f"], "certificate.subject": ["CN=x"],
                          "certificate.issuer": ["CN=x"], "certificate.key_type": ["rsa"],
                          "certificate.key_length": [1024]})
    out = zeekcert.classify({"ssl": ssl}, cert_cache=cache, now=NOW)
    assert list(out["causes"][0]) == ["self_signed", "weak_key"]
    assert out["subject"][0] == "CN=x"


def test_policy_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[policy]\nmin_rsa_bits = 3072\nweak_signature_hashes = ["MD5"]\n'
                    'clock_tolerance = "7h"\nmax_validity_days = 398\n')
    assert Policy.from_toml(path) == Policy(min_rsa_bits=3072, weak_signature_hashes=("md5",),
                                            clock_tolerance=timedelta(hours=7),
                                            max_validity_days=398)
    path.write_text("# site policy\n[policy]\nmin_rsa = 1\n")
    with pytest.raises(zeekcert.ConfigError, match="unknown policy setting") as info:
        Policy.from_toml(path)
    assert (info.value.path, info.value.line) == (str(path), 3)


def test_cause_descriptions_and_order() -> None:
    assert [c.value for c in Cause][:3] == ["self_signed", "untrusted_root", "incomplete_chain"]
    assert Cause.INCOMPLETE_CHAIN.description == (
        "the issuer could not be found: a missing intermediate, or a private CA")
    assert all(c.description for c in Cause)


def test_zat_frames_classify_like_ours(tmp_path: Path) -> None:
    ssl = zeekcert.read_log(WRCCDC / "wrccdc2018-zeek-6.2.0-tsv" / "ssl.log.gz")
    zat_like = ssl.set_index("ts")
    zat_like["id.resp_h"] = zat_like["id.resp_h"].astype("category")
    a = zeekcert.classify({"ssl": ssl}, now=NOW)
    b = zeekcert.classify({"ssl": zat_like}, now=NOW)
    assert a["causes"].map(list).tolist() == b["causes"].map(list).tolist()
    assert b["ts"].iloc[0] == ssl["ts"].iloc[0]


def test_bro_2_2_certificate_fields_come_from_ssl_log() -> None:
    out = zeekcert.classify(zeekcert.load(REAL / "zat" / "bro-2.2-era-ssl-cert_hash"), now=NOW)
    assert zeekcert.join_summary(out) == {"connections": 37, "matched": 0,
                                          "ssl_log_fields": 36, "not_in_x509": 0,
                                          "no_certificate": 1, "leaf_not_in_x509": 0}
    assert _counts(out["primary_cause"]) == {"valid": 36, "unverified": 1}
    assert out["issuer"].iloc[0] == (
        "CN=DigiCert High Assurance CA-3,OU=www.digicert.com,O=DigiCert Inc,C=US")


def test_accessor_only_delegates() -> None:
    out = zeekcert.classify(zeekcert.load(WRCCDC / "wrccdc2018-zeek-6.2.0-tsv"), now=NOW)
    pd.testing.assert_frame_equal(out.zeekcert.servers(), zeekcert.servers(out))
    top = zeekcert.servers(out).iloc[0]
    assert (top["primary_cause"], top["connections"], top["clients"]) == ("self_signed", 1133, 1)
