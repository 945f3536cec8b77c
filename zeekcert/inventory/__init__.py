"""Servers over time: the self-signed (or any-cause) inventory, kept between runs.

``accumulate`` folds classified connections into per-server and per-pair tables
(``columnar``, kept as ``parts``) that merge exactly; ``lifecycle`` gives each server its
status for a run and prunes the old; ``records`` turns the tables into the state's records
and back; ``beacons`` measures how regularly each client polls; ``allowlist``
acknowledges expected servers; ``table`` turns the records into the inventory frame;
``state`` keeps records, certificate cache and file ledger in SQLite and holds the run's
write lock; ``state_merge`` merges per-sensor states into one; ``nightly`` is the job
that ties them together (``taking`` what each file gives, ``mapped`` on an executor);
``writers`` writes the inventory. This layer takes files only through
``zeekcert.reading`` and verdicts only through ``zeekcert.classification``.
"""

from .accumulate import Accumulator
from .allowlist import Acknowledgement, acknowledged_by, acknowledging, load_allowlist
from .batch import C2Marks
from .beacons import regularity
from .columnar import MAX_TIMES
from .lifecycle import RETENTION, ServerStatus, prune, settle
from .nightly import Kept, NightlyResult, Progress, run_nightly
from .records import from_records, pair_records, server_records
from .state import State
from .state_merge import merge_states
from .table import GONE_AFTER, inventory, to_frame
from .writers import write_csv, write_json, write_parquet, write_table

__all__ = [
    "GONE_AFTER",
    "MAX_TIMES",
    "RETENTION",
    "Accumulator",
    "Acknowledgement",
    "C2Marks",
    "Kept",
    "NightlyResult",
    "Progress",
    "ServerStatus",
    "State",
    "acknowledged_by",
    "acknowledging",
    "from_records",
    "inventory",
    "load_allowlist",
    "merge_states",
    "pair_records",
    "prune",
    "regularity",
    "run_nightly",
    "server_records",
    "settle",
    "to_frame",
    "write_csv",
    "write_json",
    "write_parquet",
    "write_table",
]
