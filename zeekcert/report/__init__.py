"""What ``zeekcert report`` says, and every format it says it in.

``findings`` gathers the content once (summary by cause, failing servers, self-signed
servers, timeline) and ``quality`` the data quality; ``document`` is the versioned JSON
every format follows, with its JSON and CSV writers; ``text`` writes the terminal table
and Markdown, ``html`` the self-contained page with ``chart``'s SVG, and ``targets`` the
``host:port`` list for active checks. This layer reads no files and keeps no state.
"""

from .document import report_dict, write_csv, write_json
from .findings import Findings
from .findings import build as build_report
from .html import write_html
from .targets import target_lines, write_targets
from .text import TOP, TextOptions, write_markdown, write_table

__all__ = [
    "TOP", "Findings", "TextOptions", "build_report", "report_dict",
    "target_lines", "write_csv", "write_html", "write_json", "write_markdown", "write_table",
    "write_targets",
]
