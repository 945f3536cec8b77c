"""``zeekcert state merge``: per-sensor states made one, exactly, in any order.

The sample's two archived days are dealt to three "sensors" by hour, each with every
certificate (as each sensor logs its own x509 rows). Their states merged, in every
order, are one state, and hold the servers and pairs one job over all the logs keeps.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tinylogs import run_cli

from zeekcert.inventory import ServerStatus, merge_states, run_nightly
from zeekcert.inventory.state_merge import combined

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"
DAYS = ["2026-11-25", "2026-11-26"]
NOW = datetime(2026, 11, 27, tzinfo=UTC)
SENSORS = 3


def records(path: Path, table: str) -> dict[str, Any]:
    """A table's records by key, parsed (JSON key order is not a difference)."""
    with sqlite3.connect(path) as db:
        rows = db.execute(f"SELECT * FROM {table}").fetchall()
    return {repr(row[:-1]): json.loads(row[-1]) for row in rows}


def rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


@pytest.fixture(scope="module")
def sensors(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    """Three sensors' states, and the state of one job over the whole of both days."""
    root = tmp_path_factory.mktemp("sensors")
    trees = [root / f"sensor-{i}" for i in range(SENSORS)]
    for day in DAYS:
        for path in sorted((SAMPLE / day).glob("*.log.gz")):
            hour = int(path.name.split(".")[1][:2])
            owners = range(SENSORS) if path.name.startswith("x509") else [hour % SENSORS]
            for owner in owners:
                (trees[owner] / day).mkdir(parents=True, exist_ok=True)
                shutil.copy(path, trees[owner] / day / path.name)
    states = []
    for tree in trees:
        states.append(root / f"{tree.name}.db")
        run_nightly(tree, states[-1], NOW)
    whole = root / "whole"
    for day in DAYS:
        shutil.copytree(SAMPLE / day, whole / day)
    run_nightly(whole, root / "whole.db", NOW)
    return states, root / "whole.db"


def test_every_order_of_merging_gives_the_one_state(sensors: tuple[list[Path], Path],
                                                     tmp_path: Path) -> None:
    states, _ = sensors
    merged = []
    for i, order in enumerate(itertools.permutations(states)):
        merged.append(tmp_path / f"merged-{i}.db")
        summary = merge_states(order, merged[-1], NOW)
        assert (summary["servers"], summary["pairs"]) == (9, 13)  # Sliver's two kept too
    first = merged[0]
    for other in merged[1:]:
        for table in ("servers", "pairs", "certificates"):
            assert records(other, table) == records(first, table)
        for table in ("files", "records_seen"):
            assert rows(other, table) == rows(first, table)


def test_the_merge_holds_what_one_job_over_every_sensor_keeps(
        sensors: tuple[list[Path], Path], tmp_path: Path) -> None:
    states, whole = sensors
    merge_states(states, tmp_path / "central.db", NOW)
    for table in ("servers", "pairs", "certificates"):
        assert records(tmp_path / "central.db", table) == records(whole, table)
    jenkins = records(tmp_path / "central.db", "servers")[repr(("10.20.30.40", 8443))]
    assert jenkins["status"] == "new"
    assert jenkins["connections"] == 17


def test_the_sources_are_only_read(sensors: tuple[list[Path], Path], tmp_path: Path) -> None:
    states, _ = sensors
    before = [hashlib.sha256(p.read_bytes()).hexdigest() for p in states]
    merge_states(states, tmp_path / "central.db", NOW)
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in states] == before


def test_a_state_given_twice_is_refused(sensors: tuple[list[Path], Path],
                                        tmp_path: Path) -> None:
    states, _ = sensors
    code, out, err = run_cli(["state", "merge", states[0], states[1], states[0],
                              "--into", tmp_path / "c.db"])
    assert code == 2
    assert "took in the same ssl file" in err and "count its connections twice" in err
    assert not (tmp_path / "c.db").exists()
    assert list(tmp_path.iterdir()) == []  # no half-written state left beside it


def test_an_existing_file_is_replaced_only_if_asked_and_only_if_a_state(
        sensors: tuple[list[Path], Path], tmp_path: Path) -> None:
    states, _ = sensors
    target = tmp_path / "central.db"
    target.write_text("my notes\n")
    code, _, err = run_cli(["state", "merge", *states, "--into", target])
    assert code == 2 and "exists" in err
    code, _, err = run_cli(["state", "merge", *states, "--into", target, "--replace"])
    assert code == 3 and "not a zeekcert state" in err
    assert target.read_text() == "my notes\n"
    target.unlink()
    assert run_cli(["state", "merge", *states, "--into", target])[0] == 0
    code, out, err = run_cli(["state", "merge", *states[:2], "--into", target, "--replace"])
    assert (code, err) == (0, "")
    assert out == f"merged 2 states into {target}: 9 servers, 12 client-server pairs\n"


def test_a_missing_source_is_a_state_error(tmp_path: Path) -> None:
    code, _, err = run_cli(["state", "merge", tmp_path / "none.db", "--into",
                            tmp_path / "c.db"])
    assert code == 3
    assert err == f"zeekcert: {tmp_path / 'none.db'}: no such state file\n"


STATUSES = [s.value for s in ServerStatus]


@given(st.sampled_from(STATUSES))
def test_one_source_keeps_its_status(status: str) -> None:
    assert combined({status}) == status


@given(st.sets(st.sampled_from(STATUSES), min_size=1))
def test_a_combined_status_is_one_a_source_could_say(statuses: set[str]) -> None:
    result = combined(statuses)
    assert result in STATUSES
    assert (result == "changed") == ("changed" in statuses)
    if result == "new":
        assert statuses == {"new"}
