"""Properties of RFC 6125 matching: what a wildcard may never cover."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from zeekcert.classification.hostname import matches, name_matches

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
domain = st.lists(label, min_size=2, max_size=4).map(".".join)
suffixes = st.sampled_from(["com", "org", "co.uk", "com.au", "uk", "net", "jp", "ac.jp"])


@given(label, label, domain)
def test_wildcard_never_covers_two_labels(a: str, b: str, base: str) -> None:
    assert not name_matches(f"{a}.{b}.{base}", f"*.{base}")


@given(domain)
def test_wildcard_never_covers_the_bare_domain(base: str) -> None:
    assert not name_matches(base, f"*.{base}")


@given(label, suffixes)
def test_wildcard_on_a_public_suffix_covers_nothing(a: str, suffix: str) -> None:
    assert not name_matches(f"{a}.{suffix}", f"*.{suffix}")
    assert not matches(f"{a}.{suffix}", [f"*.{suffix}"], [], None)


@given(label, domain)
def test_wildcard_covers_exactly_one_label(a: str, labels: str) -> None:
    """Under a registrable domain (``example.com``) a wildcard covers any one label. A
    random ``labels`` alone may be a public suffix, where no wildcard counts (``0.np``
    under the list's ``*.np``, found by Hypothesis): the test above covers those."""
    base = f"{labels}.example.com"
    assert name_matches(f"{a}.{base}".upper(), f"*.{base}")


@given(label, domain)
def test_partial_wildcards_and_inner_wildcards_cover_nothing(a: str, base: str) -> None:
    assert not name_matches(f"{a}.{base}", f"{a[:1]}*.{base}") or a[:1] == ""
    assert not name_matches(f"{a}.x.{base}", f"{a}.*.{base}")


@given(domain)
def test_case_and_trailing_dot_do_not_matter(name: str) -> None:
    assert name_matches(name.upper() + ".", name)


def test_idna_names_compare_in_a_label_form() -> None:
    assert name_matches("bücher.example", "xn--bcher-kva.example")
    assert name_matches("xn--bcher-kva.example", "BÜCHER.example")
    assert name_matches("a.bücher.example", "*.xn--bcher-kva.example")


def test_cn_only_without_any_san() -> None:
    assert matches("a.example", [], [], "a.example")
    assert not matches("a.example", ["b.example"], [], "a.example")
    assert not matches("a.example", [], ["192.0.2.1"], "a.example")
    assert matches("192.0.2.1", [], ["192.0.2.1"], None)
    assert not matches("192.0.2.1", ["192.0.2.1"], [], None)
