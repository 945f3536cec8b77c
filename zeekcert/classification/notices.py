"""What notice.log says about certificates, as causes per connection uid.

Zeek suppresses repeated notices (for a day, by default, for the SSL ones), so notices
undercount connections; they add evidence, and give per-server causes to a user who
kept only notice.log.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..causes import Cause
from .validation_status import cause_of

_FAILED_WITH = re.compile(r"failed with \((?P<status>.*)\)\s*$")
_FIXED: dict[str, Cause | None] = {
    "Certificate_Expired": Cause.EXPIRED,
    "Certificate_Not_Valid_Yet": Cause.NOT_YET_VALID,
    "Certificate_Expires_Soon": None,  # a warning, not a failure
    "Old_Version": Cause.OTHER,
    "Weak_Cipher": Cause.OTHER,
    "Weak_Ciper": Cause.OTHER,  # Zeek ≤ 5.0 spelled it so
}
NOTICE_COLUMNS = ["uid", "ts", "id.orig_h", "id.resp_h", "id.resp_p", "cause", "detail"]


def notice_cause(note: str, msg: str | None) -> Cause | None:
    """The cause one SSL notice reports; None for notices that are not about certificates."""
    name = note.removeprefix("SSL::")
    text = msg or ""
    if name in _FIXED:
        return _FIXED[name]
    if name == "Invalid_Server_Cert":
        match = _FAILED_WITH.search(text)
        return cause_of(match.group("status")) if match else Cause.OTHER
    if name == "Weak_Key":
        return Cause.WEAK_KEY if "weak certificate" in text else Cause.OTHER
    if name == "Invalid_Ocsp_Response":
        match = _FAILED_WITH.search(text)
        return Cause.REVOKED if match and match.group("status") == "revoked" else Cause.OTHER
    return None


def notice_evidence(notice: pd.DataFrame | None) -> pd.DataFrame:
    """One row per certificate-related notice: its connection, cause and message."""
    if notice is None or not len(notice) or "note" not in notice.columns:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in NOTICE_COLUMNS})
    frame = notice.reset_index() if "ts" not in notice.columns else notice
    notes = frame["note"].astype(str).to_numpy(dtype=object)
    msgs = (frame["msg"].astype(object).to_numpy() if "msg" in frame.columns
            else np.full(len(frame), None, dtype=object))
    causes, details = _per_distinct(notes, msgs)
    out = pd.DataFrame({
        "uid": _get(frame, "uid"), "ts": frame["ts"].to_numpy() if "ts" in frame else None,
        "id.orig_h": _get(frame, "id.orig_h", "src"),
        "id.resp_h": _get(frame, "id.resp_h", "dst"),
        "id.resp_p": _get(frame, "id.resp_p", "p"),
        "cause": causes, "detail": details,
    })
    return out[out["cause"].notna()].reset_index(drop=True)


def _per_distinct(notes: np.ndarray, msgs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each notice's cause and ``note: msg`` detail, judged once per distinct pair: a day
    of 400,000 notices has a few hundred."""
    given = pd.Series(msgs, dtype=object)
    missing = given.isna().to_numpy()
    unset = np.full(len(msgs), "", dtype=object)
    unset[missing] = [str(m) for m in msgs[missing]]  # "None" or "nan", as the detail says
    codes, uniques = pd.factorize(pd.MultiIndex.from_arrays(
        [notes, given.where(~missing, "").to_numpy(dtype=object), unset]))
    causes = np.empty(len(uniques), dtype=object)
    details = np.empty(len(uniques), dtype=object)
    for i, (note, msg, how) in enumerate(uniques):
        causes[i] = notice_cause(note, None if how else msg)
        details[i] = f"{note}: {how or msg}"
    return causes[codes], details[codes]


def _get(frame: pd.DataFrame, name: str, fallback: str | None = None) -> object:
    if name in frame.columns:
        values = frame[name].astype(object)
        if fallback in frame.columns:
            values = values.fillna(frame[fallback].astype(object))
        return values.to_numpy()
    if fallback in frame.columns:
        return frame[fallback].astype(object).to_numpy()
    return None
