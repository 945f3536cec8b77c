"""``--sensor NAME=DIR``: the log folders of several sensors, each named, in one run.

The nightly job takes one LOGDIR per sensor, named by ``--sensor`` or by its folder's
name; the report takes its sensors by ``--sensor`` only, since its paths are often days
of one sensor. With sensors, each server says which of them saw it, and a connection two
of them logged is counted once (see ``zeekcert.reading.overlap``).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from ..errors import UsageError
from ..reading import TOLERANCE, Sensor, Sensors

TOLERANCE_S = TOLERANCE.total_seconds()


@dataclass(frozen=True)
class Sources:
    """What a command reads: its paths, and its sensors when it has named ones."""

    paths: list[str]
    sensors: Sensors | None


def add_sensor_arguments(cmd: argparse.ArgumentParser) -> None:
    """The ``--sensor`` and ``--sensor-tolerance`` options."""
    cmd.add_argument("--sensor", action="append", default=[], metavar="NAME=DIR",
                     help="a sensor's log folder and its name; give it once per sensor")
    cmd.add_argument("--sensor-tolerance", type=float, default=TOLERANCE_S,
                     metavar="SECONDS",
                     help="two sensors' rows with the same addresses and ports, this close "
                          f"in time, are one connection (default {TOLERANCE_S:g})")


def sources(args: argparse.Namespace, folders: list[str], by_folder: bool) -> Sources:
    """The paths and sensors of a command line; ``by_folder``: each of ``folders`` is a
    sensor named by its folder whenever there are two sensors or more, or any named."""
    named = [_named(spec) for spec in args.sensor]
    if not named and not (by_folder and len(folders) > 1):
        if not folders:
            raise UsageError("give a log folder, or --sensor NAME=DIR")
        return Sources(list(folders), None)
    if folders and not by_folder:
        raise UsageError("with --sensor, give every sensor's folder as --sensor NAME=DIR")
    if args.sensor_tolerance < 0:
        raise UsageError(f"--sensor-tolerance {args.sensor_tolerance:g}: not negative")
    every = named + [Sensor(_folder_name(f), Path(f)) for f in folders]
    for sensor in every:
        if not sensor.root.is_dir():
            raise UsageError(f"sensor {sensor.name}: {sensor.root} is not a folder")
    sensors = Sensors(tuple(every), timedelta(seconds=args.sensor_tolerance))  # ConfigError
    return Sources([str(s.root) for s in every], sensors)


def _named(spec: str) -> Sensor:
    name, equals, folder = spec.partition("=")
    if not equals or not name or not folder:
        raise UsageError(f"--sensor {spec!r}: give NAME=DIR")
    return Sensor(name, Path(folder))


def _folder_name(folder: str) -> str:
    return Path(os.path.abspath(folder)).name
