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

from .distinct import chunks_of, unify

COMPACT_ROWS = 100_000  # certificate rows held before they are first made distinct
# Normalised certificate columns, and where Zeek's x509.log keeps them.
CERT_FIELDS = {
    "subject": "certificate.subject",
    "issuer": "certificate.issuer",
    "not_valid_before": "certificate.not_valid_before",
    "not_valid_after": "certificate.not_valid_after",
    "key_type": "certificate.key_type",
    "key_length": "certificate.key_length",
    "sig_alg": "certificate.sig_alg",
    "serial": "certificate.serial",
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


def cert_table(x509: pd.DataFrame | None, cache: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every known certificate once, indexed by fingerprint (≥ 4.1) or file id (≤ 4.0).

    ``cache`` may be an x509-style frame or a table this function returned earlier; the
    newest row of each certificate wins.
    """
    if (x509 is None or not len(x509)) and _is_table(cache):
        return cache  # type: ignore[return-value]  # nothing to add: reuse it as it is
    frames = [_normalise(f) for f in (cache, x509) if f is not None and len(f)]
    if not frames:
        frames = [pd.DataFrame({name: [] for name in ("key", "seen", *CERT_FIELDS)})]
    table = pd.concat(frames, ignore_index=True)
    table = table[table["key"].notna()]
    table = table.sort_values("seen", kind="stable").drop_duplicates("key", keep="last")
    table = table.set_index("key")[list(CERT_FIELDS)]
    table.index = table.index.astype(object)
    for name in ("not_valid_before", "not_valid_after"):
        table[name] = pd.to_datetime(table[name], utc=True, format="ISO8601").astype(
            "datetime64[us, UTC]")
    table["key_length"] = _key_bits(table["key_length"])
    for name in ("subject", "issuer", "key_type", "sig_alg"):
        table[name] = table[name].astype("string[pyarrow]")
    return table


class CertificateParts:
    """A certificate table fed in parts: made distinct once the parts outgrow it.

    A scanner-heavy day logs two million x509 rows; each part is a ``cert_table`` of a
    block, and the whole is made distinct again only when the parts have doubled it.
    """

    def __init__(self, done: pd.DataFrame | None = None) -> None:
        self.done = done  # None until a table is asked for: a file of no x509 rows is free
        self.parts: list[pd.DataFrame] = []

    def __len__(self) -> int:
        """How many rows are held (a certificate may be counted more than once)."""
        return (0 if self.done is None else len(self.done)) + sum(len(p) for p in self.parts)

    def add(self, parts: list[pd.DataFrame]) -> None:
        """Take in ``cert_table`` parts; a later row of a certificate wins."""
        self.parts += parts
        held = 0 if self.done is None else len(self.done)
        if sum(len(p) for p in self.parts) > max(held, COMPACT_ROWS):
            self.table()

    def table(self) -> pd.DataFrame:
        """One table of every certificate so far."""
        frames = ([] if self.done is None else [self.done]) + self.parts
        if len(frames) == 1:  # a cert_table is already distinct
            self.done = frames[0]
        elif frames:
            self.done = cert_table(pd.concat(frames).reset_index())
        self.parts = []
        if self.done is None:
            self.done = cert_table(None)
        return self.done


def _is_table(frame: pd.DataFrame | None) -> bool:
    """True for a frame this module's ``cert_table`` made."""
    return frame is not None and frame.index.name == "key" and list(frame.columns) == list(
        CERT_FIELDS)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """An x509.log frame (or a cert table) in the normalised columns plus key and seen."""
    if frame.index.name in ("ts", "key"):  # zat's ts index, or a cert table's key index
        frame = frame.reset_index()
    if "key" in frame.columns:  # already a cert table
        out = frame.reset_index(drop=True)
        if "seen" not in out.columns:
            out["seen"] = _seen(out)
        return out
    key = _column(frame, "fingerprint")
    if "id" in frame.columns:
        key = key.fillna(frame["id"].astype(object)) if key is not None else frame["id"]
    if key is None:  # neither fingerprint nor id: no row can be joined
        key = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    keys = key.astype(object).to_numpy()
    rows = _newest_per_key(keys, frame)
    frame = frame.iloc[rows]
    out = pd.DataFrame({"key": keys[rows]})
    for name, source in CERT_FIELDS.items():
        if source not in frame.columns:
            out[name] = None
        elif isinstance(frame[source].dtype, pd.DatetimeTZDtype):  # as is: no object per time
            out[name] = frame[source].array
        else:
            out[name] = frame[source].to_numpy(dtype=object)
    out["seen"] = _seen(frame)
    return out


def _seen(frame: pd.DataFrame) -> pd.api.extensions.ExtensionArray:
    """When each row was logged, as UTC times (NaT without a ``ts``): never one object per
    row, as ``to_numpy`` of a zoned column would make."""
    if "ts" not in frame.columns:
        return pd.array(np.full(len(frame), np.datetime64("NaT", "us")), dtype="datetime64[us]"
                        ).tz_localize("UTC")
    return pd.to_datetime(frame["ts"], utc=True, errors="coerce").array  # only an order


def _newest_per_key(key: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """The positions, in order, of each key's newest row: what ``cert_table`` would keep
    of this frame (a later row wins a tie). A scanner's day logs each certificate many
    times, so only these rows are turned into Python objects."""
    rows = pd.DataFrame({"key": key, "seen": _seen(frame)})
    rows = rows[rows["key"].notna().to_numpy()]
    newest = rows.sort_values("seen", kind="stable").drop_duplicates("key", keep="last")
    return np.sort(newest.index.to_numpy())


def _column(frame: pd.DataFrame, name: str) -> pd.Series | None:
    return frame[name].astype(object) if name in frame.columns else None


def _first_codes(column: pd.Series) -> tuple[np.ndarray, list[object], np.ndarray]:
    """Each row's first chain element as a code into distinct keys, and the chain lengths.

    Only the elements are hashed, once; the first of each row is then an integer lookup,
    so no string is copied per connection.
    """
    parts, dicts, lengths = [], [], []
    for chunk in chunks_of(column):
        if not pa.types.is_list(chunk.type):  # zat keeps a vector as "a,b" text
            chunk = pc.split_pattern(chunk.cast(pa.string()), ",")
        length = pc.fill_null(pc.list_value_length(chunk), 0).to_numpy(zero_copy_only=False)
        encoded = pc.dictionary_encode(chunk.values)
        element = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        starts = chunk.offsets.to_numpy()[:-1]
        safe = np.minimum(starts, max(len(element) - 1, 0))
        first = np.where(length > 0, element[safe] if len(element) else -1, -1)
        parts.append(first)
        dicts.append(encoded.dictionary.to_pylist())
        lengths.append(length.astype(np.int64))
    codes, keys = unify(parts, dicts)
    return codes, keys, np.concatenate(lengths) if lengths else np.zeros(0, np.int64)


def leaf_codes(ssl: pd.DataFrame) -> tuple[np.ndarray, list[object], np.ndarray]:
    """Each connection's leaf key code (-1: none), the distinct keys, and chain lengths.

    Fingerprints (Zeek ≥ 4.1) win over file ids (≤ 4.0) where a mixed load has both.
    """
    codes = np.full(len(ssl), -1, dtype=np.int64)
    lengths = np.zeros(len(ssl), dtype=np.int64)
    keys: list[object] = []
    for column in ("cert_chain_fuids", "cert_chain_fps"):
        if column in ssl.columns:
            part, part_keys, part_len = _first_codes(ssl[column])
            have = part_len > 0
            codes[have] = part[have] + len(keys)
            lengths[have] = part_len[have]
            keys += part_keys
    codes, keys = unify([codes], [keys])  # a key logged by both generations counts once
    return codes, keys, lengths


def attach(ssl: pd.DataFrame, certs: pd.DataFrame,
           text_codes: dict[str, tuple[np.ndarray, pd.Index]] | None = None) -> pd.DataFrame:
    """The certificate fields of each connection's leaf, aligned with ``ssl``'s rows.

    Work is per distinct leaf, not per connection. Where x509.log lacks the certificate,
    fields ssl.log itself carries (Bro 2.2 to Zeek 4.0) fill in. ``cert_row`` is the
    leaf's row in ``certs``, or -1 when it is not there. ``text_codes`` are the text
    columns of ``certs`` already factorised (see ``Known``).
    """
    codes, keys, lengths = leaf_codes(ssl)
    lookup = np.append(certs.index.get_indexer(pd.Index(keys, dtype=object)), -1)
    rows = lookup[codes]
    fields = _gather(certs, rows, text_codes or {})
    fields.index = ssl.index
    for name in LEAF_FIELDS:
        fields[name] = _with_ssl_fallback(fields[name], ssl, name)
    fingerprint = pd.Categorical.from_codes(codes, categories=pd.Index(keys, dtype=object))
    lead = pd.DataFrame({"fingerprint": fingerprint, "chain_length": lengths,
                         "cert_row": rows}, index=ssl.index)
    return pd.concat([lead, fields], axis=1)


LEAF_FIELDS = ("subject", "issuer", "not_valid_before", "not_valid_after", "key_type",
               "key_length", "sig_alg")
TEXT_FIELDS = ("subject", "issuer", "key_type", "sig_alg")


def _gather(certs: pd.DataFrame, rows: np.ndarray,
            text_codes: dict[str, tuple[np.ndarray, pd.Index]]) -> pd.DataFrame:
    """``certs`` rows by position (-1 gives NA); texts as categoricals, so no string is copied.

    The SAN lists stay in the table: only the hostname check reads them, once per pair.
    """
    out = {}
    for name in LEAF_FIELDS:
        column = certs[name]
        if name in TEXT_FIELDS:
            codes, uniques = text_codes.get(name) or _factorised(column)
            out[name] = pd.Categorical.from_codes(codes[rows], uniques)
        else:
            out[name] = column.array.take(rows, allow_fill=True)
    return pd.DataFrame(out)


def _factorised(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes of a text column, with -1 appended for "no certificate", and its values."""
    codes, uniques = pd.factorize(column.astype(object))
    return np.append(codes, -1), pd.Index(uniques, dtype=object)


def _with_ssl_fallback(values: pd.Series, ssl: pd.DataFrame, name: str) -> pd.Series:
    sources = _SSL_FALLBACK.get(name, ())
    for source in (sources,) if isinstance(sources, str) else sources:
        if source in ssl.columns and values.isna().any():
            if isinstance(values.dtype, pd.CategoricalDtype):  # new values: back to text
                values = values.astype("string")
            values = values.fillna(ssl[source].astype(values.dtype))
    return values


def _key_bits(lengths: pd.Series) -> pd.Series:
    """Key lengths as Int64; a value no key can have (2**64 - 1, say) is unknown, not a crash."""
    numbers = pd.to_numeric(lengths, errors="coerce").astype("Float64")
    return numbers.where((numbers >= 0) & (numbers < 2**31)).astype("Int64")
