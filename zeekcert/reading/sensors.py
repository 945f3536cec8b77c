"""Which sensor logged each file, and what each ssl row says about its sensors.

A site with several sensors gives one log folder per sensor. Every ssl row is tagged with
the sensor whose folder holds its file, in a ``sensor`` column, so every server can say
which sensors saw it. Where two sensors logged the same connection (``overlap``), the
row kept carries every sensor that logged it, as names joined by spaces (a name never
holds a space), and the others' rows are left out. Names are chosen by the user or are
folder names, so they are held to a small alphabet: they become columns, JSON and state.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ConfigError
from .file_report import LoadReport
from .seen import column_hashes

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
TOLERANCE = timedelta(seconds=2)  # two sensors' first-packet times of one connection
SEPARATOR = " "
MAX_SENSORS = 64  # a run's sensors are bits of one 64-bit mask (``overlap``)


@dataclass(frozen=True)
class Sensor:
    """One sensor: its name and the folder of its logs."""

    name: str
    root: Path


@dataclass
class Sensors:
    """The sensors of a run, and which rows the overlap pass left out or joined.

    ``dropped`` holds the uid hashes of rows another sensor's row stands for, sorted;
    ``joined`` the uid hashes of the rows that stand for several sensors, sorted, with
    ``joined_codes`` the place in ``combos`` of each one's sensors. All are empty until
    ``overlap`` fills them; ``merged`` counts the rows left out.
    """

    sensors: tuple[Sensor, ...]
    tolerance: timedelta = TOLERANCE
    dropped: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    joined: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    joined_codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    combos: list[str] = field(default_factory=list)
    merged: int = 0

    def __post_init__(self) -> None:
        check_sensors(self.sensors)
        if self.tolerance < timedelta(0):
            raise ConfigError(f"a negative sensor tolerance ({self.tolerance})")

    @property
    def roots(self) -> list[Path]:
        """Each sensor's folder, in the order given."""
        return [s.root for s in self.sensors]

    @property
    def names(self) -> list[str]:
        """Each sensor's name, in the order given."""
        return [s.name for s in self.sensors]

    def name_of(self, path: str | Path) -> str | None:
        """The name of the sensor whose folder holds ``path``; None if none does."""
        path = Path(path)
        for sensor in self.sensors:
            if path == sensor.root or path.is_relative_to(sensor.root):
                return sensor.name
        return None

    def noted(self, report: LoadReport) -> LoadReport:
        """``report`` saying which sensors the run had and how many rows it merged."""
        report.sensors, report.merged = self.names, self.merged
        report.tolerance_s = self.tolerance.total_seconds()
        return report

    def apply(self, table: pa.Table, sensor: str | None) -> pa.Table:
        """ssl rows of one sensor's file: rows another sensor's row stands for left out,
        the rest tagged with their sensors in a ``sensor`` column."""
        if sensor is None or not table.num_rows:
            return table
        names = np.full(table.num_rows, sensor, dtype=object)
        if "uid" in table.column_names and (len(self.dropped) or len(self.joined)):
            uids = column_hashes(table.column("uid"))
            at = _positions(self.joined, uids)
            combos = np.asarray(self.combos, dtype=object)
            names[at >= 0] = combos[self.joined_codes[at[at >= 0]]]
            keep = _positions(self.dropped, uids) < 0
            if not keep.all():
                table, names = table.filter(pa.array(keep)), names[keep]
        column = pc.dictionary_encode(pa.array(names, pa.string()))
        if "sensor" in table.column_names:  # a log with a field of that name: ours wins
            table = table.drop_columns(["sensor"])
        return table.append_column("sensor", column)


def check_sensors(sensors: Iterable[Sensor]) -> None:
    """ConfigError unless every name is of the alphabet, and names and folders are each
    distinct, with no folder inside another: a file belongs to one sensor."""
    sensors = list(sensors)
    if len(sensors) > MAX_SENSORS:
        raise ConfigError(f"{len(sensors)} sensors in one run: at most {MAX_SENSORS}; run "
                          "the job per group of sensors and merge the states")
    seen: dict[str, Path] = {}
    for sensor in sensors:
        root = Path(os.path.abspath(sensor.root))
        if not NAME.fullmatch(sensor.name):
            raise ConfigError(f"sensor name {sensor.name!r}: use 1 to 64 letters, digits, "
                              "'.', '_' or '-', starting with a letter or digit")
        if sensor.name in seen:
            raise ConfigError(f"two sensors are named {sensor.name!r}: name them apart "
                              "with --sensor NAME=DIR")
        for other in seen.values():
            if root.is_relative_to(other) or other.is_relative_to(root):
                raise ConfigError(f"the sensor folders {other} and {sensor.root} overlap: "
                                  "a file must belong to one sensor")
        seen[sensor.name] = root


def split_names(values: Iterable[str]) -> list[str]:
    """The distinct sensor names in ``sensor`` values (each one or several), sorted."""
    return sorted({name for value in values for name in str(value).split(SEPARATOR) if name})


def _positions(keys: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Where each hash is in the sorted ``keys``, or -1."""
    if not len(keys):
        return np.full(len(hashes), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, hashes), len(keys) - 1)
    return np.where(keys[at] == hashes, at, -1)
