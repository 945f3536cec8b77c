"""JSON as every output writes it: byte for byte what ``json.dump(indent=2,
ensure_ascii=True)`` writes, whether a list is given whole or a part at a time."""

from __future__ import annotations

import io
import itertools
import json
from typing import Any

import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from zeekcert.formatting import _plain, plain_column
from zeekcert.json_text import Parts, write_json_text

# Any text, lone surrogates included (orjson refuses them: a part falls back to json).
TEXT = st.text(st.characters(blacklist_categories=()), max_size=6)
SCALARS = (st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | TEXT
           | st.floats(-1e6, 1e6).map(lambda x: round(x, 3)))  # as the report rounds them
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(TEXT, inner, max_size=3), max_leaves=12)


def _written(data: Any) -> str:
    out = io.StringIO()
    write_json_text(data, out)
    return out.getvalue()


@given(head=VALUES, items=st.lists(VALUES, max_size=8), tail=VALUES,
       cuts=st.lists(st.integers(0, 8), max_size=4))
@example(head=None, items=[], tail=None, cuts=[0, 0])
@example(head="\x85\u202e", items=[{"a": ["\ud800", 1.5]}, "b"], tail={}, cuts=[1])
def test_a_list_written_in_parts_is_the_same_text(head: Any, items: list[Any], tail: Any,
                                                  cuts: list[int]) -> None:
    whole = {"head": head, "servers": items, "tail": tail}
    bounds = [0, *sorted(min(c, len(items)) for c in cuts), len(items)]
    parts = [items[a:b] for a, b in itertools.pairwise(bounds)]
    expected = json.dumps(whole, indent=2, ensure_ascii=True)
    assert _written(whole) == expected
    assert _written({**whole, "servers": Parts(iter(parts))}) == expected
    assert _written({**whole, "servers": Parts([])}) == json.dumps(
        {**whole, "servers": []}, indent=2, ensure_ascii=True)


CELLS = st.one_of(st.none(), TEXT, st.integers(-5, 5), st.just(float("nan")),
                  st.just(pd.Timestamp("2026-11-25 10:00:00.123456", tz="UTC")),
                  st.lists(TEXT, max_size=3), st.lists(st.one_of(TEXT, st.integers()),
                                                       max_size=3))


@given(st.lists(CELLS, max_size=8) | st.lists(st.lists(TEXT, max_size=3), max_size=8)
       | st.lists(st.one_of(st.none(), TEXT), max_size=8))
def test_a_column_is_made_plain_as_each_of_its_cells_is(cells: list[Any]) -> None:
    """The whole-column shortcuts (lists of text, text or None) change no value."""
    column = pd.Series(cells, dtype=object)
    assert plain_column(column) == [_plain(v) for v in column.tolist()]
