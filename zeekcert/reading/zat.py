"""Convert a DataFrame made by zat's ``LogToDataFrame`` into zeekcert's column types.

zat (https://github.com/SuperCowPowers/zat) reads a Zeek TSV log with ``pandas.read_csv``:
``ts`` becomes a tz-naive nanosecond index parsed through a float, strings, addresses, enums,
booleans and containers become categoricals of the raw TSV text, and ``-`` becomes NaN.
``from_zat`` undoes all of that, so a zat frame compares equal to ``zeekcert.read_log``.
See ``docs/zat.md`` for the differences, including the ones no conversion can undo.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pyarrow as pa
from pandas.api.extensions import ExtensionDtype
from pandas.api.types import is_object_dtype

from .arrow import to_pandas
from .columns import Markers, from_tsv
from .schema import zeek_type

_NUMERIC: dict[str, ExtensionDtype] = {
    "count": pd.UInt64Dtype(), "int": pd.Int64Dtype(), "port": pd.UInt16Dtype(),
    "double": pd.Float64Dtype(),
}

# A column whose presence tells the log kind, checked in this order.
_KIND_MARKERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("ssl", frozenset({"cert_chain_fps"})),
    ("ssl", frozenset({"cert_chain_fuids"})),
    ("ssl", frozenset({"version", "cipher"})),
    ("x509", frozenset({"certificate.subject"})),
    ("x509", frozenset({"certificate.serial"})),
    ("notice", frozenset({"note"})),
    ("known_certs", frozenset({"port_num"})),
)


def guess_kind(columns: Iterable[object]) -> str | None:
    """Return the log kind (ssl, x509, notice, known_certs) whose marker columns are present."""
    present = {str(name) for name in columns}
    for kind, markers in _KIND_MARKERS:
        if markers <= present:
            return kind
    return None


def from_zat(df: pd.DataFrame, kind: str | None = None) -> pd.DataFrame:
    """Return a new DataFrame with zeekcert's types from one made by zat's LogToDataFrame."""
    frame = _ts_as_column(df)
    kind = kind or guess_kind(frame.columns)
    converted: dict[str, pd.Series] = {}
    for name in frame.columns:
        column = frame[name]
        ztype = zeek_type(kind, str(name)) or _type_from_dtype(column)
        converted[name] = column.copy() if ztype is None else convert_column(column, ztype)
    return pd.DataFrame(converted, index=frame.index, columns=frame.columns)


def _type_from_dtype(column: pd.Series) -> str | None:
    """Zat makes datetimes only of Zeek ``time`` and timedeltas only of ``interval`` columns."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return "time"
    if pd.api.types.is_timedelta64_dtype(column):
        return "interval"
    return None


def _ts_as_column(df: pd.DataFrame) -> pd.DataFrame:
    """Move a ``ts`` index back to the first column and number the rows from 0."""
    frame = df.reset_index() if df.index.name == "ts" else df
    if "ts" in frame.columns and frame.columns[0] != "ts":
        frame = frame[["ts", *[c for c in frame.columns if c != "ts"]]]
    return frame


def convert_column(column: pd.Series, ztype: str) -> pd.Series:
    """Convert one zat column to the dtype zeekcert gives Zeek type ``ztype``."""
    if _is_text(column):
        return _from_raw_text(column, ztype)
    if ztype == "time":
        return _to_utc_micros(column)
    if ztype == "interval":
        return pd.to_timedelta(column).dt.round("us").astype("timedelta64[us]")
    if ztype in _NUMERIC:
        return column.astype(_NUMERIC[ztype])
    if ztype == "bool":
        return column.astype("boolean")
    return column.copy()


def _is_text(column: pd.Series) -> bool:
    """Tell whether zat kept this column as text: a categorical, object or string column."""
    dtype = column.dtype
    return isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype)) or is_object_dtype(dtype)


def _from_raw_text(column: pd.Series, ztype: str) -> pd.Series:
    """Rebuild the TSV text zat kept (NaN was ``-``) and parse it as zeekcert's reader does."""
    markers = Markers()
    typed, _bad = from_tsv(ztype, _raw_text(column), markers)
    result = to_pandas(pa.table({"v": typed}))["v"]
    result.index = column.index
    result.name = column.name
    return result


def _raw_text(column: pd.Series) -> pa.Array:
    """Return zat's values as text; pandas may have parsed all-numeric categories as numbers."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.cat.rename_categories([_number_text(c) for c in column.cat.categories])
    return pa.array(column.astype(pd.StringDtype("pyarrow")), type=pa.string())


def _number_text(value: object) -> str:
    """Write a category pandas parsed as a number back as text, ``65537.0`` as ``65537``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_utc_micros(column: pd.Series) -> pd.Series:
    """Make times tz-aware UTC at microsecond resolution, undoing zat's float rounding."""
    if pd.api.types.is_numeric_dtype(column):
        column = pd.to_datetime(column, unit="s")
    times = pd.to_datetime(column)
    if times.dt.tz is None:
        times = times.dt.tz_localize("UTC")
    return times.dt.tz_convert("UTC").dt.round("us").astype("datetime64[us, UTC]")
