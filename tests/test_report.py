"""``zeekcert report``: hostile strings on every surface, targets, data quality, exit codes.

The hostile log is written the way Zeek writes it (``zeekwriter``): a server whose owner
chose its SNI, subject, issuer and SANs to attack whoever reads the report.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
from tinylogs import ssl_row, x509_row
from zeekwriter import write_tsv

from zeekcert.cli import main
from zeekcert.report import html_script

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
OSC8 = "\x1b]8;;http://evil/\x07click\x1b]8;;\x07"
RICH = "[link=http://evil]x[/link]"
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil","x")'
BIDI = "\u202egnp.exe"
C1 = "\x9b31m"
HOSTILE = [OSC8, RICH, SCRIPT, FORMULA, BIDI, C1]
FP1, FP2 = "a" * 64, "b" * 64


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """Two servers with hostile certificates and one TLS 1.3 connection (no certificate)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    ssl = [ssl_row(i, "203.0.113.9", OSC8 + RICH, FP1, "self signed certificate") for i in range(6)]
    ssl += [ssl_row(6 + i, "2001:db8::66", FORMULA + BIDI, FP2, "unable to get local issuer certificate")
            for i in range(2)]
    ssl.append(ssl_row(9, "198.51.100.1", BIDI, None, None))
    write_tsv(str(logs / "ssl.log"), SSL_FIELDS, SSL_TYPES, ssl, log_path="ssl")
    x509 = [x509_row(FP1, f"CN={OSC8},O={RICH}", f"CN={OSC8},O={RICH}", [FORMULA, BIDI]),
            x509_row(FP2, f"CN={SCRIPT}{C1}", f"CN=-cmd|' /C calc'!A0,O={SCRIPT}", ["@evil"])]
    write_tsv(str(logs / "x509.log"), X509_FIELDS, X509_TYPES, x509, log_path="x509")
    return logs


def _run(argv: list[str], out: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = out or io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err, now=NOW)
    return code, out.getvalue(), err.getvalue()


def _no_raw_controls(text: str) -> None:
    for bad in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert bad not in text


def test_table_shows_hostile_strings_visibly_escaped(hostile: Path) -> None:
    code, out, err = _run(["report", str(hostile), "--width", "0"])
    assert (code, err) == (0, "")
    _no_raw_controls(out)
    assert "\\x1b]8;;http://evil/\\x07click" in out
    assert "\\u202egnp.exe" in out
    assert "[link=http://evil]" in out  # no rich renderer: brackets are only text


def test_terminal_colour_only_without_no_color(hostile: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    coloured = _run(["report", str(hostile)], FakeTty())[1]
    assert coloured.startswith("\x1b[1mzeekcert report: 2026-11-18 ")
    assert coloured.count("\x1b[") == 2 * 6  # title and five headings, each opened and reset
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _run(["report", str(hostile)], FakeTty())[1]
    assert "\x1b" not in plain
    assert plain.startswith("zeekcert report: 2026-11-18 ")


def test_markdown_escapes_html_and_markup(hostile: Path) -> None:
    code, out, _ = _run(["report", str(hostile), "--format", "markdown"])
    assert code == 0
    _no_raw_controls(out)
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "\\[link=http://evil\\]" in out
    assert out.startswith("# zeekcert report: 2026-11-18 ")


def test_json_round_trips_every_hostile_string_as_ascii(hostile: Path) -> None:
    code, out, _ = _run(["report", str(hostile), "--format", "json"])
    assert code == 0
    assert out.isascii()  # nothing raw reaches a terminal, even with --format json
    data = json.loads(out)
    first, second = data["servers"]
    assert (first["resp_h"], first["subject"]) == ("203.0.113.9", f"CN={OSC8},O={RICH}")
    assert first["server_names"] == [OSC8 + RICH]
    assert second["issuer"] == f"CN=-cmd|' /C calc'!A0,O={SCRIPT}"
    assert data["self_signed"][0]["acknowledged"] is False


def test_csv_neutralises_formulas(hostile: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    code, out, _ = _run(["report", str(hostile), "--output", str(target)])
    assert (code, out) == (0, "")
    rows = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    assert [r["resp_h"] for r in rows] == ["203.0.113.9", "2001:db8::66"]
    assert rows[1]["server_names"] == "'" + FORMULA + "\\u202egnp.exe"  # bidi shown, not run
    assert rows[1]["issuer"] == "CN=-cmd|' /C calc'!A0,O=" + SCRIPT
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_everything_and_loads_nothing(hostile: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    assert _run(["report", str(hostile), "--output", str(target)])[0] == 0
    page = target.read_text(encoding="utf-8")
    _no_raw_controls(page)
    parser = _Collect()
    parser.feed(page)
    parser.close()
    assert parser.tags.isdisjoint({"a", "img", "iframe", "object", "embed", "form", "base"})
    # The one script is the page's own (it sorts and filters), allowed by its CSP hash.
    assert re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S) == [html_script.SCRIPT]
    assert f"script-src '{html_script.SCRIPT_HASH}';" in page
    assert not any(name in ("href", "src", "xlink:href") and value and "evil" in value
                   for name, value in parser.attrs)
    assert "default-src 'none'" in page
    text = "".join(parser.text)
    assert SCRIPT in text and "CN=\\x1b]8;;http://evil/\\x07click" in text


def test_targets_hold_only_addresses_read_back(hostile: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    targets = out_dir / "targets.txt"
    code, _, _ = _run(["report", str(hostile), "--targets", str(targets), "--format", "json"])
    assert code == 0
    lines = targets.read_text(encoding="ascii").splitlines()
    assert lines == ["203.0.113.9:443", "[2001:db8::66]:443"]
    hosts = [line.rsplit(":", 1) for line in lines]
    assert [(h.strip("[]"), int(p)) for h, p in hosts] == [("203.0.113.9", 443),
                                                          ("2001:db8::66", 443)]
    assert sorted(p.name for p in out_dir.iterdir()) == ["targets.txt"]  # no name from logs


def test_acknowledged_servers_leave_the_targets(hostile: Path, tmp_path: Path) -> None:
    allow = tmp_path / "allow.toml"
    allow.write_text('[[acknowledged]]\nresp_h = "203.0.113.9"\nowner = "web team"\n'
                     'reason = "lab"\n')
    targets = tmp_path / "t.txt"
    code, out, _ = _run(["report", str(hostile), "--allowlist", str(allow), "--targets",
                         str(targets), "--format", "json", "--fail-on", "new"])
    assert code == 0  # the only self-signed server is acknowledged
    assert json.loads(out)["self_signed"][0]["acknowledged"] is True
    assert targets.read_text() == "[2001:db8::66]:443\n"
    assert _run(["report", str(hostile), "--fail-on", "new"])[0] == 1
    assert _run(["report", str(hostile), "--fail-on", "any", "--allowlist", str(allow)])[0] == 1


def test_summary_counts_causes_and_the_unjudged(hostile: Path) -> None:
    data = json.loads(_run(["report", str(hostile), "--format", "json"])[1])
    summary = data["summary"]
    assert (summary["connections"], summary["failed_connections"]) == (9, 8)
    assert summary["unverified_by_reason"] == {"handshake_failed": 0, "resumed": 0,
                                               "tls13": 1, "no_certificate": 0,
                                               "certificate_not_in_x509": 0,
                                               "no_validation_logged": 0}
    assert summary["by_cause"]["self_signed"] == {"servers": 1, "connections": 6, "clients": 1}
    assert summary["by_cause"]["incomplete_chain"] == {"servers": 1, "connections": 2,
                                                       "clients": 1}
    assert data["window"] == {"start": "2026-11-18T11:06:40.000000Z",
                              "end": "2026-11-18T11:28:16.000000Z"}


def test_data_quality_reports_what_is_missing(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    rows = [ssl_row(i, "203.0.113.9", "a.example", FP1, None) for i in range(3)]
    fields = [f for f in SSL_FIELDS if f != "validation_status"]
    write_tsv(str(logs / "ssl.log"), fields, SSL_TYPES[:-1], [r[:-1] for r in rows],
              log_path="ssl")
    (logs / "x509.log").write_text("#separator \\x09\n#path\tx509\n#fields\tts\n#types\ttime\n"
                                   "1.0\n1.0\textra\n")
    (logs / "notice.2026-11-18-00-00-00.log.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    code, out, err = _run(["report", str(logs), "--format", "json"])
    assert code == 3  # what could be read was reported; a ragged and a truncated file
    q = json.loads(out)["data_quality"]
    assert (q["files"]["found"], q["files"]["ragged"], q["files"]["truncated"]) == (3, 1, 1)
    assert q["lines_skipped"] == 1
    assert q["validation_status_logged"] is False
    assert (q["certificates_not_in_x509"], q["connections_not_in_x509"]) == (1, 3)
    assert [p["status"] for p in q["problems"]] == ["truncated", "ragged"]
    assert "zeekcert: ragged: " in err


def test_a_copy_in_another_format_is_counted_once(hostile: Path) -> None:
    from zeekwriter import write_json as write_zeek_json
    rows = [ssl_row(i, "203.0.113.9", "a.example", FP1, "ok") for i in range(4)]
    write_tsv(str(hostile / "ssl.log"), SSL_FIELDS, SSL_TYPES, rows, log_path="ssl")
    (hostile / "json").mkdir()
    write_zeek_json(str(hostile / "json" / "ssl.log"), SSL_FIELDS, SSL_TYPES, rows)
    data = json.loads(_run(["report", str(hostile), "--format", "json"])[1])
    assert data["summary"]["connections"] == 4
    assert data["data_quality"]["files"]["duplicate"] == 1


def test_output_into_a_missing_folder_is_a_clear_error(hostile: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "r.json"
    code, out, err = _run(["report", str(hostile), "--output", str(target)])
    assert (code, out) == (2, "")
    assert err == (f"zeekcert: {target}: cannot write --output: the folder {target.parent} "
                   "does not exist\n")


def test_no_ssl_log_is_exit_3(tmp_path: Path) -> None:
    code, _, err = _run(["report", str(tmp_path)])
    assert code == 3 and err == f"zeekcert: no ssl log found in {tmp_path}\n"


def test_window_from_iso_and_relative_times_on_the_sample(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    code, out, _ = _run(["report", "sample_logs", "--since", "2026-11-26", "--until",
                         "2026-11-27T00:00Z", "--format", "json"])
    data = json.loads(out)
    assert code == 0
    assert data["window"] == {"start": "2026-11-26T00:00:00.000000Z",
                              "end": "2026-11-27T00:00:00.000000Z"}
    ext4 = data["servers"][0]
    assert (ext4["resp_h"], ext4["first_seen"][:10], ext4["last_seen"][:10]) == (
        "203.0.113.44", "2026-11-26", "2026-11-26")
    assert 590 <= ext4["connections"] <= 600  # one poll every ~144.6 s for a day
    # NOW is 2026-11-27 12:00; "12h" reaches back to midnight, where current/ begins.
    recent = json.loads(_run(["report", "sample_logs", "--since", "12h", "--format",
                              "json"])[1])
    assert recent["window"]["start"] == "2026-11-27T00:00:00.000000Z"
    assert recent["servers"][0]["first_seen"].startswith("2026-11-27T00:0")
    assert {s["resp_h"] for s in recent["self_signed"]} == {"203.0.113.44", "2001:db8:44::44",
                                                            "198.51.100.23"}
