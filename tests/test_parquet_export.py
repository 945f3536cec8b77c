"""``--export-parquet DIR``: classified connections by day, and the servers, for DuckDB and Spark.

DuckDB reads what the report exports and counts, per server, exactly what the report says;
the nightly job exports only the rows a run takes in; a folder that holds anything is
never written into; a copy's rows are exported once, with or without an executor.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tinylogs import run_cli

from zeekcert.parquet_export import ConnectionExport
from zeekcert.report import build_streaming

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def per_server(folder: Path) -> dict[tuple[str, int], tuple[int, int]]:
    """(connections, failed) per server, as DuckDB counts the exported connections."""
    rows = duckdb.sql(f"""
        SELECT "id.resp_h", "id.resp_p", count(*), count(*) FILTER (WHERE len(causes) > 0)
        FROM read_parquet('{folder}/connections/*/*.parquet', hive_partitioning = true)
        GROUP BY ALL""").fetchall()
    return {(h, int(p)): (n, failed) for h, p, n, failed in rows}


def test_duckdb_counts_what_the_report_says(tmp_path: Path) -> None:
    code, _, err = run_cli(["report", SAMPLE, "--format", "json", "-o", tmp_path / "r.json",
                            "--export-parquet", tmp_path / "export"], now=NOW)
    assert (code, err) == (0, "")
    report = json.loads((tmp_path / "r.json").read_text())
    counted = per_server(tmp_path / "export")
    assert sum(n for n, _ in counted.values()) == report["summary"]["connections"] == 11207
    for server in report["servers"]:
        key = (server["resp_h"], server["resp_p"])
        assert counted[key] == (server["connections"], server["failed_connections"])
    days = duckdb.sql(f"""SELECT day::VARCHAR, count(*) FROM read_parquet(
        '{tmp_path}/export/connections/*/*.parquet', hive_partitioning = true)
        GROUP BY 1 ORDER BY 1""").fetchall()
    assert days == [("2026-11-25", 5451), ("2026-11-26", 5683), ("2026-11-27", 73)]
    servers = pq.read_table(tmp_path / "export" / "servers.parquet").to_pandas()
    assert sorted(servers["resp_h"]) == sorted(s["resp_h"] for s in report["servers"])
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == [
        "connections", "self_signed.parquet", "servers.parquet"]


def _exported(folder: Path) -> pd.DataFrame:
    frame = duckdb.sql(f"""SELECT uid, "id.resp_h", primary_cause FROM read_parquet(
        '{folder}/connections/*/*.parquet') ORDER BY uid""").df()
    return frame.reset_index(drop=True)


def test_an_executor_exports_each_connection_once(tmp_path: Path) -> None:
    """The sample's JSON copies fall in the same tasks as their originals: the task's
    staged rows are dropped and its files read again here."""
    build_streaming(SAMPLE, now=NOW, export=ConnectionExport(tmp_path / "alone"))
    with cf.ThreadPoolExecutor(max_workers=2) as executor:
        build_streaming(SAMPLE, now=NOW, executor=executor,
                        export=ConnectionExport(tmp_path / "mapped"))
    alone, mapped = _exported(tmp_path / "alone"), _exported(tmp_path / "mapped")
    pd.testing.assert_frame_equal(mapped, alone)
    assert len(mapped) == 11207 and mapped["uid"].is_unique
    assert not (tmp_path / "mapped" / ".staged").exists()


def test_the_nightly_job_exports_only_what_a_run_takes_in(tmp_path: Path) -> None:
    tree = tmp_path / "logs"
    shutil.copytree(SAMPLE / "2026-11-25", tree / "2026-11-25")
    state = tmp_path / "state.db"
    for run, expected in ((1, 5451), (2, 0)):
        out = tmp_path / f"run{run}"
        code, _, err = run_cli(["inventory", tree, "--state", state, "-o", out / ".." /
                                f"inv{run}.json", "--export-parquet", out, "-q"], now=NOW)
        assert (code, err) == (0, "")
        parts = list(out.glob("connections/*/*.parquet"))
        assert sum(pq.read_metadata(p).num_rows for p in parts) == expected
        inventory = pq.read_table(out / "inventory.parquet").to_pandas()
        written = json.loads((tmp_path / f"inv{run}.json").read_text())["servers"]
        assert sorted(inventory["resp_h"]) == sorted(s["resp_h"] for s in written)
        assert len(inventory) == 8  # day 1's self-signed servers, and Sliver's first


def test_a_folder_that_holds_anything_is_never_written_into(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine\n")
    code, _, err = run_cli(["report", SAMPLE / "current", "--export-parquet", taken,
                            "-o", tmp_path / "r.json"], now=NOW)
    assert code == 2
    assert "exists and is not an empty folder" in err
    assert [p.name for p in taken.iterdir()] == ["notes.txt"]
    file = tmp_path / "a-file"
    file.write_text("x\n")
    assert run_cli(["report", SAMPLE / "current", "--export-parquet", file], now=NOW)[0] == 2
    assert file.read_text() == "x\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, _ = run_cli(["report", SAMPLE / "current", "--export-parquet", empty,
                          "-o", tmp_path / "r.json"], now=NOW)
    assert code == 0 and (empty / "servers.parquet").is_file()


def test_a_run_that_fails_leaves_no_folder(tmp_path: Path) -> None:
    code, _, _ = run_cli(["inventory", tmp_path / "no-such-logs", "--state",
                          tmp_path / "s.db", "--export-parquet", tmp_path / "out"], now=NOW)
    assert code == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@settings(max_examples=30, deadline=None)
@given(stamps=st.lists(st.one_of(st.none(), st.integers(0, 4 * 86_400_000_000 - 1)),
                      min_size=1, max_size=40), batches=st.integers(1, 3))
def test_every_row_lands_once_under_its_own_day(stamps: list[int | None], batches: int,
                                                tmp_path_factory: pytest.TempPathFactory
                                                ) -> None:
    folder = tmp_path_factory.mktemp("export")
    base = np.datetime64("2026-11-24T00:00:00", "us")
    ts = pd.Series([pd.NaT if s is None else base + np.timedelta64(s, "us") for s in stamps],
                   dtype="datetime64[us]").dt.tz_localize("UTC")
    frame = pd.DataFrame({"uid": [f"C{i}" for i in range(len(ts))], "ts": ts,
                          "id.resp_h": pd.Categorical([f"10.0.0.{i % 3}" for i in
                                                       range(len(ts))])})
    export = ConnectionExport(folder)
    for part in np.array_split(np.arange(len(frame)), batches):
        export.write(frame.iloc[part])
    back = duckdb.sql(f"""SELECT uid, day::VARCHAR AS day FROM read_parquet(
        '{folder}/connections/*/*.parquet', hive_partitioning = true, union_by_name = true)
        ORDER BY uid""").df()
    expected = ts.dt.strftime("%Y-%m-%d").fillna("unknown")
    assert dict(zip(back["uid"], back["day"], strict=True)) == dict(
        zip(frame["uid"], expected, strict=True))
