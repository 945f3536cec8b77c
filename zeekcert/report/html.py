"""The report as one self-contained HTML file, for readers who never open a terminal.

Everything from a log is passed through ``sanitize.html_escape`` (``terminal_safe`` first,
so bidi overrides cannot reorder the page either). The page loads nothing: styles, the
chart and the timelines are inline, and a Content-Security-Policy forbids every fetch and
every script but one, ``html_script.SCRIPT``, allowed by its hash: it sorts the tables
by a click on a column header and filters them by a text box, and only moves and hides
rows that are already there.

The sections come in the order of every other format: the hunt leads (each with the
points it scored and why), summary (with the chart), the self-signed servers, the servers
failing validation, data quality. Each server listed
gets its busiest clients and two strips of ticks, one per connection (the latest
``activity.MAX_CONNECTIONS``): over the report's window, and over the last hour it was
seen, where a client polling every few minutes shows as evenly spaced ticks.

Addresses, ports, counts and times never wrap (a wrapped ``203.0.113.44`` is copied
wrong); subjects, issuers and names wrap at spaces and after commas.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO, cast

import numpy as np
import pandas as pd

from ..formatting import short_time
from ..sanitize import html_escape
from .chart import COLOURS, ticks_svg, timeline_svg
from .document import SUMMARY_COLUMNS, cause_rows, report_dict, unjudged
from .findings import Findings
from .html_script import SCRIPT_HASH, script_element
from .wording import (
    HUNT_COLUMNS,
    SELF_SIGNED_COLUMNS,
    SERVER_COLUMNS,
    display,
    next_steps,
    quality_lines,
    with_sensors,
)

TOP_SERVERS = 100
TOP_CLIENTS = 3
WINDOW_PX, HOUR_PX = 400, 240  # the widths of the two timeline strips
HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CSP = (f"default-src 'none'; script-src '{SCRIPT_HASH}'; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'")
_STYLE = f"""
body{{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:120em;padding:0 1em;color:#222}}
h1{{font-size:1.5em}}h2{{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}}
.wide{{overflow-x:auto}}table{{border-collapse:collapse;font-size:13px}}
th,td{{padding:.25em .5em;text-align:left;vertical-align:top;white-space:nowrap}}
th{{background:#f4f4f4}}th[tabindex]{{cursor:pointer;user-select:none}}
tbody{{border-bottom:1px solid #e4e4e4}}
th[aria-sort=ascending]::after{{content:" \\25B2"}}
th[aria-sort=descending]::after{{content:" \\25BC"}}
td.n{{text-align:right;font-variant-numeric:tabular-nums}}
td.w{{white-space:normal;overflow-wrap:break-word;max-width:28em}}
tr.act td{{white-space:normal;padding-top:0;color:#444}}.nw{{white-space:nowrap}}
.strip{{display:inline-block;white-space:nowrap;margin-right:1.2em}}
.lbl{{color:#666;margin-right:.4em}}.tl svg{{width:{WINDOW_PX}px;height:16px;background:#eee;
vertical-align:middle}}.tl.h svg{{width:{HOUR_PX}px}}
.tl path{{fill:none;stroke-width:12px;shape-rendering:crispEdges}}.tl .g{{stroke:#fff;
stroke-width:16px}}.tl .ok{{stroke:#999}}.tl .bad{{stroke:#b2182b}}
.tl .cut{{stroke:#888;stroke-width:2px;stroke-dasharray:3 3}}
.tools{{margin:.5em 0}}.tools output{{margin-left:.6em;color:#555}}
.key{{display:inline-block;width:.8em;height:.8em;margin-right:.4em}}.note{{color:#555}}
.warn{{color:#a00;font-weight:bold}}.bad-key{{color:#b2182b;font-weight:bold}}
"""
_NUMBERS = {"resp_p", "connections", "failed_connections", "self_signed_connections",
            "clients", "servers", "beacon", "rank", "score"}
_TIMES = {"first_seen", "last_seen", "not_valid_after"}
_ADDRESSES = {"resp_h", "client"}
_WORDS = {"causes", "server_names", "subject", "issuer", "meaning", "why",
          "labels"}  # these may wrap
_LEGEND = ("Under each server: a tick for each connection, <span class=\"bad-key\">red"
           "</span> when it failed validation and grey otherwise, over the report's window "
           "(white lines at 00:00 UTC) and over the last hour the server was seen, dashed "
           "where older connections were left out; then its busiest clients, with their "
           "connections.")
Detail = Callable[[dict[str, Any]], str]


def write_html(findings: Findings, out: TextIO) -> None:
    """The whole report as one HTML document."""
    data = report_dict(findings)
    window = f"{short_time(data['window']['start']) or '-'} to " \
             f"{short_time(data['window']['end']) or '-'}"
    activity = _Activity.of(findings)
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">",
        f"<title>zeekcert report, {html_escape(window)}</title>"
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>TLS certificate failures</h1><p>Window: {html_escape(window)}</p>",
        _hunt(data),
        _summary(data["summary"]),
        _chart(findings),
        _self_signed(data["self_signed"], findings.allowlist_given, activity),
        _servers(data["servers"], activity),
        _quality(data["data_quality"]),
        _next_steps(len(data["servers"])),
        "<p class=\"note\">Made by zeekcert. Values from the logs are shown as text; control "
        "and bidi characters appear as visible escapes. The page's one script only sorts "
        "and filters the tables.</p>",
        script_element(),
        "</body></html>\n",
    ]
    out.write("\n".join(p for p in parts if p))


def _hunt(data: dict[str, Any]) -> str:
    """The leads, each with a row of its components and their reasons; then clusters."""
    hunt = data["hunt"]
    if hunt is None:
        return ""
    leads = hunt["leads"][:hunt["top"]]
    head = (f"<h2 id=\"hunt\">Hunt leads ({len(hunt['leads'])} scoring "
            f"{hunt['lead_threshold']} or more)</h2>")
    clusters = "".join(f"<li>{_cluster(c)}</li>" for c in data["clusters"])
    tail = f"<p>Reuse clusters:</p><ul>{clusters}</ul>" if clusters else ""
    return head + _table("hunt-table", "the hunt leads", HUNT_COLUMNS, leads,
                         empty="No server scored as a lead.", detail=_reasons) + tail


def _cluster(cluster: dict[str, Any]) -> str:
    label = f" ({cluster['label']})" if cluster["label"] else ""
    return html_escape(f"{cluster['cluster']}{label}: {cluster['addresses']} addresses, "
                       f"{cluster['means']}: {', '.join(cluster['servers'][:10])}")


def _reasons(row: dict[str, Any]) -> str:
    items = "".join(f"<li>{c['points']:+d} {html_escape(c['component'])}: "
                    f"{html_escape(c['reason'])}</li>" for c in row.get("components") or [])
    return f"<ul>{items}</ul>"


def _summary(summary: dict[str, Any]) -> str:
    head = (f"<h2 id=\"summary\">Summary</h2><p>{summary['connections']} TLS connections, "
            f"{summary['failed_connections']} failing validation, "
            f"<b>{summary['unverified_connections']} not judged</b>.</p>")
    items = "".join(f"<li>{n}: {html_escape(why)}</li>" for n, why in unjudged(summary))
    note = (f"<p class=\"note\">Connections whose certificate could not be judged:</p>"
            f"<ul>{items}</ul>") if items else ""
    columns = [(k, k) for k in SUMMARY_COLUMNS]
    return head + _table("summary-table", "the summary", columns, cause_rows(summary),
                         empty="No connection failed validation.") + note


def _key(code: str) -> str:
    return f"<span class=\"key\" style=\"background:{COLOURS.get(code, '#999')}\"></span>"


def _chart(findings: Findings) -> str:
    svg = timeline_svg(findings.timeline)
    if svg is None:
        why = ("no failing connections" if findings.timeline.empty else
               "install zeekcert[html] (matplotlib) for the chart")
        return f"<h2 id=\"chart\">Failing connections over time</h2><p class=\"note\">{why}</p>"
    return f"<h2 id=\"chart\">Failing connections over time</h2><figure>{svg}</figure>"


def _self_signed(rows: list[dict[str, Any]], allowlist: bool, activity: _Activity) -> str:
    rows = [dict(r, _allowlist=allowlist) for r in rows]
    columns = with_sensors([c for c in SELF_SIGNED_COLUMNS
                            if allowlist or c[0] != "acknowledged"], rows)
    legend = f"<p class=\"note\">{_LEGEND}</p>" if rows else ""
    return (f"<h2 id=\"self-signed\">Self-signed servers ({len(rows)})</h2>" + legend
            + _table("self-signed-table", "the self-signed servers", columns, rows,
                     empty="None.", detail=activity.detail))


def _servers(servers: list[dict[str, Any]], activity: _Activity) -> str:
    shown = servers[:TOP_SERVERS]
    more = len(servers) - len(shown)
    tail = f"<p class=\"note\">{more} more servers are in the JSON report.</p>" if more else ""
    legend = f"<p class=\"note\">{_LEGEND}</p>" if shown else ""
    return (f"<h2 id=\"servers\">Servers failing validation, worst first ({len(servers)})</h2>"
            + legend + _table("servers-table", "the servers failing validation",
                              with_sensors(SERVER_COLUMNS, shown), shown, empty="None.",
                              detail=activity.detail)
            + tail)


def _quality(q: dict[str, Any]) -> str:
    items = "".join(f"<li>{html_escape(line.strip())}</li>" for line in quality_lines(q))
    warn = "" if q["validation_status_logged"] else \
        "<p class=\"warn\">The sensor logged no validation_status.</p>"
    return f"<h2 id=\"data-quality\">Data quality</h2>{warn}<ul>{items}</ul>"


def _next_steps(servers: int) -> str:
    lines = next_steps(servers)
    if not lines:
        return ""
    items = "".join(f"<li>{html_escape(line.removeprefix('- '))}</li>" for line in lines[1:])
    return f"<h2 id=\"next-steps\">{html_escape(lines[0].rstrip(':'))}</h2><ul>{items}</ul>"


def _table(table_id: str, what: str, columns: Sequence[tuple[str, str]],
           rows: Sequence[dict[str, Any]], empty: str = "",
           detail: Detail | None = None) -> str:
    """A sortable table with its filter box; one ``<tbody>`` per record, so that a
    record's detail row (``detail``) moves and hides with it."""
    if not rows:
        return f"<p>{html_escape(empty)}</p>"
    head = "".join(f"<th scope=\"col\" data-type=\"{_sort_type(key)}\">{html_escape(title)}</th>"
                   for key, title in columns)
    body = []
    for row in rows:
        record = "<tr>" + "".join(_cell(row, key) for key, _ in columns) + "</tr>"
        if detail is not None:
            record += f"<tr class=\"act\"><td colspan=\"{len(columns)}\">{detail(row)}</td></tr>"
        body.append(f"<tbody>{record}</tbody>")
    tools = (f"<div class=\"tools\" hidden><label>Filter <input type=\"search\" "
             f"class=\"filter\" aria-controls=\"{table_id}\" autocomplete=\"off\" "
             f"spellcheck=\"false\" aria-label=\"Filter {what}\"></label><output></output></div>")
    return (f"{tools}<div class=\"wide\"><table class=\"sortable\" id=\"{table_id}\">"
            f"<thead><tr>{head}</tr></thead>{''.join(body)}</table></div>")


def _sort_type(key: str) -> str:
    return "num" if key in _NUMBERS else "time" if key in _TIMES else "text"


def _cell(row: dict[str, Any], key: str) -> str:
    text = html_escape(display(row, key))
    if key in _WORDS:
        return f"<td class=\"w\">{text.replace(',', ',<wbr>')}</td>"
    if key == "cause":
        text = _key(str(row["cause"])) + text
    value = _sort_value(row, key)
    sort = "" if value is None else f" data-v=\"{html_escape(value)}\""
    klass = " class=\"n\"" if key in _NUMBERS else ""
    return f"<td{klass}{sort}>{text}</td>"


def _sort_value(row: dict[str, Any], key: str) -> str | None:
    """What a cell sorts by when its text is not that (``data-v``); None for its text."""
    if key in _TIMES:
        return _epoch_us(row.get(key))
    if key == "beacon":
        return f"{row['median_interval_s']:.3f}" if display(row, key) else ""
    if key in _ADDRESSES:
        return _address_key(display(row, key))
    return None


def _epoch_us(value: object) -> str:
    """An ISO time as integer microseconds since the epoch; empty (sorted last) if none."""
    if not isinstance(value, str):
        return ""
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:  # a year past 9999: the sensor's clock was wrong
        return ""
    return str(_since_epoch(stamp))


def _address_key(text: str) -> str:
    """A key that sorts addresses by value: IPv4 first, then IPv6, then anything else."""
    if not text:
        return ""
    first = text.split(" ", 1)[0]
    try:
        address = ipaddress.ip_address(first)
    except ValueError:
        return "9" + text.lower()
    return f"{address.version}{int(address):032x}"


@dataclass(frozen=True)
class _Activity:
    """The listed servers' connections (``Findings.activity``), drawn per server."""

    by_server: dict[tuple[str, int], pd.DataFrame]
    start: int | None
    end: int | None

    @classmethod
    def of(cls, findings: Findings) -> _Activity:
        frame = findings.activity
        groups: dict[tuple[str, int], pd.DataFrame] = {}
        if len(frame):
            for key, group in frame.groupby(["resp_h", "resp_p"], sort=True):
                host, port = cast(tuple[Any, Any], key)
                groups[(str(host), int(port))] = group
        return cls(groups, _micros(findings.window_start), _micros(findings.window_end))

    def detail(self, row: dict[str, Any]) -> str:
        port = row.get("resp_p")
        group = self.by_server.get((str(row.get("resp_h")), int(port))) \
            if port is not None else None
        if group is None or not len(group):
            return "<span class=\"note\">No connection times for this server.</span>"
        times = pd.DatetimeIndex(group["ts"]).as_unit("us").asi8
        failing = group["failing"].to_numpy(dtype=bool)
        total = row.get("connections")
        cut = int(times.min()) if isinstance(total, int) and total > len(times) else None
        parts = [self._window(times, failing, cut), _hour(times, failing, cut),
                 _clients(group["orig_h"])]
        if cut is not None:
            parts.append(f"<span class=\"note\">the latest {len(times)} of {total} "
                         "connections</span>")
        return "".join(parts)

    def _window(self, times: np.ndarray, failing: np.ndarray, cut: int | None) -> str:
        start = self.start if self.start is not None else int(times.min())
        end = self.end if self.end is not None else int(times.max())
        first_day = -(-start // DAY_US) * DAY_US
        marks = range(first_day, end, DAY_US) if end - start <= 62 * DAY_US else range(0)
        label = (f"{len(times)} connections, {int(failing.sum())} failing, from "
                 f"{_time(int(times.min()))} to {_time(int(times.max()))}")
        return _strip("window", label, ticks_svg(times, failing, start, end, WINDOW_PX,
                                                 list(marks), cut))


def _hour(times: np.ndarray, failing: np.ndarray, cut: int | None) -> str:
    end = int(times.max())
    start = end - HOUR_US
    inside = times > start
    label = (f"{int(inside.sum())} connections in the hour to {_time(end)}, "
             f"{int(failing[inside].sum())} failing")
    svg = ticks_svg(times[inside], failing[inside], start, end + 1, HOUR_PX, cut=cut)
    return _strip("last hour", label, svg, " h")


def _strip(name: str, label: str, svg: str, klass: str = "") -> str:
    return (f"<span class=\"strip\"><span class=\"lbl\">{name}</span><span class=\"tl{klass}\" "
            f"role=\"img\" aria-label=\"{html_escape(label)}\" title=\"{html_escape(label)}\">"
            f"{svg}</span></span>")


def _clients(clients: pd.Series) -> str:
    counts = sorted(Counter(clients.astype(str)).items(), key=lambda c: (-c[1], c[0]))
    shown = "".join(f" <span class=\"nw\">{html_escape(host)} ({n})</span>"
                    for host, n in counts[:TOP_CLIENTS])
    more = len(counts) - TOP_CLIENTS
    rest = f" <span class=\"note\">+{more} more</span>" if more > 0 else ""
    word = "busiest clients" if len(counts) > 1 else "client"
    return f"<span class=\"strip\"><span class=\"lbl\">{word}</span>{shown}{rest}</span>"


def _micros(value: pd.Timestamp | None) -> int | None:
    if value is None or pd.isna(value):
        return None
    return _since_epoch(pd.Timestamp(value).to_pydatetime())


def _since_epoch(stamp: datetime) -> int:
    """Exact integer microseconds since the epoch; a time without a zone is UTC."""
    stamp = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
    return (stamp - _EPOCH) // timedelta(microseconds=1)


def _time(micros: int) -> str:
    return short_time(pd.Timestamp(micros, unit="us", tz="UTC").isoformat())
