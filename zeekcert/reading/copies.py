"""Recognise a file whose records were already read from another file.

The same hour can reach a log tree twice: a sensor that writes TSV and JSON side by
side, an archive copied into a backup folder inside the tree, a sample shipped in both
formats. Counting it twice would double every connection, so the later copy is kept out
of the frames and reported with status ``duplicate``. Two files are copies when they
have the same kind, the same number of rows and the same identifying fields (``ts``,
``uid``, ``fingerprint``, addresses) in their first and last rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import pyarrow as pa

from .file_report import FileReport, FileStatus

_IDENTIFYING = ("ts", "uid", "fingerprint", "id.orig_h", "id.orig_p", "id.resp_h",
                "id.resp_p", "note", "host")


def identity(kind: str | None, table: pa.Table) -> Hashable | None:
    """What a file's records are known by; None for a file with no rows."""
    if table.num_rows == 0:
        return None
    return identity_of(kind, table.num_rows, table.take([0, table.num_rows - 1]))


def identity_of(kind: str | None, rows: int, ends: pa.Table) -> Hashable:
    """The identity of a file of ``rows`` rows whose first and last rows are ``ends``."""
    names = [n for n in _IDENTIFYING if n in ends.column_names]
    first_last = ends.select(names).to_pylist()
    return (kind, rows, *(tuple(map(str, row.values())) for row in first_last))


def mark_copy(report: FileReport, rows: int, original: str) -> None:
    """Give ``report`` the status of a copy of the file at ``original``."""
    report.status = FileStatus.DUPLICATE
    report.message = f"the same {rows} records as {original}; read once"


def drop_copies(results: Sequence[tuple[pa.Table, FileReport]]
                ) -> list[tuple[pa.Table, FileReport]]:
    """Return ``results`` with every later copy of an earlier file emptied and marked."""
    first: dict[Hashable, str] = {}
    out = []
    for table, report in results:
        key = identity(report.kind, table)
        if key is None or report.status is not FileStatus.OK:
            out.append((table, report))
        elif key in first:
            mark_copy(report, table.num_rows, first[key])
            out.append((table.slice(0, 0), report))
        else:
            first[key] = report.path
            out.append((table, report))
    return out
