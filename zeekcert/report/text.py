"""The report as a terminal table or as Markdown.

Every value that came from a log passes ``terminal_safe`` (characters that are not text
shown as visible escapes); Markdown also escapes HTML and Markdown punctuation, so a
subject such as ``[x](http://evil)`` or ``<script>`` stays text. The terminal table fits
its width: columns are cut, then left out, least important first, and no row wraps.
Colour is used only on our own words, never on log data.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from ..formatting import PIPE_WIDTH, Fit, fit_table, short_time, shorten, text_table
from ..sanitize import markdown_escape, terminal_safe
from .document import SUMMARY_COLUMNS, cause_rows, report_dict, unjudged
from .findings import Findings
from .wording import (
    FITS,
    HUNT_COLUMNS,
    SELF_SIGNED_COLUMNS,
    SERVER_COLUMNS,
    display,
    next_steps,
    quality_lines,
    with_sensors,
)

TOP = 20  # rows per table on a terminal unless --limit says otherwise
Cell = Callable[[object], str]
Columns = Sequence[tuple[str, str]]
Fits = Mapping[str, Fit]


@dataclass(frozen=True)
class TextOptions:
    """How the text report is laid out: its width (None: no limit), how many rows each
    table shows (None: all), and whether it may use colour."""

    width: int | None = PIPE_WIDTH
    limit: int | None = TOP
    colour: bool = False


def text_cell(value: object) -> str:
    """A terminal table cell: escaped, and whole; ``fit_table`` cuts it to the width."""
    return terminal_safe(value)


def markdown_cell(value: object) -> str:
    """A Markdown table cell: terminal-safe, cut to ``formatting.MAX_CELL`` columns (a
    ticket has no width to fit), HTML-escaped, Markdown punctuation escaped."""
    return markdown_escape(shorten(terminal_safe(value)))


def write_table(findings: Findings, out: TextIO, options: TextOptions | None = None) -> None:
    """The report for a terminal: hunt leads, summary, self-signed servers, servers,
    data quality."""
    options = options or TextOptions()
    _write(findings, out, text_cell, _TextStyle(options), options.limit)


def write_markdown(findings: Findings, out: TextIO, options: TextOptions | None = None) -> None:
    """The report as GitHub-flavoured Markdown; every row unless a limit is given."""
    limit = options.limit if options is not None else None
    _write(findings, out, markdown_cell, _MarkdownStyle(), limit)


def _write(findings: Findings, out: TextIO, cell: Cell, style: _Style,
           limit: int | None) -> None:
    data = report_dict(findings)
    start, end = data["window"]["start"], data["window"]["end"]
    out.write(style.title(f"zeekcert report: {short_time(start) or '-'} to "
                          f"{short_time(end) or '-'}"))
    summary = data["summary"]
    out.write(style.line(f"Connections: {summary['connections']}, failing validation: "
                         f"{summary['failed_connections']}, not judged: "
                         f"{summary['unverified_connections']}"))
    _hunt(data, out, style, cell)
    _summary(summary, out, style)
    ack = findings.allowlist_given
    signed = [dict(r, _allowlist=ack) for r in data["self_signed"]]
    columns = with_sensors([c for c in SELF_SIGNED_COLUMNS if ack or c[0] != "acknowledged"],
                           signed)
    out.write(style.heading(f"Self-signed servers ({len(signed)})"))
    _rows(out, style, columns, signed, cell, limit)
    out.write(style.heading(f"Servers failing validation, worst first ({len(data['servers'])})"))
    _rows(out, style, with_sensors(SERVER_COLUMNS, data["servers"]), data["servers"], cell,
          limit)
    out.write(style.heading("Data quality"))
    for line in quality_lines(data["data_quality"]):
        out.write(style.line(style.quote(line) if line.startswith("  ") else line))
    steps = next_steps(len(data["servers"]))
    if steps:
        out.write("\n")
    for line in steps:
        out.write(style.line(line))


def _hunt(data: dict[str, Any], out: TextIO, style: _Style, cell: Cell) -> None:
    """The leads first: the servers most worth a look, each with the points it scored."""
    hunt = data["hunt"]
    if hunt is None:
        return
    leads = hunt["leads"][:hunt["top"]]
    out.write(style.heading(f"Hunt leads ({len(hunt['leads'])} scoring "
                            f"{hunt['lead_threshold']} or more)"))
    style.table(out, HUNT_COLUMNS, leads, cell, "(none)")
    for cluster in data["clusters"]:
        means = "" if cluster["means"] == "unknown" else f", {cluster['means']}"
        label = f" ({cluster['label']}{means})" if cluster["label"] else ""
        out.write(style.line(cell(f"Cluster {cluster['cluster']}{label}: "
                                  f"{cluster['addresses']} addresses: "
                                  f"{', '.join(cluster['servers'][:5])}")))


def _rows(out: TextIO, style: _Style, columns: Columns, rows: list[dict[str, Any]],
          cell: Cell, limit: int | None) -> None:
    shown = rows if not limit else rows[:limit]
    style.table(out, columns, shown, cell, "(none)")
    more = len(rows) - len(shown)
    if more:
        out.write(style.line(f"{more} more server{'' if more == 1 else 's'}: use --limit 0 "
                             "or --format json"))


def _summary(summary: dict[str, Any], out: TextIO, style: _Style) -> None:
    out.write(style.heading("Summary by cause"))
    columns = [(k, k) for k in SUMMARY_COLUMNS]
    style.table(out, columns, cause_rows(summary), str, "(no connection failed validation)",
                _SUMMARY_FITS)
    reasons = [f"{n} {why}" for n, why in unjudged(summary)]
    if reasons:
        out.write(style.line(f"Not judged: {summary['unverified_connections']} connections "
                             f"({'; '.join(reasons)}). They may hide failures: an empty "
                             "summary is not an all clear."))


class _Style:
    """How headings, lines and tables look in one output format."""

    def title(self, text: str) -> str:
        raise NotImplementedError

    def heading(self, text: str) -> str:
        raise NotImplementedError

    def line(self, text: str) -> str:
        return text + "\n"

    def quote(self, text: str) -> str:
        """A whole line that quotes a file name or message: escaped, never cut."""
        return terminal_safe(text)

    def table(self, out: TextIO, columns: Columns, rows: Sequence[dict[str, Any]],
              cell: Cell, empty: str, fits: Fits = FITS) -> None:
        raise NotImplementedError


class _TextStyle(_Style):
    def __init__(self, options: TextOptions):
        self.options = options

    def _sgr(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.options.colour else text

    def title(self, text: str) -> str:
        return self._sgr(self.line(text).rstrip("\n"), "1") + "\n"

    def heading(self, text: str) -> str:
        return "\n" + self._sgr(self.line(text.upper()).rstrip("\n"), "1") + "\n"

    def line(self, text: str) -> str:
        """Our own words, wrapped at the width; a line quoting a file is never cut."""
        width = self.options.width
        if width is None or len(text) <= width:
            return text + "\n"
        return textwrap.fill(text, width, subsequent_indent="  ",
                             break_on_hyphens=False) + "\n"

    def table(self, out: TextIO, columns: Columns, rows: Sequence[dict[str, Any]],
              cell: Cell, empty: str, fits: Fits = FITS) -> None:
        if not rows:
            out.write(empty + "\n")
            return
        header = [title for _, title in columns]
        cells = [[cell(display(row, key)) for key, _ in columns] for row in rows]
        fit = [fits.get(key, _KEEP) for key, _ in columns]
        header, cells = fit_table(header, cells, fit, self.options.width)
        out.writelines(line + "\n" for line in text_table(header, cells))


class _MarkdownStyle(_Style):
    def quote(self, text: str) -> str:
        return "- " + markdown_escape(terminal_safe(text.strip()))

    def title(self, text: str) -> str:
        return f"# {text}\n\n"

    def heading(self, text: str) -> str:
        return f"\n## {text}\n\n"

    def line(self, text: str) -> str:
        return text + "  \n"

    def table(self, out: TextIO, columns: Columns, rows: Sequence[dict[str, Any]],
              cell: Cell, empty: str, fits: Fits = FITS) -> None:
        if not rows:
            out.write(empty + "\n")
            return
        out.write("| " + " | ".join(title for _, title in columns) + " |\n")
        out.write("|" + "---|" * len(columns) + "\n")
        for row in rows:
            out.write("| " + " | ".join(cell(display(row, key)) for key, _ in columns) + " |\n")
        out.write("\n")  # a table ends only at a blank line


_KEEP = Fit(100, droppable=False)
# The summary keeps its counts whole: the meaning of each cause is cut first, then left
# out, then the clients.
_SUMMARY_FITS = {"meaning": Fit(10, 24), "clients": Fit(20)}
