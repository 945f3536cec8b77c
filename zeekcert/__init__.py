"""zeekcert: find and explain TLS certificate validation failures in Zeek logs."""

from . import accessor as _accessor  # noqa: F401 - registers df.zeekcert
from .causes import Cause, Evidence, Unverified, Verdict
from .classify import classify, join_summary
from .errors import ZeekLogError
from .findings import Findings
from .findings import build as build_report
from .loader import Batch, Logs, find_logs, iter_batches, load
from .policy import Policy
from .reader import read_log, read_table
from .report import FileReport, FileStatus, LoadReport
from .servers import servers
from .zatcompat import from_zat

__all__ = [
    "Batch", "Cause", "Evidence", "FileReport", "FileStatus", "Findings", "LoadReport", "Logs",
    "Policy", "Unverified", "Verdict", "ZeekLogError", "build_report", "classify", "find_logs",
    "from_zat", "iter_batches", "join_summary", "load", "read_log", "read_table", "servers",
]
__version__ = "0.1.0"
