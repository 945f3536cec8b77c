"""How far a report can be trusted: what was read, what was lost, what was not logged.

An empty report must never be read as "all clear" when the sensor did not log what the
classifier needs: files that could not be read, lines skipped, certificates TLS 1.3 hid,
a sensor without ``validate-certs`` (no ``validation_status``), or certificates that
ssl.log references but no loaded x509.log holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..causes import Cause
from ..classification import cause_flags, join_summary
from ..reading import CLEAN, FileStatus, LoadReport

MAX_PROBLEMS = 50  # files listed by name per list; the counts in ``files`` are complete


@dataclass(frozen=True)
class Problem:
    """One file that was not read cleanly."""

    path: str
    status: str
    skipped: int
    first_skipped_line: int | None
    message: str


@dataclass(frozen=True)
class DataQuality:
    """The data-quality section of a report."""

    files: dict[str, int]
    lines_skipped: int
    rows: dict[str, int]
    connections_without_certificate: int
    validation_status_logged: bool
    connections_with_validation_status: int
    certificates_not_in_x509: int
    connections_not_in_x509: int
    problems: list[Problem] = field(default_factory=list)
    problems_not_listed: int = 0
    duplicates: list[str] = field(default_factory=list)
    bad_values: dict[str, int] = field(default_factory=dict)
    links_outside_tree: list[str] = field(default_factory=list)
    validation_status_column: str = "present"  # present, absent, or unknown (JSON)
    connections_checked_from_ssl_log: int = 0
    checks_from_ssl_log: list[str] = field(default_factory=list)
    repeated_rows: dict[str, int] = field(default_factory=dict)
    clock_suspect_connections: int = 0
    clock_dependent_verdicts: int = 0
    sensors: list[str] = field(default_factory=list)
    merged_across_sensors: int = 0
    sensor_tolerance_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "files": self.files, "lines_skipped": self.lines_skipped, "rows": self.rows,
            "connections_without_certificate": self.connections_without_certificate,
            "validation_status_logged": self.validation_status_logged,
            "connections_with_validation_status": self.connections_with_validation_status,
            "certificates_not_in_x509": self.certificates_not_in_x509,
            "connections_not_in_x509": self.connections_not_in_x509,
            "problems": [vars(p) for p in self.problems],
            "problems_not_listed": self.problems_not_listed,
            "duplicates": self.duplicates,
            "bad_values": self.bad_values,
            "links_outside_tree": self.links_outside_tree,
            "validation_status_column": self.validation_status_column,
            "connections_checked_from_ssl_log": self.connections_checked_from_ssl_log,
            "checks_from_ssl_log": self.checks_from_ssl_log,
            "repeated_rows": self.repeated_rows,
            "clock_suspect_connections": self.clock_suspect_connections,
            "clock_dependent_verdicts": self.clock_dependent_verdicts,
            "sensors": self.sensors,
            "merged_across_sensors": self.merged_across_sensors,
            "sensor_tolerance_s": self.sensor_tolerance_s,
        }


@dataclass
class QualityCounts:
    """What the data quality counts over the connections, summed batch by batch."""

    join: Counter[str] = field(default_factory=Counter)
    with_status: int = 0
    from_ssl: int = 0
    validity_from_ssl: bool = False
    clock_suspect: int = 0
    clock_dependent: int = 0
    missing_leaves: set[str] = field(default_factory=set)

    def add(self, classified: pd.DataFrame) -> None:
        """Count one batch of classified connections."""
        if not len(classified):
            return
        self.join.update(join_summary(classified))
        self.with_status += int(classified["validation_status"].notna().sum())
        source = classified["certificate_source"]
        from_ssl = (source == "ssl_log").to_numpy(dtype=bool)
        self.from_ssl += int(from_ssl.sum())
        self.validity_from_ssl |= bool(
            classified.loc[from_ssl, "not_valid_after"].notna().any())
        clock = _clock(classified)
        self.clock_suspect += clock["clock_suspect_connections"]
        self.clock_dependent += clock["clock_dependent_verdicts"]
        unknown = classified["fingerprint"].notna() & (source != "x509").fillna(True)
        leaves = classified.loc[unknown.to_numpy(dtype=bool), "fingerprint"]
        self.missing_leaves.update(str(v) for v in pd.unique(leaves.astype(object)))

    def merge(self, other: QualityCounts) -> None:
        """Add the counts of ``other`` (another file or worker)."""
        self.join.update(other.join)
        self.with_status += other.with_status
        self.from_ssl += other.from_ssl
        self.validity_from_ssl |= other.validity_from_ssl
        self.clock_suspect += other.clock_suspect
        self.clock_dependent += other.clock_dependent
        self.missing_leaves |= other.missing_leaves


def data_quality(report: LoadReport | None, counts: QualityCounts) -> DataQuality:
    """The data quality of a load (its report) and of its classified connections."""
    report = report or LoadReport()
    listed = [f for f in report.files if f.status not in CLEAN]
    copies = [f.path for f in report.files if f.status is FileStatus.DUPLICATE]
    return DataQuality(
        files=file_counts(report), lines_skipped=sum(f.skipped for f in report.files),
        rows=dict(sorted(report.rows_by_kind().items())),
        connections_without_certificate=counts.join.get("no_certificate", 0),
        validation_status_logged=counts.with_status > 0,
        connections_with_validation_status=counts.with_status,
        certificates_not_in_x509=len(counts.missing_leaves),
        connections_not_in_x509=counts.join.get("leaf_not_in_x509", 0),
        problems=[_problem(f) for f in listed[:MAX_PROBLEMS]],
        problems_not_listed=max(0, len(listed) - MAX_PROBLEMS),
        duplicates=[str(p) for p in copies[:MAX_PROBLEMS]],
        bad_values=bad_values(report),
        links_outside_tree=[f"{f.path} -> {f.link_target}" for f in report.files
                            if f.link_target][:MAX_PROBLEMS],
        validation_status_column=_column_state(report, "validation_status",
                                               counts.with_status),
        connections_checked_from_ssl_log=counts.from_ssl,
        checks_from_ssl_log=(["self_signed", "validity"] if counts.validity_from_ssl else
                             ["self_signed"]) if counts.from_ssl else [],
        repeated_rows={k: n for k, n in report.repeated.items() if n},
        clock_suspect_connections=counts.clock_suspect,
        clock_dependent_verdicts=counts.clock_dependent,
        sensors=list(report.sensors),
        merged_across_sensors=report.merged,
        sensor_tolerance_s=report.tolerance_s,
    )


def _column_state(report: LoadReport, name: str, values: int) -> str:
    """Whether the ssl logs have the column: ``present`` (a value, or a TSV header that
    names it), ``absent`` (TSV headers without it), or ``unknown`` (JSON, which omits a
    field that is never set, so its absence proves nothing)."""
    files = [f for f in report.files if f.kind == "ssl" and f.format is not None]
    if values or any(name in f.fields for f in files):
        return "present"
    return "unknown" if any(f.format == "json" for f in files) else "absent"


_DATED = (Cause.EXPIRED.value, Cause.NOT_YET_VALID.value)


def _clock(classified: pd.DataFrame) -> dict[str, int]:
    """Connections with a sensor time no network has, and the verdicts that rest on it."""
    if "clock_suspect" not in classified.columns or not len(classified):
        return {"clock_suspect_connections": 0, "clock_dependent_verdicts": 0}
    suspect = classified["clock_suspect"].to_numpy(dtype=bool)
    flags = cause_flags(classified)
    dated = (flags[_DATED[0]] | flags[_DATED[1]]).to_numpy(dtype=bool)
    return {"clock_suspect_connections": int(suspect.sum()),
            "clock_dependent_verdicts": int((suspect & dated).sum())}


def bad_values(report: LoadReport) -> dict[str, int]:
    """Values that did not parse (now empty), per column, most first."""
    total: Counter[str] = Counter()
    for f in report.files:
        if f.status is not FileStatus.DUPLICATE:
            total.update(f.bad_values)
    return dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))


def file_counts(report: LoadReport) -> dict[str, int]:
    """Files found, and files per status (every status, zeros included)."""
    counts = report.counts()
    return {"found": len(report.files), **{s.value: counts.get(s.value, 0) for s in FileStatus}}


def _problem(f: Any) -> Problem:
    first = f.skipped_lines[0] if f.skipped_lines else None
    return Problem(str(f.path), str(f.status), int(f.skipped), first, str(f.message))


