"""zeekcert: find and explain TLS certificate validation failures in Zeek logs."""

from .errors import ZeekLogError
from .reader import read_log, read_table
from .report import FileReport, FileStatus, LoadReport

__all__ = ["FileReport", "FileStatus", "LoadReport", "ZeekLogError", "read_log", "read_table"]
__version__ = "0.1.0"
