"""Inventory output: JSON, CSV, Parquet and the terminal table, with hostile strings."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd

from zeekcert.cli import main
from zeekcert.inventory import write_csv, write_json, write_parquet, write_table
from zeekcert.sanitize import neutralise

HOSTILE = ["\x1b]8;;http://evil/\x07click", "[link=http://evil]x[/link]", "<script>x</script>",
           "=HYPERLINK(\"http://evil\")", "abc\u202etxt.exe", "+1", "-1", "@SUM(A1)"]


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "resp_h": ["10.0.0.1", "2001:db8::1"], "resp_p": [443, 8443], "status": ["new", "gone"],
        "acknowledged": [False, True], "causes": [["self_signed"], ["self_signed", "expired"]],
        "total_connections": [3, 4], "clients": [1, 2],
        "first_seen": pd.to_datetime(["2026-11-01T00:00:00.5Z", "2026-11-01T01:00:00Z"],
                                     format="ISO8601"),
        "last_seen": pd.to_datetime(["2026-11-02T00:00:00Z", "2026-11-02T01:00:00Z"],
                                    format="ISO8601"),
        "server_names": [HOSTILE[:4], []], "subject": [HOSTILE[4], HOSTILE[3]]})


def test_json_keeps_values_and_writes_utc_iso() -> None:
    out = io.StringIO()
    write_json(_frame(), out)
    data = json.loads(out.getvalue())
    assert data["schema_version"] == 1
    assert data["servers"][0]["first_seen"] == "2026-11-01T00:00:00.500000Z"
    assert data["servers"][0]["server_names"] == HOSTILE[:4]
    assert data["servers"][1]["causes"] == ["self_signed", "expired"]


def test_csv_neutralises_formulas() -> None:
    out = io.StringIO()
    write_csv(_frame(), out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    subject = rows[0].index("subject")
    assert rows[2][subject] == "'=HYPERLINK(\"http://evil\")"
    assert [neutralise(v) for v in HOSTILE[5:]] == ["'+1", "'-1", "'@SUM(A1)"]
    assert neutralise("\tx") == "'\tx" and neutralise("x=1") == "x=1"


def test_table_shows_hostile_strings_escaped() -> None:
    out = io.StringIO()
    write_table(_frame(), out, width=None)
    text = out.getvalue()
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "\\x1b]8;;http://evil/\\x07click" in text and "abc\\u202etxt.exe" in text
    fitted = io.StringIO()
    write_table(_frame(), fitted)  # 100 columns, as on a pipe
    assert max(len(line) for line in fitted.getvalue().splitlines()[1:]) <= 100
    assert "\x1b" not in fitted.getvalue()


def test_parquet_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "inv.parquet"
    with open(path, "wb") as fh:
        write_parquet(_frame(), fh)
    back = pd.read_parquet(path)
    assert back["resp_h"].tolist() == ["10.0.0.1", "2001:db8::1"]
    assert list(back["causes"][1]) == ["self_signed", "expired"]


def test_unreadable_input_exits_3_and_the_rest_is_processed(tmp_path: Path) -> None:
    logs = tmp_path / "logs" / "2026-11-01"
    logs.mkdir(parents=True)
    (logs / "ssl.00:00:00-01:00:00.log").write_text(
        "#separator \\x09\n#path\tssl\n#fields\tts\tuid\tid.orig_h\tid.resp_h\tid.resp_p\t"
        "validation_status\n#types\ttime\tstring\taddr\taddr\tport\tstring\n"
        "1793491200.000000\tC1\t10.0.0.5\t10.9.9.9\t443\tself signed certificate\n")
    (logs / "ssl.01:00:00-02:00:00.log").symlink_to(tmp_path / "gone")  # cannot be opened
    out, err = io.StringIO(), io.StringIO()
    code = main(["inventory", str(tmp_path / "logs"), "--state", str(tmp_path / "s.db"),
                 "--format", "json"], out=out, err=err)
    assert code == 3
    assert json.loads(out.getvalue())["servers"][0]["resp_h"] == "10.9.9.9"
    assert "unreadable" in err.getvalue()
