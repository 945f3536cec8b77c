"""One output destination for every command: stdout, atomic files, special files left alone.

The special files are made in a temporary folder with ``mknod`` (the tests run as root, as
a cron job may), never the machine's own ``/dev/null``.
"""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pandas as pd
import pytest
from tinylogs import SERVER
from tinylogs import run_cli as run

from zeekcert.cli.destination import Destination
from zeekcert.errors import ConfigError

NULL, FULL = os.makedev(1, 3), os.makedev(1, 7)  # Linux's /dev/null and /dev/full


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def _device(folder: Path, name: str, number: int) -> Path:
    path = folder / name
    os.mknod(path, stat.S_IFCHR | 0o666, number)
    return path


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_the_process_can_make_device_nodes() -> None:
    """The special-file tests below need root (CAP_MKNOD), as CI and cron as root have."""
    assert os.geteuid() == 0


def test_a_file_gets_what_stdout_gets_with_the_umask_mode(tree: Path, tmp_path: Path,
                                                          umask_027: None) -> None:
    target = tmp_path / "report.json"
    assert run(["report", tree, "-o", target])[0] == 0
    assert run(["report", tree, "--format", "json"])[1] == target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_an_existing_file_is_replaced_whole_not_rewritten(tree: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("yesterday\n")
    reader = target.open()  # a reader of yesterday's file keeps reading yesterday's
    inode = target.stat().st_ino
    assert run(["report", tree, "--output", target])[0] == 0
    assert target.stat().st_ino != inode
    assert target.read_text().startswith("# zeekcert report")
    assert reader.read() == "yesterday\n"
    reader.close()


def test_dash_is_stdout(tree: Path, tmp_path: Path) -> None:
    code, out, _ = run(["report", tree, "-o", "-", "--format", "csv"])
    assert code == 0 and out.startswith("resp_h,resp_p,causes")
    assert _leftovers(tmp_path) == []


def test_a_symlink_is_followed_and_kept(tree: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old\n")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    assert run(["report", tree, "-o", link])[0] == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("{")


def test_dev_null_is_written_to_not_replaced(tree: Path, tmp_path: Path) -> None:
    null = _device(tmp_path, "null", NULL)
    for argv in (["report", tree, "--output", null, "--targets", null],
                 ["inventory", tree, "--state", tmp_path / "s.db", "--output", null, "-q"]):
        code, out, err = run(argv)
        assert (code, out, err) == (0, "", "")
        mode = null.lstat()
        assert stat.S_ISCHR(mode.st_mode) and mode.st_rdev == NULL
        assert stat.S_IMODE(mode.st_mode) == 0o666 & ~_umask()
    assert _leftovers(tmp_path) == []


def test_a_fifo_is_written_in_place(tree: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert run(["report", tree, "-o", fifo, "--format", "json"])[0] == 0
    reader.join(timeout=30)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert SERVER.encode() in got[0]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tree: Path,
                                                              tmp_path: Path) -> None:
    full = _device(tmp_path, "full", FULL)
    code, out, err = run(["report", tree, "-o", full])
    assert (code, out) == (2, "")
    assert err == f"zeekcert: {full}: cannot write --output: No space left on device\n"
    assert stat.S_ISCHR(full.lstat().st_mode)


def test_inventory_output_is_published_before_the_state_is_committed(
        tree: Path, tmp_path: Path) -> None:
    """If the output cannot be written, the run is not committed: tomorrow says it again."""
    state = tmp_path / "state.db"
    full = _device(tmp_path, "full", FULL)
    code, _, err = run(["inventory", tree, "--state", state, "-o", full, "--format", "json"])
    assert code == 2 and "No space left on device" in err
    with sqlite3.connect(state) as db:  # not even the tables of a new state were committed
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == []
    target = tmp_path / "inventory.json"
    assert run(["inventory", tree, "--state", state, "-o", target])[0] == 0
    assert '"status": "new"' in target.read_text()


def test_inventory_format_follows_the_suffix(tree: Path, tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    assert run(["inventory", tree, "--state", state, "-o", tmp_path / "inv.parquet"])[0] == 0
    frame = pd.read_parquet(tmp_path / "inv.parquet")
    assert list(frame["resp_h"]) == [SERVER]
    assert run(["inventory", tree, "--state", state, "-o", tmp_path / "inv.csv"])[0] == 0
    assert (tmp_path / "inv.csv").read_text().startswith("resp_h,resp_p,status")


def test_destination_is_checked_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as info:
        Destination(str(tmp_path / "no" / "x.json"), io.StringIO())
    assert info.value.path == str(tmp_path / "no" / "x.json")
    with Destination(str(tmp_path / "x.json"), io.StringIO()) as dest:
        assert _leftovers(tmp_path) != []  # the temporary file is there, the target not
        assert not (tmp_path / "x.json").exists()
        dest.write(lambda fh: fh.write("done\n"))
    assert (tmp_path / "x.json").read_text() == "done\n"
    assert _leftovers(tmp_path) == []


def test_an_error_in_the_work_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), Destination(str(target), io.StringIO()) as dest:
        dest.write(lambda fh: fh.write("half"))
        raise RuntimeError("killed mid-way")
    assert target.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
