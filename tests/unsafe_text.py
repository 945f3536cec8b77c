"""What a terminal must never be handed raw, and the whole code space to draw text from.

Shared by the sanitiser properties of the reader (``test_properties``) and of every
output (``test_sanitiser_properties``), so both hold the same line.
"""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

NOT_TEXT = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


class _Unsafe:
    """Any character of the categories in ``NOT_TEXT``."""

    @staticmethod
    def search(text: str) -> bool:
        return any(unicodedata.category(char) in NOT_TEXT for char in text)


UNSAFE = _Unsafe()
# Every code point, surrogates included (Hypothesis leaves those out unless told).
ANY_CHAR = st.characters(exclude_categories=())
