"""Names that look generated: a documented rule, not a model.

Tor-like servers present ``www.<random>.com``, and many implants a random common name.
A name is split into DNS labels; the public suffix (``com``, ``co.uk``) and a leading
``www`` are dropped. A label looks random when it has at least ``MIN_LENGTH`` characters,
all of ``a-z0-9``, and at least two of these four signs hold:

1. a run of ``CONSONANT_RUN`` or more consonants (``y`` counts as a vowel);
2. vowels are less than ``VOWEL_SHARE`` of its letters;
3. it switches between letters and digits at least ``SWITCHES`` times (``k4rt2v``);
4. its characters carry at least ``ENTROPY_BITS`` bits each (Shannon entropy).

A name looks random when any of its labels does. English words and product names fail
signs 1 and 2; version strings and serial-like host names (``srv01``) are short or switch
once. The README gives the rate of names this calls random on the real corpus.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter

from publicsuffixlist import PublicSuffixList

MIN_LENGTH = 8
CONSONANT_RUN = 4
VOWEL_SHARE = 0.25
SWITCHES = 2
ENTROPY_BITS = 3.5
_LABEL = re.compile(r"[a-z0-9]+")
_VOWELS = set("aeiouy")
_PSL = PublicSuffixList()


@functools.lru_cache(maxsize=65536)
def looks_random(name: str) -> bool:
    """Whether a host name or common name looks generated (see the module's rule)."""
    return any(label_signs(label) >= 2 for label in labels(name))


def labels(name: str) -> list[str]:
    """The labels judged: lower-cased, without the public suffix or a leading ``www``."""
    text = name.strip().lower().rstrip(".")
    if not text or " " in text:
        return []
    suffix = _PSL.publicsuffix(text) if "." in text else None
    if suffix and text.endswith("." + suffix):
        text = text[: -len(suffix) - 1]
    parts = text.split(".")
    if parts and parts[0] == "www":
        parts = parts[1:]
    return [p for p in parts if p]


def label_signs(label: str) -> int:
    """How many of the four signs a label shows; 0 when it is too short or not a-z0-9."""
    if len(label) < MIN_LENGTH or not _LABEL.fullmatch(label):
        return 0
    letters = [c for c in label if c.isalpha()]
    vowels = sum(c in _VOWELS for c in letters)
    run = max((len(r) for r in re.findall(r"[b-df-hj-np-tv-xz]+", label)), default=0)
    switches = sum(a.isdigit() != b.isdigit() for a, b in itertools.pairwise(label))
    counts = Counter(label)
    entropy = -sum(n / len(label) * math.log2(n / len(label)) for n in counts.values())
    return sum([run >= CONSONANT_RUN,
                bool(letters) and vowels / len(letters) < VOWEL_SHARE,
                switches >= SWITCHES,
                entropy >= ENTROPY_BITS])
