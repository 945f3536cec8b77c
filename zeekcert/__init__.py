"""zeekcert: find and explain TLS certificate validation failures in Zeek logs.

The pipeline, one layer per subpackage:

- ``reading``: ``load`` a tree of ssl, x509 and notice logs into typed DataFrames;
- ``classification``: ``classify`` every connection's certificate, ``servers`` per server;
- ``inventory``: the self-signed inventory and the nightly job that keeps it;
- ``hunting``: the catalogue of C2 tooling and vendor defaults, clusters and ranked leads;
- ``report``: ``build_report``, ``build_streaming`` (a tree too big to hold) and every
  format the report is written in;
- ``cli``: ``python -m zeekcert``, on top of all of them.

A notebook needs only this module: what crosses a layer's boundary and a user needs is
here by name (``build_inventory`` is ``zeekcert.inventory.inventory``).
"""

from datetime import datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from typing import TextIO

from . import accessor as _accessor  # noqa: F401 - registers df.zeekcert
from . import classification, hunting, inventory, reading, report
from .causes import Cause, Evidence, Unverified, Verdict
from .classification import classify, join_summary, servers
from .errors import (
    ConfigError,
    SchedulerError,
    StateError,
    StateLocked,
    ZeekcertError,
    ZeekLogError,
)
from .hunting import Catalogue, HuntPolicy, component_text, load_catalogue
from .inventory import inventory as build_inventory
from .inventory import load_allowlist, regularity, run_nightly
from .policy import Policy
from .reading import (
    Batch,
    FileReport,
    FileStatus,
    LoadReport,
    Logs,
    Sensor,
    Sensors,
    find_logs,
    from_zat,
    iter_batches,
    load,
    read_log,
    read_table,
)
from .report import Findings, build_report, build_streaming

__all__ = [
    "Batch", "Catalogue", "Cause", "ConfigError", "Evidence", "FileReport", "FileStatus",
    "Findings", "HuntPolicy", "LoadReport", "Logs", "Policy", "SchedulerError", "Sensor",
    "Sensors", "StateError", "StateLocked", "Unverified", "Verdict", "ZeekLogError",
    "ZeekcertError", "build_inventory", "build_report", "build_streaming", "classification",
    "classify", "component_text", "find_logs", "from_zat", "hunting", "inventory",
    "iter_batches", "join_summary", "load", "load_allowlist", "load_catalogue", "main",
    "read_log", "read_table", "reading", "regularity", "report", "run_nightly", "servers",
]


def main(argv: list[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None, now: datetime | None = None) -> int:
    """The command line, as ``python -m zeekcert`` runs it: ``zeekcert.cli.main``.

    Imported when called, because the command line sits on top of every layer.
    """
    from .cli import main as cli_main
    return cli_main(argv, out=out, err=err, now=now)


try:
    __version__ = _version("zeekcert")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
