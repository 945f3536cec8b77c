"""The bundled threat-simulation sample: reproducible, true to openssl, and classified right.

``sample_logs/generate.py`` must rebuild the committed tree exactly; every certificate's
recorded verdict must be what ``openssl verify`` says on this machine; the beacon must
tick every ~144.5 s; the JSON day must load to the same frame as the TSV day; and every
server must get the cause it was built to show.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import certfactory as cf
import pandas as pd
import pytest

import zeekcert
from zeekcert.allowlist import acknowledged_by, load_allowlist

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"
CERTS = SAMPLE / "certs"
TSV_TREE = [SAMPLE / "2026-11-25", SAMPLE / "2026-11-26", SAMPLE / "current"]
NOT_GENERATED = {"README.md", "generate.py", "make_certs.py", "allowlist.toml", "certs",
                 "__pycache__"}
INSIDE_WINDOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

EXT4, EXT6, DEV = ("203.0.113.44", 443), ("2001:db8:44::44", 443), ("10.20.30.40", 8443)
# server -> (certificate chain in verdicts.json, validation_status, primary cause)
SERVERS = {
    EXT4: ("ext4", "self signed certificate", "self_signed"),
    EXT6: ("ext6", "self signed certificate", "self_signed"),
    DEV: ("jenkins-dev", "self signed certificate", "self_signed"),
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
}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] not in NOT_GENERATED}


@pytest.fixture(scope="module")
def ssl() -> pd.DataFrame:
    return zeekcert.load(TSV_TREE, kinds=["ssl"]).ssl


@pytest.fixture(scope="module")
def verdicts() -> dict[str, dict[str, object]]:
    return json.loads((CERTS / "verdicts.json").read_text())["chains"]


def test_generate_reproduces_the_committed_tree(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SAMPLE / "generate.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True, timeout=60)
    committed, fresh = _tree(SAMPLE), _tree(tmp_path)
    assert sorted(fresh) == sorted(committed)
    assert len(committed) == 2 * 24 * 3 + 24 * 3 + 3
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
    assert day[-1] == "x509.23:00:00-00:00:00.log.gz" and len(day) == 72
    last = gzip.decompress((SAMPLE / "2026-11-26" / "ssl.23:00:00-00:00:00.log.gz")
                           .read_bytes()).decode().splitlines()
    assert last[5] == "#open\t2026-11-26-23-00-00" and last[-1] == "#close\t2026-11-27-00-00-00"
    current = (SAMPLE / "current" / "ssl.log").read_text().splitlines()
    assert current[5] == "#open\t2026-11-27-00-00-00"
    assert not current[-1].startswith("#close")


def test_recorded_verdicts_are_what_openssl_says(tmp_path: Path,
                                                 verdicts: dict[str, dict[str, object]],
                                                 ) -> None:
    expected = {chain: status for chain, status, _ in SERVERS.values() if chain}
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
    assert got == {server: (cause, [cause] if cause else [])
                   for server, (_, _, cause) in SERVERS.items()}
    # Worst first: the beacon's two servers, then the dev server with far fewer connections.
    top = [(str(h), int(p)) for h, p in servers[["id.resp_h", "id.resp_p"]].head(3).to_numpy()]
    assert top == [EXT4, EXT6, DEV]
    counts = servers.set_index(servers["id.resp_h"].astype(str))["connections"]
    assert counts["10.20.30.40"] < 30 < 1000 < counts["203.0.113.44"]


def test_allowlist_acknowledges_only_the_dev_server() -> None:
    entries = load_allowlist(SAMPLE / "allowlist.toml")
    dev_fp = cf.load_certificate(CERTS / "jenkins-dev.pem").fingerprint
    ext4_fp = cf.load_certificate(CERTS / "ext4.pem").fingerprint
    today = date(2026, 11, 26)
    dev = acknowledged_by(entries, today, "10.20.30.40", 8443, [dev_fp],
                          "CN=jenkins-dev.corp.example,O=Example Corp,C=US")
    assert dev is not None and dev.owner == "dev tools team"
    assert acknowledged_by(entries, today, "203.0.113.44", 443, [ext4_fp], "CN=localhost") is None
    assert acknowledged_by(entries, today, "10.20.30.40", 8443, [ext4_fp],
                           "CN=jenkins-dev.corp.example,O=Example Corp,C=US") is None
