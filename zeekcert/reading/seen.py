"""Which connection uids a streamed load has seen already, in bounded memory.

A load that holds every row finds a repeated ``uid`` with ``duplicated()``. A stream
cannot keep ten million uid strings (70 bytes each in a Python set), so it keeps their
64-bit hashes, 8 bytes each, in a few sorted arrays of decreasing size: a new batch is
looked up in each by binary search, and arrays of like size are merged, so each hash
is sorted O(log n) times in all. Two different uids share a hash with odds of about
n² / 2⁶⁵ (3 in a million for 10 million uids); such a uid would be counted as repeated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


class SeenUids:
    """A set of uid hashes; ``first_time`` says which of a batch's uids are new."""

    def __init__(self) -> None:
        self.levels: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(level) for level in self.levels)

    def first_time(self, uids: pd.Series, elsewhere: SeenUids | None = None) -> np.ndarray:
        """True for each uid not seen before, here or in ``elsewhere``, nor earlier in
        ``uids``; an NA uid is always new. The new uids are remembered here."""
        return self.first_of(text_hashes(uids), uids.notna().to_numpy(), elsewhere)

    def first_time_in(self, column: pa.ChunkedArray | pa.Array,
                      elsewhere: SeenUids | None = None) -> np.ndarray:
        """``first_time`` of an Arrow column of uids, hashed without a pandas detour."""
        present = pc.is_valid(column).to_numpy(zero_copy_only=False)
        return self.first_of(column_hashes(column), present, elsewhere)

    def first_of(self, hashes: np.ndarray, present: np.ndarray,
                 elsewhere: SeenUids | None = None) -> np.ndarray:
        """``first_time`` of uids already hashed; ``present`` is False where a uid is NA."""
        new = present & ~pd.Series(hashes).duplicated().to_numpy() & ~self.contains(hashes)
        if elsewhere is not None:
            new &= ~elsewhere.contains(hashes)
        self.add(hashes[new])
        fresh: np.ndarray = new | ~present
        return fresh

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        """Whether each hash is in the set.

        The hashes are looked up in sorted order: numpy's binary search starts each key
        where the last one ended, so this is four times faster than in their own order.
        """
        found = np.zeros(len(hashes), dtype=bool)
        if not self.levels or not len(hashes):
            return found
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        for level in self.levels:
            at = np.minimum(np.searchsorted(level, ordered), len(level) - 1)
            found[order] |= level[at] == ordered
        return found

    def add(self, hashes: np.ndarray) -> None:
        """Remember ``hashes`` (distinct, and not already in the set)."""
        if not len(hashes):
            return
        self.levels.append(np.sort(hashes))
        while len(self.levels) > 1 and len(self.levels[-2]) <= 2 * len(self.levels[-1]):
            last = self.levels.pop()
            # Two sorted runs: the stable sort (timsort) merges them in linear time.
            self.levels[-1] = np.sort(np.concatenate([self.levels[-1], last]), kind="stable")

    def update(self, other: SeenUids) -> None:
        """Remember every hash of ``other`` (disjoint from this set)."""
        for level in other.levels:
            self.add(level)


def column_hashes(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """``text_hashes`` of an Arrow column, without a pandas detour; a dictionary column's
    values (the reader's addresses) are each hashed once."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    if not chunks:
        return np.zeros(0, dtype=np.uint64)
    return np.concatenate([_chunk_hashes(chunk) for chunk in chunks])


def _chunk_hashes(chunk: pa.Array) -> np.ndarray:
    if pa.types.is_dictionary(chunk.type):
        values = _chunk_hashes(chunk.dictionary)
        missing = pd.util.hash_array(np.array([""], dtype=object), categorize=False)
        at = pc.fill_null(chunk.indices.cast(pa.int64()), len(values)).to_numpy()
        table: np.ndarray = np.append(values, missing)[at]
        return table
    text = pc.fill_null(chunk.cast(pa.string()), "").to_numpy(zero_copy_only=False)
    hashes: np.ndarray = pd.util.hash_array(text, categorize=False)
    return hashes


def text_hashes(values: pd.Series) -> np.ndarray:
    """A 64-bit hash of each value's text (NA as ""), the same in every batch and process.

    Uids, addresses and client–server pairs are all known by it. Each distinct value is
    hashed once: a categorical's categories, or what ``factorize`` finds.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, names = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, names = pd.factorize(values, use_na_sentinel=True)
    text = np.append(pd.Index(names).astype(str).to_numpy(dtype=object), "")
    return pd.util.hash_array(text, categorize=False)[codes]
