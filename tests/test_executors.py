"""The nightly job and the report on an executor: identical to one process, whatever runs it.

Thread and process pools, and a real Dask ``LocalCluster`` of two worker processes on
127.0.0.1, each give the inventory, every state record and the report JSON of the run
without one. A worker killed mid-task changes nothing; a lost executor leaves the state
as it was, with exit 3.
"""

from __future__ import annotations

import concurrent.futures as cf
import io
import logging
import multiprocessing as mp
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dask.distributed as distributed
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tinylogs import run_cli

from zeekcert import SchedulerError
from zeekcert.cli import scheduler
from zeekcert.executors import Sharing, in_order, runs
from zeekcert.inventory import NightlyResult, run_nightly
from zeekcert.inventory import mapped as mapped_module
from zeekcert.report import build_streaming, write_json
from zeekcert.report import streaming as streaming_module

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"
NOW = datetime(2026, 11, 27, tzinfo=UTC)
DAYS = ["2026-11-25", "2026-11-26"]


def state_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a state but the runs' history (it has clock times)."""
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in tables if t != "runs"}


def files_of(result: NightlyResult) -> list[tuple[str, str, int]]:
    return [(r.path, str(r.status), r.rows) for r in result.report.files]


def report_json(source: Path | list[str], executor: cf.Executor | None = None) -> str:
    out = io.StringIO()
    write_json(build_streaming(source, now=NOW, executor=executor).findings, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def tsv_days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's two archived days of TSV: 96 hourly files each of ssl, x509, notice,
    with no copies among them, so runs of small files are merged as they are."""
    root = tmp_path_factory.mktemp("days")
    for day in DAYS:
        shutil.copytree(SAMPLE / day, root / day)
    return root


def local_cluster(workers: int) -> Any:
    """A real Dask cluster of ``workers`` processes, every socket on 127.0.0.1."""
    return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                    host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                    silence_logs=logging.CRITICAL)


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    cluster = local_cluster(2)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def _same_nightly(source: Path, tmp_path: Path, executor: cf.Executor) -> NightlyResult:
    alone = run_nightly(source, tmp_path / "alone.db", NOW)
    mapped = run_nightly(source, tmp_path / "mapped.db", NOW, executor=executor)
    pd.testing.assert_frame_equal(mapped.inventory, alone.inventory)
    assert state_rows(tmp_path / "mapped.db") == state_rows(tmp_path / "alone.db")
    assert mapped.summary == alone.summary
    assert files_of(mapped) == files_of(alone)
    return mapped


def processes(workers: int) -> cf.ProcessPoolExecutor:
    """A process pool whose workers start fresh: a forked copy of a process that has run
    Arrow's threads can deadlock (it did here once), so never ``fork``."""
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("forkserver"))


@pytest.mark.parametrize("pool", [cf.ThreadPoolExecutor, processes])
def test_the_nightly_job_on_a_pool_is_the_job_in_one_process(pool: Any, tmp_path: Path,
                                                             tsv_days: Path) -> None:
    with pool(2) as executor:
        result = _same_nightly(tsv_days, tmp_path, executor)
    assert result.summary["files_read"] == 115  # every file that holds a row
    assert result.summary["new"] == 9  # 7 self-signed and Sliver's two (its C2 label)


def test_copies_among_small_files_are_read_again_here(tmp_path: Path) -> None:
    """The whole sample: each JSON hour is a copy of a TSV one, in the same run of files."""
    with cf.ThreadPoolExecutor(max_workers=2) as executor:
        result = _same_nightly(SAMPLE, tmp_path, executor)
    duplicates = [f for f in result.report.files if f.status == "duplicate"]
    assert len(duplicates) == 55


@pytest.mark.parametrize("group_bytes", [1, 40_000, 8 << 20])
def test_any_grouping_of_files_into_tasks_gives_the_same_state(
        group_bytes: int, tmp_path: Path, tsv_days: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mapped_module, "GROUP_BYTES", group_bytes)
    monkeypatch.setattr(streaming_module, "GROUP_BYTES", group_bytes)
    with cf.ThreadPoolExecutor(max_workers=2) as executor:
        _same_nightly(tsv_days, tmp_path, executor)
        assert report_json(tsv_days, executor) == report_json(tsv_days)


def test_a_second_run_on_an_executor_takes_in_only_what_is_new(tmp_path: Path,
                                                               tsv_days: Path) -> None:
    """Day 1, then both days, with and without an executor: the same state."""
    first = tmp_path / "first"
    shutil.copytree(tsv_days / DAYS[0], first / DAYS[0])
    states = {}
    with processes(2) as pool:
        for name, executor in (("alone", None), ("mapped", pool)):
            state = tmp_path / f"{name}.db"
            run_nightly(first, state, NOW, executor=executor)
            states[name] = run_nightly(tsv_days, state, NOW, executor=executor)
    assert states["mapped"].summary == states["alone"].summary
    assert states["mapped"].summary["files_read"] == 60  # day 2's files that hold a row
    pd.testing.assert_frame_equal(states["mapped"].inventory, states["alone"].inventory)
    assert state_rows(tmp_path / "mapped.db") == state_rows(tmp_path / "alone.db")


@pytest.mark.parametrize("source", ["sample", "tsv_days"])
def test_the_report_on_a_process_pool_is_the_report_in_one_process(
        source: str, tsv_days: Path) -> None:
    path = SAMPLE if source == "sample" else tsv_days
    with processes(2) as executor:
        mapped = build_streaming(path, now=NOW, executor=executor)
    alone = build_streaming(path, now=NOW)
    assert report_json(path) == _json(mapped.findings)
    assert [(f.path, f.status, f.rows) for f in mapped.load_report.files] == [
        (f.path, f.status, f.rows) for f in alone.load_report.files]
    assert len(mapped.findings.self_signed) == 7


def _json(findings: Any) -> str:
    out = io.StringIO()
    write_json(findings, out)
    return out.getvalue()


def test_a_uid_an_earlier_file_had_is_counted_once(tmp_path: Path, tsv_days: Path) -> None:
    """The same hour under two names with one row more: not a copy, but its uids repeat."""
    tree = tmp_path / "tree"
    shutil.copytree(tsv_days / DAYS[0], tree / DAYS[0])
    hour = tree / DAYS[0] / "ssl.10:00:00-11:00:00.log.gz"
    again = tree / DAYS[0] / "ssl.10:30:00-11:00:00.log.gz"
    shutil.copy(hour, again)
    with cf.ThreadPoolExecutor(max_workers=2) as executor:
        mapped = build_streaming(tree, now=NOW, executor=executor)
    alone = build_streaming(tree, now=NOW)
    assert _json(mapped.findings) == _json(alone.findings)
    assert mapped.load_report.repeated == alone.load_report.repeated


# --- Dask ------------------------------------------------------------------------------

def test_a_dask_cluster_gives_the_same_inventory_and_report(dask_client: Any, tmp_path: Path,
                                                            tsv_days: Path) -> None:
    executor = dask_client.get_executor()
    _same_nightly(SAMPLE, tmp_path, executor)
    assert report_json(tsv_days, executor) == report_json(tsv_days)


class _DieOnce(distributed.WorkerPlugin):
    """A worker plugin that kills its worker's process when the first task starts."""

    name = "zeekcert-die-once"

    def __init__(self, marker: str):
        self.marker = marker

    def setup(self, worker: Any) -> None:
        self.worker = worker

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish == "executing" and "map_files" in str(key):
            try:
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return
            os.close(fd)
            os._exit(1)  # as kill -9 would: no clean-up, mid-task

    def teardown(self, worker: Any) -> None:
        pass


def test_a_worker_killed_mid_task_changes_nothing(tmp_path: Path, tsv_days: Path) -> None:
    cluster = local_cluster(2)
    marker = tmp_path / "died"
    with distributed.Client(cluster) as client:
        client.register_plugin(_DieOnce(str(marker)))
        _same_nightly(tsv_days, tmp_path, client.get_executor())
    cluster.close()
    assert marker.exists()  # a worker did die, mid-task


class _Started(distributed.WorkerPlugin):
    """A worker plugin that marks, in a file, that the first ssl task has started."""

    name = "zeekcert-started"

    def __init__(self, marker: str):
        self.marker = marker

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish == "executing" and "map_files" in str(key):
            Path(self.marker).touch()


def test_a_cluster_lost_mid_run_exits_3_and_leaves_the_state(tmp_path: Path,
                                                             tsv_days: Path) -> None:
    state = tmp_path / "state.db"
    run_nightly(tsv_days / DAYS[0], state, NOW)
    before = state.read_bytes()
    cluster = local_cluster(1)
    marker = tmp_path / "started"
    with distributed.Client(cluster) as client:
        client.register_plugin(_Started(str(marker)))

    def close_when_started() -> None:
        while not marker.exists():
            time.sleep(0.01)
        cluster.close()

    closer = threading.Thread(target=close_when_started)
    closer.start()
    code, _, err = run_cli(["inventory", tsv_days, "--state", state, "-o", tmp_path / "o.json",
                            "--scheduler", cluster.scheduler_address])
    closer.join(timeout=60)
    assert code == 3
    assert err.startswith("zeekcert: a task was lost") or err.startswith(
        "zeekcert: the cluster")
    assert state.read_bytes() == before
    assert not (tmp_path / "o.json").exists()


# --- a lost executor ----------------------------------------------------------------------

def test_a_lost_executor_leaves_the_state_as_it_was(tmp_path: Path, tsv_days: Path) -> None:
    state = tmp_path / "state.db"
    run_nightly(tsv_days / DAYS[0], state, NOW)
    before = state.read_bytes()
    executor = cf.ThreadPoolExecutor(max_workers=1)
    executor.shutdown()
    with pytest.raises(SchedulerError, match="the executor refused work"):
        run_nightly(tsv_days, state, NOW, executor=executor)
    assert state.read_bytes() == before


def _broken(_: int) -> int:
    os._exit(1)  # the pool's worker process dies


def test_a_pool_whose_worker_dies_is_a_scheduler_error() -> None:
    with processes(1) as pool, pytest.raises(
            SchedulerError, match="a task was lost: BrokenProcessPool"):
        list(in_order(pool, _broken, [(1,), (2,)]))


def test_a_process_pool_reads_a_shared_value_from_its_file() -> None:
    with processes(1) as pool, Sharing(pool) as sharing:
        handle = sharing.share({"certificates": 3})
        folder = Path(handle.path).parent
        assert folder.is_dir()
        assert handle.get() == {"certificates": 3}
    assert not folder.exists()


# --- the command line -------------------------------------------------------------------

def test_scheduler_local_gives_the_same_inventory_and_report(tmp_path: Path,
                                                             tsv_days: Path) -> None:
    outputs = {}
    for name, extra in (("alone", []), ("cluster", ["--scheduler", "local:2"])):
        code, _, err = run_cli(["inventory", tsv_days, "--state", tmp_path / f"{name}.db",
                                "-o", tmp_path / f"{name}.json", "-q", *extra])
        assert (code, err) == (0, "")
        code, _, err = run_cli(["report", tsv_days, "--format", "json",
                                "-o", tmp_path / f"{name}-report.json", *extra])
        assert (code, err) == (0, "")
        outputs[name] = ((tmp_path / f"{name}.json").read_text(),
                         (tmp_path / f"{name}-report.json").read_text())
    assert outputs["cluster"] == outputs["alone"]
    assert '"resp_h": "203.0.113.44"' in outputs["cluster"][0]


def test_a_scheduler_that_is_not_there_exits_3_and_makes_no_state(
        tmp_path: Path, tsv_days: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler, "CONNECT_TIMEOUT", "1s")
    code, _, err = run_cli(["inventory", tsv_days, "--state", tmp_path / "s.db",
                            "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 3
    assert err.startswith("zeekcert: no Dask scheduler at tcp://127.0.0.1:9")
    assert not (tmp_path / "s.db").exists()


@pytest.mark.parametrize("spec", ["local:0", "local:x", "ftp://127.0.0.1:1", "local:"])
def test_a_bad_scheduler_is_a_usage_error(spec: str, tmp_path: Path) -> None:
    code, _, err = run_cli(["report", tmp_path, "--scheduler", spec])
    assert code == 2
    assert f"--scheduler {spec!r}" in err


def test_dask_is_imported_only_when_a_scheduler_is_asked_for() -> None:
    code = ("import sys, zeekcert, zeekcert.cli; "
            "print(sorted(m for m in ('dask', 'distributed', 'matplotlib', 'zat') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout == "[]\n"


@given(st.lists(st.integers(0, 100), max_size=40), st.integers(1, 120))
def test_small_files_go_together_in_order_and_never_past_the_limit(sizes: list[int],
                                                                    limit: int) -> None:
    items = list(range(len(sizes)))
    grouped = list(runs(items, sizes, limit))
    assert [i for run in grouped for i in run] == items
    for k, run in enumerate(grouped):
        held = sum(sizes[i] for i in run)
        assert held <= limit or len(run) == 1
        if k + 1 < len(grouped):  # greedy: the next file would not have fitted
            assert held >= limit or held + sizes[grouped[k + 1][0]] > limit
