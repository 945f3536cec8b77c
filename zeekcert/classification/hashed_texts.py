"""Text values known by their 64-bit hash: 8 bytes a use, the text itself once.

A big day pairs hundreds of thousands of servers with their names, fingerprints and
clients. Held as text, each pair costs about a hundred bytes; held as two hashes it costs
16, and each distinct text is kept once, in a table of texts, to be looked up for the
rows that are shown. Hashes come from ``reading.text_hashes``, the same in every batch,
file and process, so parts made anywhere merge by their hashes alone. Two texts share a
hash with odds of about n² / 2⁶⁵.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..reading import text_hashes


def hashed(values: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """Each value's text hash (``reading.text_hashes``) and the table of its texts.

    Each distinct value is hashed once: a categorical's categories, or what ``factorize``
    finds. NA hashes as "" (as in ``text_hashes``) and is left out of the table.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values)
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(uniques)))
    names = pd.Series(pd.Index(uniques)[used].astype(object))
    known = np.zeros(len(uniques) + 1, dtype=np.uint64)
    known[used] = text_hashes(names)
    known[-1] = text_hashes(pd.Series([""], dtype=object))[0]  # NA, as text_hashes has it
    return known[codes], pd.DataFrame({"hash": known[used], "text": names.to_numpy()})


def no_texts() -> pd.DataFrame:
    """The table of no texts."""
    return pd.DataFrame({"hash": np.zeros(0, np.uint64), "text": np.zeros(0, object)})


def merged_texts(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """One table of texts holding what all of ``tables`` hold."""
    if len(tables) == 1:
        return tables[0]
    every = pd.concat(tables, ignore_index=True) if tables else no_texts()
    return every.drop_duplicates("hash", ignore_index=True)


def lookup(table: pd.DataFrame, hashes: np.ndarray) -> np.ndarray:
    """The text of each hash, as objects (None where ``table`` does not know it)."""
    place = pd.Index(table["hash"].to_numpy(dtype=np.uint64)).get_indexer(hashes)
    texts = np.append(table["text"].to_numpy(dtype=object), np.array([None], dtype=object))
    found: np.ndarray = texts[place]  # -1, unknown, picks the appended None
    return found
