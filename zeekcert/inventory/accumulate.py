"""Fold classified connections into server and pair records that merge exactly.

Both the notebook ``inventory()``, the report and the nightly job use this. The records
are tables (see ``columnar``): each batch adds its own per-server and per-pair aggregates,
computed by pandas, and the tables reduce them by key. The merge is exact in any order
and any grouping of batches, runs or workers:

- a connection counts when it shows the cause itself, so what a batch adds never depends
  on what came before (resumed sessions and TLS 1.3 show no certificate: the report
  counts them beside, the inventory does not);
- every field is a min, a max, a sum, a union or a greatest-of;
- a pair keeps the latest ``MAX_TIMES`` connection times of all it saw, so regularity is
  that of the latest ``MAX_TIMES - 1`` intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..causes import Cause
from ..classification import STACK_FIELDS
from .batch import Batch
from .columnar import new_tables
from .parts import Parts, typed


@dataclass
class Accumulator:
    """Server and pair records of one cause (``"any"`` for every cause), as tables."""

    cause: str = Cause.SELF_SIGNED.value
    tables: dict[str, Parts] = field(default_factory=new_tables)

    def table(self, name: str) -> pd.DataFrame:
        """One table, reduced: ``servers``, ``clients``, ``pairs``, ``times``, ``names``,
        ``fingerprints``, ``known``, ``sensors``, ``evidence``, ``ja3s`` or ``ja4s``."""
        return self.tables[name].frame()

    def put(self, name: str, frame: pd.DataFrame) -> None:
        """Replace a table with rows already reduced."""
        self.tables[name].replace(typed(frame, self.tables[name].empty))

    def start_run(self) -> None:
        """Begin a new run over records kept from earlier runs: they are ``prior``."""
        servers = self.table("servers")
        self.put("servers", servers.assign(prior=True, seen=False, window=0))

    def add(self, classified: pd.DataFrame) -> None:
        """Take in one batch of classified connections, in any order of batches."""
        batch = Batch.of(classified, self.cause)
        if batch is None:
            return
        self.tables["servers"].add(batch.servers())
        clients, pairs, times = batch.pairs()
        self.tables["clients"].add(clients)
        self.tables["pairs"].add(pairs)
        self.tables["times"].add(times)
        self.tables["names"].add(batch.values("server_name"))
        self.tables["fingerprints"].add(batch.values("fingerprint", shown_only=True))
        if "sensor" in classified.columns:
            self.tables["sensors"].add(batch.values("sensor"))
        if "evidence" in classified.columns:
            self.tables["evidence"].add(batch.listed("evidence"))
        for name in STACK_FIELDS:  # JA3S, JA4S: when a package logs them
            if name in classified.columns:
                self.tables[name].add(batch.values(name))

    def merge(self, other: Accumulator) -> None:
        """Take in the records of another accumulator (a file, a batch, a worker), exactly.

        ``other`` holds records of the same run: what it saw counts as seen in this run,
        and a server it has that this one had not is new in this run.
        """
        for name, parts in other.tables.items():
            if name == "known":  # what a run knew before it started: this one's own
                continue
            for part in parts.parts():
                self.tables[name].add(part.assign(prior=False) if name == "servers" else part)

