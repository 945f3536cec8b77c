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
import pyarrow as pa
import pyarrow.compute as pc

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
        }


def data_quality(logs: Any, joined: dict[str, int]) -> DataQuality:
    """The data quality of ``logs`` (with its load report) and of the certificate join."""
    report: LoadReport = getattr(logs, "report", None) or LoadReport()
    ssl = frame_of(logs, "ssl")
    statuses = ssl["validation_status"] if "validation_status" in ssl.columns else None
    with_status = 0 if statuses is None else int(statuses.notna().sum())
    listed = [f for f in report.files if f.status not in CLEAN]
    copies = [f.path for f in report.files if f.status is FileStatus.DUPLICATE]
    return DataQuality(
        files=file_counts(report), lines_skipped=sum(f.skipped for f in report.files),
        rows=dict(sorted(report.rows_by_kind().items())),
        connections_without_certificate=joined.get("no_certificate", 0),
        validation_status_logged=with_status > 0,
        connections_with_validation_status=with_status,
        certificates_not_in_x509=_missing_certificates(ssl, frame_of(logs, "x509")),
        connections_not_in_x509=joined.get("not_in_x509", 0),
        problems=[_problem(f) for f in listed[:MAX_PROBLEMS]],
        problems_not_listed=max(0, len(listed) - MAX_PROBLEMS),
        duplicates=[str(p) for p in copies[:MAX_PROBLEMS]],
        bad_values=bad_values(report),
        links_outside_tree=[f"{f.path} -> {f.link_target}" for f in report.files
                            if f.link_target][:MAX_PROBLEMS],
    )


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
