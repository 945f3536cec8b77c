"""zeekcert: find and explain TLS certificate validation failures in Zeek logs."""

from .errors import ZeekLogError
from .loader import Batch, Logs, find_logs, iter_batches, load
from .reader import read_log, read_table
from .report import FileReport, FileStatus, LoadReport
from .zatcompat import from_zat

__all__ = [
    "Batch", "FileReport", "FileStatus", "LoadReport", "Logs", "ZeekLogError",
    "find_logs", "from_zat", "iter_batches", "load", "read_log", "read_table",
]
__version__ = "0.1.0"
