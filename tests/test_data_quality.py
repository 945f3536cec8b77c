"""Data quality that tells the truth: each case of issue 11 was found on a real log.

Repeated rows, sensors without a clock, advice about ``validate-certs`` only where the log
proves it missing, failed handshakes apart from TLS 1.3 and resumption, the checks that
could be made from ssl.log alone, and a self-signed server's two connection counts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
from tinylogs import NOW, T0, run_cli, ssl_row, x509_row
from zeekwriter import write_json, write_tsv

import zeekcert

REAL = Path(__file__).resolve().parent / "data" / "real"
TOR = REAL / "zat" / "bro-2.5-ssl-cert_chain_fuids-tor" / "tor_ssl.log"
INDEX = {name: i for i, name in enumerate(SSL_FIELDS)}


def _row(i: int, **changes: Any) -> list:
    """``tinylogs.ssl_row`` with some fields changed by name (``id_resp_h`` for ``id.resp_h``)."""
    row = ssl_row(i)
    for name, value in changes.items():
        row[INDEX[name.replace("id_", "id.")]] = value
    return row


def _tree(folder: Path, rows: list[list], fields: list[str] = SSL_FIELDS,
          json_lines: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    keep = [SSL_FIELDS.index(f) for f in fields]
    types = [SSL_TYPES[i] for i in keep]
    rows = [[r[i] for i in keep] for r in rows]
    if json_lines:
        write_json(str(folder / "ssl.log"), fields, types, rows)
    else:
        write_tsv(str(folder / "ssl.log"), fields, types, rows, log_path="ssl")
    write_tsv(str(folder / "x509.log"), X509_FIELDS, X509_TYPES, [x509_row()], log_path="x509")
    return folder


def _report(folder: Path) -> dict[str, Any]:
    code, out, err = run_cli(["report", folder, "--format", "json"])
    assert code == 0, err
    return json.loads(out)


def _table(folder: Path) -> str:
    return run_cli(["report", folder, "--width", "0"])[1]


def test_a_connection_logged_twice_is_counted_once_and_the_repeat_is_reported(
        tmp_path: Path) -> None:
    rows = [_row(i) for i in range(6)]
    logs = _tree(tmp_path / "logs", rows + rows[:4])  # as in a real log: whole rows again
    data = _report(logs)
    assert (data["summary"]["connections"], data["summary"]["failed_connections"]) == (6, 6)
    assert data["self_signed"][0]["connections"] == 6
    assert data["data_quality"]["repeated_rows"] == {"ssl": 4}
    assert data["data_quality"]["rows"]["ssl"] == 10
    assert "Rows logged twice (the same connection's uid), counted once: ssl 4" in _table(logs)
    assert len(zeekcert.load(logs).ssl) == 6


def test_a_uid_repeated_in_another_file_is_also_counted_once(tmp_path: Path) -> None:
    rows = [_row(i) for i in range(3)]
    _tree(tmp_path / "logs" / "a", rows)
    _tree(tmp_path / "logs" / "b", [*rows[1:], _row(7)])
    logs = zeekcert.load(tmp_path / "logs")
    assert sorted(logs.ssl["uid"]) == [f"Ctest{i:013d}" for i in (0, 1, 2, 7)]
    assert logs.report.repeated == {"ssl": 2}


def test_a_sensor_without_a_clock_is_a_clock_problem_not_a_certificate_finding(
        tmp_path: Path) -> None:
    in_1970 = [_row(i, ts=(i + 1) * 1_000_000) for i in range(3)]
    future = [_row(10 + i, ts=T0 + 40 * 86_400 * 10**6) for i in range(2)]  # past NOW + 1 day
    logs = _tree(tmp_path / "logs", [*in_1970, *future, _row(20)])
    quality = _report(logs)["data_quality"]
    assert (quality["clock_suspect_connections"], quality["clock_dependent_verdicts"]) == (5, 3)
    text = _table(logs)
    assert ("Connections whose sensor time is before 2000 or in the future: 5; 3 expired or "
            "not-yet-valid verdicts among them depend on that clock") in text
    classified = zeekcert.classify(zeekcert.load(logs), now=NOW)
    assert classified["clock_suspect"].tolist() == [True] * 5 + [False]
    assert classified.loc[:2, "causes"].map(lambda c: "not_yet_valid" in c).all()


def test_a_sane_clock_says_nothing_about_clocks(tmp_path: Path) -> None:
    logs = _tree(tmp_path / "logs", [_row(i) for i in range(3)])
    assert _report(logs)["data_quality"]["clock_suspect_connections"] == 0
    assert "sensor time" not in _table(logs)


_NO_STATUS = [f for f in SSL_FIELDS if f != "validation_status"]


@pytest.mark.parametrize(("rows", "fields", "json_lines", "said"), [
    ([_row(i) for i in range(3)], SSL_FIELDS, False,
     "validation_status logged: yes, for 3 connections"),
    ([_row(i) for i in range(3)], _NO_STATUS, False,
     "validation_status logged: NO - load protocols/ssl/validate-certs on the sensor"),
    ([_row(i, validation_status=None) for i in range(3)], SSL_FIELDS, False,
     "validation_status logged: the column is there but unset on every connection, though 3 "
     "showed a certificate: check that protocols/ssl/validate-certs runs on the sensor"),
    ([_row(i, validation_status=None, cert_chain_fps=None, version="TLSv13") for i in range(3)],
     SSL_FIELDS, False, "validation_status logged: the column is there but unset on every "
     "connection: none showed a certificate to validate"),
    ([_row(i, validation_status=None) for i in range(3)], SSL_FIELDS, True,
     "validation_status logged: never set in these JSON logs: either "
     "protocols/ssl/validate-certs is not loaded on the sensor, or nothing was validated"),
])
def test_validate_certs_advice_only_where_the_log_proves_it_missing(
        tmp_path: Path, rows: list[list], fields: list[str], json_lines: bool, said: str
        ) -> None:
    text = _table(_tree(tmp_path / "logs", rows, fields, json_lines))
    assert said in text
    assert ("load protocols/ssl/validate-certs" in text) == (fields is _NO_STATUS)


def test_failed_handshakes_resumption_and_tls13_are_counted_apart(tmp_path: Path) -> None:
    unseen = {"cert_chain_fps": None, "validation_status": None}
    rows = [*(_row(i, established=False, version=None, **unseen) for i in range(4)),
            *(_row(10 + i, resumed=True, **unseen) for i in range(3)),
            *(_row(20 + i, version="TLSv13", **unseen) for i in range(2)),
            _row(30)]
    logs = _tree(tmp_path / "logs", rows)
    summary = _report(logs)["summary"]
    assert summary["unverified_by_reason"] == {
        "handshake_failed": 4, "resumed": 3, "tls13": 2, "no_certificate": 0,
        "certificate_not_in_x509": 0, "no_validation_logged": 0}
    text = " ".join(_table(logs).split())
    assert ("Not judged: 9 connections (4 the handshake did not complete (established = F): "
            "no certificate was exchanged; 3 a resumed session") in text
    assert "2 TLS 1.3 encrypts the certificate" in text


def test_a_self_signed_server_shows_its_certificates_apart_from_its_resumptions(
        tmp_path: Path) -> None:
    resumed = [_row(10 + i, resumed=True, cert_chain_fps=None, validation_status=None)
               for i in range(4)]
    logs = _tree(tmp_path / "logs", [*(_row(i) for i in range(3)), *resumed])
    server = _report(logs)["self_signed"][0]
    assert (server["connections"], server["self_signed_connections"]) == (7, 3)
    lines = _table(logs).splitlines()
    header = lines.index(next(line for line in lines if line.startswith("server ")))
    assert lines[header].split()[2:4] == ["self-signed", "all"]
    assert lines[header + 1].split()[:4] == ["203.0.113.9", "443", "3", "7"]


def test_an_ssl_log_without_x509_says_which_checks_it_could_not_make(tmp_path: Path) -> None:
    logs = tmp_path / "tor"
    logs.mkdir()
    shutil.copy(TOR, logs / "ssl.log")  # Bro 2.5: subject and issuer in ssl.log, no x509.log
    code, out, _ = run_cli(["report", logs, "--format", "json"])
    quality = json.loads(out)["data_quality"]
    assert code == 3  # one ragged line in the real file, reported
    assert (quality["certificates_not_in_x509"], quality["connections_not_in_x509"]) == (494, 494)
    assert quality["connections_checked_from_ssl_log"] == 494
    assert quality["checks_from_ssl_log"] == ["self_signed"]
    joined = zeekcert.join_summary(zeekcert.classify(zeekcert.load(logs), now=NOW))
    assert (joined["matched"], joined["ssl_log_fields"], joined["leaf_not_in_x509"]) == (0, 494, 494)
    text = " ".join(_table(logs).split())
    assert ("Certificates known only from ssl.log's own subject and issuer: 494 connections; "
            "checked there: self-signed (subject = issuer); not checked without x509.log: "
            "key length, signature hash, names") in text
