"""Loading whole trees: discovery by name, time windows, unions across versions, batches."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
from zeekwriter import write_json, write_tsv

import zeekcert
from zeekcert.reading import find_logs, iter_batches, load, select_window
from zeekcert.reading.discovery import kind_from_name, span_from_name

NEW = (["ts", "uid", "id.resp_h", "cert_chain_fps", "validation_status"],
       ["time", "string", "addr", "vector[string]", "string"])
OLD = (["ts", "uid", "id.resp_h", "cert_chain_fuids", "subject"],
       ["time", "string", "addr", "vector[string]", "string"])
DAY1 = 1_777_593_600 * 10**6  # 2026-05-01T00:00:00Z in microseconds


def _gz(path: Path) -> Path:
    gz = path.with_name(path.name + ".gz")
    gz.write_bytes(gzip.compress(path.read_bytes()))
    path.unlink()
    return gz


def _zeekctl_tree(root: Path) -> Path:
    """Two days of hourly archives (3 hours each) plus current/, 1 row per hour."""
    for day in (0, 1):
        folder = root / f"2026-05-0{day + 1}"
        folder.mkdir(parents=True)
        for hour in range(3):
            ts = DAY1 + (day * 24 + hour) * 3600 * 10**6
            name = folder / f"ssl.{hour:02d}:00:00-{hour + 1:02d}:00:00.log"
            write_tsv(str(name), *NEW, [[ts, f"C{day}{hour}", "10.0.0.1", ["fp"], "ok"]])
            _gz(name)
    (root / "current").mkdir()
    write_tsv(str(root / "current" / "ssl.log"), *NEW,
              [[DAY1 + 48 * 3600 * 10**6, "Ccur", "::1", [], None]], close=False)
    (root / "2026-05-01" / "conn.00:00:00-01:00:00.log.gz").write_bytes(b"ignored")
    return root


def test_names() -> None:
    assert kind_from_name("2026-05-01/ssl.23:00:00-00:00:00.log.gz") == "ssl"
    span = span_from_name(Path("2026-05-01/ssl.23:00:00-00:00:00.log.gz"))
    assert (span.start.isoformat(), span.end.isoformat()) == (  # type: ignore[union-attr]
        "2026-05-01T23:00:00", "2026-05-02T00:00:00")
    assert span_from_name(Path("ssl.2011-03-07-03-00-05.log")).start.isoformat() == (  # type: ignore[union-attr]
        "2011-03-07T03:00:05")
    assert kind_from_name("x509__2026-05-01-00-00-00__2026-05-01-01-00-00__.log") == "x509"


def test_find_logs_orders_archives_then_current(tmp_path: Path) -> None:
    root = _zeekctl_tree(tmp_path)
    found = [p.relative_to(root).as_posix() for p in find_logs(root, ["ssl"])]
    assert found[0] == "2026-05-01/ssl.00:00:00-01:00:00.log.gz"
    assert found[-1] == "current/ssl.log" and len(found) == 7


def test_load_tree_and_window(tmp_path: Path) -> None:
    root = _zeekctl_tree(tmp_path)
    logs = load(root, kinds=["ssl"])
    assert len(logs.ssl) == 7 and logs.report.counts() == {"ok": 7}
    assert logs.ssl["uid"].tolist() == ["C00", "C01", "C02", "C10", "C11", "C12", "Ccur"]
    day2 = load(root, kinds=["ssl"], start="2026-05-02", end="2026-05-02T02:00:00Z")
    assert day2.ssl["uid"].tolist() == ["C10", "C11"]
    # names prune (with 14 h of slack for the sensor's time zone) before any file is opened
    pruned = select_window(find_logs(root, ["ssl"]), "2026-05-03", None)
    assert [p.name for p in pruned] == ["ssl.log"]


def test_union_across_versions(tmp_path: Path) -> None:
    write_tsv(str(tmp_path / "ssl.log"), *OLD, [[1, "A", "10.0.0.1", ["Fx"], "CN=a"]])
    write_json(str(tmp_path / "ssl.json"), *NEW, [[2, "B", "::1", ["ab"], "ok"]])
    logs = load([tmp_path / "ssl.log", tmp_path / "ssl.json"])
    df = logs.ssl.sort_values("uid")
    assert df["cert_chain_fuids"].tolist()[0] == ["Fx"] and pd.isna(df["cert_chain_fuids"].iloc[1])
    assert df["cert_chain_fps"].tolist()[1] == ["ab"]
    assert df["id.resp_h"].tolist() == ["10.0.0.1", "::1"]
    assert str(df["ts"].dtype) == "datetime64[us, UTC]"


def test_parallel_equals_sequential(tmp_path: Path) -> None:
    root = _zeekctl_tree(tmp_path)
    a = load(root, workers=1).ssl
    b = load(root, workers=2).ssl
    pd.testing.assert_frame_equal(a, b)


def test_missing_kinds_give_typed_empty_frames(tmp_path: Path) -> None:
    logs = load(_zeekctl_tree(tmp_path))
    assert len(logs.x509) == 0 and "fingerprint" in logs.x509.columns
    assert str(logs.notice["ts"].dtype) == "datetime64[us, UTC]"


def test_bad_file_does_not_stop_the_tree(tmp_path: Path) -> None:
    root = _zeekctl_tree(tmp_path)
    (root / "2026-05-01" / "ssl.05:00:00-06:00:00.log.gz").write_bytes(b"\x1f\x8b garbage")
    logs = load(root, kinds=["ssl"])
    assert len(logs.ssl) == 7
    assert logs.report.counts()["truncated"] == 1
    problems = [Path(f.path).name for f in logs.report.problems]
    assert problems == ["ssl.05:00:00-06:00:00.log.gz"]


def test_iter_batches_streams_each_file(tmp_path: Path) -> None:
    root = _zeekctl_tree(tmp_path)
    batches = list(iter_batches(root, kinds=["ssl"]))
    assert [len(b.frame) for b in batches] == [1] * 7
    assert {b.kind for b in batches} == {"ssl"}
    assert batches[-1].report.path.endswith("current/ssl.log")


def test_read_log_is_exported() -> None:
    assert zeekcert.read_log is not None and zeekcert.load is load
