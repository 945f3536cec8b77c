"""The analyst's first screen: width, length, what next, progress, colour and ``--help``.

Issue 11 measured rows of 165-240 columns and 1,192 lines for a 1M-row log; these tests
hold the report to the terminal it is shown on, and the command line to its conventions.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
from tinylogs import NOW, run_cli, ssl_row, write_tree, x509_row
from zeekwriter import write_tsv

from zeekcert.cli import main
from zeekcert.cli.terminal import Progress, use_colour, width_of
from zeekcert.formatting import display_width

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"


class FakeTty(io.StringIO):
    """A stream that says it is a terminal, as a user's shell is."""

    def isatty(self) -> bool:
        return True


def _many_servers(folder: Path, count: int) -> Path:
    """``count`` self-signed servers sharing one certificate, one connection each."""
    folder.mkdir(parents=True)
    rows = [ssl_row(i, f"203.0.113.{i + 1}") for i in range(count)]
    write_tsv(str(folder / "ssl.log"), SSL_FIELDS, SSL_TYPES, rows, log_path="ssl")
    write_tsv(str(folder / "x509.log"), X509_FIELDS, X509_TYPES, [x509_row()], log_path="x509")
    return folder


def _table_rows(out: str, heading: str) -> list[str]:
    """The data rows under ``heading``: the lines after its column header, to a blank."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading)) + 2
    end = next(i for i in range(start, len(lines))
               if not lines[i].strip() or re.match(r"\d+ more server", lines[i]))
    return lines[start:end]


def test_the_sample_report_fits_80_columns_and_keeps_every_address_whole() -> None:
    code, out, err = run_cli(["report", SAMPLE, "--width", "80"])
    assert (code, err) == (0, "")
    widths = [display_width(line) for line in out.splitlines()]
    assert max(widths) <= 80
    signed = _table_rows(out, "SELF-SIGNED SERVERS")
    assert [row.split()[:3] for row in signed] == [
        ["203.0.113.44", "443", "1211"], ["2001:db8:44::44", "443", "1211"],
        ["198.51.100.23", "443", "461"], ["10.20.50.12", "443", "44"],
        ["10.20.30.40", "8443", "17"], ["10.20.40.9", "443", "7"],
        ["203.0.113.200", "443", "3"]]
    assert "10.1.20.57       every 145 s" in signed[0]
    failing = _table_rows(out, "SERVERS FAILING VALIDATION")
    assert len(failing) == 16
    assert failing[8].split()[:4] == ["192.0.2.30", "443", "incomplete_chain", "229"]


def test_a_pipe_gets_100_columns_and_width_0_gets_every_character() -> None:
    piped = run_cli(["report", SAMPLE])[1]
    unlimited = run_cli(["report", SAMPLE, "--width", "0"])[1]
    table_lines = [line for line in piped.splitlines() if "  " in line]
    assert max(display_width(line) for line in table_lines) <= 100
    assert "CN=Zeekcert Sample Issuing CA 2,O=Zeekcert Sample Trust Services,C=US" in unlimited
    assert "…" not in unlimited
    assert width_of(io.StringIO(), None) == 100 and width_of(io.StringIO(), 0) is None


def test_a_narrow_terminal_drops_columns_by_priority_and_keeps_address_and_port(
        tmp_path: Path) -> None:
    out = run_cli(["report", write_tree(tmp_path / "logs"), "--width", "40"])[1]
    signed = _table_rows(out, "SELF-SIGNED SERVERS")
    # "busiest client" (14 columns) does not fit beside the first three; "clients" does
    assert signed == ["203.0.113.9  443   6            1"]
    header = out.splitlines()[out.splitlines().index(signed[0]) - 1]
    assert header.split() == ["server", "port", "self-signed", "clients"]
    assert max(display_width(line) for line in out.splitlines()) <= 40


def test_the_table_shows_the_top_20_and_says_how_many_more(tmp_path: Path) -> None:
    logs = _many_servers(tmp_path / "logs", 25)
    out = run_cli(["report", logs])[1]
    assert len(_table_rows(out, "SELF-SIGNED SERVERS (25)")) == 20
    assert out.count("5 more servers: use --limit 0 or --format json") == 2
    three = run_cli(["report", logs, "--limit", "3"])[1]
    assert len(_table_rows(three, "SERVERS FAILING VALIDATION")) == 3
    assert "22 more servers: use --limit 0 or --format json" in three
    every = run_cli(["report", logs, "--limit", "0"])[1]
    assert len(_table_rows(every, "SELF-SIGNED SERVERS")) == 25 and "more server" not in every
    assert "| 203.0.113.25 |" in run_cli(["report", logs, "--format", "markdown"])[1]


def test_the_report_ends_with_what_to_do_next(tmp_path: Path) -> None:
    out = run_cli(["report", write_tree(tmp_path / "logs")])[1]
    tail = out.splitlines()[-4:]
    assert tail[0] == "Next steps:"
    assert "--targets FILE, then run testssl.sh --file FILE" in " ".join(tail)
    assert "--allowlist" in " ".join(tail)


def test_a_clean_log_has_no_next_steps(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    rows = [ssl_row(i, status="ok") for i in range(3)]
    write_tsv(str(logs / "ssl.log"), SSL_FIELDS, SSL_TYPES, rows, log_path="ssl")
    write_tsv(str(logs / "x509.log"), X509_FIELDS, X509_TYPES,
              [x509_row(issuer="CN=Real CA")], log_path="x509")
    out = run_cli(["report", logs])[1]
    assert "Next steps" not in out and "failing validation: 0" in out


def _escapes(argv: list[str], tree: Path, out: io.StringIO) -> int:
    main(["report", str(tree), *argv], out=out, err=io.StringIO(), now=NOW)
    return out.getvalue().count("\x1b[")


@pytest.mark.parametrize(("argv", "env", "tty", "coloured"), [
    ([], {}, True, True),
    ([], {}, False, False),
    ([], {"NO_COLOR": "1"}, True, False),
    ([], {"FORCE_COLOR": "1"}, False, True),
    ([], {"FORCE_COLOR": "0"}, True, True),
    ([], {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False),
    ([], {"TERM": "dumb"}, True, False),
    (["--color", "always"], {"NO_COLOR": "1"}, False, True),
    (["--colour", "never"], {"FORCE_COLOR": "1"}, True, False),
])
def test_colour_follows_the_flag_then_no_color_then_force_color_then_the_terminal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str],
        env: dict[str, str], tty: bool, coloured: bool) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = FakeTty() if tty else io.StringIO()
    count = _escapes(argv, write_tree(tmp_path / "logs"), out)
    assert count == (2 * 6 if coloured else 0)  # title and five headings, opened and reset
    assert use_colour("auto", io.StringIO(), {"FORCE_COLOR": "true"}) is True


def test_colour_never_reaches_a_file_of_output(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    code = run_cli(["report", write_tree(tmp_path / "logs"), "--color", "always",
                    "-o", target])[0]
    assert code == 0
    assert "\x1b" not in target.read_text() and target.read_text().startswith("zeekcert report")


def _progress(argv: list[str], tree: Path) -> str:
    err = FakeTty()
    code = main(["report", str(tree), *argv], out=io.StringIO(), err=err, now=NOW)
    assert code == 0
    return err.getvalue()


def test_progress_shows_stages_on_a_terminal_and_is_cleared(tmp_path: Path) -> None:
    shown = _progress([], write_tree(tmp_path / "logs"))
    steps = [s for s in shown.split("\r\x1b[K") if s]
    assert steps == ["zeekcert: reading certificates and notices",
                     "zeekcert: reading 1/1 files, 6 rows", "zeekcert: writing the report"]
    assert shown.endswith("\r\x1b[K")


def test_progress_is_silent_with_q_or_on_a_pipe(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "logs")
    assert _progress(["-q"], tree) == ""
    assert run_cli(["report", tree])[2] == ""
    quiet = Progress(io.StringIO(), quiet=False)
    quiet.stage("nothing to see")
    assert quiet.err.getvalue() == ""  # type: ignore[attr-defined]


def test_v_and_q_together_are_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run_cli(["report", write_tree(tmp_path / "logs"), "-v", "-q"])
    assert code == 2
    assert "not allowed with argument" in err


@pytest.mark.parametrize("argv", [["--help"], ["report", "--help"], ["inventory", "--help"]])
def test_every_help_ends_with_examples(argv: list[str]) -> None:
    code, out, _ = run_cli(argv)
    assert code == 0
    examples = out[out.index("\nexamples:\n"):].splitlines()[2:]
    assert len(examples) >= 3
    assert all(re.match(r"  (zeekcert |    --)", line) for line in examples if line)


@pytest.mark.parametrize("suffix", [".parquet", ".pq", ".xlsx"])
def test_a_report_is_never_written_as_text_into_a_binary_suffix(tmp_path: Path,
                                                                  suffix: str) -> None:
    target = tmp_path / f"report{suffix}"
    code, out, err = run_cli(["report", write_tree(tmp_path / "logs"), "-o", target])
    assert (code, out) == (2, "")
    assert "the report has no" in err and "--format json" in err
    assert not target.exists()


def _by_header(header: str, line: str) -> dict[str, str]:
    """One table row as {column title: cell}, cut where the header's titles start."""
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", header)]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    return {header[a:b].strip(): line[a:b].strip() for a, b in bounds}


def test_the_inventory_table_reads_like_the_report(tmp_path: Path) -> None:
    tree, state = write_tree(tmp_path / "logs"), tmp_path / "state.db"
    first = run_cli(["inventory", tree, "--state", state, "--format", "table", "--width", "0"])
    lines = first[1].splitlines()
    assert lines[0] == "This run: 1 new, 0 changed, 0 active, 0 quiet, 0 gone (1 server)"
    row = _by_header(lines[1], lines[2])
    assert row["ack"] == "no" and row["polled"] == "every 144 s"
    assert row["busiest client"] == "10.0.0.5" and row["status"] == "new"
    assert row["first seen"] == "2026-11-18 11:06:40Z"
    assert not re.search(r"\d\.\d{6}|True|False", first[1])
    second = run_cli(["inventory", tree, "--state", state, "--format", "table"])[1]
    assert second.splitlines()[0] == ("This run: 0 new, 0 changed, 0 active, 1 quiet, "
                                      "0 gone (1 server)")
