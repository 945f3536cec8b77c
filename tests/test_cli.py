"""The command line, checked against golden files; set ZEEKCERT_UPDATE_GOLDEN=1 to rewrite them."""

from __future__ import annotations

import io
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from zeekcert.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err, now=NOW)
    return code, out.getvalue(), err.getvalue()


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("ZEEKCERT_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


SVG = re.compile(r"<svg .*?</svg>", re.S)


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "html"])
def test_report_on_sample_logs_matches_golden(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, err = _run(["report", "sample_logs", "--allowlist", "sample_logs/allowlist.toml",
                           "--format", fmt])
    assert (code, err) == (0, "")
    if fmt == "html":  # the chart's bytes belong to matplotlib's version; checked below
        assert len(SVG.findall(out)) == 1
        out = SVG.sub("<svg>chart</svg>", out)
    _golden(f"report_sample_logs.{fmt}", out)


def test_html_chart_is_one_stacked_bar_series_per_failing_cause(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = _run(["report", "sample_logs", "--format", "html"])[1]
    svg = SVG.findall(out)[0]
    ElementTree.fromstring(svg)  # well-formed XML
    legend = re.findall(r"<text [^>]*>([a-z_]+)</text>", svg)
    assert legend[-8:] == ["self_signed", "untrusted_root", "incomplete_chain", "expired",
                           "not_yet_valid", "hostname_mismatch", "weak_key",
                           "weak_signature"]


def test_usage_error_exits_2() -> None:
    code, out, err = _run(["report", "x", "--since", "someday"])
    assert (code, out) == (2, "")
    assert err == "zeekcert: usage error: not a time: 'someday' (use an ISO date, 'yesterday' or '7d')\n"


def test_unknown_format_is_a_usage_error() -> None:
    assert _run(["report", "x", "--format", "xml"])[0] == 2


def test_unreadable_input_exits_3_and_is_listed(tmp_path: Path) -> None:
    # --width 0: a long temporary path (a pytest-xdist worker's) is not wrapped
    code, out, err = _run(["report", str(tmp_path / "ssl.log"), "--width", "0"])
    assert code == 3
    assert f"  unreadable: {tmp_path / 'ssl.log'}: cannot read" in out
    assert err.startswith(f"zeekcert: unreadable: {tmp_path / 'ssl.log'}: cannot read")


def test_hostile_file_name_is_escaped(tmp_path: Path) -> None:
    bad = tmp_path / "ssl\x1b]8;;http:evil\x07\u202e.log"
    bad.write_bytes(b"\x00\x01binary")
    code, out, err = _run(["report", str(bad), "--width", "0"])
    assert code == 3  # not a Zeek log, so no ssl log was found
    for text in (out, err):
        assert "\x1b" not in text and "\\x1b]8;;http:evil\\x07\\u202e.log" in text


def test_strict_turns_a_ragged_file_into_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "ssl.log"
    path.write_text("#separator \\x09\n#fields\tts\tuid\n#types\ttime\tstring\n1.0\tC1\nbroken\n")
    code, out, err = _run(["report", str(path), "--strict"])
    assert code == 3 and err == f"zeekcert: {path}:5: ragged: line 5: 1 fields, expected 2\n"


def test_readme_json_example_has_the_golden_report_s_fields() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("### The report's JSON")[1]
    example = json.loads(re.search(r"```json\n(.*?)```", readme, re.S).group(1))
    golden = json.loads((GOLDEN / "report_sample_logs.json").read_text(encoding="utf-8"))
    assert list(example) == list(golden)
    assert set(example["summary"]) == set(golden["summary"])
    assert set(example["data_quality"]) == set(golden["data_quality"])
    assert list(example["servers"][0]) == list(golden["servers"][0])
    assert set(golden["self_signed"][0]) - set(golden["servers"][0]) == {
        k for k in example["self_signed"][0] if k != "..."}
    assert example["summary"]["connections"] == golden["summary"]["connections"] == 11207
