"""One table of known certificates, and the link from each connection to its leaf.

From Zeek 4.1, ssl.log ``cert_chain_fps[0]`` is x509.log ``fingerprint``; up to 4.0,
``cert_chain_fuids[0]`` is x509.log ``id``; Bro 2.2 logged the certificate's fields in
ssl.log itself. x509.log logs a certificate once a day, so the table is built from every
loaded x509 row plus an optional cache of certificates seen before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Normalised certificate columns, and where Zeek's x509.log keeps them.
CERT_FIELDS = {
    "subject": "certificate.subject",
    "issuer": "certificate.issuer",
    "not_valid_before": "certificate.not_valid_before",
    "not_valid_after": "certificate.not_valid_after",
    "key_type": "certificate.key_type",
    "key_length": "certificate.key_length",
    "sig_alg": "certificate.sig_alg",
    "san_dns": "san.dns",
    "san_ip": "san.ip",
}
# The same fields as ssl.log carried them before x509.log existed, or beside it (≤ 4.0).
_SSL_FALLBACK = {
    "subject": "subject",
    "issuer": ("issuer", "issuer_subject"),
    "not_valid_before": "not_valid_before",
    "not_valid_after": "not_valid_after",
}


def cert_table(x509: pd.DataFrame, cache: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every known certificate once, indexed by fingerprint (≥ 4.1) or file id (≤ 4.0).

    ``cache`` may be an x509-style frame or a table this function returned earlier; the
    newest row of each certificate wins.
    """
    frames = [_normalise(f) for f in (cache, x509) if f is not None and len(f)]
    if not frames:
        frames = [pd.DataFrame({name: [] for name in ("key", "seen", *CERT_FIELDS)})]
    table = pd.concat(frames, ignore_index=True)
    table = table[table["key"].notna()]
    table = table.sort_values("seen", kind="stable").drop_duplicates("key", keep="last")
    table = table.set_index("key")[list(CERT_FIELDS)]
    table.index = table.index.astype(object)
    for name in ("not_valid_before", "not_valid_after"):
        table[name] = pd.to_datetime(table[name], utc=True).astype("datetime64[us, UTC]")
    table["key_length"] = pd.to_numeric(table["key_length"]).astype("Int64")
    for name in ("subject", "issuer", "key_type", "sig_alg"):
        table[name] = table[name].astype("string[pyarrow]")
    return table


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """An x509.log frame (or a cert table) in the normalised columns plus key and seen."""
    frame = frame.reset_index() if "ts" not in frame.columns and frame.index.name == "ts" else frame
    if "key" in frame.columns:  # already a cert table
        out = frame.reset_index(drop=True)
        if "seen" not in out.columns:
            out["seen"] = pd.NaT
        return out
    key = _column(frame, "fingerprint")
    if "id" in frame.columns:
        key = key.fillna(frame["id"].astype(object)) if key is not None else frame["id"]
    out = pd.DataFrame({"key": key.astype(object) if key is not None else None})
    for name, source in CERT_FIELDS.items():
        out[name] = frame[source].to_numpy(dtype=object) if source in frame.columns else None
    out["seen"] = frame["ts"].to_numpy() if "ts" in frame.columns else pd.NaT
    return out


def _column(frame: pd.DataFrame, name: str) -> pd.Series | None:
    return frame[name].astype(object) if name in frame.columns else None


def leaf_keys(ssl: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each connection's leaf certificate key and chain length (0 when none was seen)."""
    keys = np.full(len(ssl), None, dtype=object)
    lengths = np.zeros(len(ssl), dtype=np.int64)
    for column in ("cert_chain_fuids", "cert_chain_fps"):  # newer wins where both exist
        if column in ssl.columns:
            first, length = _first_and_length(ssl[column])
            have = length > 0
            keys[have], lengths[have] = first[have], length[have]
    return keys, lengths


def _first_and_length(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    arr = pa.array(column, from_pandas=True)
    if not pa.types.is_list(arr.type):  # a zat frame keeps "a,b" text
        arr = pc.split_pattern(arr.cast(pa.string()), ",")
    length = pc.fill_null(pc.list_value_length(arr), 0)
    safe = pc.if_else(pc.greater(length, 0), arr, pa.scalar(None, arr.type))
    first = pc.list_element(safe, 0).to_numpy(zero_copy_only=False)
    return first.astype(object), length.to_numpy(zero_copy_only=False).astype(np.int64)


def attach(ssl: pd.DataFrame, certs: pd.DataFrame) -> pd.DataFrame:
    """The certificate fields of each connection's leaf, aligned with ``ssl``'s rows.

    Work is per distinct leaf, not per connection. Where x509.log lacks the certificate,
    fields ssl.log itself carries (Bro 2.2 to Zeek 4.0) fill in. ``cert_row`` is the
    leaf's row in ``certs``, or -1 when it is not there.
    """
    keys, lengths = leaf_keys(ssl)
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
    where = np.asarray(certs.index.get_indexer(pd.Index(uniques, dtype=object)), np.int64)
    rows = np.where(codes >= 0, where[codes] if len(uniques) else -1, -1)
    out = pd.DataFrame({"fingerprint": keys, "chain_length": lengths, "cert_row": rows},
                       index=ssl.index)
    for name in CERT_FIELDS:
        out[name] = _with_ssl_fallback(take(certs[name], rows), ssl, name)
    return out


def take(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """``column[rows]`` keeping the dtype, with NA where ``rows`` is -1."""
    extended = pd.concat([column.reset_index(drop=True), column.iloc[:0].reindex([0])],
                         ignore_index=True)
    return extended.take(np.where(rows >= 0, rows, len(column))).reset_index(drop=True)


def _with_ssl_fallback(values: pd.Series, ssl: pd.DataFrame, name: str) -> pd.Series:
    sources = _SSL_FALLBACK.get(name, ())
    values = values.set_axis(ssl.index)
    for source in (sources,) if isinstance(sources, str) else sources:
        if source in ssl.columns and values.isna().any():
            values = values.fillna(ssl[source]) if values.dtype == ssl[source].dtype else \
                values.astype(object).fillna(ssl[source].astype(object))
    return values
