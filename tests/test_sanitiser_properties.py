"""Property tests for every surface's sanitiser: Markdown, HTML, CSV and --targets."""

from __future__ import annotations

import csv
import html
import io
import ipaddress
import re
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st
from unsafe_text import ANY_CHAR, UNSAFE

from zeekcert.formatting import MAX_CELL, Fit, display_width, fit_table, text_table
from zeekcert.reading.unescape import unescape_tsv
from zeekcert.report.targets import target
from zeekcert.report.text import markdown_cell, text_cell
from zeekcert.sanitize import html_escape as escape
from zeekcert.sanitize import neutralise, syslog_param, syslog_token, zeek_tsv_text

_MARKUP = ["<", ">", "[", "]", "`", "|", "*", "_", "&", "=", "-", "+", "@", "\t", "\r", "\x1b",
           "\u202e", "\x9b", "script", "http://", "(", ")", "#", "!", "~", "\\"]
hostile = st.lists(st.one_of(st.sampled_from(_MARKUP), st.text(ANY_CHAR, max_size=4)),
                   max_size=12).map("".join)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.data: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.data.append(data)


@given(hostile)
def test_html_escape_makes_text_that_parses_back_to_the_shown_string(value: str) -> None:
    parser = _Text()
    parser.feed(f"<td>{escape(value)}</td>")
    parser.close()
    assert parser.tags == ["td"]
    shown = "".join(parser.data)
    assert not UNSAFE.search(shown)
    assert html.escape(shown, quote=True) == escape(value)


@given(hostile)
def test_markdown_cell_has_no_live_markup_and_one_line(value: str) -> None:
    cell = markdown_cell(value)
    assert "\n" not in cell and not UNSAFE.search(cell)
    assert "<" not in cell and ">" not in cell
    unescaped = re.sub(r"\\.", "", cell)  # what remains after backslash escapes
    for char in "[]|`*_~":
        assert char not in unescaped


@given(hostile)
def test_text_cell_is_terminal_safe_and_one_line(value: str) -> None:
    cell = text_cell(value)
    assert not UNSAFE.search(cell) and "\n" not in cell and "\r" not in cell


@given(hostile)
def test_markdown_cell_shows_at_most_max_cell_columns(value: str) -> None:
    shown = html.unescape(re.sub(r"\\(.)", r"\1", markdown_cell(value)))
    assert display_width(shown) <= MAX_CELL


def _narrowest(header: list[str], rows: list[list[str]], fits: list[Fit]) -> int:
    """The width below which a table cannot go: its columns that may not be left out,
    each cut to its ``min_width`` if it has one, and the gaps between them."""
    fixed = []
    for i, fit in enumerate(fits):
        natural = max(display_width(c) for c in [header[i], *(r[i] for r in rows)])
        if not fit.droppable:
            fixed.append(min(natural, fit.min_width) if fit.min_width else natural)
    return sum(fixed) + 2 * (len(fixed) - 1)


_FIT = st.builds(Fit, st.integers(0, 100), st.integers(0, 20), st.booleans())


@given(st.integers(2, 6).flatmap(lambda n: st.tuples(
    st.lists(st.lists(hostile.map(text_cell), min_size=n, max_size=n), min_size=1, max_size=4),
    st.lists(_FIT, min_size=n - 2, max_size=n - 2))), st.integers(0, 160))
def test_a_fitted_table_never_passes_its_width_and_keeps_addresses_whole(
        table: tuple[list[list[str]], list[Fit]], width: int) -> None:
    rows, fits = table
    header = list("abcdef"[:len(rows[0])])  # one column wide: a title is never cut
    keep = [Fit(100, droppable=False), Fit(99, droppable=False), *fits]
    fitted_header, fitted = fit_table(header, rows, keep, width)
    assert [r[:2] for r in fitted] == [r[:2] for r in rows]  # address and port: never cut
    assert fitted_header[:2] == ["a", "b"]
    for got, row in zip(fitted, rows, strict=True):
        wanted = dict(zip(header, row, strict=True))
        for title, cell in zip(fitted_header, got, strict=True):
            whole = wanted[title]
            assert cell == whole or (cell.endswith("…") and whole.startswith(cell[:-1]))
    if width >= _narrowest(header, rows, keep):
        assert max(display_width(line) for line in text_table(fitted_header, fitted)) <= width


@given(hostile)
def test_csv_cells_never_start_a_formula(value: str) -> None:
    out = io.StringIO()
    csv.writer(out).writerow([neutralise(value)])
    cell = next(csv.reader(io.StringIO(out.getvalue())))[0]
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in (value, "'" + value)


@given(st.one_of(hostile, st.ip_addresses().map(str)), st.one_of(st.integers(), hostile))
def test_targets_are_only_valid_address_and_port(host: str, port: object) -> None:
    line = target(host, port)
    if line is None:
        return
    address, _, number = line.rpartition(":")
    assert str(ipaddress.ip_address(address.strip("[]"))) == address.strip("[]")
    assert 0 < int(number) < 65536 and line.isascii() and " " not in line


# A lone surrogate is not text a log can hold (the reader shows invalid UTF-8 as \\xNN),
# and no UTF-8 file can hold it either: it is written as the bytes Python would, but
# cannot read back as itself. Every other character must.
_TEXT_CHAR = st.characters(exclude_categories=("Cs",))


@given(st.text(_TEXT_CHAR, max_size=40) | st.sampled_from(["-", "(empty)", "", "\\x2d", "\\"]))
def test_a_zeek_tsv_value_is_printable_ascii_and_reads_back_as_it_was(text: str) -> None:
    """What the alerts' notice log writes: no byte a terminal acts on, and zeekcert's
    reader gives back the same text (``-`` and ``(empty)`` included)."""
    written = zeek_tsv_text(text)
    assert all(" " <= c <= "~" for c in written)
    assert "\t" not in written and "\n" not in written
    if text == "":
        assert written == "(empty)"
    else:
        assert written not in ("-", "(empty)")
        assert unescape_tsv(written) == text


@given(st.text(ANY_CHAR, max_size=40))
def test_syslog_fields_hold_no_space_quote_or_control(text: str) -> None:
    token = syslog_token(text, 32)
    assert 1 <= len(token) <= 32 and all("!" <= c <= "~" for c in token)
    param = syslog_param(text)
    assert re.sub(r'\\[\\\\"\]]', "", param).count('"') == 0


def test_a_lone_surrogate_is_still_printable_ascii_in_the_notice_log() -> None:
    """What the property above leaves out: still one field of printable ASCII."""
    assert zeek_tsv_text("a\ud800b") == "a\\xed\\xa0\\x80b"
