"""A table kept as parts that are reduced by key: the working store of the exact merge.

Each batch appends a part: its own per-key aggregates. Once the parts not yet reduced
hold as many rows as the reduced table (at least ``MIN_ROWS``), all are concatenated and
reduced again. The table then never holds more than about twice its distinct keys, and
each row is reduced a logarithmic number of times, so a day folds in time linear in its
rows with a pandas call per batch, never a Python step per key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

MIN_ROWS = 50_000  # below this many pending rows a reduction costs more than it saves

Reducer = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass
class Parts:
    """One table: the reduced rows so far and the parts appended since."""

    empty: pd.DataFrame
    reduce: Reducer
    done: pd.DataFrame | None = None
    pending: list[pd.DataFrame] = field(default_factory=list)
    pending_rows: int = 0

    def add(self, part: pd.DataFrame) -> None:
        """Append a part with the table's columns; reduce once the parts have doubled."""
        if not len(part):
            return
        self.pending.append(part)
        self.pending_rows += len(part)
        if self.pending_rows >= max(MIN_ROWS, 0 if self.done is None else len(self.done)):
            self.frame()

    def frame(self) -> pd.DataFrame:
        """The table reduced: one row per key (as the reducer defines it)."""
        if self.pending:
            frames = [f for f in (self.done, *self.pending) if f is not None and len(f)]
            both = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
            self.done = self.reduce(both).reset_index(drop=True)
            self.pending, self.pending_rows = [], 0
        return self.empty if self.done is None else self.done

    def replace(self, frame: pd.DataFrame) -> None:
        """Set the reduced table (after a run's statuses, or a pruning)."""
        self.done, self.pending, self.pending_rows = frame.reset_index(drop=True), [], 0

    def parts(self) -> list[pd.DataFrame]:
        """Every row not yet reduced and the reduced ones, for another store to take in."""
        return [f for f in (self.done, *self.pending) if f is not None and len(f)]


def typed(frame: pd.DataFrame, empty: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly the columns and dtypes of ``empty``, so parts concatenate."""
    if not frame.columns.equals(empty.columns):
        frame = frame[list(empty.columns)]
    have: dict[Hashable, Any] = dict(zip(frame.columns, frame.dtypes, strict=True))
    wrong = {name: dtype for name, dtype in empty.dtypes.items() if have[name] != dtype}
    return frame.astype(wrong) if wrong else frame


def distinct(frame: pd.DataFrame) -> pd.DataFrame:
    """The reducer of a set: each row once."""
    return frame.drop_duplicates()


def summed(keys: list[str], column: str) -> Reducer:
    """The reducer of a count per key: the counts summed. A partial, not a closure, so
    records pickle to and from an executor's workers."""
    return functools.partial(_summed, keys, column)


def _summed(keys: list[str], column: str, frame: pd.DataFrame) -> pd.DataFrame:
    summed: pd.DataFrame = frame.groupby(keys, sort=False, as_index=False)[[column]].sum()
    return summed
