"""The report as plain, versioned data: the JSON document every other format follows.

``report_dict`` is the documented JSON (``schema_version`` 3, see the README), written
by ``write_json`` with its server lists in parts; ``write_csv`` writes its servers.
Values are kept as the logs had them; each renderer escapes for its own surface.
"""

from __future__ import annotations

from typing import Any, TextIO

import pandas as pd

from .. import formatting
from ..causes import Cause, Unverified
from ..formatting import iso, records
from ..hunting import component_text
from ..json_text import Parts, write_json_text
from .findings import Findings

PART_ROWS = 20_000  # server records converted and written at a time
SCHEMA_VERSION = 3  # 2: unverified_by_reason splits no_certificate; 3: hunt, clusters
SERVER_FIELDS = ["resp_h", "resp_p", "causes", "primary_cause", "connections",
                 "failed_connections", "unverified_connections", "clients", "first_seen",
                 "last_seen", "server_names", "fingerprints", "sensors", "subject", "issuer",
                 "not_valid_after", "ja3s", "ja4s"]
SELF_SIGNED_FIELDS = [*SERVER_FIELDS, "acknowledged", "acknowledged_by", "beacon_client",
                      "median_interval_s", "jitter", "clockwork", "self_signed_connections",
                      "top_clients"]
LEAD_FIELDS = ["rank", "resp_h", "resp_p", "score", "lead", "components", "labels",
               "clusters", "fresh", "random_names", "external", "causes", "clients",
               "first_seen", "last_seen", "subject", "issuer"]
CLUSTER_FIELDS = ["cluster", "kind", "key", "label", "means", "servers", "addresses",
                  "first_seen", "last_seen", "clients"]


def server_records(frame: pd.DataFrame, fields: list[str]) -> list[dict[str, Any]]:
    """One plain dict per server row, with ``causes`` sorted and only ``fields``."""
    rows = records(frame[[f for f in fields if f in frame.columns]])
    for row in rows:
        row["causes"] = sorted(row.get("causes") or [])
        for name in ("median_interval_s", "jitter"):
            if isinstance(row.get(name), float):
                row[name] = round(row[name], 3)
    return rows


def summary_dict(findings: Findings) -> dict[str, Any]:
    """The summary: totals, counts by cause, and why connections went unjudged."""
    return {
        "connections": findings.connections,
        "failed_connections": findings.failed_connections,
        "unverified_connections": findings.unverified_connections,
        "unverified_by_reason": findings.unverified,
        "by_cause": {code: vars(count) for code, count in findings.by_cause.items()},
    }


def report_dict(findings: Findings, in_parts: bool = False) -> dict[str, Any]:
    """The whole report as the documented JSON object; with ``in_parts``, its two server
    lists are ``Parts``, converted a part at a time as they are written."""
    lists = _record_parts if in_parts else server_records
    return {
        "schema_version": SCHEMA_VERSION,
        "window": {"start": iso(findings.window_start), "end": iso(findings.window_end)},
        "summary": summary_dict(findings),
        "servers": lists(findings.servers, SERVER_FIELDS),
        "self_signed": lists(findings.self_signed, SELF_SIGNED_FIELDS),
        "data_quality": findings.quality.as_dict(),
        **hunt_dict(findings),
    }


def hunt_dict(findings: Findings) -> dict[str, Any]:
    """``hunt``: the threshold, the weights, how many servers were scored, and the leads
    (every server scoring at least the threshold, best first, each with its components);
    and ``clusters``. What the report's first section shows."""
    hunt = findings.hunt
    if hunt is None:
        return {"hunt": None, "clusters": []}
    policy = hunt.policy
    leads = hunt.leads[hunt.leads["lead"].to_numpy(dtype=bool)]
    return {
        "hunt": {"lead_threshold": policy.lead_threshold, "top": policy.top,
                 "weights": vars(policy.weights), "scored": len(hunt.leads),
                 "leads": server_records(leads, LEAD_FIELDS)},
        "clusters": records(hunt.clusters[CLUSTER_FIELDS]),
    }


SUMMARY_COLUMNS = ["cause", "servers", "connections", "clients", "meaning"]


def cause_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary's table: one row per cause that any connection has, with its meaning."""
    return [{"cause": code, **count, "meaning": Cause(code).description}
            for code, count in summary["by_cause"].items() if count["connections"]]


def unjudged(summary: dict[str, Any]) -> list[tuple[int, str]]:
    """(connections, why) for each reason some connections could not be judged."""
    return [(n, Unverified(reason).description)
            for reason, n in summary["unverified_by_reason"].items() if n]


def short_list(values: list[Any] | None, keep: int = 3) -> str:
    """``a, b, c (+4 more)``: long lists shortened for tables."""
    values = list(values or [])
    text = ", ".join(str(v) for v in values[:keep])
    return text + (f" (+{len(values) - keep} more)" if len(values) > keep else "")


def write_json(findings: Findings, out: TextIO) -> None:
    """The documented JSON object (see ``report_dict``), its server lists converted and
    written a part at a time: a day of 300,000 failing servers is never all dicts."""
    write_json_text(report_dict(findings, in_parts=True), out)  # ASCII: no raw C1 or bidi
    out.write("\n")


def _record_parts(frame: pd.DataFrame, fields: list[str]) -> Parts:
    return Parts(server_records(frame.iloc[start:start + PART_ROWS], fields)
                 for start in range(0, len(frame), PART_ROWS))


def write_csv(findings: Findings, out: TextIO) -> None:
    """One row per failing server, self-signed fields and its hunt score included;
    formula cells neutralised."""
    rows = server_records(findings.servers, SERVER_FIELDS)
    extra = {(r["resp_h"], r["resp_p"]): r for r in
             server_records(findings.self_signed, SELF_SIGNED_FIELDS)}
    merged = [extra.get((r["resp_h"], r["resp_p"]), r) for r in rows]
    scores = {} if findings.hunt is None else {
        (str(r["resp_h"]), r["resp_p"]): r for r in records(findings.hunt.leads)}
    for row in merged:
        lead = scores.get((str(row["resp_h"]), row["resp_p"]), {})
        row |= {"hunt_rank": lead.get("rank"), "hunt_score": lead.get("score"),
                "hunt_labels": lead.get("labels") or [],
                "hunt_reasons": [component_text(c) for c in lead.get("components") or []]}
    frame = pd.DataFrame(merged, columns=[*SELF_SIGNED_FIELDS, *CSV_HUNT_FIELDS])
    formatting.write_csv(frame, out)


CSV_HUNT_FIELDS = ["hunt_rank", "hunt_score", "hunt_labels", "hunt_reasons"]
