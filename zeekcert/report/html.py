"""The report as one self-contained HTML file, for readers who never open a terminal.

Everything from a log is passed through ``sanitize.html_escape`` (``terminal_safe`` first,
so bidi overrides cannot reorder the page either). The page loads nothing: styles and the SVG
chart are inline, and a Content-Security-Policy forbids every fetch and every script.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from ..formatting import short_time
from ..sanitize import html_escape
from .chart import COLOURS, timeline_svg
from .document import SUMMARY_COLUMNS, cause_rows, report_dict, unjudged
from .findings import Findings
from .text import SELF_SIGNED_COLUMNS, SERVER_COLUMNS, display, quality_lines

TOP_SERVERS = 100
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:80em;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:13px}th,td{padding:.25em .6em;text-align:left;
vertical-align:top;border-bottom:1px solid #eee}th{background:#f4f4f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}td{overflow-wrap:anywhere;max-width:28em}
.key{display:inline-block;width:.8em;height:.8em;margin-right:.4em}.note{color:#555}
.warn{color:#a00;font-weight:bold}
"""
_NUMERIC = {"resp_p", "connections", "clients", "servers"}


def write_html(findings: Findings, out: TextIO) -> None:
    """The whole report as one HTML document."""
    data = report_dict(findings)
    window = f"{short_time(data['window']['start']) or '-'} to " \
             f"{short_time(data['window']['end']) or '-'}"
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">",
        f"<title>zeekcert report, {html_escape(window)}</title>"
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>TLS certificate failures</h1><p>Window: {html_escape(window)}</p>",
        _summary(data["summary"]),
        _chart(findings),
        _servers(data["servers"]),
        _self_signed(data["self_signed"], findings.allowlist_given),
        _quality(data["data_quality"]),
        "<p class=\"note\">Made by zeekcert. Values from the logs are shown as text; control "
        "and bidi characters appear as visible escapes.</p></body></html>\n",
    ]
    out.write("\n".join(parts))


def _summary(summary: dict[str, Any]) -> str:
    rows = [{**row, "cause": _key(row["cause"]) + html_escape(row["cause"]),
             "meaning": html_escape(row["meaning"])} for row in cause_rows(summary)]
    head = (f"<h2 id=\"summary\">Summary</h2><p>{summary['connections']} TLS connections, "
            f"{summary['failed_connections']} failing validation, "
            f"<b>{summary['unverified_connections']} not judged</b>.</p>")
    items = "".join(f"<li>{n}: {html_escape(why)}</li>" for n, why in unjudged(summary))
    note = (f"<p class=\"note\">Connections whose certificate could not be judged:</p>"
            f"<ul>{items}</ul>") if items else ""
    columns = [(k, k) for k in SUMMARY_COLUMNS]
    return head + _table(columns, rows, raw=True, empty="No connection failed validation.") \
        + note


def _key(code: str) -> str:
    return f"<span class=\"key\" style=\"background:{COLOURS.get(code, '#999')}\"></span>"


def _chart(findings: Findings) -> str:
    svg = timeline_svg(findings.timeline)
    if svg is None:
        why = ("no failing connections" if findings.timeline.empty else
               "install zeekcert[html] (matplotlib) for the chart")
        return f"<h2 id=\"chart\">Failing connections over time</h2><p class=\"note\">{why}</p>"
    return f"<h2 id=\"chart\">Failing connections over time</h2><figure>{svg}</figure>"


def _servers(servers: list[dict[str, Any]]) -> str:
    shown = servers[:TOP_SERVERS]
    more = len(servers) - len(shown)
    tail = f"<p class=\"note\">{more} more servers are in the JSON report.</p>" if more else ""
    return (f"<h2 id=\"servers\">Servers failing validation, worst first ({len(servers)})</h2>"
            + _table(SERVER_COLUMNS, shown, empty="None.") + tail)


def _self_signed(rows: list[dict[str, Any]], allowlist: bool) -> str:
    rows = [dict(r, _allowlist=allowlist) for r in rows]
    return (f"<h2 id=\"self-signed\">Self-signed servers ({len(rows)})</h2>"
            + _table(SELF_SIGNED_COLUMNS, rows, empty="None."))


def _quality(q: dict[str, Any]) -> str:
    items = "".join(f"<li>{html_escape(line.strip())}</li>" for line in quality_lines(q))
    warn = "" if q["validation_status_logged"] else \
        "<p class=\"warn\">The sensor logged no validation_status.</p>"
    return f"<h2 id=\"data-quality\">Data quality</h2>{warn}<ul>{items}</ul>"


def _table(columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]],
           raw: bool = False, empty: str = "") -> str:
    """A table; cells are escaped unless ``raw`` (then the caller escaped them)."""
    if not rows:
        return f"<p>{html_escape(empty)}</p>"
    head = "".join(f"<th>{html_escape(title)}</th>" for _, title in columns)
    body = []
    for row in rows:
        cells = []
        for key, _ in columns:
            text = str(row.get(key, "")) if raw else html_escape(display(row, key))
            klass = " class=\"n\"" if key in _NUMERIC else ""
            cells.append(f"<td{klass}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
