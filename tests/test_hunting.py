"""Hunt leads: the catalogue against certificates made to each tool's recipe, reuse
clusters, fresh and random-looking names, and a score that is the sum of what it shows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import json
import sys
from pathlib import Path

import c2certs
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeekcert import ConfigError
from zeekcert.cli import main
from zeekcert.hunting import (
    Family,
    HuntPolicy,
    c2_connections,
    hunt,
    load_catalogue,
    looks_random,
    match_certificates,
)
from zeekcert.hunting.dn import parse_dn
from zeekcert.hunting.templates import _CITIES, _NAMES, _SUFFIXES, go_generated
from zeekcert.report import build_streaming

NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parent.parent
MADE = c2certs.recipes()
SERVERS = [(f"198.18.0.{i + 1}", m) for i, m in enumerate(MADE)]


def _label(entry: str) -> str:
    return f"{load_catalogue().by_id(entry).family.prefix}:{entry}"


def test_the_shipped_catalogue_has_its_entries_with_provenance() -> None:
    catalogue = load_catalogue()
    assert [e.id for e in catalogue.entries] == [m.entry for m in MADE]
    assert len(catalogue) == 13
    assert sum(e.family is Family.C2 for e in catalogue.entries) == 8
    for entry in catalogue.entries:
        assert entry.source and entry.date and entry.false_positives
        assert entry.matches


@pytest.mark.parametrize("generation", ["4.1", "4.0"])
@pytest.mark.parametrize("form", ["tsv", "json"])
def test_every_entry_matches_its_own_certificate_and_no_other(
        tmp_path: Path, generation: str, form: str) -> None:
    """Each certificate, written as a Zeek >= 4.1 (fingerprint) or <= 4.0 (file id)
    sensor writes it, in TSV or JSON, gets exactly its own entry's label."""
    c2certs.write_servers(tmp_path, SERVERS, generation, form)
    leads = build_streaming(tmp_path, now=NOW).findings.hunt.leads  # type: ignore[union-attr]
    got = dict(zip(leads["resp_h"], leads["labels"], strict=True))
    assert {h: got[h] for h, _ in SERVERS} == {h: [_label(m.entry)] for h, m in SERVERS}


def test_the_issuer_is_matched_too_a_leaf_of_a_cobalt_strike_ca(tmp_path: Path) -> None:
    """A framework that signs its leaves with a per-server CA shows a chain cause, not
    self_signed: the issuer's DN still names it."""
    cs = MADE[0].leaf.subject
    made = c2certs.issued("cs_leaf", c2certs.dn(("CN", "cdn.example.org")), cs)
    c2certs.write_servers(tmp_path, [("198.18.1.1", made)], "4.1", "tsv")
    leads = build_streaming(tmp_path, now=NOW).findings.hunt.leads  # type: ignore[union-attr]
    assert leads["labels"].tolist() == [["tooling:cobalt_strike_default"]]
    assert leads["causes"].tolist() == [["incomplete_chain"]]


def test_a_users_entry_matches_by_fingerprint(tmp_path: Path) -> None:
    made = MADE[5]  # Covenant's
    extra = tmp_path / "mine.toml"
    extra.write_text(f'''
[[entry]]
id = "red_team_2026"
family = "c2"
tool = "our red team"
confidence = "high"
[[entry.match]]
sha256 = "{made.fingerprint.upper()}"
[entry.provenance]
source = "engagement 2026-11"
''')
    catalogue = load_catalogue(extra)
    certs = pd.DataFrame({"subject": ["CN=x"], "issuer": ["CN=x"]}, index=[made.fingerprint])
    found = match_certificates(certs, catalogue)
    assert found[["key", "label", "evidence"]].values.tolist() == [
        [made.fingerprint, "tooling:red_team_2026", "tooling:red_team_2026:x509"]]


@pytest.mark.parametrize(("text", "message", "line"), [
    ('[[entry]]\nid = "Bad Id"\n', "catalogue entry Bad Id: needs an id", 1),
    ('[[entry]]\nid = "a"\nfamily = "c2"\nconfidence = "high"\n[[entry.match]]\n'
     'subjct = "CN=x"\n[entry.provenance]\nsource = "s"\n', "unknown match field(s): subjct", 1),
    ('version = 1\n\n[[entry]]\nid = "b"\nfamily = "apt"\nconfidence = "high"\n'
     '[[entry.match]]\nsubject_cn = "x"\n[entry.provenance]\nsource = "s"\n',
     "catalogue entry b: family must be one of", 3),
    ('[[entry]]\nid = "c"\nfamily = "c2"\nconfidence = "high"\n[[entry.match]]\n'
     'serial = "XYZ"\n[entry.provenance]\nsource = "s"\n', "serial: not hex", 1),
    ('[[entry]]\nid = "d"\nfamily = "c2"\nconfidence = "low"\n[[entry.match]]\n'
     'subject_pattern = "("\n[entry.provenance]\nsource = "s"\n', "not a regular expression", 1),
    ('[[entry]]\nid = "e"\nfamily = "c2"\nconfidence = "low"\n[[entry.match]]\n'
     'subject_cn = "x"\n', "needs [entry.provenance] with a source", 1),
    ('[[entry]]\nid = "cobalt_strike_default"\nfamily = "c2"\nconfidence = "low"\n'
     '[[entry.match]]\nsubject_cn = "x"\n[entry.provenance]\nsource = "s"\n',
     "'cobalt_strike_default' is defined twice", None),
])
def test_a_bad_entry_is_a_config_error_naming_it(tmp_path: Path, text: str, message: str,
                                                  line: int | None) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_catalogue(path)
    assert message in caught.value.message
    assert (caught.value.path, caught.value.line) == (str(path), line)


def test_a_bad_catalogue_on_the_command_line_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[entry]]\nid = "x"\n')
    c2certs.write_servers(tmp_path / "logs", SERVERS[:1], "4.1", "tsv")
    code = main(["report", str(tmp_path / "logs"), "--catalogue", str(path), "-q"])
    assert code == 2


def test_one_sliver_style_certificate_on_two_addresses_is_one_actors_cluster(
        tmp_path: Path) -> None:
    sliver, cs = MADE[2], MADE[0]
    # Another listener of the same team server: a new generated subject and CA.
    other = c2certs.issued("sliver_https", c2certs.dn(
        ("C", "US"), ("O", "Partners Inc"), ("L", "Tacoma"), ("ST", "Washington"),
        ("POSTALCODE", "4417"), ("CN", "assets.example.org")), c2certs.dn(
        ("C", "US"), ("O", "Synergy Ltd"), ("L", "Naperville"), ("ST", "Illinois"),
        ("POSTALCODE", "7780"), ("CN", "synergy-ca")),
        days=3 * 365, ca_days=3 * 365, serial=0x5151)
    c2certs.write_servers(tmp_path, [("198.18.2.1", sliver), ("198.18.2.2", sliver),
                                     ("198.18.2.3", other),
                                     ("203.0.113.7", cs), ("203.0.113.8", cs)], "4.1", "tsv")
    found = build_streaming(tmp_path, now=NOW).findings.hunt
    assert found is not None
    clusters = found.clusters
    by_kind = {(k, tuple(s)): (label, means) for k, s, label, means in zip(
        clusters["kind"], clusters["servers"], clusters["label"], clusters["means"],
        strict=True)}
    assert by_kind == {
        ("certificate", ("198.18.2.1:443", "198.18.2.2:443")): ("tooling:sliver_https",
                                                              "one actor"),
        # The generator's template spans both certificates; one certificate alone would
        # make no template cluster beside its certificate cluster.
        ("template", ("198.18.2.1:443", "198.18.2.2:443", "198.18.2.3:443")): (
            "tooling:sliver_https", "one actor"),
        ("certificate", ("203.0.113.7:443", "203.0.113.8:443")): (
            "tooling:cobalt_strike_default", "one product"),
    }
    leads = found.leads.set_index("resp_h")
    assert [c["component"] for c in leads.loc["198.18.2.1", "components"]] == [
        "other_cause", "external", "catalogue", "cluster", "rare"]
    assert leads.loc["198.18.2.1", "score"] == 1 + 2 + 4 + 2 + 1
    assert leads.loc["203.0.113.7", "score"] == 3 + 2 + 6 + 2 + 1


def test_a_certificate_issued_days_before_the_first_connection_is_fresh(tmp_path: Path) -> None:
    name = c2certs.dn(("CN", "update-check.example.com"))
    new = c2certs.self_signed("new", name, before=c2certs.START - dt.timedelta(days=5))
    old = c2certs.self_signed("old", name, before=c2certs.START - dt.timedelta(days=40))
    internal = c2certs.self_signed("lan", name, serial=7,
                                   before=c2certs.START - dt.timedelta(days=5))
    c2certs.write_servers(tmp_path, [("198.51.100.5", new), ("198.51.100.6", old),
                                     ("10.9.9.9", internal)], "4.1", "tsv")
    leads = build_streaming(tmp_path, now=NOW).findings.hunt.leads  # type: ignore[union-attr]
    assert dict(zip(leads["resp_h"], leads["fresh"], strict=True)) == {
        "198.51.100.5": True, "198.51.100.6": False, "10.9.9.9": False}
    assert leads["score"].tolist() == [3 + 2 + 2 + 1, 3 + 2 + 1, 3 + 1]
    assert leads["resp_h"].tolist() == ["198.51.100.5", "198.51.100.6", "10.9.9.9"]


def test_a_fresh_certificate_counts_only_when_an_internal_client_reaches_it(
        tmp_path: Path) -> None:
    """The 2026 Elastic rule's shape: an internal client, an external server. Traffic the
    sensor sees between two outside addresses (transit, a scan) makes no fresh lead,
    unless the policy calls its client local."""
    made = c2certs.self_signed("new", c2certs.dn(("CN", "cdn-edge.example.net")),
                               before=c2certs.START - dt.timedelta(days=5))
    c2certs.write_servers(tmp_path, [("198.51.100.5", made)], "4.1", "tsv",
                          client="192.0.2.77")
    outside = build_streaming(tmp_path, now=NOW).findings.hunt.leads  # type: ignore[union-attr]
    assert outside["fresh"].tolist() == [False]
    assert "fresh" not in [c["component"] for c in outside.iloc[0]["components"]]
    policy = dataclasses.replace(HuntPolicy(), local_nets=(
        *HuntPolicy().local_nets, ipaddress.ip_network("192.0.2.0/24")))
    inside = build_streaming(tmp_path, now=NOW, hunt_policy=policy).findings.hunt
    assert inside is not None and inside.leads["fresh"].tolist() == [True]
    assert {"component": "fresh", "points": 2, "reason": "its certificate was issued within "
            "30 days of the first connection, from an internal client"} in inside.leads.iloc[
                0]["components"]


def test_a_generated_name_is_a_component(tmp_path: Path) -> None:
    made = c2certs.self_signed("tor", c2certs.dn(("CN", "www.k4rt2vbhbsxvq.com")))
    c2certs.write_servers(tmp_path, [("198.51.100.9", made)], "4.1", "json")
    lead = build_streaming(tmp_path, now=NOW).findings.hunt.leads.iloc[0]  # type: ignore[union-attr]
    assert lead["random_names"] == ["www.k4rt2vbhbsxvq.com"]
    assert {"component": "random_name", "points": 2,
            "reason": "www.k4rt2vbhbsxvq.com looks generated"} in lead["components"]


@pytest.mark.parametrize(("name", "random"), [
    ("www.k4rt2vbhbsxvq.com", True), ("x7fj2kq9dzp1.net", True), ("bxqzvtrwplm.info", True),
    ("www.google.com", False), ("updates.microsoft.com", False), ("srv01.corp.local", False),
    ("jenkins-dev.corp.example", False), ("localhost", False), ("kubernetes", False),
    ("Major Cobalt Strike", False), ("a1b2c3d4e5.org", False), ("www.thisisarandomword.com", False),
])
def test_random_looking_names(name: str, random: bool) -> None:
    assert looks_random(name) is random


def test_the_report_json_carries_hunt_and_clusters(tmp_path: Path) -> None:
    c2certs.write_servers(tmp_path / "logs", SERVERS[:3], "4.1", "tsv")
    out = tmp_path / "r.json"
    assert main(["report", str(tmp_path / "logs"), "--format", "json", "-o", str(out),
                 "-q"]) == 0
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == 3
    assert doc["hunt"]["lead_threshold"] == 5 and doc["hunt"]["scored"] == 3
    assert [(r["resp_h"], r["score"], r["labels"]) for r in doc["hunt"]["leads"]] == [
        ("198.18.0.1", 12, ["tooling:cobalt_strike_default"]),
        ("198.18.0.2", 10, ["tooling:sliver_multiplayer"]),
        ("198.18.0.3", 8, ["tooling:sliver_https"])]
    assert doc["clusters"] == []


def test_weights_and_local_nets_come_from_the_policy_file(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[policy]\nmin_rsa_bits = 2048\n\n[hunt]\nlocal_nets = ["198.18.0.0/15"]\n'
                      'lead_threshold = 1\n\n[hunt.weights]\ncatalogue_high = 50\n')
    loaded = HuntPolicy.from_toml(policy)
    assert loaded.weights.catalogue_high == 50 and loaded.lead_threshold == 1
    assert loaded.is_local("198.18.0.1") and not loaded.is_local("10.0.0.1")
    c2certs.write_servers(tmp_path / "logs", SERVERS[:1], "4.1", "tsv")
    out = tmp_path / "r.json"
    assert main(["report", str(tmp_path / "logs"), "--policy", str(policy), "--format",
                 "json", "-o", str(out), "-q"]) == 0
    lead = json.loads(out.read_text())["hunt"]["leads"][0]
    assert lead["score"] == 3 + 50 + 1 and lead["external"] is False


@pytest.mark.parametrize(("text", "message", "line"), [
    ("[hunt]\nfresh_dayz = 3\n", "unknown [hunt] setting(s): fresh_dayz", 2),
    ("[hunt]\nlocal_nets = [\"10.0.0.0/33\"]\n", "local_nets:", 2),
    ("[hunt]\n[hunt.weights]\nbeacon = \"lots\"\n", "weight beacon", 3),
])
def test_a_bad_hunt_setting_names_its_line(tmp_path: Path, text: str, message: str,
                                           line: int) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        HuntPolicy.from_toml(path)
    assert message in caught.value.message and caught.value.line == line


def test_dn_spellings_compare_equal() -> None:
    zeek = r"CN=Major Cobalt Strike,OU=AdvancedPenTesting,O=cobaltstrike,L=Somewhere,ST=Cyberspace,C=Earth"
    people = "C=Earth, ST=Cyberspace, L=Somewhere, O=cobaltstrike, OU=AdvancedPenTesting, CN=Major Cobalt Strike"
    assert parse_dn(zeek) == parse_dn(people)
    assert parse_dn(r"O=Example\, Inc.,CN=x") == (("CN", "x"), ("O", "Example, Inc."))
    assert parse_dn("commonName=x") == (("CN", "x"),)
    assert parse_dn("not a name") is None and parse_dn(None) is None


_VALUE = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["CN", "O", "OU", "L", "ST", "C"]), _VALUE),
                min_size=1, max_size=6), st.randoms())
def test_a_dn_parses_back_whatever_its_order_and_escapes(
        pairs: list[tuple[str, str]], rnd: object) -> None:
    """Values escaped as RFC 4514 says, in any order, parse to the same attributes."""
    def escaped(value: str) -> str:
        out = "".join("\\" + c if c in ',+"\\<>;=' else c for c in value)
        return out.strip() if out.strip() == out else value.strip()
    text = ",".join(f"{k}={escaped(v.strip())}" for k, v in pairs)
    shuffled = list(pairs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    again = ", ".join(f"{k}={escaped(v.strip())}" for k, v in shuffled)
    assert parse_dn(text) == parse_dn(again)
    assert parse_dn(text) == tuple(sorted((k, v.strip()) for k, v in pairs))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(_CITIES)), st.data(), st.sampled_from(_NAMES),
       st.sampled_from(_SUFFIXES), st.sampled_from(["lower", "upper", "title", "none"]),
       st.integers(1000, 8999), st.sampled_from(["", "Golden Gate Bridge"]))
def test_every_subject_the_generator_makes_is_recognised(
        state: str, data: st.DataObject, org: str, suffix: str, case: str, postal: int,
        street: str) -> None:
    """Go's randomSubject, replayed: every subject it can make is go_generated; changing
    the country or the postal code makes it not."""
    city = data.draw(st.sampled_from(sorted(_CITIES[state])))
    pairs = [("C", "US"), ("ST", state), ("L", city), ("POSTALCODE", str(postal)),
             ("CN", "host.example")]
    if (state == "California" and city == "San Francisco") or street == "":
        pairs.append(("STREET", street if state == "California" else ""))
    joined = f"{org} {suffix}".strip()
    if case != "none":
        pairs.append(("O", {"lower": joined.lower(), "upper": joined.upper(),
                            "title": joined.title()}[case]))
    assert go_generated(tuple(sorted(pairs)))
    assert not go_generated(tuple(sorted([(k, "DE" if k == "C" else v) for k, v in pairs])))
    assert not go_generated(tuple(sorted([(k, "123" if k == "POSTALCODE" else v)
                                          for k, v in pairs])))


_SERVER = st.fixed_dictionaries({
    "resp_h": st.sampled_from([f"198.51.100.{i}" for i in range(1, 9)] + ["10.0.0.1",
                                                                       "2001:db8::1"]),
    "resp_p": st.sampled_from([443, 8443]),
    "causes": st.lists(st.sampled_from(["self_signed", "expired", "weak_key"]), min_size=1,
                       max_size=2, unique=True),
    "clients": st.integers(0, 5),
    "clockwork": st.booleans(),
    "median_interval_s": st.sampled_from([60.0, 300.0]),
    "beacon_client": st.just("10.0.0.9"),
    "acknowledged": st.booleans(),
    "server_names": st.lists(st.sampled_from(["www.k4rt2vbhbsxvq.com", "intranet.corp"]),
                             max_size=2, unique=True),
    "subject": st.sampled_from(["CN=Covenant", "CN=x", "CN=multiplayer"]),
    "issuer": st.sampled_from(["CN=Covenant", "CN=operators", "CN=ca"]),
    "ja3s": st.lists(st.sampled_from(["a" * 32, "b" * 32]), max_size=2, unique=True),
})


@settings(max_examples=60, deadline=None)
@given(st.lists(_SERVER, min_size=1, max_size=8, unique_by=lambda s: (s["resp_h"], s["resp_p"])),
       st.randoms(), st.integers(-5, 10))
def test_the_score_is_the_sum_of_its_components_and_the_ranking_does_not_depend_on_order(
        servers: list[dict[str, object]], rnd: object, weight: int) -> None:
    frame = pd.DataFrame(servers).assign(first_seen=pd.Timestamp(NOW), last_seen=pd.Timestamp(NOW),
                                         fingerprints=[[] for _ in servers])
    policy = dataclasses.replace(HuntPolicy(), weights=dataclasses.replace(
        HuntPolicy().weights, external=weight, tls_stack=weight))
    catalogue = load_catalogue()
    found = hunt(frame, catalogue, policy)
    first = found.leads
    for score, components in zip(first["score"], first["components"], strict=True):
        assert score == sum(c["points"] for c in components)
        assert all(c["points"] != 0 and c["reason"] for c in components)
    assert first["score"].is_monotonic_decreasing
    assert first["rank"].tolist() == list(range(1, len(first) + 1))
    shuffled = frame.sample(frac=1.0, random_state=rnd.randint(0, 10**6))  # type: ignore[attr-defined]
    again = hunt(shuffled, catalogue, policy)
    pd.testing.assert_frame_equal(first, again.leads)
    pd.testing.assert_frame_equal(found.clusters, again.clusters)
    stacks = found.clusters[found.clusters["kind"] == "tls_stack"]
    for key, addresses in zip(stacks["key"], stacks["addresses"], strict=True):
        hosts = {s["resp_h"] for s in servers if key.split(":")[1] in s["ja3s"]}
        assert addresses == len(hosts) >= 2


PROXY = ROOT / "tests" / "data" / "real" / "rita" / "zeekctl-hourly-rotated-proxy"


def test_a_real_proxy_capture_s_ja3s_joins_its_two_failing_servers(tmp_path: Path) -> None:
    """RITA's proxy capture logs ja3s (42 distinct values): the proxy (38 of them, one per
    stack it relays) and one origin share a certificate and a TLS stack."""
    out = tmp_path / "r.json"
    assert main(["report", str(PROXY), "--format", "json", "-o", str(out)]) == 0
    report = json.loads(out.read_text())
    stacks = [c for c in report["clusters"] if c["kind"] == "tls_stack"]
    assert [(c["key"], c["servers"], c["means"]) for c in stacks] == [
        ("ja3s:2b33c1374db4ddf06942f92373c0b54b", ["10.0.0.238:3128", "192.225.159.74:443"],
         "one TLS stack")]
    ja3s = {s["resp_h"]: s["ja3s"] for s in report["servers"]}
    assert len(ja3s["10.0.0.238"]) == 38  # the proxy answers for many origins' stacks
    assert "2b33c1374db4ddf06942f92373c0b54b" in ja3s["10.0.0.238"]
    assert ja3s["192.225.159.74"] == ["2b33c1374db4ddf06942f92373c0b54b"]
    assert [s["ja4s"] for s in report["servers"]] == [[], []]
    assert report["hunt"]["weights"]["tls_stack"] == 0


def test_the_nightly_inventory_keeps_the_tls_stacks_across_runs(tmp_path: Path) -> None:
    """The same capture in the nightly job: each server's JA3S of its failing connections
    is kept in the state, so a run that reads nothing new still finds the stack cluster."""
    from zeekcert.inventory import run_nightly

    now = dt.datetime(2024, 4, 30, tzinfo=dt.UTC)
    runs = [run_nightly(PROXY, tmp_path / "s.db", now, cause="any").inventory
            for _ in range(2)]
    for inv in runs:
        by_host = inv.set_index(inv["resp_h"].astype(str))
        assert by_host.loc["192.225.159.74", "ja3s"] == ["2b33c1374db4ddf06942f92373c0b54b"]
        assert "2b33c1374db4ddf06942f92373c0b54b" in by_host.loc["10.0.0.238", "ja3s"]
        assert by_host.loc["10.0.0.238", "ja4s"] == []
        assert "tls_stack:ja3s:2b33c1374db4ddf06942f92373c0b54b" in by_host.loc[
            "10.0.0.238", "clusters"]
    window = ["status", "connections"]  # this run's: the second read nothing new
    pd.testing.assert_frame_equal(runs[0].drop(columns=window), runs[1].drop(columns=window))


def test_on_the_real_logs_in_tests_data_the_hunt_fires_this_often() -> None:
    """The false-positive figures of the README, on the copies in tests/data/real: none
    of these logs shows C2 tooling, so every catalogue match and every lead would be a
    false positive (the one lead is a self-signed external server of Zeek's own test)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import hunt_corpus

    tally = hunt_corpus.measure([ROOT / "tests" / "data" / "real"])
    assert (tally.folders, tally.scored, tally.matched, tally.leads) == (16, 463, 0, 1)
    assert tally.lead_servers == ["scripts.policy.protocols.ssl.validate-certs: "
                                  "128.32.169.140:443 (8)"]
    assert (len(tally.names), len(tally.random)) == (990, 8)
    assert hunt_corpus.tor_recall(ROOT / "tests" / "data" / "real") == (109, 75, 29, 1)


def test_the_nightly_job_scores_its_servers_and_alerts_once_on_c2_tooling(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The inventory carries each server's score and labels; a Cobalt Strike default
    certificate raises one tooling_match alert, beside the new server's, and the next run
    raises neither again."""
    monkeypatch.setenv("ZEEKCERT_NOW", "2026-11-21T00:00:00Z")
    c2certs.write_servers(tmp_path / "logs", [SERVERS[0], SERVERS[9]], "4.1", "tsv")
    sink, out = tmp_path / "alerts.jsonl", tmp_path / "inv.json"
    argv = ["inventory", str(tmp_path / "logs"), "--state", str(tmp_path / "s.db"),
            "--format", "json", "-o", str(out), "--alert-to", f"jsonl:{sink}"]
    assert main(argv) == 0
    servers = {s["resp_h"]: s for s in json.loads(out.read_text())["servers"]}
    assert servers["198.18.0.1"]["labels"] == ["tooling:cobalt_strike_default"]
    assert servers["198.18.0.1"]["hunt_score"] == 3 + 2 + 6 + 1
    assert servers["198.18.0.10"]["labels"] == ["vendor:traefik_default"]
    assert servers["198.18.0.10"]["hunt_score"] == 3 + 2 + 1 + 1
    alerts = [json.loads(line) for line in sink.read_text().splitlines()]
    assert sorted((a["rule"]["name"], a["destination"]["ip"]) for a in alerts) == [
        ("new_self_signed_server", "198.18.0.1"), ("new_self_signed_server", "198.18.0.10"),
        ("tooling_match", "198.18.0.1")]
    tooling = next(a for a in alerts if a["rule"]["name"] == "tooling_match")
    assert tooling["message"] == ("C2 tooling's certificate on 198.18.0.1:443 (CN=Major Cobalt "
                                  "Strike,OU=AdvancedPenTesting,O=cobaltstrike,L=Somewhere,"
                                  "ST=Cyberspace,C=Earth): tooling:cobalt_strike_default")
    assert tooling["zeekcert"]["hunt"]["labels"] == ["tooling:cobalt_strike_default"]
    assert main(argv) == 0
    assert len(sink.read_text().splitlines()) == 3  # nothing raised twice


@pytest.fixture(scope="module")
def sample_classified() -> pd.DataFrame:
    import zeekcert

    logs = zeekcert.load(ROOT / "sample_logs" / "2026-11-26")
    return zeekcert.classify(logs, now=dt.datetime(2026, 11, 27, tzinfo=dt.UTC))


def test_c2_connections_are_the_failing_ones_a_c2_entry_matches(
        sample_classified: pd.DataFrame) -> None:
    """Cobalt Strike (self-signed) and Sliver (a per-server CA: incomplete_chain); not the
    ingress controller's fake certificate, a vendor default, nor any valid connection."""
    hit = c2_connections(sample_classified, load_catalogue())
    found = sample_classified[hit]
    assert sorted(found["id.resp_h"].astype(str).unique()) == [
        "192.0.2.151", "198.51.100.23", "203.0.113.151"]
    assert set(found["primary_cause"].astype(str)) == {"self_signed", "incomplete_chain"}
    assert int(hit.sum()) == int(sample_classified["id.resp_h"].astype(str).isin(
        ["192.0.2.151", "198.51.100.23", "203.0.113.151"]).sum())
    assert not c2_connections(sample_classified, load_catalogue(shipped=False)).any()


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_c2_connections_judge_each_connection_on_its_own(
        sample_classified: pd.DataFrame, data: st.DataObject) -> None:
    """Any subset of the connections, in any order, repeated: each keeps its answer, so a
    batch's answer never depends on what else the batch holds."""
    whole = c2_connections(sample_classified, load_catalogue())
    picks = data.draw(st.lists(st.integers(0, len(sample_classified) - 1), max_size=60))
    part = sample_classified.iloc[picks].reset_index(drop=True)
    assert c2_connections(part, load_catalogue()).tolist() == whole[picks].tolist()


def test_a_failing_leaf_with_no_fingerprint_and_no_names_is_no_c2(
        sample_classified: pd.DataFrame) -> None:
    """The fuzzer's case: a failing connection whose leaf has no key and no names, beside
    a Cobalt Strike one; each gets its own answer, and a second call remembers both."""
    cobalt = sample_classified[sample_classified["id.resp_h"].astype(str) == "198.51.100.23"]
    blank = cobalt.iloc[:1].copy()
    for name in ("fingerprint", "subject", "issuer"):
        blank[name] = None
    frame = pd.concat([blank, cobalt.iloc[:1]], ignore_index=True)
    known: dict[str, bool] = {}
    assert c2_connections(frame, load_catalogue(), known).tolist() == [False, True]
    assert sorted(known.values()) == [False, True]
    assert c2_connections(frame.iloc[:1], load_catalogue(), known).tolist() == [False]
