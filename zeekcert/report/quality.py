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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..causes import Cause
from ..classification import join_summary
from ..reading import CLEAN, FileStatus, LoadReport, frame_of

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
        }


def data_quality(logs: Any, classified: pd.DataFrame) -> DataQuality:
    """The data quality of ``logs`` (with its load report) and of their classification."""
    report: LoadReport = getattr(logs, "report", None) or LoadReport()
    joined = join_summary(classified)
    ssl = frame_of(logs, "ssl")
    statuses = ssl["validation_status"] if "validation_status" in ssl.columns else None
    with_status = 0 if statuses is None else int(statuses.notna().sum())
    from_ssl = (classified["certificate_source"] == "ssl_log").to_numpy(dtype=bool) if len(
        classified) else np.zeros(0, bool)
    listed = [f for f in report.files if f.status not in CLEAN]
    copies = [f.path for f in report.files if f.status is FileStatus.DUPLICATE]
    return DataQuality(
        files=file_counts(report), lines_skipped=sum(f.skipped for f in report.files),
        rows=dict(sorted(report.rows_by_kind().items())),
        connections_without_certificate=joined.get("no_certificate", 0),
        validation_status_logged=with_status > 0,
        connections_with_validation_status=with_status,
        certificates_not_in_x509=_missing_certificates(ssl, frame_of(logs, "x509")),
        connections_not_in_x509=joined.get("leaf_not_in_x509", 0),
        problems=[_problem(f) for f in listed[:MAX_PROBLEMS]],
        problems_not_listed=max(0, len(listed) - MAX_PROBLEMS),
        duplicates=[str(p) for p in copies[:MAX_PROBLEMS]],
        bad_values=bad_values(report),
        links_outside_tree=[f"{f.path} -> {f.link_target}" for f in report.files
                            if f.link_target][:MAX_PROBLEMS],
        validation_status_column=_column_state(report, "validation_status", with_status),
        connections_checked_from_ssl_log=int(from_ssl.sum()),
        checks_from_ssl_log=_checks_from_ssl(classified, from_ssl),
        repeated_rows={k: n for k, n in report.repeated.items() if n},
        **_clock(classified),
    )


def _column_state(report: LoadReport, name: str, values: int) -> str:
    """Whether the ssl logs have the column: ``present`` (a value, or a TSV header that
    names it), ``absent`` (TSV headers without it), or ``unknown`` (JSON, which omits a
    field that is never set, so its absence proves nothing)."""
    files = [f for f in report.files if f.kind == "ssl" and f.format is not None]
    if values or any(name in f.fields for f in files):
        return "present"
    return "unknown" if any(f.format == "json" for f in files) else "absent"


def _checks_from_ssl(classified: pd.DataFrame, from_ssl: np.ndarray) -> list[str]:
    """The checks made on certificates known only from ssl.log's own fields."""
    if not from_ssl.any():
        return []
    checks = ["self_signed"]
    if classified.loc[from_ssl, "not_valid_after"].notna().any():
        checks.append("validity")
    return checks


_DATED = (Cause.EXPIRED.value, Cause.NOT_YET_VALID.value)


def _clock(classified: pd.DataFrame) -> dict[str, int]:
    """Connections with a sensor time no network has, and the verdicts that rest on it."""
    if "clock_suspect" not in classified.columns or not len(classified):
        return {"clock_suspect_connections": 0, "clock_dependent_verdicts": 0}
    suspect = classified["clock_suspect"].to_numpy(dtype=bool)
    dated = classified["causes"].map(lambda cs: any(c in _DATED for c in cs)).to_numpy(bool)
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


def _missing_certificates(ssl: pd.DataFrame, x509: pd.DataFrame) -> int:
    """Distinct leaf certificates ssl.log names that no loaded x509.log row describes."""
    for chain, key in (("cert_chain_fps", "fingerprint"), ("cert_chain_fuids", "id")):
        if chain not in ssl.columns:
            continue
        leaves = _leaves(ssl[chain])
        known = set(x509[key].dropna().astype(str)) if key in x509.columns else set()
        return len(leaves - known)
    return 0


def _leaves(chains: pd.Series) -> set[str]:
    """The distinct first entries of a list column, computed in Arrow."""
    lists = pa.array(chains, from_pandas=True)
    lists = lists.filter(pc.fill_null(pc.greater(pc.list_value_length(lists), 0), False))
    return {str(v) for v in pc.unique(pc.list_element(lists, 0)).to_pylist()}
