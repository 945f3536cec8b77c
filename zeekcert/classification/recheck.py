"""Our own re-check of certificate fields against the local policy, at each connection's time.

Most sensors never load Zeek's expiring-certs and weak-keys scripts, so the fields in
x509.log are judged here: validity at the connection's ``ts`` (not "now"), self-signed
leaves, key length, signature hash and, optionally, validity period.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import pandas as pd

from ..causes import Cause, Evidence, bit
from ..policy import Policy


def _bit(cause: Cause) -> int:
    return bit(cause, Evidence.POLICY)


def cert_verdicts(certs: pd.DataFrame, policy: Policy) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``certs``, plus one for "none": the policy bits, and self-signed or not."""
    bits = np.append(_cert_bits(certs, policy), 0)
    same = np.append(_same(certs["subject"], certs["issuer"]), False)
    return bits, same


def policy_bits(conns: pd.DataFrame, leaf: pd.DataFrame, verdicts: tuple[np.ndarray, np.ndarray],
                policy: Policy, now: datetime) -> np.ndarray:
    """Policy causes for every connection, as evidence bits.

    Key, signature and self-signed verdicts are ``cert_verdicts``, computed once per
    certificate and looked up through each connection's ``cert_row``.
    """
    rows = leaf["cert_row"].to_numpy()
    cert_bits, same = verdicts
    out = _validity_bits(conns, leaf, policy, now)
    out |= cert_bits[rows]
    self_signed = same[rows]
    loose = (rows < 0) & leaf["subject"].notna().to_numpy()  # known from ssl.log alone
    if loose.any():
        self_signed[loose] = _same(leaf["subject"][loose], leaf["issuer"][loose])
    single = leaf["chain_length"].to_numpy() <= 1
    return out | np.where(self_signed & single, _bit(Cause.SELF_SIGNED), 0)


def _times(series: pd.Series) -> np.ndarray:
    """Datetimes as UTC microseconds since the epoch, NaT as a sentinel."""
    values = pd.to_datetime(series, utc=True).astype("datetime64[us, UTC]")
    return values.to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT"))


def _validity_bits(conns: pd.DataFrame, leaf: pd.DataFrame, policy: Policy,
                   now: datetime) -> np.ndarray:
    """Expired or not yet valid at the connection's own time, give or take the tolerance."""
    stamp = pd.Timestamp(now)
    stamp = stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
    when = _times(conns["ts"]) if "ts" in conns.columns else np.full(
        len(conns), np.datetime64("NaT"), dtype="datetime64[us]")
    when = np.where(np.isnat(when), stamp.to_datetime64().astype("datetime64[us]"), when)
    slack = np.timedelta64(int(policy.clock_tolerance.total_seconds() * 1e6), "us")
    after, before = _times(leaf["not_valid_after"]), _times(leaf["not_valid_before"])
    with np.errstate(invalid="ignore"):
        expired = ~np.isnat(after) & (when > after + slack)
        early = ~np.isnat(before) & (when < before - slack)
    return np.where(expired, _bit(Cause.EXPIRED), 0) | np.where(early, _bit(
        Cause.NOT_YET_VALID), 0)


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    equal = a.astype("string").reset_index(drop=True) == b.astype("string").reset_index(
        drop=True)
    return equal.fillna(False).to_numpy(dtype=bool)


def _cert_bits(certs: pd.DataFrame, policy: Policy) -> np.ndarray:
    """Policy bits for each row of a frame of distinct certificates."""
    need = _by_value(certs["key_type"], lambda k: policy.min_key_bits(_text(k)) or 0, float)
    length = pd.to_numeric(certs["key_length"]).to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        weak_key = (need > 0) & (length < need)
    weak_sig = _by_value(certs["sig_alg"], lambda a: policy.weak_signature(_text(a)), bool)
    out = np.where(weak_key, _bit(Cause.WEAK_KEY), 0) | np.where(weak_sig, _bit(
        Cause.WEAK_SIGNATURE), 0)
    if policy.max_validity_days is not None:
        span = _times(certs["not_valid_after"]) - _times(certs["not_valid_before"])
        too_long = span > np.timedelta64(policy.max_validity_days, "D")
        out |= np.where(too_long, _bit(Cause.OTHER), 0)
    return out.astype(np.int64)


def _by_value(column: pd.Series, func: Callable[[object], object], dtype: type) -> np.ndarray:
    """``func`` once per distinct value of a small column (key types, signature names)."""
    codes, uniques = pd.factorize(column.astype(object), use_na_sentinel=False)
    results: np.ndarray = np.array([func(u) for u in uniques] or [func(None)], dtype=dtype)
    return results[codes]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
