"""Names that look generated: a documented rule, not a model.

Tor-like servers present ``www.<random>.com``, and many implants a random common name.
A name is split into DNS labels; the public suffix (``com``, ``co.uk``) and a leading
``www`` are dropped. A label looks random when it has at least ``MIN_LENGTH`` characters,
all of ``a-z0-9``, and at least two of these three signs hold:

1. it has ``RARE_PAIRS`` or more pairs of adjacent consonants that English words seldom
   join (``vb``, ``xq``: any pair of consonants not in ``CLUSTERS``; ``y`` is a vowel);
2. vowels are less than ``VOWEL_SHARE`` of its letters;
3. it switches between letters and digits at least ``SWITCHES`` times (``k4rt2v``).

A name looks random when any of its labels does. Words, compounds of words
(``cbsnewsstatic``) and product names show at most one sign; version strings and host
names such as ``srv01`` are short or switch once. Random identifiers that benign services
put in names (CDN and status-page ids, hashes) look random too: they are the rule's false
positives, and the README gives their rate on the real corpus.
"""

from __future__ import annotations

import functools
import itertools
import re

from publicsuffixlist import PublicSuffixList

MIN_LENGTH = 8
RARE_PAIRS = 3
VOWEL_SHARE = 0.2
SWITCHES = 2
_VOWELS = set("aeiouy")
_CONSONANTS = set("bcdfghjklmnpqrstvwxz")
# Consonant pairs common inside and across English words and the words of host names.
_CLUSTER_TEXT = (
    "bb bl br bs bt cc ch ck cl cr cs ct dd dg dl dm dn dr ds dv dw ff fl fr fs ft gg gh "
    "gl gm gn gr gs hl hm hn hr hs ht kl kn kr ks kt lb lc ld lf lg lk ll lm ln lp ls lt "
    "lv mb mm mn mp ms nc nd nf ng nh nj nk nl nm nn ns nt nv nz pd ph pl pm pp pr ps pt "
    "rb rc rd rf rg rh rk rl rm rn rp rr rs rt rv rw sc sh sk sl sm sn sp ss st sw tb "
    "th tl tm tn tr ts tt tw tz wb wd wh wk wl wn wr ws xp xt zz")
CLUSTERS = frozenset(_CLUSTER_TEXT.split())
_LABEL = re.compile(r"[a-z0-9]+")
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
    """How many of the three signs a label shows; 0 when it is too short or not a-z0-9."""
    if len(label) < MIN_LENGTH or not _LABEL.fullmatch(label):
        return 0
    letters = [c for c in label if c.isalpha()]
    vowels = sum(c in _VOWELS for c in letters)
    rare = sum(a in _CONSONANTS and b in _CONSONANTS and a + b not in CLUSTERS
               for a, b in itertools.pairwise(label))
    switches = sum(a.isdigit() != b.isdigit() for a, b in itertools.pairwise(label))
    return sum([rare >= RARE_PAIRS,
                bool(letters) and vowels / len(letters) < VOWEL_SHARE,
                switches >= SWITCHES])
