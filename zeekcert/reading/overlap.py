"""One connection logged by two sensors counted once: the pass that finds them.

Two sensors on one path (before and after a firewall, say) each log the connection with
a uid of their own. Before anything is folded, this pass reads the few columns that
tell connections apart from every ssl file of the run: the address and port pairs
(ssl.log has no ``proto`` field; TLS runs over TCP), the time and the uid, kept as
hashes, 24 bytes a row. The rule, which depends on the rows alone and never on the
order of files or workers:

- a uid is counted once, at its first row in file order, as the load does;
- the rows of one address and port pair, in time order, fall into groups wherever two
  neighbours are more than the tolerance apart (default 2 s: sensors' clocks differ,
  and a port is not reused within seconds);
- in a group with rows of two sensors or more, the rows of one sensor stand for the
  group (the one with most rows, then the first by name) and carry all its sensors'
  names; the other sensors' rows are left out, and counted as merged.

The result lives in ``Sensors``, which each file's rows then pass through (``apply``).
"""

from __future__ import annotations

import concurrent.futures as cf
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..executors import GROUP_BYTES, in_order, runs, size_on_disk
from .arrow import clip_rows
from .file import read_blocks
from .file_report import FileReport
from .seen import column_hashes
from .sensors import MAX_SENSORS, SEPARATOR, Sensors

COLUMNS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
Window = tuple[pd.Timestamp | None, pd.Timestamp | None]
_MIX = np.uint64(0x9E3779B97F4A7C15)
READERS = 2  # threads that read files at once when no executor is given: 25 % faster here


@dataclass
class Keys:
    """The rows of one file that can be matched: 4-tuple hash, time (µs), uid hash."""

    pair: np.ndarray
    us: np.ndarray
    uid: np.ndarray


def _no_keys() -> Keys:
    return Keys(np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.uint64))


def _joined(parts: list[Keys]) -> Keys:
    return Keys(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("pair", "us", "uid")))


def file_keys(files: list[tuple[Path, int]], window: Window) -> list[Keys]:
    """On any worker: each file's keys, past its first ``done`` rows and in the window."""
    return [_keys(path, done, window) for path, done in files]


def _keys(path: Path, done: int, window: Window) -> Keys:
    parts, seen = [], 0
    for table in read_blocks(path, FileReport(str(path)), columns=COLUMNS):
        start, seen = max(0, done - seen), seen + table.num_rows
        if start < table.num_rows:
            parts.append(_table_keys(clip_rows(table.slice(start), *window)))
    if not parts:
        return _no_keys()
    return _joined(parts)


def _table_keys(table: pa.Table) -> Keys:
    """The keys of a block's rows that have all of the columns; others never match."""
    if not all(c in table.column_names for c in COLUMNS):
        return _no_keys()
    valid = np.logical_and.reduce([pc.is_valid(table.column(c)).to_numpy(zero_copy_only=False)
                                   for c in COLUMNS])
    table = table.filter(pa.array(valid))
    pair = np.zeros(table.num_rows, dtype=np.uint64)
    for i, name in enumerate(COLUMNS[2:]):
        pair = pd.util.hash_array((pair * _MIX) ^ _hashes(table.column(name), i))
    us = pc.cast(table.column("ts"), pa.timestamp("us", "UTC")).cast(pa.int64())
    return Keys(pair, us.to_numpy(), column_hashes(table.column("uid")))


def _hashes(column: pa.ChunkedArray, salt: int) -> np.ndarray:
    if pa.types.is_integer(column.type):
        values = column.cast(pa.int64()).to_numpy().astype(np.uint64)
        return pd.util.hash_array(values + np.uint64(salt))
    return column_hashes(column)


def find_overlap(sensors: Sensors, files: list[tuple[Path, int]], window: Window = (None, None),
            executor: cf.Executor | None = None) -> Sensors:
    """``sensors`` with the rows of ``files`` (ssl, each with its rows done, in the order
    the run reads them) that another sensor's row stands for; see the module's rule."""
    files = [(p, done) for p, done in files if sensors.name_of(p) is not None]
    if len(sensors.sensors) < 2 or not files:
        return sensors
    if executor is None:  # reading is mostly Arrow, which lets go of the GIL
        with cf.ThreadPoolExecutor(max_workers=READERS) as threads:
            keys = _mapped(threads, files, window)
    else:
        keys = _mapped(executor, files, window)
    names = sorted(sensors.names)
    code = {name: i for i, name in enumerate(names)}
    sensor = np.concatenate([np.full(len(k.uid), code[sensors.name_of(p) or ""], np.int64)
                             for k, (p, _) in zip(keys, files, strict=True)])
    every = _joined(keys)
    return _decided(sensors, every, sensor, names)


def _mapped(executor: cf.Executor, files: list[tuple[Path, int]], window: Window
            ) -> list[Keys]:
    groups = list(runs(files, [size_on_disk(p) for p, _ in files], GROUP_BYTES))
    return [k for got in in_order(executor, file_keys, ((g, window) for g in groups))
            for k in got]


def _decided(sensors: Sensors, keys: Keys, sensor: np.ndarray, names: list[str]) -> Sensors:
    """Apply the rule to every row's keys and sensor (its place in ``names``)."""
    first = ~pd.Series(keys.uid).duplicated().to_numpy()
    pair, us, uid, sensor = keys.pair[first], keys.us[first], keys.uid[first], sensor[first]
    order = np.lexsort((sensor, us, pair))
    pair, us, uid, sensor = pair[order], us[order], uid[order], sensor[order]
    tolerance = int(sensors.tolerance.total_seconds() * 1_000_000)
    new = np.ones(len(pair), dtype=bool)
    new[1:] = (pair[1:] != pair[:-1]) | (us[1:] - us[:-1] > tolerance)
    group = np.cumsum(new) - 1
    present, counts = np.unique(group * MAX_SENSORS + sensor, return_counts=True)
    owner, member = present // MAX_SENSORS, present % MAX_SENSORS
    shared = np.bincount(owner, minlength=int(group[-1]) + 1 if len(group) else 0) >= 2
    keep = shared[owner]
    owner, member, counts = owner[keep], member[keep], counts[keep]
    winner = _winners(owner, member, counts, len(shared))
    mask = np.zeros(len(shared), dtype=np.uint64)
    np.bitwise_or.at(mask, owner, np.left_shift(np.uint64(1), member.astype(np.uint64)))
    rows = shared[group]
    stands = sensor[rows] == winner[group[rows]]
    combos, combo = np.unique(mask[group[rows][stands]], return_inverse=True)
    joined, dropped = uid[rows][stands], uid[rows][~stands]
    by_uid = np.argsort(joined, kind="stable")
    return replace(sensors, dropped=np.sort(dropped), joined=joined[by_uid],
                   joined_codes=combo.reshape(-1)[by_uid].astype(  # sent to every worker
                       np.min_scalar_type(max(len(combos) - 1, 0))),
                   combos=[_names(int(m), names) for m in combos], merged=len(dropped))


def _winners(owner: np.ndarray, member: np.ndarray, counts: np.ndarray, groups: int
             ) -> np.ndarray:
    """Per group, the sensor with most rows in it, the first by name on a tie."""
    order = np.lexsort((member, -counts, owner))
    owner, member = owner[order], member[order]
    head = np.ones(len(owner), dtype=bool)
    head[1:] = owner[1:] != owner[:-1]
    winner = np.full(groups, -1, dtype=np.int64)
    winner[owner[head]] = member[head]
    return winner


def _names(mask: int, names: list[str]) -> str:
    return SEPARATOR.join(n for i, n in enumerate(names) if mask >> i & 1)
