"""The self-signed inventory, its allowlist and the regularity of connections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import zeekcert
from zeekcert.inventory import (
    Accumulator,
    inventory,
    load_allowlist,
    pair_records,
    regularity,
    server_records,
    settle,
    to_frame,
)

START = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 2, tzinfo=UTC)
EXT4, EXT6, DEV, GOOD = "203.0.113.10", "2001:db8::10", "10.1.1.1", "198.51.100.7"
FP = {EXT4: "aa" * 32, EXT6: "bb" * 32, DEV: "cc" * 32, GOOD: "dd" * 32}


def _conn(i: int, ts: datetime, client: str, server: str, port: int, sni: str | None,
          status: str) -> dict[str, object]:
    return {"ts": ts, "uid": f"C{i}", "id.orig_h": client, "id.resp_h": server,
            "id.resp_p": port, "server_name": sni, "cert_chain_fps": [FP[server]],
            "validation_status": status}


def _simulation() -> dict[str, pd.DataFrame]:
    """The implant polls Ext4 and Ext6 every 144 s; a person visits the dev box at random."""
    rows, rng = [], np.random.default_rng(7)
    for beat in range(40):
        t = START + timedelta(seconds=144 * beat + float(rng.uniform(-2, 2)))
        rows.append(_conn(len(rows), t, "10.0.0.5", EXT4, 443, None, "self signed certificate"))
        rows.append(_conn(len(rows), t + timedelta(seconds=1), "10.0.0.5", EXT6, 443, None,
                          "self signed certificate"))
    for _ in range(12):
        t = START + timedelta(minutes=float(rng.uniform(0, 600)))
        rows.append(_conn(len(rows), t, "10.0.0.9", DEV, 8443, "dev.corp",
                          "self signed certificate"))
        rows.append(_conn(len(rows), t, "10.0.0.9", GOOD, 443, "www.example.org", "ok"))
    ssl = pd.DataFrame(rows).sort_values("ts").reset_index(drop=True)
    ssl["ts"] = pd.to_datetime(ssl["ts"], utc=True)
    x509 = pd.DataFrame({
        "fingerprint": list(FP.values()),
        "certificate.subject": ["CN=localhost", "CN=localhost", "CN=dev.corp,O=Corp",
                                "CN=www.example.org"],
        "certificate.issuer": ["CN=localhost", "CN=localhost", "CN=dev.corp,O=Corp", "CN=CA"],
        "certificate.not_valid_before": pd.to_datetime(["2026-01-01T00:00Z"] * 4),
        "certificate.not_valid_after": pd.to_datetime(["2027-01-01T00:00Z"] * 4),
        "certificate.key_type": ["rsa"] * 4, "certificate.key_length": [2048] * 4,
        "certificate.sig_alg": ["sha256WithRSAEncryption"] * 4,
        "san.dns": [None, None, ["dev.corp"], ["www.example.org"]]})
    return {"ssl": ssl, "x509": x509}


@pytest.fixture(scope="module")
def classified() -> pd.DataFrame:
    return zeekcert.classify(_simulation(), now=NOW)


def test_inventory_has_the_three_self_signed_servers(classified: pd.DataFrame) -> None:
    inv = inventory(classified, now=NOW)
    assert inv[["resp_h", "resp_p"]].astype(str).values.tolist() == [
        [EXT4, "443"], [EXT6, "443"], [DEV, "8443"]]
    ext4 = inv.iloc[0]
    assert (ext4["connections"], ext4["clients"], ext4["server_names"]) == (40, 1, [])
    assert ext4["top_clients"] == ["10.0.0.5 (40)"]
    assert (ext4["subject"], ext4["fingerprint"]) == ("CN=localhost", FP[EXT4])
    assert ext4["other_causes"] == []
    assert not ext4["acknowledged"] and ext4["acknowledged_by"] is None


def test_the_implant_polls_like_clockwork_and_the_person_does_not(
        classified: pd.DataFrame) -> None:
    inv = inventory(classified, now=NOW).set_index("resp_h")
    assert inv.loc[EXT4, "clockwork"] and inv.loc[EXT6, "clockwork"]
    assert 140 <= inv.loc[EXT4, "median_interval_s"] <= 148
    assert inv.loc[EXT4, "beacon_client"] == "10.0.0.5"
    assert not inv.loc[DEV, "clockwork"] and inv.loc[DEV, "jitter"] > 0.2


def test_regularity_per_pair(classified: pd.DataFrame) -> None:
    pairs = regularity(classified).set_index("id.resp_h")
    assert pairs.loc[EXT4, "connections"] == 40
    assert pairs.loc[GOOD, "connections"] == 12


def test_cause_any_widens_to_other_causes(classified: pd.DataFrame) -> None:
    extra = classified.copy()
    assert len(inventory(extra, now=NOW, cause="any")) == 3
    assert len(inventory(extra, now=NOW, cause="hostname_mismatch")) == 0


def _allowlist(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "allow.toml"
    path.write_text(text)
    return path


def test_allowlist_acknowledges_by_cidr_subject_and_fingerprint(
        classified: pd.DataFrame, tmp_path: Path) -> None:
    path = _allowlist(tmp_path, f'''
[[acknowledged]]
resp_h = "10.1.0.0/16"
subject = "^CN=dev\\\\.corp"
owner = "dev team"
reason = "installer certificate"

[[acknowledged]]
fingerprint = "{FP[EXT6].upper()}"
owner = "nobody"
reason = "expired on purpose"
expires = 2026-10-31
''')
    entries = load_allowlist(path)
    inv = inventory(classified, now=NOW, allowlist=entries).set_index("resp_h")
    assert inv.loc[DEV, "acknowledged"] and inv.loc[DEV, "acknowledged_by"] == (
        "#1 (dev team: installer certificate)")
    assert not inv.loc[EXT6, "acknowledged"]  # the entry expired the day before
    earlier = inventory(classified, now=datetime(2026, 10, 31, 23, tzinfo=UTC), allowlist=entries)
    assert earlier.set_index("resp_h").loc[EXT6, "acknowledged"]


def test_a_pinned_fingerprint_stops_matching_when_the_certificate_changes(
        classified: pd.DataFrame, tmp_path: Path) -> None:
    entries = load_allowlist(_allowlist(tmp_path, f'''
[[acknowledged]]
resp_h = "{EXT4}"
fingerprint = "{FP[EXT4]}"
owner = "a"
reason = "b"
'''))
    inv = inventory(classified, now=NOW, allowlist=entries).set_index("resp_h")
    assert inv.loc[EXT4, "acknowledged"] and not inv.loc[EXT6, "acknowledged"]
    changed = classified.copy()
    changed["fingerprint"] = changed["fingerprint"].astype(object)
    last_ext4 = changed.index[changed["id.resp_h"].astype(str) == EXT4][-1]
    changed.loc[last_ext4, "fingerprint"] = "ee" * 32  # the server shows a new certificate
    after = inventory(changed, now=NOW, allowlist=entries).set_index("resp_h")
    assert after.loc[EXT4, "fingerprints"] == sorted([FP[EXT4], "ee" * 32])
    assert not after.loc[EXT4, "acknowledged"]


_GOOD = '[[acknowledged]]\nresp_h = "10.0.0.1"\nowner = "a"\nreason = "b"\n\n'


@pytest.mark.parametrize("text,message,line", [
    ('[[acknowledged]]\nresp_h = "10.0.0.0/8"\n', "owner and reason are required", 1),
    ('[[acknowledged]]\nowner = "a"\nreason = "b"\n', "give resp_h, resp_p", 1),
    ('[[acknowledged]]\nresp_h = "nope"\nowner = "a"\nreason = "b"\n', "#1", 1),
    ('[[acknowledged]]\nport = 1\nowner = "a"\nreason = "b"\n', "unknown key", 2),
    ('[[acknowledged]]\nsubject = "("\nowner = "a"\nreason = "b"\n', "#1", 1),
    (_GOOD + '[[acknowledged]]\nowner = "a"\nreason = "b"\nprot = 1\n', "#2: unknown key", 9),
    (_GOOD + "[[acknowledged]\n", "not valid TOML", 6),
    ('[server]\nresp_h = "10.0.0.1"\n', "found server", 1),
])
def test_allowlist_mistakes_are_clear_errors(tmp_path: Path, text: str, message: str,
                                             line: int) -> None:
    with pytest.raises(zeekcert.ConfigError, match=message) as info:
        load_allowlist(_allowlist(tmp_path, text))
    assert (info.value.path, info.value.line) == (str(tmp_path / "allow.toml"), line)


def _run(acc: Accumulator, batch: pd.DataFrame, now: datetime) -> pd.DataFrame:
    acc.start_run()
    acc.add(batch)
    settle(acc, now, timedelta(days=7))
    return to_frame(acc, now).set_index("resp_h")


def test_runs_merge_into_new_active_changed_and_gone(classified: pd.DataFrame) -> None:
    acc = Accumulator()
    first = _run(acc, classified, NOW)
    assert first["status"].tolist() == ["new", "new", "new"]
    day2 = classified[classified["id.resp_h"].astype(str) != DEV].copy()
    day2["ts"] = day2["ts"] + pd.Timedelta(days=10)
    day2["fingerprint"] = day2["fingerprint"].astype(object)
    day2.loc[day2["id.resp_h"].astype(str) == EXT6, "fingerprint"] = "ff" * 32
    second = _run(acc, day2, NOW + timedelta(days=10))
    assert second.loc[EXT4, "status"] == "active"
    assert second.loc[EXT6, "status"] == "changed"
    assert second.loc[EXT6, "fingerprints"] == sorted([FP[EXT6], "ff" * 32])
    assert second.loc[DEV, "status"] == "gone"
    assert second.loc[EXT4, "total_connections"] == 80
    assert (second.loc[EXT4, "connections"], second.loc[DEV, "connections"]) == (40, 0)
    assert second.loc[EXT4, "first_seen"] == first.loc[EXT4, "first_seen"]


def test_two_batches_equal_one(classified: pd.DataFrame) -> None:
    half = len(classified) // 2
    split, whole = Accumulator(), Accumulator()
    split.add(classified.iloc[:half])
    split.add(classified.iloc[half:])
    whole.add(classified)
    assert server_records(split) == server_records(whole)
    assert pair_records(split) == pair_records(whole)
    assert len(server_records(whole)) == 3


def test_server_statuses_are_a_closed_vocabulary_with_descriptions() -> None:
    from zeekcert.inventory import ServerStatus
    assert [s.value for s in ServerStatus] == ["new", "changed", "active", "quiet", "gone"]
    assert ServerStatus.QUIET.description == "known, not seen in this run, not yet gone"
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert all(f"`{s.value}`" in readme for s in ServerStatus)
