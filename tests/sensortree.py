"""A three-sensor tree made from the sample's two archived TSV days, overlapping.

Each sensor sees part of every hour's connections, logged with uids of its own and its
own clock offset; together they see every connection at least once:

- ``edge`` logs the rows ``i % 5 != 0`` (it drops some), as the sample has them;
- ``core`` logs the rows ``i % 5 == 0 or i % 2 == 1``, 0.3 s late;
- ``dmz`` logs the rows ``i % 2 == 0``, 0.5 s early.

``i`` is a row's place in its hourly file. x509 and notice files are the same on every
sensor (copies: read once). So a run over the three, with each connection counted once,
counts what the sample's two days count, and the rows left out as merged are
``overlapping`` (the rows logged by the three sensors, less one per connection).
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"
DAYS = ["2026-11-25", "2026-11-26"]
SENSORS: dict[str, tuple[Callable[[int], bool], float, str]] = {
    "edge": (lambda i: i % 5 != 0, 0.0, ""),
    "core": (lambda i: i % 5 == 0 or i % 2 == 1, 0.3, "K"),
    "dmz": (lambda i: i % 2 == 0, -0.5, "D"),
}


def write_sensors(root: Path) -> dict[str, Path]:
    """The three sensors' folders under ``root``; returns each one's folder by name."""
    folders = {}
    for name, (takes, shift, mark) in SENSORS.items():
        folder = root / name
        for day in DAYS:
            (folder / day).mkdir(parents=True)
            for source in sorted((SAMPLE / day).iterdir()):
                target = folder / day / source.name
                if source.name.startswith("ssl."):
                    _ssl_file(source, target, takes, shift, mark)
                else:
                    shutil.copyfile(source, target)
        folders[name] = folder
    return folders


def logged_rows() -> tuple[int, int]:
    """(ssl rows in the sample's two days, ssl rows the three sensors log in all)."""
    original = every = 0
    for day in DAYS:
        for source in sorted((SAMPLE / day).glob("ssl.*")):
            with gzip.open(source, "rt", encoding="utf-8") as fh:
                rows = sum(1 for line in fh if not line.startswith("#"))
            original += rows
            every += sum(takes(i) for i in range(rows) for takes, _, _ in SENSORS.values())
    return original, every


def _ssl_file(source: Path, target: Path, takes: Callable[[int], bool], shift: float,
              mark: str) -> None:
    out, i = [], 0
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        lines = fh.readlines()
    for line in lines:
        if line.startswith("#"):
            out.append(line)
            continue
        if takes(i):
            ts, uid, rest = line.split("\t", 2)
            moved = f"{float(ts) + shift:.6f}" if shift else ts
            out.append(f"{moved}\t{mark + uid[1:] if mark else uid}\t{rest}")
        i += 1
    with gzip.open(target, "wt", encoding="utf-8") as fh:
        fh.writelines(out)
