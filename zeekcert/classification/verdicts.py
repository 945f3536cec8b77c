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
import pyarrow.compute as pc

from ..causes import Cause, Evidence, Unverified, Verdict, bit
from ..policy import Policy
from ..reading import frame_of
from . import hostname
from .certs import attach
from .conform import conform
from .distinct import chunks_of, codes_of
from .known import Known, know
from .recheck import policy_bits
from .validation_status import cause_of, is_ok

CAUSES = list(Cause)
SOURCES = list(Evidence)


def classify(logs: Any, policy: Policy | None = None, now: datetime | None = None,
             cert_cache: pd.DataFrame | None = None, known: Known | None = None
             ) -> pd.DataFrame:
    """One row per TLS connection with its causes, primary cause and evidence.

    ``logs`` is what ``zeekcert.load`` returns, or anything with ``ssl``, ``x509`` and
    ``notice`` frames (ours or zat's). ``now`` stands in for connections without a
    ``ts``. ``cert_cache`` holds certificates seen before, as x509 rows or a cert table.
    ``known`` (see ``know``) replaces the x509 and notice frames, the cache and the policy
    with what was prepared once for many batches.
    """
    if known is None:
        known = know(frame_of(logs, "x509"), frame_of(logs, "notice"), cert_cache, policy)
    elif policy is not None and policy != known.policy:
        raise ValueError("classify: give the policy to know(), not beside a Known")
    now = now or datetime.now(UTC)
    conns = conform(_connections(frame_of(logs, "ssl"), known.notices))
    leaf = attach(conns, known.certs, known.text_codes)
    status = Statuses(conns)
    mask = status.bits()
    mask |= _sni_bits(conns)
    mask |= _notice_bits(conns, known.notice_bits, known.notice_uids)
    mask |= policy_bits(conns, leaf, (known.cert_bits, known.cert_self_signed), known.policy,
                        now)
    mask |= _hostname_bits(conns, leaf, known.certs)
    out = _assemble(conns, leaf, mask, known.other_text, status)
    out["clock_suspect"] = clock_suspect(out["ts"], now)
    return out


EARLIEST = pd.Timestamp("2000-01-01", tz="UTC")  # no sensor logs TLS from before this
FUTURE = pd.Timedelta(days=1)  # a connection this far after "now" is from a wrong clock


def clock_suspect(ts: pd.Series, now: datetime) -> pd.Series:
    """Whether each connection's time says more about the sensor's clock than the network.

    A sensor without a clock logs 1970; one set wrong, the future. A verdict that depends
    on the time (expired, not yet valid) is then a clock finding, not a certificate one.
    """
    times = pd.to_datetime(ts, utc=True)
    latest = pd.Timestamp(now).tz_convert("UTC") + FUTURE if pd.Timestamp(now).tzinfo else \
        pd.Timestamp(now).tz_localize("UTC") + FUTURE
    return ((times < EARLIEST) | (times > latest)).fillna(False).astype(bool)


def _connections(ssl: pd.DataFrame, notices: pd.DataFrame) -> pd.DataFrame:
    """The ssl rows; with no ssl.log at all, the connections the notices name."""
    if len(ssl) or not len(notices):
        return ssl
    return notices.drop_duplicates("uid").drop(columns=["cause", "detail"]).reset_index(
        drop=True)


class Statuses:
    """The validation_status column, judged once per distinct string."""

    def __init__(self, conns: pd.DataFrame):
        self.present = "validation_status" in conns.columns
        column = conns["validation_status"] if self.present else pd.Series(
            pd.NA, index=conns.index, dtype="string")
        self.codes, uniques = codes_of(column)
        texts = [u if isinstance(u, str) else None for u in uniques] + [None]
        self.causes = [cause_of(t) for t in texts]
        self.ok = np.array([t is not None and is_ok(t) for t in texts])[self.codes]
        self.texts = texts

    def bits(self) -> np.ndarray:
        """Each connection's ``zeek_status`` evidence bits."""
        table = np.array([0 if c is None else bit(c, Evidence.ZEEK_STATUS)
                          for c in self.causes], dtype=np.int64)
        bits: np.ndarray = table[self.codes]
        return bits

    def raw(self, row: int) -> str | None:
        """The status string of one connection."""
        text: str | None = self.texts[self.codes[row]]
        return text


def _sni_bits(conns: pd.DataFrame) -> np.ndarray:
    """Zeek ≥ 4.1 logs its own SNI check; F is a hostname mismatch, unset says nothing."""
    if "sni_matches_cert" not in conns.columns:
        return np.zeros(len(conns), dtype=np.int64)
    mismatch = (conns["sni_matches_cert"].astype("boolean") == False).fillna(False)  # noqa: E712
    return np.where(mismatch.to_numpy(dtype=bool),
                    bit(Cause.HOSTNAME_MISMATCH, Evidence.ZEEK_STATUS), 0)


def _notice_bits(conns: pd.DataFrame, per_uid: pd.Series, uids_known: pa.Array) -> np.ndarray:
    """Notice causes by uid, looked up in Arrow: ``uids_known`` is ``per_uid``'s index."""
    if not len(per_uid) or "uid" not in conns.columns:
        return np.zeros(len(conns), dtype=np.int64)
    uids = pa.chunked_array(chunks_of(conns["uid"])).cast(pa.string())
    where = pc.fill_null(pc.index_in(uids, value_set=uids_known), -1).to_numpy(
        zero_copy_only=False)
    bits: np.ndarray = np.append(per_uid.to_numpy(dtype=np.int64), 0)[where]
    return bits


def _hostname_bits(conns: pd.DataFrame, leaf: pd.DataFrame, certs: pd.DataFrame) -> np.ndarray:
    """Our RFC 6125 check, where Zeek did not log its own and there is an SNI and a cert.

    Each distinct (name, certificate) pair is checked once.
    """
    out = np.zeros(len(conns), dtype=np.int64)
    if "server_name" not in conns.columns:
        return out
    names, name_values = codes_of(conns["server_name"])
    rows = leaf["cert_row"].to_numpy()
    todo = (names >= 0) & (rows >= 0)
    if "sni_matches_cert" in conns.columns:
        todo &= conns["sni_matches_cert"].isna().to_numpy()
    if not todo.any():
        return out
    pair = names[todo] * (len(leaf) + 1) + rows[todo]
    _, first_of_pair, inverse = np.unique(pair, return_index=True, return_inverse=True)
    first = np.flatnonzero(todo)[first_of_pair]
    verdict = np.array([_covers(str(name_values[names[i]]), certs.iloc[rows[i]])
                        for i in first])
    out[todo] = np.where(verdict[inverse], 0, bit(Cause.HOSTNAME_MISMATCH, Evidence.POLICY))
    return out


def _covers(name: str, cert: pd.Series) -> bool:
    return hostname.matches(name, cert["san_dns"], cert["san_ip"],
                            hostname.common_name(cert["subject"]))


# The server's TLS stack as the ja3 and FoxIO ja4 packages log it; never computed here.
STACK_FIELDS = ("ja3s", "ja4s")
PRIMARY = pd.Index([c.value for c in CAUSES] + [Verdict.VALID.value, Verdict.UNVERIFIED.value])
REASONS = pd.Index([r.value for r in Unverified])
# The type of an identity column a log did not have: as it would be, had it been there.
_ABSENT = {"ts": "datetime64[us, UTC]", "id.resp_p": "UInt16"}


def _assemble(conns: pd.DataFrame, leaf: pd.DataFrame, mask: np.ndarray,
              other_text: dict[str, str], status: Statuses) -> pd.DataFrame:
    """The output frame: identity, certificate, raw status, causes and verdict."""
    columns: dict[str, object] = {}
    for name in ("uid", "ts", "id.orig_h", "id.resp_h", "id.resp_p", "server_name"):
        columns[name] = conns[name] if name in conns.columns else pd.Series(
            pd.NA, index=conns.index, dtype=_ABSENT.get(name, "string"))
    if "sensor" in conns.columns:  # which sensors logged it, when the run names them
        columns["sensor"] = conns["sensor"]
    for name in STACK_FIELDS:  # the server's TLS stack, when a package logs it
        if name in conns.columns:
            columns[name] = conns[name]
    for name in ("fingerprint", "chain_length", "subject", "issuer", "not_valid_before",
                 "not_valid_after", "key_type", "key_length", "sig_alg"):
        columns[name] = leaf[name]
    columns["certificate_source"] = _source(leaf)
    columns["validation_status"] = conns["validation_status"] if (
        "validation_status" in conns.columns) else pd.Series(pd.NA, index=conns.index,
                                                             dtype="string")
    codes, uniques = pd.factorize(mask)
    columns["causes"] = _lists([_causes(int(u)) for u in uniques], codes, conns.index)
    columns["evidence"] = _lists([_evidence(int(u)) for u in uniques], codes, conns.index)
    primary, reason = _verdicts(conns, leaf, mask, codes, uniques, status)
    columns["primary_cause"] = pd.Series(pd.Categorical.from_codes(primary, PRIMARY),
                                         index=conns.index)
    columns["unverified_reason"] = pd.Series(pd.Categorical.from_codes(reason, REASONS),
                                             index=conns.index)
    columns["other_detail"] = _other_detail(conns, mask, other_text, status)
    return pd.DataFrame(columns).reset_index(drop=True)


def _source(leaf: pd.DataFrame) -> pd.Series:
    """Where each connection's certificate fields came from: ``x509`` (x509.log or the
    cache), ``ssl_log`` (ssl.log's own subject and issuer, Zeek 4.0 and older), or NA."""
    in_x509 = leaf["cert_row"].to_numpy() >= 0
    known = leaf["subject"].notna().to_numpy()
    codes = np.where(in_x509, 0, np.where(known, 1, -1))
    return pd.Series(pd.Categorical.from_codes(codes, pd.Index(["x509", "ssl_log"])),
                     index=leaf.index)


def _causes(mask: int) -> list[str]:
    return sorted({str(c) for c in CAUSES for s in SOURCES if mask & bit(c, s)})


def _evidence(mask: int) -> list[str]:
    return sorted(f"{c}:{s}" for c in CAUSES for s in SOURCES if mask & bit(c, s))


def _primary(mask: int) -> int:
    """Position in PRIMARY of the first cause, in order of precedence, that ``mask`` has."""
    return next(i for i, c in enumerate(CAUSES) if any(mask & bit(c, s) for s in SOURCES))


def _lists(values: list[list[str]], codes: np.ndarray, index: pd.Index) -> pd.Series:
    table = pa.array(values or [[]], type=pa.list_(pa.string()))
    return pd.Series(pd.arrays.ArrowExtensionArray(table.take(pa.array(codes))), index=index)


def _verdicts(conns: pd.DataFrame, leaf: pd.DataFrame, mask: np.ndarray, codes: np.ndarray,
              uniques: np.ndarray, status: Statuses) -> tuple[np.ndarray, np.ndarray]:
    """Codes into PRIMARY and REASONS (-1: no reason): a cause, valid, or unverified why.

    A connection that showed no certificate says why where the log does: a handshake
    that never completed, a resumed session, TLS 1.3.
    """
    has_cause = mask != 0
    by_mask = np.array([_primary(int(u)) if u else -1 for u in uniques] or [-1])[codes]
    have_status = status.codes >= 0
    no_subject = leaf["subject"].isna().to_numpy()
    no_cert = (leaf["chain_length"].to_numpy() == 0) & no_subject
    unknown = (leaf["cert_row"].to_numpy() < 0) & no_subject & ~have_status
    primary = np.where(has_cause, by_mask, np.where(status.ok, len(CAUSES), len(CAUSES) + 1))
    failed, resumed, tls13 = _why_unseen(conns)
    code = {r: i for i, r in enumerate(Unverified)}  # REASONS is in the same order
    reason = np.select(
        [has_cause | status.ok, no_cert & failed, no_cert & resumed, no_cert & tls13, no_cert,
         unknown],
        [-1, code[Unverified.HANDSHAKE_FAILED], code[Unverified.RESUMED], code[Unverified.TLS13],
         code[Unverified.NO_CERTIFICATE], code[Unverified.NOT_IN_X509]],
        default=code[Unverified.NO_VALIDATION])
    return primary.astype(np.int8), reason.astype(np.int8)


def _why_unseen(conns: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per connection: the handshake failed; the session was resumed; it was TLS 1.3."""
    def flag(name: str, value: object) -> np.ndarray:
        if name not in conns.columns:
            return np.zeros(len(conns), dtype=bool)
        return (conns[name] == value).fillna(False).to_numpy(dtype=bool)

    return flag("established", False), flag("resumed", True), flag("version", "TLSv13")


def _other_detail(conns: pd.DataFrame, mask: np.ndarray, texts: dict[str, str],
                  status: Statuses) -> pd.Series:
    """The raw text behind ``other``: the status string, or the notice message."""
    other = (mask & sum(bit(Cause.OTHER, s) for s in SOURCES)) != 0
    detail = np.full(len(conns), None, dtype=object)
    for i in np.flatnonzero(other):
        raw = status.raw(int(i))
        if raw is not None and cause_of(raw) is Cause.OTHER:
            detail[i] = raw
        elif "uid" in conns.columns:
            detail[i] = texts.get(conns["uid"].iloc[i])
    text = pa.array(detail, type=pa.large_string(), from_pandas=True)
    return pd.Series(pd.arrays.ArrowStringArray(text), index=conns.index)


def join_summary(classified: pd.DataFrame) -> dict[str, int]:
    """How many connections found their certificate, and where.

    ``matched``: the leaf was in x509.log (or the cache); ``ssl_log_fields``: it was not,
    but ssl.log itself carried its subject and issuer (Zeek 4.0 and older), so only some
    checks could be made; ``not_in_x509``: a chain was logged but nothing is known of its
    leaf; ``no_certificate``: none was seen. ``leaf_not_in_x509`` counts every connection
    whose chain names a leaf that no loaded x509.log holds, ssl.log's fields or not.
    """
    chain = classified["chain_length"].to_numpy() > 0
    source = classified["certificate_source"]
    in_x509 = (source == "x509").to_numpy(dtype=bool)
    from_ssl = (source == "ssl_log").to_numpy(dtype=bool)
    unknown = ~in_x509 & ~from_ssl
    return {
        "connections": len(classified),
        "matched": int(in_x509.sum()),
        "ssl_log_fields": int(from_ssl.sum()),
        "not_in_x509": int((chain & unknown).sum()),
        "no_certificate": int((~chain & unknown).sum()),
        "leaf_not_in_x509": int((chain & ~in_x509).sum()),
    }
