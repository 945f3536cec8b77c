"""The bundled threat-simulation sample: reproducible, true to openssl, and classified right.

``sample_logs/generate.py`` must rebuild the committed tree exactly; no file may be
header-only (Zeek opens a log at its first write); every certificate's recorded verdict
must be what ``openssl verify`` says on this machine; the beacon must tick every ~144.5 s;
the JSON day must load to the same frame as the TSV day; every server must get the cause
it was built to show; the Jenkins server must change its certificate at its upgrade and
stay acknowledged; and the printer must be gone after 2026-11-25.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import certfactory as cf
import pandas as pd
import pytest

import zeekcert
from zeekcert.inventory import acknowledged_by, load_allowlist, run_nightly

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"
CERTS = SAMPLE / "certs"
TSV_TREE = [SAMPLE / "2026-11-25", SAMPLE / "2026-11-26", SAMPLE / "current"]
NOT_GENERATED = {"README.md", "generate.py", "make_certs.py", "allowlist.toml", "certs",
                 "__pycache__"}
INSIDE_WINDOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

EXT4, EXT6, DEV = ("203.0.113.44", 443), ("2001:db8:44::44", 443), ("10.20.30.40", 8443)
PRINTER = ("10.20.40.9", 443)
COBALT, FRESH, INGRESS = ("198.51.100.23", 443), ("203.0.113.200", 443), ("10.20.50.12", 443)
SLIVER_A, SLIVER_B = ("203.0.113.151", 443), ("192.0.2.151", 443)
DEV_SUBJECT = "CN=jenkins-dev.corp.example,O=Example Corp,C=US"
# server -> (certificate chain in verdicts.json, validation_status, primary cause)
SERVERS = {
    EXT4: ("ext4", "self signed certificate", "self_signed"),
    EXT6: ("ext6", "self signed certificate", "self_signed"),
    DEV: ("jenkins-dev", "self signed certificate", "self_signed"),
    PRINTER: ("printer", "self signed certificate", "self_signed"),
    ("198.51.100.60", 443): ("expired", "certificate has expired", "expired"),
    ("198.51.100.61", 443): ("not-yet-valid", "certificate is not yet valid", "not_yet_valid"),
    ("192.0.2.30", 443): ("missing-intermediate", "unable to get local issuer certificate",
                          "incomplete_chain"),
    ("203.0.113.80", 443): ("private-ca", "self-signed certificate in certificate chain",
                            "untrusted_root"),
    ("192.0.2.40", 443): ("wrong-name", "ok", "hostname_mismatch"),
    ("198.51.100.70", 443): ("weak-key", "ok", "weak_key"),
    ("198.51.100.71", 443): ("sha1", "ok", "weak_signature"),
    ("192.0.2.10", 443): ("www", "ok", None),
    ("192.0.2.11", 993): ("mail", "ok", None),
    ("198.51.100.20", 443): ("api", "ok", None),
    ("198.51.100.30", 443): ("cdn", "ok", None),
    ("2001:db8:cd::30", 443): ("cdn", "ok", None),
    ("198.51.100.40", 443): ("login", "ok", None),
    ("203.0.113.50", 443): ("updates", "ok", None),
    ("192.0.2.12", 443): ("docs", "ok", None),
    ("203.0.113.60", 443): ("files", "ok", None),
    ("192.0.2.13", 443): ("news", "ok", None),
    ("2001:db8:c4a7::10", 443): (None, None, None),  # TLS 1.3 only: no certificate seen
    # The simulated intrusion: a Cobalt Strike team server, one Sliver certificate from a
    # per-server CA on two addresses, a fresh payload server and an ingress fake certificate.
    COBALT: ("cobalt-strike", "self signed certificate", "self_signed"),
    SLIVER_A: ("sliver-https", "unable to get local issuer certificate", "incomplete_chain"),
    SLIVER_B: ("sliver-https", "unable to get local issuer certificate", "incomplete_chain"),
    FRESH: ("fresh-self-signed", "self signed certificate", "self_signed"),
    INGRESS: ("ingress-fake", "self signed certificate", "self_signed"),
}
# The causes beyond the primary one that the intrusion's certificates also show.
MORE_CAUSES = {COBALT: ["expired"], INGRESS: ["hostname_mismatch"]}
# Chains a server sends after a change: the Jenkins server from its upgrade on.
LATER_CHAINS = {"jenkins-dev-2": "self signed certificate"}
OPEN = re.compile(r"^#open\t(\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)$", re.M)
CLOSE = re.compile(r"^#close\t(\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)$", re.M)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] not in NOT_GENERATED}


@pytest.fixture(scope="module")
def ssl() -> pd.DataFrame:
    return zeekcert.load(TSV_TREE, kinds=["ssl"]).ssl


def _records(name: str, data: bytes) -> tuple[str, list[str]]:
    """A generated file's text and its record lines."""
    text = (gzip.decompress(data) if name.endswith(".gz") else data).decode()
    return text, [line for line in text.splitlines() if line and not line.startswith("#")]


def _stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d-%H-%M-%S").replace(tzinfo=UTC)


def _rows_of(frame: pd.DataFrame, server: tuple[str, int]) -> pd.DataFrame:
    return frame[(frame["id.resp_h"].astype(str) == server[0])
                 & (frame["id.resp_p"] == server[1])].sort_values("ts")


@pytest.fixture(scope="module")
def verdicts() -> dict[str, dict[str, object]]:
    return json.loads((CERTS / "verdicts.json").read_text())["chains"]


def test_generate_reproduces_the_committed_tree(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SAMPLE / "generate.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, timeout=60)
    committed, fresh = _tree(SAMPLE), _tree(tmp_path)
    assert sorted(fresh) == sorted(committed)
    # ssl and notice every hour (the beacon), x509 only in 7 hours of the first day and 12
    # of the second; the JSON copy has the same files as its day; current/ all three logs.
    assert len(committed) == (2 * 24 + 2 * 24 + 7 + 12) + (24 + 24 + 7) + 3 == 173
    for name, data in committed.items():
        if not name.endswith(".gz"):
            assert fresh[name] == data, name
            continue
        # gzip header: no file name, mtime 0.
        assert data[3] == 0 and data[4:8] == b"\0\0\0\0", name
        assert gzip.decompress(fresh[name]) == gzip.decompress(data), name
        # The deflate stream itself is only the same with the same deflate code: zlib-ng
        # (e.g. Fedora's zlib-ng-compat) compresses the same text to other bytes.
        if "zlib-ng" not in zlib.ZLIB_RUNTIME_VERSION:
            assert fresh[name] == data, name


def test_layout_and_headers() -> None:
    day = sorted(p.name for p in (SAMPLE / "2026-11-25").iterdir())
    assert day[:2] == ["notice.00:00:00-01:00:00.log.gz", "notice.01:00:00-02:00:00.log.gz"]
    assert day[-1] == "x509.16:00:00-17:00:00.log.gz" and len(day) == 24 + 24 + 7
    assert "x509.01:00:00-02:00:00.log.gz" in day and "x509.02:00:00-03:00:00.log.gz" not in day
    assert sorted(p.name for p in (SAMPLE / "json" / "2026-11-25").iterdir()) == day
    assert len(list((SAMPLE / "2026-11-26").glob("x509.*"))) == 12
    last = gzip.decompress((SAMPLE / "2026-11-26" / "ssl.23:00:00-00:00:00.log.gz")
                           .read_bytes()).decode().splitlines()
    assert last[5] == "#open\t2026-11-26-23-00-58" and last[-1] == "#close\t2026-11-27-00-00-00"
    current = (SAMPLE / "current" / "ssl.log").read_text().splitlines()
    assert current[5] == "#open\t2026-11-27-00-01-33"
    assert not current[-1].startswith("#close")
    assert sorted(p.name for p in (SAMPLE / "current").iterdir()) == [
        "notice.log", "ssl.log", "x509.log"]


def test_no_file_is_header_only_and_opens_at_its_first_write() -> None:
    """Zeek >= 4.1 opens a log at its first write: no file for an hour without records,
    ``#open`` the moment of the first record, ``#close`` the rotation on the hour."""
    for name, data in _tree(SAMPLE).items():
        text, records = _records(name, data)
        assert records, f"{name} has no records"
        if name.startswith("json/"):
            continue
        first_ts = float(records[0].split("\t", 1)[0])
        opened = _stamp(OPEN.findall(text)[0])
        # Written at most ~5 s after its ts (curl's aborted connections, tcp_close_delay).
        assert int(first_ts) <= opened.timestamp() <= first_ts + 6, name
        closed = CLOSE.findall(text)
        if name.startswith("current/"):
            assert closed == [] and opened >= datetime(2026, 11, 27, tzinfo=UTC), name
            continue
        hour = int(name.split(".")[1][:2])
        start = datetime.fromisoformat(name.split("/")[0]).replace(hour=hour, tzinfo=UTC)
        assert start <= opened < start + timedelta(hours=1), name
        assert closed == [(start + timedelta(hours=1)).strftime("%Y-%m-%d-%H-%M-%S")], name


def test_recorded_verdicts_are_what_openssl_says(tmp_path: Path,
                                                 verdicts: dict[str, dict[str, object]],
                                                 ) -> None:
    expected = {chain: status for chain, status, _ in SERVERS.values() if chain}
    expected |= LATER_CHAINS
    assert {c: v["validation_status"] for c, v in verdicts.items()} == expected
    for chain, recorded in verdicts.items():
        sent = [CERTS / str(name) for name in recorded["sent"]]  # type: ignore[attr-defined]
        rest = [cf.load_certificate(p) for p in sent[1:]]
        untrusted = cf.bundle(tmp_path, chain, rest) if rest else None
        verdict = cf.openssl_verify(cf.load_certificate(sent[0]),
                                    CERTS / "sample-root-ca.pem", untrusted, INSIDE_WINDOW)
        assert (verdict.code, verdict.message) == (recorded["openssl_code"],
                                                   recorded["openssl_message"]), chain
        assert cf.zeek_status(verdict) == expected[chain], chain


def test_ssl_log_status_is_the_verdict(ssl: pd.DataFrame) -> None:
    got = {}
    for (host, port), rows in ssl.groupby([ssl["id.resp_h"].astype(str), "id.resp_p"]):
        got[(host, int(port))] = sorted(set(rows["validation_status"].dropna()))
    assert got == {server: [status] if status else [] for server, (_, status, _) in
                   SERVERS.items()}


def test_beacon_polls_every_144_seconds(ssl: pd.DataFrame) -> None:
    ts = {}
    for server, client in ((EXT4, "10.1.20.57"), (EXT6, "fd0a:1:20::57")):
        rows = ssl[(ssl["id.resp_h"].astype(str) == server[0]) & (ssl["id.resp_p"] == server[1])]
        assert sorted(rows["id.orig_h"].astype(str).unique()) == [client]
        assert rows["server_name"].isna().all()
        ts[server] = rows["ts"].sort_values().reset_index(drop=True)
        gaps = ts[server].diff().dropna().dt.total_seconds()
        assert 144 < gaps.median() < 146
        assert gaps.min() > 144 and gaps.max() < 146
        per_day = rows.groupby(rows["ts"].dt.date).size()
        assert 590 <= per_day[date(2026, 11, 25)] <= 600
        assert 590 <= per_day[date(2026, 11, 26)] <= 600
    # wget to Ext6 follows each curl to Ext4 within 0.1-0.5 s.
    pairs = pd.merge_asof(ts[EXT4].rename("curl").to_frame(), ts[EXT6].rename("wget").to_frame(),
                          left_on="curl", right_on="wget", direction="forward")
    lag = (pairs["wget"] - pairs["curl"]).dt.total_seconds()
    assert len(lag) > 1200 and lag.between(0.1, 0.5).all()


def test_json_day_loads_to_the_same_records() -> None:
    frames = []
    for source in (SAMPLE / "2026-11-25", SAMPLE / "json" / "2026-11-25"):
        logs = zeekcert.load(source)
        frames.append({k: getattr(logs, k).sort_values(key).reset_index(drop=True)
                       for k, key in (("ssl", "uid"), ("x509", "fingerprint"),
                                      ("notice", "uid"))})
    tsv, js = frames
    assert len(tsv["ssl"]) > 5000
    for kind in ("ssl", "x509", "notice"):
        pd.testing.assert_frame_equal(tsv[kind], js[kind])


def test_every_server_gets_its_cause() -> None:
    servers = zeekcert.servers(zeekcert.classify(zeekcert.load(TSV_TREE)))
    got = {(str(r["id.resp_h"]), int(r["id.resp_p"])): (r["primary_cause"], list(r["causes"]))
           for _, r in servers.iterrows()}
    got = {k: (None if pd.isna(p) else p, c) for k, (p, c) in got.items()}
    assert got == {server: (cause, [cause, *MORE_CAUSES.get(server, [])] if cause else [])
                   for server, (_, _, cause) in SERVERS.items()}
    # Worst first, the self-signed by connections: the beacon's two servers, the Cobalt
    # Strike beacon's, then the ingress, the dev server, the printer and the payload server.
    top = [(str(h), int(p)) for h, p in servers[["id.resp_h", "id.resp_p"]].head(7).to_numpy()]
    assert top == [EXT4, EXT6, COBALT, INGRESS, DEV, PRINTER, FRESH]
    counts = servers.set_index(servers["id.resp_h"].astype(str))["connections"]
    assert counts["10.20.40.9"] < counts["10.20.30.40"] < 30 < 1000 < counts["203.0.113.44"]


def test_dev_server_changes_its_certificate_at_the_upgrade(ssl: pd.DataFrame) -> None:
    old = cf.load_certificate(CERTS / "jenkins-dev.pem")
    new = cf.load_certificate(CERTS / "jenkins-dev-2.pem")
    # The installer's new certificate: same subject, new key, serial and validity.
    assert new.cert.subject == old.cert.subject and new.cert.issuer == new.cert.subject
    assert new.cert.subject.rfc4514_string() == DEV_SUBJECT
    assert new.cert.public_key() != old.cert.public_key()
    assert new.cert.serial_number != old.cert.serial_number
    assert new.fingerprint != old.fingerprint
    assert new.cert.not_valid_before_utc == datetime(2026, 11, 26, 8, 57, 43, tzinfo=UTC)
    rows = _rows_of(ssl, DEV)
    fps = rows["cert_chain_fps"].map(lambda v: v[0])
    assert set(fps) == {old.fingerprint, new.fingerprint}
    last_old = rows["ts"][fps == old.fingerprint].max()
    first_new = rows["ts"][fps == new.fingerprint].min()
    assert (fps == old.fingerprint).sum() == 8 and (fps == new.fingerprint).sum() == 9
    assert last_old < first_new  # one switch, no going back
    switch = (pd.Timestamp("2026-11-26 08:30", tz="UTC"),
              pd.Timestamp("2026-11-26 09:30", tz="UTC"))
    made = pd.Timestamp(new.cert.not_valid_before_utc)
    assert switch[0] < last_old < made < first_new < switch[1]
    # x509.log has the new certificate at its first connection, and validate-certs raises
    # a notice for it at once: suppression is per certificate, the old one's does not count.
    logs = zeekcert.load(TSV_TREE, kinds=["x509", "notice"])
    x509 = logs.x509[logs.x509["fingerprint"] == new.fingerprint]
    assert len(x509) == 1 and abs(x509["ts"].iloc[0] - first_new) < pd.Timedelta(seconds=1)
    assert x509["certificate.subject"].iloc[0] == DEV_SUBJECT
    notices = _rows_of(logs.notice, DEV)
    assert notices["sub"].eq(DEV_SUBJECT).all()
    near = notices["ts"][notices["ts"].between(*switch)]
    assert len(near) == 2 and near.iloc[0] < first_new <= near.iloc[1]
    assert near.iloc[1] - near.iloc[0] < pd.Timedelta(hours=1)
    assert (near.iloc[1] - first_new) < pd.Timedelta(seconds=1)


def test_printer_is_gone_after_2026_11_25(ssl: pd.DataFrame) -> None:
    printer = cf.load_certificate(CERTS / "printer.pem")
    assert printer.cert.subject.rfc4514_string() == "CN=NPI0A1B2C,O=HP"
    assert printer.cert.issuer == printer.cert.subject
    rows = _rows_of(ssl, PRINTER)
    assert len(rows) == 7 and len(rows) < len(_rows_of(ssl, DEV))
    assert set(rows["ts"].dt.date) == {date(2026, 11, 25)}
    assert rows["ts"].max() < pd.Timestamp("2026-11-25 16:00", tz="UTC")
    assert sorted(rows["id.orig_h"].astype(str).unique()) == ["10.1.10.14", "10.1.10.20",
                                                              "10.1.50.7"]
    assert rows["server_name"].isna().all()  # browsed to by address: no SNI
    assert rows["cert_chain_fps"].map(lambda v: list(v) == [printer.fingerprint]).all()


def test_nightly_inventory_sees_the_change_and_the_printer_go(tmp_path: Path) -> None:
    """Night by night: the dev server is ``changed`` and still acknowledged (no pin); a
    week after its last connection the printer is ``gone``."""
    allowlist = load_allowlist(SAMPLE / "allowlist.toml")
    state = tmp_path / "state.db"

    def night(folder: str, now: datetime) -> dict[tuple[str, int], tuple[str, bool, int]]:
        inv = run_nightly(SAMPLE / folder, state, now, allowlist=allowlist).inventory
        return {(str(r.resp_h), int(r.resp_p)): (r.status, bool(r.acknowledged),
                                                 len(r.fingerprints))
                for r in inv.itertuples()}

    first = night("2026-11-25", datetime(2026, 11, 26, 0, 30, tzinfo=UTC))
    assert first == {EXT4: ("new", False, 1), EXT6: ("new", False, 1),
                     DEV: ("new", True, 1), PRINTER: ("new", False, 1),
                     COBALT: ("new", False, 1), FRESH: ("new", False, 1),
                     INGRESS: ("new", False, 1), SLIVER_A: ("new", False, 1)}
    second = night("2026-11-26", datetime(2026, 11, 27, 0, 30, tzinfo=UTC))
    assert second[DEV] == ("changed", True, 2)
    assert second[EXT4] == second[EXT6] == ("active", False, 1)
    assert second[PRINTER] == ("quiet", False, 1)  # not seen on day 2, not yet gone
    week = night("2026-11-26", datetime(2026, 12, 2, 18, 0, tzinfo=UTC))
    assert week[PRINTER] == ("gone", False, 1)
    assert week[DEV][1] and week[EXT4][0] != "gone"


def test_the_self_signed_nightly_job_keeps_sliver_behind_its_per_server_ca(
        tmp_path: Path) -> None:
    """Sliver's leaf chains to a CA of its own, so Zeek says the chain is incomplete, not
    self-signed: the default job keeps it anyway, by its C2 label, and nothing else that
    fails for another cause comes in with it."""
    inv = run_nightly(SAMPLE, tmp_path / "s.db", datetime(2026, 11, 27, 0, 30, tzinfo=UTC)
                      ).inventory
    kept = {(str(r.resp_h), int(r.resp_p)): (list(r.causes), list(r.labels))
            for r in inv.itertuples()}
    for sliver in (SLIVER_A, SLIVER_B):
        assert kept[sliver] == (["incomplete_chain"], ["tooling:sliver_https"])
    chain_only = [s for s, (_, _, cause) in SERVERS.items()
                  if cause is not None and cause != "self_signed"]
    assert sorted(s for s in kept if s in chain_only) == sorted([SLIVER_B, SLIVER_A])
    assert len(kept) == 9  # the seven self-signed servers and the two Sliver addresses


def test_allowlist_acknowledges_only_the_dev_server() -> None:
    entries = load_allowlist(SAMPLE / "allowlist.toml")
    old_fp = cf.load_certificate(CERTS / "jenkins-dev.pem").fingerprint
    new_fp = cf.load_certificate(CERTS / "jenkins-dev-2.pem").fingerprint
    ext4_fp = cf.load_certificate(CERTS / "ext4.pem").fingerprint
    printer_fp = cf.load_certificate(CERTS / "printer.pem").fingerprint
    today = date(2026, 11, 26)
    assert len(entries) == 1
    # No pin: a pin would end the acknowledgement at the upgrade's new certificate.
    assert entries[0].fingerprint is None and entries[0].expires == date(2027, 6, 30)
    for fps in ([old_fp], [new_fp], [old_fp, new_fp]):
        dev = acknowledged_by(entries, today, "10.20.30.40", 8443, fps, DEV_SUBJECT)
        assert dev is not None and dev.owner == "dev tools team"
    assert acknowledged_by(entries, today, "203.0.113.44", 443, [ext4_fp], "CN=localhost") is None
    assert acknowledged_by(entries, today, "10.20.40.9", 443, [printer_fp],
                           "CN=NPI0A1B2C,O=HP") is None
    # Something else on the dev server's address and port is not acknowledged.
    assert acknowledged_by(entries, today, "10.20.30.40", 8443, [ext4_fp], "CN=localhost") is None
    assert acknowledged_by(entries, today, "10.20.30.41", 8443, [new_fp], DEV_SUBJECT) is None
    assert acknowledged_by(entries, date(2027, 7, 1), "10.20.30.40", 8443, [new_fp],
                           DEV_SUBJECT) is None
