"""The report as a terminal table or as Markdown.

Every value that came from a log passes ``terminal_safe`` (control and bidi characters
shown as visible escapes); Markdown also escapes HTML and Markdown punctuation, so a
subject such as ``[x](http://evil)`` or ``<script>`` stays text. Colour is only used on
a terminal, never with ``NO_COLOR``, and only on our own words, never on log data.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from ..formatting import short_time, shorten, text_table
from ..sanitize import markdown_escape, terminal_safe
from .document import SUMMARY_COLUMNS, cause_rows, report_dict, short_list, unjudged
from .findings import Findings

SERVER_COLUMNS = [("resp_h", "server"), ("resp_p", "port"), ("causes", "causes"),
                  ("connections", "conns"), ("clients", "clients"),
                  ("first_seen", "first seen"), ("last_seen", "last seen"),
                  ("server_names", "names"), ("subject", "subject"), ("issuer", "issuer"),
                  ("not_valid_after", "expires")]
SELF_SIGNED_COLUMNS = [("resp_h", "server"), ("resp_p", "port"), ("acknowledged", "ack"),
                       ("connections", "conns"), ("clients", "clients"),
                       ("first_seen", "first seen"), ("last_seen", "last seen"),
                       ("beacon", "polled"), ("server_names", "names"),
                       ("subject", "subject")]
Cell = Callable[[object], str]


def use_colour(out: TextIO) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org)."""
    return bool(getattr(out, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR") \
        and os.environ.get("TERM") != "dumb"


def text_cell(value: object) -> str:
    """A table cell: escaped for the terminal, cut to ``formatting.MAX_CELL`` characters."""
    return shorten(terminal_safe(value))


def markdown_cell(value: object) -> str:
    """A Markdown table cell: terminal-safe, HTML-escaped, Markdown punctuation escaped."""
    return markdown_escape(text_cell(value))


def display(row: dict[str, Any], key: str) -> str:
    """The text a table shows for one field of a server record."""
    value = row.get(key)
    if key in ("first_seen", "last_seen", "not_valid_after"):
        return short_time(value)
    if key == "acknowledged":
        return ("yes" if value else "no") if row.get("_allowlist") else ""
    if key == "beacon":
        period = row.get("median_interval_s")
        return f"every {period:.0f} s" if row.get("clockwork") and period else ""
    if key == "causes":
        return ", ".join(value or [])
    if isinstance(value, list):
        return short_list(value)
    return "" if value is None else str(value)


def write_table(findings: Findings, out: TextIO) -> None:
    """The report for a terminal: summary, self-signed inventory, servers, data quality."""
    _write(findings, out, text_cell, _TextStyle(use_colour(out)))


def write_markdown(findings: Findings, out: TextIO) -> None:
    """The report as GitHub-flavoured Markdown."""
    _write(findings, out, markdown_cell, _MarkdownStyle())


def _write(findings: Findings, out: TextIO, cell: Cell, style: _Style) -> None:
    data = report_dict(findings)
    start, end = data["window"]["start"], data["window"]["end"]
    out.write(style.title(f"zeekcert report: {short_time(start) or '-'} to "
                          f"{short_time(end) or '-'}"))
    _summary(data["summary"], out, style)
    ack = findings.allowlist_given
    rows = [dict(r, _allowlist=ack) for r in data["self_signed"]]
    out.write(style.heading(f"Self-signed servers ({len(rows)})"))
    style.table(out, SELF_SIGNED_COLUMNS, rows, cell, "(none)")
    out.write(style.heading(f"Servers failing validation, worst first ({len(data['servers'])})"))
    style.table(out, SERVER_COLUMNS, data["servers"], cell, "(none)")
    out.write(style.heading("Data quality"))
    for line in quality_lines(data["data_quality"]):
        out.write(style.line(style.quote(line) if line.startswith("  ") else line))


def _summary(summary: dict[str, Any], out: TextIO, style: _Style) -> None:
    out.write(style.line(f"Connections: {summary['connections']}, failing validation: "
                         f"{summary['failed_connections']}, not judged: "
                         f"{summary['unverified_connections']}"))
    out.write(style.heading("Summary by cause"))
    columns = [(k, k) for k in SUMMARY_COLUMNS]
    style.table(out, columns, cause_rows(summary), str, "(no connection failed validation)")
    reasons = [f"{n} {why}" for n, why in unjudged(summary)]
    if reasons:
        out.write(style.line(f"Not judged: {summary['unverified_connections']} connections "
                             f"({'; '.join(reasons)}). They may hide failures: an empty "
                             "summary is not an all clear."))


def quality_lines(q: dict[str, Any]) -> list[str]:
    """The data-quality section as lines; lines that quote a file start with two spaces."""
    files = ", ".join(f"{n} {s}" for s, n in q["files"].items() if s != "found" and n)
    logged = q["validation_status_logged"]
    lines = [
        f"Files found: {q['files']['found']} ({files or 'none'})",
        f"Lines skipped: {q['lines_skipped']}",
        "Rows read: " + ", ".join(f"{k} {v}" for k, v in q["rows"].items()),
        f"Connections with no visible certificate: {q['connections_without_certificate']}",
        ("validation_status logged: yes, for "
         f"{q['connections_with_validation_status']} connections" if logged else
         "validation_status logged: no connections" if not q["rows"].get("ssl") else
         "validation_status logged: NO - load protocols/ssl/validate-certs on the sensor; "
         "only notices and the policy re-check can raise causes"),
        f"Certificates referenced but not in x509.log: {q['certificates_not_in_x509']} "
        f"({q['connections_not_in_x509']} connections)",
    ]
    if q["problems"]:
        lines.append(f"Files not read cleanly: {len(q['problems']) + q['problems_not_listed']}")
    for p in q["problems"]:
        lines.append(f"  {p['status']}: {p['path']}: {p['message']}")
    if q["problems_not_listed"]:
        lines.append(f"  ... and {q['problems_not_listed']} more files with problems")
    if q["bad_values"]:  # column names come from the files: quoted on their own line
        lines.append(f"Values that did not parse, now empty: {sum(q['bad_values'].values())}, "
                     "in the columns")
        lines.append("  " + ", ".join(f"{name} {n}" for name, n in
                                      list(q["bad_values"].items())[:10]))
    if q["links_outside_tree"]:
        lines.append(f"Files read through links that leave the tree: "
                     f"{len(q['links_outside_tree'])}, such as")
        lines.append(f"  {q['links_outside_tree'][0]}")
    if q["duplicates"]:
        lines.append(f"Copies of files already read, counted once: {q['files']['duplicate']}, "
                     f"such as")
        lines.append(f"  {q['duplicates'][0]}")
    return lines


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

    def table(self, out: TextIO, columns: Sequence[tuple[str, str]],
              rows: Sequence[dict[str, Any]], cell: Cell, empty: str) -> None:
        raise NotImplementedError


class _TextStyle(_Style):
    def __init__(self, colour: bool):
        self.colour = colour

    def _sgr(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def title(self, text: str) -> str:
        return self._sgr(text, "1") + "\n"

    def heading(self, text: str) -> str:
        return "\n" + self._sgr(text.upper(), "1") + "\n"

    def table(self, out: TextIO, columns: Sequence[tuple[str, str]],
              rows: Sequence[dict[str, Any]], cell: Cell, empty: str) -> None:
        if not rows:
            out.write(empty + "\n")
            return
        header = [title for _, title in columns]
        cells = [[cell(display(row, key)) for key, _ in columns] for row in rows]
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

    def table(self, out: TextIO, columns: Sequence[tuple[str, str]],
              rows: Sequence[dict[str, Any]], cell: Cell, empty: str) -> None:
        if not rows:
            out.write(empty + "\n")
            return
        out.write("| " + " | ".join(title for _, title in columns) + " |\n")
        out.write("|" + "---|" * len(columns) + "\n")
        for row in rows:
            out.write("| " + " | ".join(cell(display(row, key)) for key, _ in columns) + " |\n")
        out.write("\n")  # a table ends only at a blank line
