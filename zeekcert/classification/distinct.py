"""Distinct values of a column and each row's code: the basis of per-distinct work.

Classifying a million connections is cheap when each status string, certificate and
name is judged once: these helpers hash in Arrow and hand back integer codes.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def chunks_of(column: pd.Series) -> list[pa.Array]:
    """A pandas column as Arrow arrays, without copying where pandas already uses Arrow."""
    arr = pa.array(column, from_pandas=True)
    return list(arr.chunks) if isinstance(arr, pa.ChunkedArray) else [arr]


def codes_of(column: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Each row's index into the distinct non-null values (-1 for NA), and those values."""
    parts, dicts = [], []
    for chunk in chunks_of(column):
        encoded = chunk if pa.types.is_dictionary(chunk.type) else pc.dictionary_encode(chunk)
        parts.append(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False))
        dicts.append(encoded.dictionary.to_pylist())
    return unify(parts, dicts)


def unify(parts: list[np.ndarray], dicts: list[list[object]]) -> tuple[np.ndarray,
                                                                          list[object]]:
    """Merge per-chunk codes and dictionaries into one code space."""
    uniques = pd.Index([v for d in dicts for v in d], dtype=object).unique()
    out = []
    for codes, local in zip(parts, dicts, strict=True):
        remap = np.append(uniques.get_indexer(pd.Index(local, dtype=object)), -1)
        out.append(remap[codes.astype(np.int64)])  # -1 picks the appended -1
    merged = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
    return merged, list(uniques)


def lists_per(rows: pd.DataFrame, column: str, index: pd.MultiIndex, keys: list[str],
              most: int | None = None) -> list[list[Any]]:
    """Per key of ``index``, the ``column`` values of its ``rows`` (matched on ``keys``)
    in their order, at most ``most``: grouped by one stable sort and cut, with no Python
    step per row, where ``groupby().agg(list)`` takes one per group."""
    place = (index.get_indexer(pd.MultiIndex.from_frame(rows[keys])) if len(rows)
             else np.zeros(0, dtype=np.int64))
    order = np.argsort(place, kind="stable")
    place, values = place[order], rows[column].to_numpy(dtype=object)[order]
    bounds = np.searchsorted(place, np.arange(len(index) + 1)).tolist()
    if most is None:
        return [values[a:b].tolist() for a, b in itertools.pairwise(bounds)]
    return [values[a:min(b, a + most)].tolist() for a, b in itertools.pairwise(bounds)]
