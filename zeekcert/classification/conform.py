"""Give the columns the classifier uses the types it needs, whatever a file's header said.

A TSV header may declare any Zeek type for any field: ``#types`` saying ``string`` for
``id.resp_p`` (a port written ``https``), or a frame may come from elsewhere. The reader
keeps what the header declared; here each column the classifier relies on is brought to
its type, and a value that does not fit becomes NA rather than an exception later.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

_LISTS = ("cert_chain_fps", "cert_chain_fuids")
_BOOLS = ("sni_matches_cert", "established", "resumed")


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``ts``, ports, flags and chains in the types the classifier needs."""
    fixes = {}
    if "ts" in frame.columns and not isinstance(frame["ts"].dtype, pd.DatetimeTZDtype):
        fixes["ts"] = _as_time(frame["ts"])
    for name in ("id.resp_p", "id.orig_p"):
        if name in frame.columns and not pd.api.types.is_integer_dtype(frame[name]):
            fixes[name] = _as_port(frame[name])
    for name in _BOOLS:
        if name in frame.columns and not pd.api.types.is_bool_dtype(frame[name]):
            fixes[name] = _as_bool(frame[name])
    for name in _LISTS:
        if name in frame.columns and not _is_list(frame[name]):
            fixes[name] = pd.Series(pa.nulls(len(frame), pa.list_(pa.string())).to_pandas(
                types_mapper=pd.ArrowDtype), index=frame.index)
    return frame.assign(**fixes) if fixes else frame


def _as_time(column: pd.Series) -> pd.Series:
    """Epoch seconds or ISO 8601, as UTC times; anything else NaT. Naive times are UTC."""
    if pd.api.types.is_datetime64_any_dtype(column):
        localised: pd.Series = column.dt.tz_localize("UTC")
        return localised
    numbers = pd.to_numeric(column, errors="coerce")
    if numbers.notna().sum() >= column.notna().sum() / 2:
        numbers = numbers.where(numbers.abs() < 253_402_300_800)  # years 1 to 9999
        return pd.to_datetime(numbers, unit="s", utc=True).astype("datetime64[us, UTC]")
    times = pd.to_datetime(column.astype("string"), utc=True, errors="coerce", format="ISO8601")
    return times.astype("datetime64[us, UTC]")


def _as_port(column: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(column, errors="coerce").astype("Float64")
    return numbers.where((numbers >= 0) & (numbers <= 65535)).astype("UInt16")


def _as_bool(column: pd.Series) -> pd.Series:
    text = column.astype("string")
    return text.map({"T": True, "F": False, "True": True, "False": False, "true": True,
                     "false": False}, na_action="ignore").astype("boolean")


def _is_list(column: pd.Series) -> bool:
    """Arrow lists, or Python lists in an object column (a frame built by hand)."""
    dtype = column.dtype
    if isinstance(dtype, pd.ArrowDtype):
        arrow = dtype.pyarrow_dtype
        return bool(pa.types.is_list(arrow) or pa.types.is_large_list(arrow))
    first = column.dropna().head(1).tolist()
    return pd.api.types.is_object_dtype(dtype) and (not first or
                                                    isinstance(first[0], list | tuple))
