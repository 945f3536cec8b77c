"""The report streams: batch by batch, file by file, it says what the whole load says.

``build_streaming`` on a tree equals ``build`` on ``load`` of it, and a report folded
from any cut of the connections into batches, in any order, merged through sub-tallies
as files and workers would be, equals the report of one batch.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinylogs import FINGERPRINT, SERVER, ssl_row, x509_row
from zeekwriter import write_tsv

import zeekcert
from zeekcert.classification import classify
from zeekcert.classification.rollup import _address_key, address_rank
from zeekcert.reading import SeenUids, text_hashes
from zeekcert.report import build_streaming, report_dict
from zeekcert.report.findings import build, from_tally
from zeekcert.report.tally import ReportTally

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"
NOW = datetime(2026, 11, 27, 1, tzinfo=UTC)


def _json(findings: zeekcert.Findings) -> dict[str, object]:
    return json.loads(json.dumps(report_dict(findings), default=str))


@pytest.fixture(scope="module")
def sample() -> tuple[zeekcert.Logs, pd.DataFrame]:
    logs = zeekcert.load(SAMPLE)
    return logs, classify(logs, now=NOW)


def test_the_streamed_sample_says_what_the_whole_load_says(
        sample: tuple[zeekcert.Logs, pd.DataFrame]) -> None:
    logs, _ = sample
    whole = build(logs, now=NOW)
    streamed = zeekcert.build_streaming(SAMPLE, now=NOW)
    assert zeekcert.build_streaming is build_streaming
    assert _json(streamed.findings) == _json(whole)
    assert streamed.findings.connections == 11207
    assert streamed.load_report.counts()["duplicate"] == 55
    pd.testing.assert_frame_equal(streamed.findings.activity, whole.activity)


@st.composite
def cuts(draw: st.DrawFn, n: int) -> list[list[tuple[int, int]]]:
    """Row ranges cut anywhere, shuffled, and grouped into sub-tallies (files, workers)."""
    points = sorted(draw(st.sets(st.integers(1, n - 1), max_size=12)))
    ranges = list(zip([0, *points], [*points, n], strict=True))
    ranges = draw(st.permutations(ranges))
    groups = sorted(draw(st.sets(st.integers(1, max(len(ranges) - 1, 1)), max_size=4)))
    return [ranges[a:b] for a, b in zip([0, *groups], [*groups, len(ranges)], strict=True)
            if ranges[a:b]]


def _folded(classified: pd.DataFrame, grouping: list[list[tuple[int, int]]]) -> ReportTally:
    total = ReportTally()
    for group in grouping:
        part = ReportTally()
        for lo, hi in group:
            part.add(classified.iloc[lo:hi])
        total.merge(part)
    return total


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_cut_and_order_of_batches_gives_the_same_report(
        sample: tuple[zeekcert.Logs, pd.DataFrame], data: st.DataObject) -> None:
    logs, classified = sample
    one = ReportTally()
    one.add(classified)
    expected = _json(from_tally(one, logs.report, NOW))
    grouping = data.draw(cuts(len(classified)))
    assert _json(from_tally(_folded(classified, grouping), logs.report, NOW)) == expected


def test_timelines_keep_every_failing_connection_and_start_at_the_first_failing_batch(
        sample: tuple[zeekcert.Logs, pd.DataFrame]) -> None:
    """A server's timeline starts with the batch in which it first failed (README): all
    its failing connections are there; a passing one from before may not be."""
    logs, classified = sample
    ordered = classified.sort_values("ts", kind="stable").reset_index(drop=True)
    one = ReportTally()
    one.add(ordered)
    many = _folded(ordered, [[(i, min(i + 700, len(ordered)))]
                             for i in range(0, len(ordered), 700)])
    expected = from_tally(one, logs.report, NOW).activity
    got = from_tally(many, logs.report, NOW).activity
    rows = {tuple(r) for r in expected.astype(str).itertuples(index=False)}
    assert {tuple(r) for r in got.astype(str).itertuples(index=False)} <= rows
    pd.testing.assert_frame_equal(got[got["failing"]].reset_index(drop=True),
                                  expected[expected["failing"]].reset_index(drop=True))
    assert (len(expected), len(got)) == (2992, 2991)


def _tree(folder: Path, hours: list[list[int]]) -> Path:
    """One ssl file per hour holding the given connection numbers, and the certificate."""
    folder.mkdir()
    for h, numbers in enumerate(hours):
        write_tsv(str(folder / f"ssl.{h:02d}:00:00-{h + 1:02d}:00:00.log"), SSL_FIELDS,
                  SSL_TYPES, [ssl_row(i) for i in numbers], log_path="ssl")
    write_tsv(str(folder / "x509.log"), X509_FIELDS, X509_TYPES, [x509_row()],
              log_path="x509")
    return folder


def test_a_uid_logged_again_in_another_file_counts_once(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "logs", [[0, 1, 2], [2, 3, 3, 4]])
    streamed = build_streaming(tree, now=NOW)
    whole = build(zeekcert.load(tree), now=NOW)
    assert streamed.findings.connections == 5
    assert streamed.load_report.repeated == {"ssl": 2}
    assert _json(streamed.findings) == _json(whole)
    signed = streamed.findings.self_signed.set_index("resp_h")
    assert signed.loc[SERVER, "self_signed_connections"] == 5
    assert signed.loc[SERVER, "fingerprints"] == [FINGERPRINT]


def test_a_copy_in_another_format_is_read_once_and_its_uids_are_not_repeats(
        tmp_path: Path) -> None:
    tree = _tree(tmp_path / "logs", [[0, 1, 2]])
    copy = tree / "backup"
    copy.mkdir()
    (copy / "ssl.00:00:00-01:00:00.log").write_bytes(
        (tree / "ssl.00:00:00-01:00:00.log").read_bytes())
    streamed = build_streaming(tree, now=NOW)
    assert streamed.findings.connections == 3
    assert streamed.load_report.repeated == {"ssl": 0}
    assert streamed.load_report.counts()["duplicate"] == 1


def test_seen_uids_answer_like_a_set() -> None:
    seen = SeenUids()
    first = seen.first_time(pd.Series(["a", "b", "a", None, "c"]))
    assert first.tolist() == [True, True, False, True, True]
    for start in range(0, 3000, 100):  # enough batches to merge levels several times
        seen.first_time(pd.Series([f"u{i}" for i in range(start, start + 150)]))
    assert len(seen) == 3 + 3050
    again = seen.first_time(pd.Series(["u0", "u3049", "u3050", "b"]))
    assert again.tolist() == [False, False, True, False]
    assert len(seen.levels) <= 12


@given(st.lists(st.one_of(st.ip_addresses().map(str), st.text(max_size=8),
                          st.sampled_from(["010.1.1.1", "1.2.3.256", "::ffff:1.2.3.4"])),
                max_size=30))
def test_servers_are_ordered_by_address_as_ipaddress_orders_them(hosts: list[str]) -> None:
    """IPv4 by value (numpy), then IPv6, then any other text, as ``ipaddress`` says."""
    rank = address_rank(pd.Series(hosts, dtype=object))
    by_rank = [_address_key(hosts[i]) for i in np.argsort(rank, kind="stable")]
    assert by_rank == sorted(_address_key(h) for h in hosts)
    assert len(set(rank.tolist())) == len(set(hosts))  # a host's ports share its rank
    assert sorted(set(rank.tolist())) == list(range(len(set(hosts))))


@given(st.lists(st.one_of(st.none(), st.sampled_from(["10.0.0.1", "fd00::1", ""]),
                          st.text(max_size=6)), max_size=20))
def test_text_hashes_are_the_same_for_categories_and_plain_text(values: list[str | None]
                                                               ) -> None:
    """Batches differ in dtype (a TSV enum, JSON text): equal text must hash alike."""
    plain = text_hashes(pd.Series(values, dtype=object))
    one_by_one = pd.util.hash_array(np.array(["" if v is None else v for v in values] or [""],
                                             dtype=object))[:len(values)]
    assert plain.tolist() == one_by_one.tolist()
    assert plain.tolist() == text_hashes(pd.Series(values, dtype="category")).tolist()
    assert plain.tolist() == text_hashes(pd.Series(values, dtype="str")).tolist()


@given(st.lists(st.one_of(st.none(), st.sampled_from(["10.0.0.1", "fd00::1", ""]),
                          st.text(max_size=6)), max_size=20),
       st.sampled_from([object, "str", "category"]))
def test_hashed_values_come_with_each_text_once(values: list[str | None], dtype: object
                                                ) -> None:
    """The pairs of a rollup are hashes; the table of texts gives each one back (NA hashes
    as "" does and is not in the table)."""
    from zeekcert.classification import hashed, lookup
    column = pd.Series(values, dtype=dtype)  # type: ignore[call-overload]
    hashes, texts = hashed(column)
    assert hashes.tolist() == text_hashes(column).tolist()
    given = [v for v in values if v is not None]
    assert sorted(texts["text"]) == sorted(set(given))
    found = lookup(texts, hashes).tolist()
    assert [t for t, v in zip(found, values, strict=True) if v is not None] == given


@st.composite
def busy_servers(draw: st.DrawFn) -> pd.DataFrame:
    """Failing connections to a few servers, many at the same second, some without a client."""
    n = draw(st.integers(1, 120))
    times = pd.to_datetime(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)),
                           unit="s", utc=True).as_unit("us")
    return pd.DataFrame({
        "id.resp_h": pd.Categorical(draw(st.lists(st.sampled_from(["10.0.0.1", "::1", "x"]),
                                                  min_size=n, max_size=n))),
        "id.resp_p": pd.array(draw(st.lists(st.sampled_from([443, 8443]), min_size=n,
                                            max_size=n)), dtype="UInt16"),
        "id.orig_h": pd.Categorical(draw(st.lists(st.sampled_from(["a", "b", None]),
                                                  min_size=n, max_size=n))),
        "ts": times, "primary_cause": "self_signed"})


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # same patch for all
@given(rows=busy_servers(), data=st.data())
def test_timelines_past_the_cap_are_the_same_in_any_cut_and_order(
        rows: pd.DataFrame, data: st.DataObject, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut to its latest connections in parts, ties at the cut kept, a server's timeline is
    what one batch gives: the final cut, by time, client and flag, sees the same rows."""
    from zeekcert.report import activity as act
    monkeypatch.setattr(act, "MAX_CONNECTIONS", 3)
    monkeypatch.setattr(act, "MIN_ROWS", 2)
    keys = {(h, p) for h in ("10.0.0.1", "::1", "x") for p in (443, 8443)}
    failed = np.ones(len(rows), dtype=bool)
    one = act.Activity()
    one.add(rows, failed)
    total = act.Activity()
    for group in data.draw(cuts(len(rows))) if len(rows) > 1 else [[(0, 1)]]:
        part = act.Activity()
        for lo, hi in group:
            part.add(rows.iloc[lo:hi], failed[lo:hi])
        total.merge(part)
    expected = act.activity(one.rows(keys))
    assert len(expected) == sum(min(3, int(c)) for c in rows.groupby(
        ["id.resp_h", "id.resp_p"], observed=True).size())
    pd.testing.assert_frame_equal(act.activity(total.rows(keys)), expected)
