"""Several sensors in one run: which sensors saw each server, and each connection once.

The tree (``sensortree``) is the sample's two days seen by three sensors, overlapping,
with uids and clocks of their own. Counted once, it counts what the sample counts, in
one process, on a process pool and on a real two-worker Dask cluster.
"""

from __future__ import annotations

import concurrent.futures as cf
import io
import itertools
import json
import logging
import multiprocessing as mp
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dask.distributed as distributed
import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sensortree import DAYS, SAMPLE, logged_rows, write_sensors
from tinylogs import run_cli

from zeekcert import ConfigError
from zeekcert.inventory import run_nightly
from zeekcert.reading import Sensor, Sensors
from zeekcert.reading.overlap import Keys, _decided
from zeekcert.reading.seen import column_hashes
from zeekcert.report import build_streaming, write_json

NOW = datetime(2026, 11, 27, tzinfo=UTC)
SELF_SIGNED = {("203.0.113.44", 443), ("2001:db8:44::44", 443), ("10.20.30.40", 8443),
               ("10.20.40.9", 443), ("198.51.100.23", 443), ("203.0.113.200", 443),
               ("10.20.50.12", 443)}
# What the default (self_signed) inventory keeps: those, and Sliver's two servers, which
# fail as incomplete_chain and are kept by their C2 label.
KEPT = SELF_SIGNED | {("192.0.2.151", 443), ("203.0.113.151", 443)}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sensors(tmp_path_factory.mktemp("sensors"))


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's two days as one sensor logged them."""
    root = tmp_path_factory.mktemp("days")
    for day in DAYS:
        shutil.copytree(SAMPLE / day, root / day)
    return root


def sensors_of(tree: dict[str, Path]) -> Sensors:
    return Sensors(tuple(Sensor(name, folder) for name, folder in tree.items()))


def report(source: Any, sensors: Sensors | None = None,
           executor: cf.Executor | None = None) -> dict[str, Any]:
    out = io.StringIO()
    write_json(build_streaming(source, now=NOW, sensors=sensors, executor=executor).findings,
               out)
    parsed: dict[str, Any] = json.loads(out.getvalue())
    return parsed


def counts(servers: list[dict[str, Any]]) -> dict[tuple[str, int], tuple[Any, ...]]:
    """What counting each connection once must keep: not the times, which move with the
    sensor whose row stands for a connection."""
    return {(s["resp_h"], s["resp_p"]): (s["connections"], s["failed_connections"],
                                         s["clients"], tuple(s["causes"]),
                                         tuple(s["server_names"]), tuple(s["fingerprints"]))
            for s in servers}


def test_three_overlapping_sensors_count_what_one_sensor_of_all_counts(
        tree: dict[str, Path], days: Path) -> None:
    original, logged = logged_rows()
    assert (original, logged) == (11134, 21153)
    merged = report([str(p) for p in tree.values()], sensors_of(tree))
    alone = report(days)
    assert merged["summary"] == alone["summary"]
    assert counts(merged["servers"]) == counts(alone["servers"])
    assert merged["summary"]["connections"] == 11134
    quality = merged["data_quality"]
    assert quality["merged_across_sensors"] == logged - original == 10019
    assert quality["rows"]["ssl"] == 21153
    assert quality["sensors"] == ["edge", "core", "dmz"]
    assert quality["sensor_tolerance_s"] == 2.0
    assert {s["resp_h"]: s["sensors"] for s in merged["self_signed"]} == {
        h: ["core", "dmz", "edge"] for h, _ in SELF_SIGNED}
    assert all(s["sensors"] == [] for s in alone["servers"])


def test_without_merging_the_overlap_is_counted_as_often_as_it_was_logged(
        tree: dict[str, Path]) -> None:
    """A tolerance below the clocks' offsets (0.3 s and 0.5 s) merges nothing."""
    sensors = Sensors(sensors_of(tree).sensors, tolerance=timedelta(milliseconds=100))
    merged = report([str(p) for p in tree.values()], sensors)
    assert merged["data_quality"]["merged_across_sensors"] == 0
    assert merged["summary"]["connections"] == 21153


def test_one_sensor_of_the_three_is_named_on_its_servers_only(tree: dict[str, Path]) -> None:
    sensors = Sensors((Sensor("edge", tree["edge"]),))
    alone = report([str(tree["edge"])], sensors)
    assert alone["data_quality"]["merged_across_sensors"] == 0
    assert {s["resp_h"]: s["sensors"] for s in alone["self_signed"]} == {
        h: ["edge"] for h, _ in SELF_SIGNED}


def processes(workers: int) -> cf.ProcessPoolExecutor:
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("forkserver"))


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[Any]:
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                       silence_logs=logging.CRITICAL)
    with distributed.Client(cluster) as client:
        yield client.get_executor()
    cluster.close()


def state_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in tables if t != "runs"}


def test_a_dask_cluster_gives_the_same_report_and_inventory_of_three_sensors(
        tree: dict[str, Path], dask_executor: Any, tmp_path: Path) -> None:
    folders = [str(p) for p in tree.values()]
    sensors = sensors_of(tree)
    assert report(folders, sensors, dask_executor) == report(folders, sensors)
    alone = run_nightly(folders, tmp_path / "alone.db", NOW, sensors=sensors)
    mapped = run_nightly(folders, tmp_path / "mapped.db", NOW, sensors=sensors,
                         executor=dask_executor)
    pd.testing.assert_frame_equal(mapped.inventory, alone.inventory)
    assert state_rows(tmp_path / "mapped.db") == state_rows(tmp_path / "alone.db")
    assert mapped.summary == alone.summary


def test_the_nightly_job_of_three_sensors_takes_each_connection_once(
        tree: dict[str, Path], days: Path, tmp_path: Path) -> None:
    folders = [str(p) for p in tree.values()]
    with processes(2) as pool:
        merged = run_nightly(folders, tmp_path / "three.db", NOW, sensors=sensors_of(tree),
                             executor=pool)
    alone = run_nightly(days, tmp_path / "one.db", NOW)
    columns = ["resp_h", "resp_p", "status", "causes", "connections", "clients",
               "server_names", "fingerprints"]
    pd.testing.assert_frame_equal(merged.inventory[columns], alone.inventory[columns])
    assert merged.inventory["sensors"].tolist() == [["core", "dmz", "edge"]] * len(KEPT)
    assert merged.summary["merged"] == 10019
    assert merged.summary["sensors"] == ["edge", "core", "dmz"]
    assert merged.report.merged == 10019
    with sqlite3.connect(tmp_path / "three.db") as db:
        records = [json.loads(r[0]) for r in db.execute("SELECT record FROM servers")]
    assert sorted(tuple(r["sensors"]) for r in records) == [("core", "dmz", "edge")] * len(KEPT)


def test_per_sensor_states_merge_to_the_same_state_in_every_order(
        tree: dict[str, Path], tmp_path: Path) -> None:
    """Each sensor's own job, merged centrally: every server keeps each sensor that saw
    it, and the order of the merge changes no byte of what the state holds."""
    for name, folder in tree.items():
        code, _, err = run_cli(["inventory", "--sensor", f"{name}={folder}", "--state",
                                tmp_path / f"{name}.db", "-q"], now=NOW)
        assert code == 0, err
    merged = []
    for i, order in enumerate(itertools.permutations(tree)):
        target = tmp_path / f"central-{i}.db"
        code, _, err = run_cli(["state", "merge", *(tmp_path / f"{n}.db" for n in order),
                                "--into", target], now=NOW)
        assert code == 0, err
        merged.append(state_rows(target))
    assert len(merged) == 6 and all(m == merged[0] for m in merged)
    with sqlite3.connect(tmp_path / "central-0.db") as db:
        records = {(h, p): json.loads(r) for h, p, r in
                   db.execute("SELECT resp_h, resp_p, record FROM servers")}
    assert {k for k in records} == {(h, p) for h, p in KEPT}
    assert {k: r["sensors"] for k, r in records.items()} == {
        k: ["core", "dmz", "edge"] for k in KEPT}


def test_the_command_line_names_sensors_by_flag_or_folder(tree: dict[str, Path],
                                                          tmp_path: Path) -> None:
    code, out, err = run_cli(["inventory", tree["edge"], tree["core"],
                              "--sensor", f"dmz={tree['dmz']}", "--state", tmp_path / "s.db",
                              "--format", "json"], now=NOW)
    assert code == 0, err
    servers = json.loads(out)["servers"]
    assert [s["sensors"] for s in servers] == [["core", "dmz", "edge"]] * len(KEPT)
    code, out, err = run_cli(["report", "--sensor", f"a={tree['edge']}", "--sensor",
                              f"b={tree['core']}", "--format", "json"], now=NOW)
    assert code == 0, err
    assert json.loads(out)["data_quality"]["sensors"] == ["a", "b"]
    code, out, err = run_cli(["report", "--sensor", f"a={tree['edge']}", "--sensor",
                              f"b={tree['core']}", "--width", "0"], now=NOW)
    assert code == 0, err
    header = next(line for line in out.splitlines() if line.startswith("server "))
    assert header.split()[:9] == ["server", "port", "self-signed", "all", "conns", "busiest",
                                  "client", "polled", "clients"]
    assert header.split()[9] == "sensors"
    assert "Sensors: a, b; connections logged by more than one" in out
    code, out, err = run_cli(["inventory", tree["edge"], tree["core"], "--state",
                              tmp_path / "t.db", "--format", "table", "--width", "0"], now=NOW)
    assert code == 0, err
    assert "sensors" in out.splitlines()[1].split()
    assert out.count("core, edge") == len(KEPT)


def test_the_parquet_export_holds_each_connection_once_with_its_sensors(
        tree: dict[str, Path], tmp_path: Path) -> None:
    code, _, err = run_cli(["report", *(f"--sensor={n}={p}" for n, p in tree.items()),
                            "--export-parquet", tmp_path / "out", "--format", "json"], now=NOW)
    assert code == 0, err
    rows = duckdb.sql(f"""SELECT sensor, count(*) FROM read_parquet(
        '{tmp_path}/out/connections/*/*.parquet', hive_partitioning = true)
        GROUP BY sensor ORDER BY sensor""").fetchall()
    # Rows i % 5 == 0 and odd: core alone; i % 10 == 0: core and dmz; even, not % 5: dmz
    # and edge; odd, not % 5: core and edge. Two rows of the sample, neighbours in their
    # file, are two connections of one address and port pair 2 s apart or less: one
    # group, which edge's two rows stand for, with the three sensors.
    assert rows == [("core", 1115), ("core dmz", 1136), ("core dmz edge", 2),
                    ("core edge", 4439), ("dmz edge", 4442)]
    assert sum(n for _, n in rows) == 11134


@pytest.mark.parametrize(("argv", "message"), [
    (["--sensor", "bad name=X"], "sensor name 'bad name'"),
    (["--sensor", "justaname"], "give NAME=DIR"),
    (["--sensor", "a=X", "--sensor", "a=C"], "two sensors are named 'a'"),
    (["--sensor", "a=X", "--sensor", "b=X/2026-11-25"], "overlap"),
    (["--sensor", "a=X", "--sensor", "b=missing"], "is not a folder"),
    (["--sensor", "a=X", "--sensor-tolerance", "-1"], "not negative"),
])
def test_a_bad_sensor_is_a_usage_error(argv: list[str], message: str, tree: dict[str, Path],
                                       tmp_path: Path) -> None:
    argv = [a.replace("X", str(tree["edge"])).replace("=C", f"={tree['core']}") for a in argv]
    code, _, err = run_cli(["report", *argv], now=NOW)
    assert code == 2
    assert message in err


def test_the_report_takes_either_paths_or_sensors(tree: dict[str, Path]) -> None:
    code, _, err = run_cli(["report", tree["core"], "--sensor", f"a={tree['edge']}"], now=NOW)
    assert (code, "give every sensor's folder as --sensor" in err) == (2, True)
    code, _, err = run_cli(["report"], now=NOW)
    assert (code, "give a log folder" in err) == (2, True)


def test_a_sensor_named_by_a_folder_of_hostile_name_is_refused(tmp_path: Path) -> None:
    folders = [tmp_path / "ok", tmp_path / "\x1b[31mred"]
    for f in folders:
        f.mkdir()
    code, _, err = run_cli(["inventory", *folders, "--state", tmp_path / "s.db"], now=NOW)
    assert code == 2
    assert "\x1b" not in err and "sensor name" in err


def test_more_sensors_than_a_mask_holds_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="65 sensors in one run"):
        Sensors(tuple(Sensor(f"s{i}", tmp_path / f"s{i}") for i in range(65)))


# The rule, on any rows: rows of one 4-tuple within the tolerance of a neighbour are one
# group; in a group of several sensors exactly one sensor's rows stay.
rows = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20), st.integers(0, 2)),
                max_size=40)


@settings(max_examples=200, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_the_overlap_rule_depends_on_the_rows_not_their_order(
        given_rows: list[tuple[int, int, int]], rnd: Any) -> None:
    sensors = Sensors(tuple(Sensor(n, Path(n)) for n in ("a", "b", "c")),
                      tolerance=timedelta(seconds=2))
    keys = Keys(np.array([p for p, _, _ in given_rows], dtype=np.uint64),
                np.array([t * 1_000_000 for _, t, _ in given_rows], dtype=np.int64),
                np.arange(len(given_rows), dtype=np.uint64) + 1)
    sensor = np.array([s for _, _, s in given_rows], dtype=np.int64)
    first = _decided(sensors, keys, sensor, ["a", "b", "c"])
    order = list(range(len(given_rows)))
    rnd.shuffle(order)
    shuffled = _decided(sensors, Keys(keys.pair[order], keys.us[order], keys.uid[order]),
                        sensor[order], ["a", "b", "c"])
    assert set(first.dropped.tolist()) == set(shuffled.dropped.tolist())
    assert dict(zip(first.joined.tolist(), [first.combos[c] for c in first.joined_codes],
                    strict=True)) == dict(zip(shuffled.joined.tolist(),
                                              [shuffled.combos[c] for c in
                                               shuffled.joined_codes], strict=True))
    assert first.merged == len(first.dropped)
    dropped = set(first.dropped.tolist())
    for group in _groups(given_rows, 2):
        present = {given_rows[i][2] for i in group}
        kept = {given_rows[i][2] for i in group if i + 1 not in dropped}
        assert len(kept) == 1
        if len(present) == 1:
            assert not any(i + 1 in dropped for i in group)
        joined = {u: first.combos[c] for u, c in zip(first.joined.tolist(),
                                                     first.joined_codes, strict=True)}
        stays = [i for i in group if i + 1 not in dropped]
        if len(present) > 1:
            names = " ".join("abc"[s] for s in sorted(present))
            assert all(joined[i + 1] == names for i in stays)


def _groups(given_rows: list[tuple[int, int, int]], tolerance: int) -> list[list[int]]:
    """The groups the rule makes, by brute force: chains of rows of one pair whose times
    are within ``tolerance`` of a neighbour."""
    groups = []
    for pair in {p for p, _, _ in given_rows}:
        mine = sorted((t, i) for i, (p, t, _) in enumerate(given_rows) if p == pair)
        current = [mine[0][1]]
        for (t0, _), (t1, i1) in itertools.pairwise(mine):
            if t1 - t0 > tolerance:
                groups.append(current)
                current = []
            current.append(i1)
        groups.append(current)
    return groups


@given(st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=30),
       st.integers(1, 4))
def test_a_dictionary_column_hashes_as_its_values_do(values: list[str | None],
                                                     chunks: int) -> None:
    """Addresses come as dictionaries, uids as text: a value's hash is its text's."""
    cuts = [values[i::chunks] for i in range(chunks)]
    plain = pa.chunked_array([pa.array(c, pa.string()) for c in cuts], pa.string())
    coded = pa.chunked_array([pa.array(c, pa.string()).dictionary_encode() for c in cuts])
    assert column_hashes(coded).tolist() == column_hashes(plain).tolist()
    assert len(column_hashes(plain)) == len(values)
