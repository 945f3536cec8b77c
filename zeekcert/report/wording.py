"""The report's words: the columns of its tables, how each field is shown, and how each
data-quality fact is said. The terminal table, Markdown and HTML all say them this way.
"""

from __future__ import annotations

from typing import Any

from ..formatting import Fit, short_time
from .document import short_list

# (field, title) in the order every format shows them.
SERVER_COLUMNS = [("resp_h", "server"), ("resp_p", "port"), ("causes", "causes"),
                  ("failed_connections", "failing"), ("connections", "all conns"),
                  ("clients", "clients"), ("first_seen", "first seen"),
                  ("last_seen", "last seen"), ("server_names", "names"),
                  ("subject", "subject"), ("issuer", "issuer"),
                  ("not_valid_after", "expires")]
SELF_SIGNED_COLUMNS = [("resp_h", "server"), ("resp_p", "port"), ("acknowledged", "ack"),
                       ("self_signed_connections", "self-signed"),
                       ("connections", "all conns"), ("client", "busiest client"),
                       ("beacon", "polled"), ("clients", "clients"),
                       ("first_seen", "first seen"), ("last_seen", "last seen"),
                       ("server_names", "names"), ("subject", "subject")]
HUNT_COLUMNS = [("rank", "#"), ("resp_h", "server"), ("resp_p", "port"), ("score", "score"),
                ("why", "why"), ("labels", "labels"), ("subject", "subject")]
# How each column gives way on a narrow terminal (see formatting.fit_table): the least
# priority first; the address and port never.
FITS = {
    "resp_h": Fit(100, droppable=False), "resp_p": Fit(99, droppable=False),
    "causes": Fit(90, 17), "failed_connections": Fit(85), "self_signed_connections": Fit(85),
    "beacon": Fit(84), "client": Fit(80, 15), "last_seen": Fit(70), "acknowledged": Fit(75),
    "clients": Fit(60), "subject": Fit(72, 16), "server_names": Fit(50, 14),
    "connections": Fit(45), "not_valid_after": Fit(35), "first_seen": Fit(30),
    "issuer": Fit(20, 14), "sensors": Fit(55, 12),
    "rank": Fit(98, droppable=False), "score": Fit(97, droppable=False), "why": Fit(89, 30),
    "labels": Fit(86, 20),
}


def with_sensors(columns: list[tuple[str, str]], rows: list[dict[str, Any]]
                 ) -> list[tuple[str, str]]:
    """``columns`` with the sensors after the clients when any row names its sensors."""
    if not any(r.get("sensors") for r in rows):
        return columns
    at = next(i for i, (key, _) in enumerate(columns) if key == "clients") + 1
    return [*columns[:at], ("sensors", "sensors"), *columns[at:]]


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
    if key == "client":  # the polling client when one polls like clockwork, else the busiest
        if row.get("clockwork") and row.get("beacon_client"):
            return str(row["beacon_client"])
        tops = row.get("top_clients") or []
        return str(tops[0]) if tops else ""
    if key == "causes":
        return ", ".join(value or [])
    if key == "why":  # a lead's components, most points first
        parts = sorted(row.get("components") or [], key=lambda c: -abs(c["points"]))
        return ", ".join(f"{c['points']:+d} {c['component']}" for c in parts)
    if isinstance(value, list):
        return short_list(value)
    return "" if value is None else str(value)


def quality_lines(q: dict[str, Any]) -> list[str]:
    """The data-quality section as lines; lines that quote a file start with two spaces."""
    files = ", ".join(f"{n} {s}" for s, n in q["files"].items() if s != "found" and n)
    logged = q["validation_status_logged"]
    lines = [
        f"Files found: {q['files']['found']} ({files or 'none'})",
        f"Lines skipped: {q['lines_skipped']}",
        "Rows read: " + ", ".join(f"{k} {v}" for k, v in q["rows"].items()),
        f"Connections with no visible certificate: {q['connections_without_certificate']}",
        _validation_line(q, logged),
        f"Certificates referenced but not in x509.log: {q['certificates_not_in_x509']} "
        f"({q['connections_not_in_x509']} connections)",
    ]
    if q["connections_checked_from_ssl_log"]:
        made = " and ".join(_CHECKS[c] for c in q["checks_from_ssl_log"])
        lines.append(f"Certificates known only from ssl.log's own subject and issuer: "
                     f"{q['connections_checked_from_ssl_log']} connections; checked there: "
                     f"{made}; not checked without x509.log: key length, signature hash, "
                     "names")
    if q["repeated_rows"]:
        counts = ", ".join(f"{kind} {n}" for kind, n in q["repeated_rows"].items())
        lines.append(f"Rows logged twice (the same connection's uid), counted once: {counts}")
    if q.get("sensors"):
        lines.append(f"Sensors: {', '.join(q['sensors'])}; connections logged by more than "
                     f"one (the same addresses and ports, times within "
                     f"{q['sensor_tolerance_s']:g} s), counted once: "
                     f"{q['merged_across_sensors']}")
    if q["clock_suspect_connections"]:
        lines.append(f"Connections whose sensor time is before 2000 or in the future: "
                     f"{q['clock_suspect_connections']}; {q['clock_dependent_verdicts']} "
                     "expired or not-yet-valid verdicts among them depend on that clock: a "
                     "clock problem to fix on the sensor, not a certificate finding")
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


_CHECKS = {"self_signed": "self-signed (subject = issuer)", "validity": "validity dates"}


def _validation_line(q: dict[str, Any], logged: bool) -> str:
    """Whether the sensor validates certificates; advice only where the log proves it not."""
    if logged:
        return (f"validation_status logged: yes, for {q['connections_with_validation_status']} "
                "connections")
    if not q["rows"].get("ssl"):
        return "validation_status logged: no connections"
    column = q.get("validation_status_column", "absent")
    shown = max(0, q["rows"]["ssl"] - q["connections_without_certificate"])
    if column == "present" and not shown:
        return ("validation_status logged: the column is there but unset on every "
                "connection: none showed a certificate to validate")
    if column == "present":
        return (f"validation_status logged: the column is there but unset on every "
                f"connection, though {shown} showed a certificate: check that "
                "protocols/ssl/validate-certs runs on the sensor")
    if column == "unknown":
        return ("validation_status logged: never set in these JSON logs: either "
                "protocols/ssl/validate-certs is not loaded on the sensor, or nothing was "
                "validated")
    return ("validation_status logged: NO - load protocols/ssl/validate-certs on the sensor; "
            "only notices and the policy re-check can raise causes")


def next_steps(servers: int) -> list[str]:
    """What to do with what the report found; nothing when it found nothing."""
    if not servers:
        return []
    return ["Next steps:",
            "- check the failing servers actively: add --targets FILE, then run "
            "testssl.sh --file FILE",
            "- acknowledge a server you expect (a dev box, an appliance) with an "
            "[[acknowledged]] entry in an --allowlist file; see the README's Allowlist"]
