"""Property tests: the parser round-trips Zeek's escaping, and never fails on random bytes."""

from __future__ import annotations

import gzip
import re
import tempfile
import unicodedata
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from timelimit import time_limit
from unsafe_text import ANY_CHAR, NOT_TEXT, UNSAFE
from zeekwriter import write_json, write_tsv

import zeekcert
from zeekcert import ZeekLogError
from zeekcert.reading import read_table
from zeekcert.sanitize import terminal_safe

FIELDS = ["ts", "uid", "server_name", "san.dns", "n", "flag", "resp"]
TYPES = ["time", "string", "string", "vector[string]", "count", "bool", "addr"]

# Zeek's JSON writes a control byte as the text \xNN, so a literal backslash-x-hex text
# is ambiguous in Zeek's own JSON; such strings are left out of the TSV-vs-JSON property.
_AMBIGUOUS = re.compile(r"\\x[0-9a-fA-F]{2}")
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12).filter(
    lambda s: not _AMBIGUOUS.search(s))
rows = st.lists(
    st.tuples(
        st.integers(0, 2_000_000_000 * 10**6),
        text.filter(lambda s: s not in ("",)),
        st.none() | text,
        # Zeek writes a container holding one empty string as (empty), like an empty one.
        st.none() | st.lists(text, max_size=4).filter(lambda v: v != [""]),
        # pyarrow's JSON reader infers int64 and turns larger integers into doubles, so JSON
        # counts are exact up to 2**63 - 1 (TSV is exact to 2**64 - 1; see test_reader).
        st.none() | st.integers(0, 2**63 - 1),
        st.none() | st.booleans(),
        st.sampled_from(["10.0.0.1", "2001:db8::1", "::1"]),
    ),
    min_size=1, max_size=8,
)


def _expected(data: list[tuple]) -> dict[str, list]:  # type: ignore[type-arg]
    cols = list(zip(*data, strict=True))
    out = dict(zip(FIELDS, (list(c) for c in cols), strict=True))
    out["ts"] = [pd.Timestamp(v, unit="us", tz="UTC") for v in out["ts"]]
    return out


def _values(df: pd.DataFrame, name: str) -> list:  # type: ignore[type-arg]
    if name not in df.columns:  # JSON omits unset fields; an unknown all-unset field is absent
        return [None] * len(df)
    return [None if v is pd.NA or v is None else v for v in
            (list(x) if isinstance(x, list | tuple) or (hasattr(x, "tolist") and not
             isinstance(x, str)) else x for x in df[name].astype(object).tolist())]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_tsv_and_json_read_back_what_zeek_wrote(data: list[tuple]) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        write_tsv(f"{tmp}/ssl.log", FIELDS, TYPES, data)
        write_json(f"{tmp}/ssl.json", FIELDS, TYPES, data)
        tsv = zeekcert.read_log(f"{tmp}/ssl.log")
        js = zeekcert.read_log(f"{tmp}/ssl.json")
    expected = _expected(data)
    for name in FIELDS:
        assert _values(tsv, name) == expected[name], name
        assert _values(js, name) == expected[name], name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.booleans(), st.sampled_from(["ssl.log", "x509.json", "data"]))
def test_random_bytes_never_raise_or_hang(blob: bytes, compress: bool, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(gzip.compress(blob)[: max(10, len(blob))] if compress else blob)
        with time_limit(20):
            table, report = read_table(path)
            try:
                read_table(path, strict=True)
            except ZeekLogError as exc:
                assert exc.path == str(path)
    assert report.status in set(zeekcert.FileStatus)
    assert report.rows == table.num_rows


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
@example(b"\x00\n\n\x00")  # an empty line between bad ones was a row and a skip (2026-12-01)
@example(b"x\r\n\r\nx")
def test_random_lines_under_a_header_never_raise(blob: bytes) -> None:
    header = (b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
              b"#path\tssl\n#fields\tts\tuid\tcert_chain_fps\n#types\ttime\tstring\tvector[string]\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ssl.log"
        path.write_bytes(header + blob)
        with time_limit(20):
            table, report = read_table(path)
    assert report.rows == table.num_rows
    assert report.rows + report.skipped <= blob.count(b"\n") + 1




@given(st.text(ANY_CHAR))
def test_terminal_safe_leaves_nothing_that_is_not_text(value: str) -> None:
    shown = terminal_safe(value)
    assert not UNSAFE.search(shown)
    if not UNSAFE.search(value):
        assert shown == value


@given(st.lists(ANY_CHAR, max_size=20))
def test_terminal_safe_shows_each_unsafe_character_as_its_escape(chars: list[str]) -> None:
    expected = []
    for char in chars:
        code = ord(char)
        if unicodedata.category(char) not in NOT_TEXT:
            expected.append(char)
        elif code < 0x100:
            expected.append(f"\\x{code:02x}")
        else:
            expected.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    assert terminal_safe("".join(chars)) == "".join(expected)


def test_terminal_safe_examples() -> None:
    assert terminal_safe("\x1b]8;;http://evil/\x07x") == "\\x1b]8;;http://evil/\\x07x"
    assert terminal_safe("abc\u202etxt.exe") == "abc\\u202etxt.exe"
    assert terminal_safe("soft\xadhyphen") == "soft\\xadhyphen"
    assert terminal_safe("tag\U000e0041") == "tag\\U000e0041"
    assert terminal_safe("private\ue000") == "private\\ue000"
    assert terminal_safe("no\u00a0break space") == "no\u00a0break space"  # Zs is text


_NOTES = ["SSL::Invalid_Server_Cert", "SSL::Weak_Key", "SSL::Certificate_Expired",
          "SSL::Invalid_Ocsp_Response", "Conn::Retransmission_Inconsistency"]
_MSGS = st.one_of(st.none(), st.just(float("nan")), st.text(max_size=8),
                  st.sampled_from(["SSL certificate validation failed with (self signed "
                                   "certificate)", "failed with (revoked)",
                                   "Host uses weak certificate with 1024 bit key"]))


@given(st.lists(st.tuples(st.sampled_from(_NOTES), _MSGS), max_size=30))
def test_notice_evidence_judged_per_distinct_message_equals_row_by_row(
        rows: list[tuple[str, object]]) -> None:
    """Notices are judged once per distinct (note, msg); the result is the per-row one."""
    import numpy as np

    from zeekcert.classification.notices import _per_distinct, notice_cause
    notes = np.array([n for n, _ in rows], dtype=object)
    msgs = np.array([m for _, m in rows], dtype=object)
    causes, details = _per_distinct(notes, msgs)
    assert list(causes) == [notice_cause(n, m if isinstance(m, str) else None)
                            for n, m in rows]
    assert list(details) == [f"{n}: {m}" for n, m in rows]


@given(st.lists(st.tuples(st.sampled_from(["fa", "fb", "fc", None]),
                          st.one_of(st.none(), st.integers(0, 3))), max_size=25),
       st.integers(0, 3))
def test_the_certificate_table_keeps_each_certificates_newest_row(
        rows: list[tuple[str | None, int | None]], cut: int) -> None:
    """x509.log logs a certificate again and again: within a frame the newest row wins
    (an unset time counts as newest, as pandas sorts it last), a later row a tie."""
    from zeekcert.classification import CertificateParts, cert_table
    frame = pd.DataFrame({
        "ts": pd.to_datetime([None if t is None else t * 60 for _, t in rows], unit="s",
                             utc=True),
        "fingerprint": pd.Series([f for f, _ in rows], dtype=object),
        "certificate.subject": [f"CN=row{i}" for i in range(len(rows))]})
    def newest(lo: int, hi: int) -> dict[str, str]:
        best: dict[str, tuple[float, int]] = {}
        for i, (key, t) in list(enumerate(rows))[lo:hi]:
            rank = (float("inf") if t is None else t, i)
            if key is not None and rank >= best.get(key, (-1.0, -1)):
                best[key] = rank
        return {key: f"CN=row{i}" for key, (_, i) in best.items()}

    assert cert_table(frame)["subject"].astype(object).to_dict() == newest(0, len(rows))
    parts = CertificateParts()  # parts in file order: a later part's row wins
    parts.add([cert_table(frame.iloc[:cut]), cert_table(frame.iloc[cut:])])
    want = newest(0, cut) | newest(cut, len(rows))
    assert parts.table()["subject"].astype(object).to_dict() == want
