"""Which catalogue entries each certificate matches: labels with their evidence.

A certificate is a row of the certificate table (``classification.cert_table``): keyed
by fingerprint (Zeek >= 4.1) or file id (<= 4.0), with subject, issuer, serial, validity
and key. Names are parsed once per distinct text, and the fields a match looks at are
compared once per distinct combination, so a day of Zeek 4.0 x509 rows (one per
connection) costs what its distinct certificates cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..classification import cause_flags
from .catalogue import Catalogue, Entry, Family, Match, normal_serial
from .dn import Name, attribute, parse_dn
from .templates import go_generated

MATCHED = ["key", "entry", "label", "family", "confidence", "evidence"]
_FIELDS = ["subject", "issuer", "serial", "validity_days", "key_type", "key_length"]
_LEAF = ["subject", "issuer", "not_valid_before", "not_valid_after", "key_type", "key_length"]


@dataclass(frozen=True)
class Certificate:
    """The fields of one distinct certificate a match compares."""

    subject_text: str
    issuer_text: str
    subject: Name | None
    issuer: Name | None
    serial: str | None
    validity_days: int | None
    key_type: str | None
    key_length: int | None


def match_certificates(certs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """One row per (certificate key, entry) that matches, with ``MATCHED`` columns; the
    evidence says which field matched, as ``tooling:cobalt_strike_default:x509``."""
    if not len(certs) or not len(catalogue):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in MATCHED})
    keys = np.asarray(certs.index, dtype=object)
    rows = [(key, entry.id, entry.label, entry.family.value, entry.confidence.value,
             f"{entry.label}:x509")
            for entry, hit in _entry_hits(certs, catalogue) for key in keys[hit]]
    found = pd.DataFrame(rows, columns=MATCHED)
    return found.drop_duplicates(["key", "entry"]).reset_index(drop=True)


def matched_by(certs: pd.DataFrame, catalogue: Catalogue, family: Family) -> np.ndarray:
    """Per row of ``certs``: does an entry of ``family`` match it?"""
    hit = np.zeros(len(certs), dtype=bool)
    if len(certs):
        chosen = Catalogue(tuple(e for e in catalogue.entries if e.family is family))
        for _, entry_hit in _entry_hits(certs, chosen):
            hit |= entry_hit
    return hit


def c2_connections(classified: pd.DataFrame, catalogue: Catalogue,
                   known: dict[str, bool] | None = None) -> np.ndarray:
    """Per classified connection: does it fail validation with a leaf certificate that
    a ``c2`` entry matches, whatever the cause?

    A per-server CA (Sliver, Havoc) makes Zeek say the chain is unknown, not self-signed:
    the inventory keeps such a server beside the cause it was asked for. Each distinct
    failing leaf is matched once, by the fields the connection carries (x509.log's, or
    ssl.log's own before Zeek 4.1), so an entry's serial is not compared here. ``known``
    (leaf key: answer) carries the answers from batch to batch: a day's batches show the
    same certificates, and a DN is parsed once, not once a batch.
    """
    out = np.zeros(len(classified), dtype=bool)
    rows = np.flatnonzero(cause_flags(classified).any(axis=1).to_numpy(dtype=bool))
    if not len(rows) or not len(catalogue):
        return out
    leaves = classified[["fingerprint", *_LEAF]].iloc[rows]
    codes, keys = pd.factorize(_leaf_keys(leaves))
    known = {} if known is None else known
    new = [i for i, k in enumerate(keys) if k not in known]
    if new:
        first = np.unique(codes, return_index=True)[1][new]
        found = matched_by(leaves.iloc[first][_LEAF].set_axis(keys[new], axis=0),
                           catalogue, Family.C2)
        known.update(zip(keys[new], found.tolist(), strict=True))
    out[rows] = np.array([known[k] for k in keys], dtype=bool)[codes]
    return out


def _leaf_keys(leaves: pd.DataFrame) -> pd.Series:
    """Each leaf's fingerprint (or file id); subject and issuer where there is neither,
    a missing name as empty."""
    key = leaves["fingerprint"].astype(object)
    missing = key.isna().to_numpy()
    if missing.any():  # the names only for the few rows that need them
        key = key.copy()
        names = [leaves[n][missing].astype(object).fillna("").astype(str)
                 for n in ("subject", "issuer")]
        key[missing] = "\0" + names[0] + "\0" + names[1]  # never NA: each leaf has a key
    return key


def _entry_hits(certs: pd.DataFrame, catalogue: Catalogue
                ) -> Iterator[tuple[Entry, np.ndarray]]:
    """Each entry, with which rows of ``certs`` one of its matches holds for."""
    fields = _comparable(certs)
    codes, combos = pd.factorize(pd.MultiIndex.from_frame(fields[_FIELDS]))
    distinct = [_certificate(*combo) for combo in combos]
    digests = pd.Series(np.asarray(certs.index, dtype=object)).astype(str).str.lower(
        ).str.replace(":", "", regex=False)
    for entry in catalogue.entries:
        hit = np.zeros(len(certs), dtype=bool)
        for match in entry.matches:
            hit |= _hits(match, distinct, codes, digests)
        yield entry, hit


def _hits(match: Match, distinct: list[Certificate], codes: np.ndarray,
          digests: pd.Series) -> np.ndarray:
    """Per certificate row: does ``match`` hold?"""
    per_combo = np.array([matches(match, c) for c in distinct], dtype=bool)
    hit = per_combo[codes] if len(per_combo) else np.zeros(len(codes), dtype=bool)
    for name, width in (("sha1", 40), ("sha256", 64)):
        wanted = getattr(match, name)
        if wanted is not None:
            hit &= ((digests.str.len() == width) & (digests == wanted)).to_numpy()
    return hit


def matches(match: Match, cert: Certificate) -> bool:
    """Whether every field ``match`` gives holds for ``cert`` (hashes aside)."""
    return all(check for check in _checks(match, cert))


def _checks(match: Match, cert: Certificate) -> Iterator[bool]:
    if match.subject is not None:
        yield cert.subject == match.subject
    if match.issuer is not None:
        yield cert.issuer == match.issuer
    if match.subject_cn is not None:
        yield match.subject_cn in [v.lower() for v in attribute(cert.subject, "CN")]
    if match.issuer_cn is not None:
        yield match.issuer_cn in [v.lower() for v in attribute(cert.issuer, "CN")]
    if match.subject_pattern is not None:
        yield bool(match.subject_pattern.search(cert.subject_text))
    if match.issuer_pattern is not None:
        yield bool(match.issuer_pattern.search(cert.issuer_text))
    if match.serial is not None:
        yield cert.serial == match.serial
    if match.key_type is not None:
        yield (cert.key_type or "").lower() == match.key_type
    if match.key_length is not None:
        yield cert.key_length == match.key_length
    if match.validity_days is not None:
        yield cert.validity_days == match.validity_days
    if match.self_signed is not None:
        yield (cert.subject is not None and cert.subject == cert.issuer) == match.self_signed
    if match.structure is not None:
        yield _structured(match, cert)


def _structured(match: Match, cert: Certificate) -> bool:
    names = {"subject": [cert.subject], "issuer": [cert.issuer],
             "either": [cert.subject, cert.issuer]}[match.structure_on]
    return any(go_generated(name) for name in names)


def _comparable(certs: pd.DataFrame) -> pd.DataFrame:
    """The compared fields as plain values: texts, a normal serial, whole validity days."""
    def text(name: str) -> pd.Series:
        if name not in certs.columns:
            return pd.Series([""] * len(certs), index=certs.index, dtype=object)
        return certs[name].astype(object).where(certs[name].notna(), "")

    def column(name: str) -> pd.Series:
        return certs[name] if name in certs.columns else pd.Series(
            [None] * len(certs), index=certs.index, dtype=object)

    serial = text("serial").map(lambda s: normal_serial(s) or "")
    before = pd.to_datetime(column("not_valid_before"), utc=True)
    after = pd.to_datetime(column("not_valid_after"), utc=True)
    days = ((after - before) / pd.Timedelta(days=1)).round()
    length = pd.to_numeric(column("key_length"), errors="coerce")
    return pd.DataFrame({
        "subject": text("subject"), "issuer": text("issuer"), "serial": serial,
        "validity_days": days.fillna(-1).astype("int64"),
        "key_type": text("key_type"), "key_length": length.fillna(-1).astype("int64")},
        index=certs.index)


def _certificate(subject: str, issuer: str, serial: str, days: int, key_type: str,
                 key_length: int) -> Certificate:
    return Certificate(subject, issuer, parse_dn(subject), parse_dn(issuer), serial or None,
                       None if days < 0 else int(days), key_type or None,
                       None if key_length < 0 else int(key_length))

