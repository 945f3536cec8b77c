"""Classify every TLS connection's certificate verdict, joining all the evidence.

The pipeline, top to bottom: take the connections; attach each one's leaf certificate;
collect causes from ``validation_status``, ``sni_matches_cert``, notices and our own
re-check against the policy; then settle causes, primary cause and evidence. Causes are
kept as bits (cause × evidence) in one integer per connection, and everything costly is
computed once per distinct status, certificate or name, not per connection.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import hostname
from .causes import Cause, Evidence, Unverified, Verdict, bit
from .certs import attach, cert_table
from .notices import notice_evidence
from .policy import Policy
from .recheck import policy_bits
from .status import cause_of, is_ok

CAUSES = list(Cause)
SOURCES = list(Evidence)


def classify(logs: Any, policy: Policy | None = None, now: datetime | None = None,
             cert_cache: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per TLS connection with its causes, primary cause and evidence.

    ``logs`` is what ``zeekcert.load`` returns, or anything with ``ssl``, ``x509`` and
    ``notice`` frames (ours or zat's). ``now`` stands in for connections without a
    ``ts``. ``cert_cache`` holds certificates seen before, as x509 rows or a cert table.
    """
    policy = policy or Policy()
    now = now or datetime.now(UTC)
    notices = notice_evidence(_frame(logs, "notice"))
    conns = _connections(_frame(logs, "ssl"), notices)
    leaf = attach(conns, cert_table(_frame(logs, "x509"), cert_cache))
    mask = np.zeros(len(conns), dtype=np.int64)
    mask |= _status_bits(conns)
    mask |= _sni_bits(conns)
    mask |= _notice_bits(conns, notices)
    mask |= policy_bits(conns, leaf, policy, now)
    mask |= _hostname_bits(conns, leaf)
    return _assemble(conns, leaf, mask, notices)


def _frame(logs: Any, kind: str) -> pd.DataFrame:
    frame = logs.get(kind) if isinstance(logs, dict) else getattr(logs, kind, None)
    if frame is None:
        return pd.DataFrame()
    if "ts" not in frame.columns and frame.index.name == "ts":  # zat keeps ts as the index
        frame = frame.reset_index()
    return frame.reset_index(drop=True)


def _connections(ssl: pd.DataFrame, notices: pd.DataFrame) -> pd.DataFrame:
    """The ssl rows; with no ssl.log at all, the connections the notices name."""
    if len(ssl) or not len(notices):
        return ssl
    return notices.drop_duplicates("uid").drop(columns=["cause", "detail"]).reset_index(
        drop=True)


def _per_distinct(values: pd.Series, func: Any) -> np.ndarray:
    """Apply ``func`` once per distinct value (NA included) and spread the results."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=False)
    results = np.array([func(None if pd.isna(u) else u) for u in uniques] or [0],
                       dtype=np.int64)
    return results[codes] if len(codes) else np.zeros(0, dtype=np.int64)


def _status_bits(conns: pd.DataFrame) -> np.ndarray:
    if "validation_status" not in conns.columns:
        return np.zeros(len(conns), dtype=np.int64)

    def bits(status: str | None) -> int:
        cause = cause_of(status)
        return 0 if cause is None else bit(cause, Evidence.ZEEK_STATUS)

    return _per_distinct(conns["validation_status"], bits)


def _sni_bits(conns: pd.DataFrame) -> np.ndarray:
    """Zeek ≥ 4.1 logs its own SNI check; F is a hostname mismatch, unset says nothing."""
    if "sni_matches_cert" not in conns.columns:
        return np.zeros(len(conns), dtype=np.int64)
    mismatch = (conns["sni_matches_cert"].astype("boolean") == False).fillna(False)  # noqa: E712
    return np.where(mismatch.to_numpy(dtype=bool),
                    bit(Cause.HOSTNAME_MISMATCH, Evidence.ZEEK_STATUS), 0)


def _notice_bits(conns: pd.DataFrame, notices: pd.DataFrame) -> np.ndarray:
    if not len(notices) or "uid" not in conns.columns:
        return np.zeros(len(conns), dtype=np.int64)
    per_uid = notices.groupby("uid")["cause"].agg(
        lambda cs: int(np.bitwise_or.reduce([bit(c, Evidence.NOTICE) for c in cs])))
    bits = conns["uid"].astype(object).map(per_uid).fillna(0)
    return bits.to_numpy(dtype=np.int64)


def _hostname_bits(conns: pd.DataFrame, leaf: pd.DataFrame) -> np.ndarray:
    """Our RFC 6125 check, where Zeek did not log its own and there is an SNI and a cert."""
    out = np.zeros(len(conns), dtype=np.int64)
    if "server_name" not in conns.columns:
        return out
    todo = conns["server_name"].notna().to_numpy() & (leaf["cert_row"].to_numpy() >= 0)
    if "sni_matches_cert" in conns.columns:
        todo &= conns["sni_matches_cert"].isna().to_numpy()
    if not todo.any():
        return out
    pairs = pd.DataFrame({"name": conns["server_name"].astype(object)[todo].to_numpy(),
                          "row": leaf["cert_row"].to_numpy()[todo]})
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(pairs))
    fields = leaf.iloc[np.flatnonzero(todo)]
    first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
    verdict = np.array([_covers(name, fields.iloc[i]) for (name, _), i in zip(uniques, first,
                                                                              strict=True)])
    out[todo] = np.where(verdict[codes], 0, bit(Cause.HOSTNAME_MISMATCH, Evidence.POLICY))
    return out


def _covers(name: str, cert: pd.Series) -> bool:
    return hostname.matches(name, cert["san_dns"], cert["san_ip"],
                            hostname.common_name(cert["subject"]))


def _assemble(conns: pd.DataFrame, leaf: pd.DataFrame, mask: np.ndarray,
              notices: pd.DataFrame) -> pd.DataFrame:
    """The output frame: identity, certificate, raw status, causes and verdict."""
    out = pd.DataFrame(index=conns.index)
    for name in ("uid", "ts", "id.orig_h", "id.resp_h", "id.resp_p", "server_name"):
        out[name] = conns[name] if name in conns.columns else None
    for name in ("fingerprint", "chain_length", "subject", "issuer", "not_valid_before",
                 "not_valid_after", "key_type", "key_length", "sig_alg"):
        out[name] = leaf[name]
    status = conns["validation_status"] if "validation_status" in conns.columns else None
    out["validation_status"] = status if status is not None else pd.NA
    codes, uniques = pd.factorize(mask)
    out["causes"] = _lists([_causes(int(u)) for u in uniques], codes)
    out["evidence"] = _lists([_evidence(int(u)) for u in uniques], codes)
    out["primary_cause"], out["unverified_reason"] = _verdicts(conns, leaf, mask, codes, uniques)
    out["other_detail"] = _other_detail(conns, mask, notices)
    return out.reset_index(drop=True)


def _causes(mask: int) -> list[str]:
    return sorted({str(c) for c in CAUSES for s in SOURCES if mask & bit(c, s)})


def _evidence(mask: int) -> list[str]:
    return sorted(f"{c}:{s}" for c in CAUSES for s in SOURCES if mask & bit(c, s))


def _primary(mask: int) -> str:
    return str(next(c for c in CAUSES if any(mask & bit(c, s) for s in SOURCES)))


def _lists(values: list[list[str]], codes: np.ndarray) -> pd.Series:
    table = pa.array(values or [[]], type=pa.list_(pa.string()))
    return pd.Series(pd.arrays.ArrowExtensionArray(table.take(pa.array(codes))))


def _verdicts(conns: pd.DataFrame, leaf: pd.DataFrame, mask: np.ndarray, codes: np.ndarray,
              uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The primary cause, or valid, or unverified with its reason."""
    primary = np.array([_primary(int(u)) if u else "" for u in uniques] or [""],
                       dtype=object)[codes]
    status = conns.get("validation_status", pd.Series(pd.NA, index=conns.index))
    ok = _per_distinct(status, lambda s: int(is_ok(s))).astype(bool)
    have_status = status.notna().to_numpy()
    no_cert = (leaf["chain_length"].to_numpy() == 0) & leaf["subject"].isna().to_numpy()
    unknown_cert = (leaf["cert_row"].to_numpy() < 0) & leaf["subject"].isna().to_numpy()
    reason = np.select(
        [mask != 0, ok, no_cert, unknown_cert & ~have_status],
        ["", "", Unverified.NO_CERTIFICATE.value, Unverified.NOT_IN_X509.value],
        default=Unverified.NO_VALIDATION.value).astype(object)
    primary = np.where(mask != 0, primary, np.where(ok, Verdict.VALID.value,
                                                    Verdict.UNVERIFIED.value))
    reason[reason == ""] = None
    return primary.astype(object), reason


def _other_detail(conns: pd.DataFrame, mask: np.ndarray,
                  notices: pd.DataFrame) -> pd.Series:
    """The raw text behind ``other``: the status string, or the notice message."""
    other = (mask & sum(bit(Cause.OTHER, s) for s in SOURCES)) != 0
    detail = pd.Series(None, index=conns.index, dtype=object)
    if not other.any():
        return detail.reset_index(drop=True)
    if "validation_status" in conns.columns:
        raw = conns["validation_status"].astype(object)
        is_other = _per_distinct(raw, lambda s: int(cause_of(s) is Cause.OTHER)).astype(bool)
        detail[is_other] = raw[is_other]
    if len(notices) and "uid" in conns.columns:
        texts = notices[notices["cause"] == Cause.OTHER].groupby("uid")["detail"].agg("; ".join)
        from_notice = conns["uid"].astype(object).map(texts)
        detail = detail.where(detail.notna(), from_notice)
    return detail.reset_index(drop=True)
