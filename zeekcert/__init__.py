"""zeekcert: find and explain TLS certificate validation failures in Zeek logs.

The pipeline, one layer per subpackage:

- ``reading``: ``load`` a tree of ssl, x509 and notice logs into typed DataFrames;
- ``classification``: ``classify`` every connection's certificate, ``servers`` per server;
- ``inventory``: the self-signed inventory and the nightly job that keeps it;
- ``report``: ``build_report`` and every format the report is written in;
- ``cli``: ``python -m zeekcert``, on top of all of them.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from . import accessor as _accessor  # noqa: F401 - registers df.zeekcert
from . import classification, inventory, reading, report
from .causes import Cause, Evidence, Unverified, Verdict
from .classification import classify, join_summary, servers
from .errors import ConfigError, StateError, StateLocked, ZeekcertError, ZeekLogError
from .policy import Policy
from .reading import (
    Batch,
    FileReport,
    FileStatus,
    LoadReport,
    Logs,
    find_logs,
    from_zat,
    iter_batches,
    load,
    read_log,
    read_table,
)
from .report import Findings, build_report

__all__ = [
    "Batch", "Cause", "ConfigError", "Evidence", "FileReport", "FileStatus", "Findings",
    "LoadReport", "Logs", "Policy", "StateError", "StateLocked", "Unverified", "Verdict",
    "ZeekLogError", "ZeekcertError", "build_report", "classification", "classify", "find_logs",
    "from_zat", "inventory", "iter_batches", "join_summary", "load", "read_log", "read_table",
    "reading", "report", "servers",
]
try:
    __version__ = _version("zeekcert")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
