"""What ``zeekcert report`` says, and every format it says it in.

``findings`` gathers the content once (summary by cause, failing servers, self-signed
servers, timeline) from the records ``tally`` folds batch by batch, and ``quality``
the data quality; ``streaming`` reads a tree through ``zeekcert.reading`` a block at a
time into those records; ``document`` is the versioned JSON
every format follows, with its JSON and CSV writers; ``text`` writes the terminal table
and Markdown, ``html`` the self-contained page with ``chart``'s SVG, and ``targets`` the
``host:port`` list for active checks. This layer opens files only through
``zeekcert.reading`` and keeps no state.
"""

from .document import report_dict, write_csv, write_json
from .findings import Findings
from .findings import build as build_report
from .html import write_html
from .streaming import StreamedReport, build_streaming
from .targets import target_lines, write_targets
from .text import TOP, TextOptions, write_markdown, write_table

__all__ = [
    "TOP", "Findings", "StreamedReport", "TextOptions", "build_report", "build_streaming",
    "report_dict",
    "target_lines", "write_csv", "write_html", "write_json", "write_markdown", "write_table",
    "write_targets",
]
