"""The x509 and notice logs of a streamed report, read a block at a time into ``Known``.

A scanner-heavy day logs a certificate for nearly every server: two million x509 rows
for ten million connections. Loading them whole would hold every column of every row;
here each block becomes rows of the certificate table (only the fields a verdict needs,
each certificate once) and each notice block its evidence rows, so memory follows the
distinct certificates. A file that turns out to be a copy is left out, as ``load`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..classification import CertificateParts, Known, cert_table, notice_evidence
from ..policy import Policy
from ..reading import LoadReport, StreamedLoad, to_pandas


def read_known(source: str | Path | Sequence[str | Path], since: datetime | None,
               until: datetime | None, strict: bool, policy: Policy | None
               ) -> tuple[Known, LoadReport]:
    """The certificates and notices under ``source``, prepared, and the report of their files."""
    stream = StreamedLoad(source, ("x509", "notice"), since, until, strict=strict)
    certs, notices = CertificateParts(), []
    for file in stream.files():
        mine = CertificateParts()  # made distinct as the file is read, not at its end
        evidence: list[pd.DataFrame] = []
        for table in file.batches():
            frame = to_pandas(table)
            if file.report.kind == "x509":
                mine.add([cert_table(frame)])
            else:
                evidence.append(notice_evidence(frame))
        if file.kept:
            certs.add([mine.table()])
            notices += evidence
    found = pd.concat(notices, ignore_index=True) if notices else notice_evidence(None)
    return Known(policy or Policy(), certs.table(), found), stream.report
