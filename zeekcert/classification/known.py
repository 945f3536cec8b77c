"""What a run knows beside its connections, prepared once and shared by every batch.

The certificate table, each certificate's policy verdicts and text codes, and the notices
indexed by uid cost time per certificate and per notice, whatever the size of the batch
being classified. A run that classifies many small files, or many batches of a big day,
builds one ``Known`` and passes it to each ``classify`` call, so it pays once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from ..causes import Cause, Evidence, bit
from ..policy import Policy
from .certs import TEXT_FIELDS, cert_table, leaf_codes
from .notices import notice_evidence
from .recheck import cert_verdicts


@dataclass(frozen=True, eq=False, repr=False)
class Known:
    """Certificates and notices for one policy, ready to classify any batch against."""

    policy: Policy
    certs: pd.DataFrame
    notices: pd.DataFrame
    cert_bits: np.ndarray = field(init=False)
    cert_self_signed: np.ndarray = field(init=False)
    text_codes: dict[str, tuple[np.ndarray, pd.Index]] = field(init=False)
    notice_bits: pd.Series = field(init=False)
    notice_uids: pa.Array = field(init=False)  # notice_bits' index, for Arrow's index_in
    other_text: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        bits, same = cert_verdicts(self.certs, self.policy)
        set_ = object.__setattr__  # frozen: the derived fields are set once, here
        set_(self, "cert_bits", bits)
        set_(self, "cert_self_signed", same)
        set_(self, "text_codes", {name: _codes(self.certs[name]) for name in TEXT_FIELDS})
        set_(self, "notice_bits", _notice_bits(self.notices))
        set_(self, "notice_uids", pa.array(list(self.notice_bits.index), pa.string()))
        other = self.notices[self.notices["cause"] == Cause.OTHER]
        set_(self, "other_text", other.groupby("uid")["detail"].agg("; ".join).to_dict()
             if len(other) else {})

    def __repr__(self) -> str:
        return f"Known({len(self.certs):,} certificates, {len(self.notices):,} notices)"

    def lacks_certificate(self, ssl: pd.DataFrame) -> np.ndarray:
        """Per connection: it names a leaf certificate that no x509 row known yet holds
        (a live x509.log may be written after the ssl.log row that needs it)."""
        codes, keys, _ = leaf_codes(ssl)
        known = self.certs.index.get_indexer(pd.Index(keys, dtype=object)) >= 0
        lacking: np.ndarray = (codes >= 0) & ~np.append(known, True)[codes]
        return lacking


def know(x509: pd.DataFrame | None = None, notice: pd.DataFrame | None = None,
         cert_cache: pd.DataFrame | None = None, policy: Policy | None = None) -> Known:
    """Prepare x509 rows (plus a cache of certificates seen before) and notice rows."""
    return Known(policy or Policy(), cert_table(x509, cert_cache), notice_evidence(notice))


def _codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(column.astype(object))
    return np.append(codes, -1), pd.Index(uniques, dtype=object)


def _notice_bits(notices: pd.DataFrame) -> pd.Series:
    """Per uid, the OR of the notice-evidence bits of its notices' causes."""
    notices = notices[notices["uid"].notna()]
    if not len(notices):
        return pd.Series(dtype=np.int64)
    table = {c: bit(c, Evidence.NOTICE) for c in Cause}
    frame = pd.DataFrame({"uid": notices["uid"].astype(str).to_numpy(),
                          "bit": [table[Cause(c)] for c in notices["cause"]]})
    # Distinct bits of a uid sum to their OR: grouped by pandas, not a Python call per uid.
    return frame.drop_duplicates().groupby("uid")["bit"].sum().astype(np.int64)
