"""Files to typed tables: which logs, their bytes, and what the bytes mean.

Bytes layer (``discovery``, ``stream``): which files, in which order, covering which
hours; opened by magic bytes and cut into blocks of whole lines. It never knows what a
Zeek field is. Interpretation layer (``tsv``, ``json_lines``, ``columns``, ``unescape``,
``schema``): blocks to typed Arrow tables; it never opens a file. ``file`` and ``tree``
join the two for one file and for a tree, ``streamed`` for a tree read a block at a
time (with ``seen``, the uids already read); ``file_report`` is the ledger of what was read
and what was skipped; ``sensors`` and ``overlap`` say which sensor logged each file and
count a connection two sensors logged once. This layer knows nothing of certificates,
causes or servers.
"""

from .arrow import PendingTables, concat_tables, to_pandas
from .copies import identity, identity_of, mark_copy
from .discovery import Found, archive_order, discover, find_logs, kind_from_name, select_window
from .file import Resume, iter_tables, read_blocks, read_log, read_table, resume_check
from .file_report import CLEAN, FileReport, FileStatus, LoadReport
from .lines import content_id
from .overlap import find_overlap
from .seen import SeenUids, text_hashes
from .sensors import TOLERANCE, Sensor, Sensors, split_names
from .streamed import FileFacts, StreamedFile, StreamedLoad, read_streamed
from .tree import Batch, Logs, frame_of, iter_batches, load, note_link
from .zat import from_zat

__all__ = [
    "CLEAN",
    "TOLERANCE",
    "Batch",
    "FileFacts",
    "FileReport",
    "FileStatus",
    "Found",
    "LoadReport",
    "Logs",
    "PendingTables",
    "Resume",
    "SeenUids",
    "Sensor",
    "Sensors",
    "StreamedFile",
    "StreamedLoad",
    "archive_order",
    "concat_tables",
    "content_id",
    "discover",
    "find_logs",
    "find_overlap",
    "frame_of",
    "from_zat",
    "identity",
    "identity_of",
    "iter_batches",
    "iter_tables",
    "kind_from_name",
    "load",
    "mark_copy",
    "note_link",
    "read_blocks",
    "read_log",
    "read_streamed",
    "read_table",
    "resume_check",
    "select_window",
    "split_names",
    "text_hashes",
    "to_pandas",
]
