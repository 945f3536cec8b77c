"""The inventory merge is exact in any order and any grouping into batches and runs.

The same files, folded in every order and cut into runs and batches anywhere, give the
same records field by field, regularity included: what a run says of itself (``status``,
this run's ``connections``) aside. Checked on the sample's 49 ssl files, on generated rows
full of ties (the same time, two certificates at one instant) with a small per-pair cap,
and through the nightly job with a late-arriving day.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zeekcert
from zeekcert import ConfigError
from zeekcert.classification import classify
from zeekcert.cli import main
from zeekcert.inventory import (
    GONE_AFTER,
    MAX_TIMES,
    Accumulator,
    State,
    from_records,
    pair_records,
    prune,
    run_nightly,
    server_records,
    settle,
    to_frame,
)
from zeekcert.inventory import columnar as columnar_module

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"
NOW = datetime(2026, 11, 27, 1, tzinfo=UTC)
RUN_FIELDS = {"status", "window_connections", "known_fingerprints"}  # a run's own words
JENKINS = ("10.20.30.40", 8443)


@pytest.fixture(scope="module")
def sample_files() -> list[pd.DataFrame]:
    """Each ssl file of the sample (TSV tree), classified against all its certificates."""
    logs = zeekcert.load(SAMPLE, kinds=("x509", "notice"))
    paths = [*sorted(SAMPLE.glob("2026-11-2?/ssl.*.log.gz")), SAMPLE / "current/ssl.log"]
    return [classify({"ssl": zeekcert.read_log(p), "x509": logs.x509, "notice": logs.notice},
                     now=NOW) for p in paths]


def fold(batches: list[list[pd.DataFrame]]) -> Accumulator:
    """One run per item of ``batches``; each run adds its frames one batch at a time."""
    acc = Accumulator()
    for run in batches:
        acc.start_run()
        for frame in run:
            acc.add(frame)
        settle(acc, NOW, GONE_AFTER)
    return acc


def records(acc: Accumulator) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """The servers (without what a run says of itself) and the pairs, comparable."""
    servers = {k: {f: v for f, v in r.items() if f not in RUN_FIELDS}
               for k, r in server_records(acc).items()}
    return servers, pair_records(acc)


def regular(acc: Accumulator) -> pd.DataFrame:
    frame = to_frame(acc, NOW)
    columns = ["resp_h", "resp_p", "total_connections", "top_clients", "beacon_client",
               "median_interval_s", "jitter", "clockwork", "fingerprint"]
    return frame[columns].sort_values(["resp_h", "resp_p"]).reset_index(drop=True)


@st.composite
def groupings(draw: st.DrawFn, count: int) -> list[list[list[int]]]:
    """A permutation of ``range(count)`` cut into runs, and each run into batches."""
    order = draw(st.permutations(range(count)))
    cuts = sorted(draw(st.sets(st.integers(1, max(count - 1, 1)), max_size=4)))
    runs = [order[a:b] for a, b in zip([0, *cuts], [*cuts, count], strict=True) if order[a:b]]
    out = []
    for run in runs:
        inner = sorted(draw(st.sets(st.integers(1, max(len(run) - 1, 1)), max_size=3)))
        out.append([run[a:b] for a, b in zip([0, *inner], [*inner, len(run)], strict=True)
                    if run[a:b]])
    return out


def _frames(files: list[pd.DataFrame], grouping: list[list[list[int]]]
            ) -> list[list[pd.DataFrame]]:
    return [[pd.concat([files[i] for i in batch], ignore_index=True) for batch in run]
            for run in grouping]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grouping=groupings(49))
def test_the_sample_folds_the_same_in_any_order_and_grouping(
        sample_files: list[pd.DataFrame], grouping: list[list[list[int]]]) -> None:
    assert len(sample_files) == 49
    baseline = fold([[pd.concat(sample_files, ignore_index=True)]])
    acc = fold(_frames(sample_files, grouping))
    assert records(acc) == records(baseline)
    pd.testing.assert_frame_equal(regular(acc), regular(baseline))


def test_the_sample_in_reverse_hours_keeps_its_intervals(
        sample_files: list[pd.DataFrame]) -> None:
    """The case that used to break: hour files folded newest first."""
    acc = fold([[f] for f in reversed(sample_files)])
    frame = regular(acc).set_index(["resp_h", "resp_p"])
    assert round(frame.loc[JENKINS, "median_interval_s"], 2) == 16312.44
    assert round(frame.loc[("203.0.113.44", 443), "median_interval_s"], 2) == 144.59
    times = [p["times"] for p in pair_records(acc).values()]
    assert all(a <= b for ts in times for a, b in itertools.pairwise(ts))


SERVERS = ["203.0.113.7", "2001:db8::7", "198.51.100.9"]
CLIENTS = ["10.0.0.1", "10.0.0.2", "fd00::3"]
T0 = pd.Timestamp("2026-11-20", tz="UTC")
FPS = ["a" * 64, "b" * 64]


@st.composite
def connections(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Self-signed connections with many equal times, and two certificates per server."""
    n = draw(st.integers(1, 60))
    return [{"uid": f"C{i}", "ts": T0 + pd.Timedelta(seconds=draw(st.integers(0, 40))),
             "id.orig_h": draw(st.sampled_from(CLIENTS)),
             "id.resp_h": draw(st.sampled_from(SERVERS)), "id.resp_p": 443,
             "server_name": draw(st.sampled_from([None, "a.test", "b.test"])),
             "fp": draw(st.sampled_from(FPS))} for i in range(n)]


def _classified(rows: list[dict[str, Any]]) -> pd.DataFrame:
    ssl = pd.DataFrame({
        "ts": pd.to_datetime([r["ts"] for r in rows], utc=True),
        "uid": [r["uid"] for r in rows], "id.orig_h": [r["id.orig_h"] for r in rows],
        "id.orig_p": 50000, "id.resp_h": [r["id.resp_h"] for r in rows],
        "id.resp_p": [r["id.resp_p"] for r in rows],
        "server_name": [r["server_name"] for r in rows], "version": "TLSv12",
        "established": True, "resumed": False,
        "cert_chain_fps": [[r["fp"]] for r in rows],
        "validation_status": "self signed certificate"})
    x509 = pd.DataFrame({
        "ts": T0, "fingerprint": FPS, "certificate.subject": ["CN=a", "CN=b"],
        "certificate.issuer": ["CN=a", "CN=b"],
        "certificate.not_valid_before": T0 - pd.Timedelta(days=9),
        "certificate.not_valid_after": T0 + pd.Timedelta(days=9),
        "certificate.key_type": "rsa", "certificate.key_length": 2048,
        "certificate.sig_alg": "sha256WithRSAEncryption"})
    return classify({"ssl": ssl, "x509": x509}, now=NOW)


@settings(max_examples=40, deadline=None)
@given(rows=connections(), data=st.data())
def test_generated_rows_fold_the_same_past_the_cap(rows: list[dict[str, Any]],
                                                   data: st.DataObject) -> None:
    """Ties in time and certificate, and pairs past a cap of 4 times, change nothing."""
    classified = _classified(rows)
    files = [classified.iloc[[i]] for i in range(len(classified))]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columnar_module, "MAX_TIMES", 4)
        baseline = fold([[classified]])
        acc = fold(_frames(files, data.draw(groupings(len(files)))))
        assert records(acc) == records(baseline)  # tables reduce when read: inside the cap
        assert all(len(p["times"]) <= 4 for p in pair_records(acc).values())
        pd.testing.assert_frame_equal(regular(acc), regular(baseline))


def test_a_pair_keeps_the_latest_times_of_all_it_saw() -> None:
    """Even times in one batch, odd ones in another: the latest 2,048 of both stay."""
    assert MAX_TIMES == 2048
    one = {"uid": "C", "id.orig_h": CLIENTS[0], "id.resp_h": SERVERS[0], "id.resp_p": 443,
           "server_name": None, "fp": FPS[0]}
    acc = Accumulator()
    for start in (0, 1):
        acc.add(_classified([{**one, "ts": T0 + pd.Timedelta(microseconds=t)}
                             for t in range(start, 4000, 2)]))
    (pair,) = pair_records(acc).values()
    base = int(T0.value // 1000)
    assert [t - base for t in pair["times"]] == list(range(4000 - 2048, 4000))
    assert pair["connections"] == 4000


def test_state_records_round_trip_exactly(sample_files: list[pd.DataFrame]) -> None:
    """What the state keeps and gives back is the same accumulator, field by field."""
    acc = fold([[f] for f in sample_files[:20]])
    again = from_records(server_records(acc), pair_records(acc))
    assert server_records(again) == server_records(acc)
    assert pair_records(again) == pair_records(acc)
    assert len(server_records(acc)) == 7


def _nightly_day(target: Path, day: str) -> Path:
    shutil.copytree(SAMPLE / day, target / day)
    return target


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["status", "connections"]).sort_values(
        ["resp_h", "resp_p"]).reset_index(drop=True)


def test_a_late_day_gives_the_nightly_job_the_same_inventory(tmp_path: Path) -> None:
    """Day 2, then day 1 arriving late: as if both came in one run (Jenkins 16,312 s)."""
    days = ["2026-11-25", "2026-11-26"]
    one = tmp_path / "both"
    for day in days:
        _nightly_day(one, day)
    together = run_nightly(one, tmp_path / "one.db", NOW).inventory
    state = tmp_path / "late.db"
    run_nightly(_nightly_day(tmp_path / "d2", days[1]), state, NOW)
    late = run_nightly(_nightly_day(tmp_path / "d1", days[0]), state, NOW).inventory
    assert round(late.set_index(["resp_h", "resp_p"]).loc[JENKINS, "median_interval_s"],
                 2) == 16312.44
    pd.testing.assert_frame_equal(_comparable(late), _comparable(together))


def test_pruning_forgets_what_the_retention_has_passed() -> None:
    acc = Accumulator()
    acc.add(_classified([{"uid": "C1", "ts": T0, "id.orig_h": CLIENTS[0],
                          "id.resp_h": SERVERS[0], "id.resp_p": 443, "server_name": None,
                          "fp": FPS[0]}]))
    assert prune(acc, T0 + timedelta(days=89), timedelta(days=90)) == 0
    assert len(server_records(acc)) == 1 and len(pair_records(acc)) == 1
    assert prune(acc, T0 + timedelta(days=91), timedelta(days=90)) == 1
    assert server_records(acc) == {} and pair_records(acc) == {}


def test_a_retention_shorter_than_gone_after_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="retention"):
        run_nightly(SAMPLE, tmp_path / "s.db", NOW, retention=timedelta(days=3))
    err = __import__("io").StringIO()
    code = main(["inventory", str(SAMPLE), "--state", str(tmp_path / "s.db"),
                 "--retention", "3"], err=err, now=NOW)
    assert code == 2 and "retention (3 days)" in err.getvalue()
    assert not (tmp_path / "s.db").exists()


def test_schema_2_pairs_are_migrated_to_times(tmp_path: Path) -> None:
    state = tmp_path / "old.db"
    run_nightly(_nightly_day(tmp_path / "d1", "2026-11-25"), state, NOW)
    with sqlite3.connect(state) as db:
        rows = db.execute("SELECT orig_h, resp_h, resp_p, record FROM pairs").fetchall()
        expected = {r[:3]: json.loads(r[3]) for r in rows}
        for orig, host, port, text in rows:  # written back as schema 2 kept them
            times = json.loads(text)["times"]
            old = {"connections": json.loads(text)["connections"], "last_us": times[-1],
                   "intervals": [(b - a) / 1e6 for a, b in itertools.pairwise(times)]}
            db.execute("UPDATE pairs SET record=? WHERE orig_h=? AND resp_h=? AND resp_p=?",
                       (json.dumps(old), orig, host, port))
        db.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    with State.open(state) as opened:
        migrated = opened.records("pairs")
    assert len(expected) == 12  # the first day's pairs, Sliver's (its C2 label) among them
    assert migrated == expected
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT value FROM meta").fetchall() == [("4",)]
