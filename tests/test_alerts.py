"""Alerts of the nightly job: raised once, shaped as ECS, delivered at least once.

Real transports only: a JSON-lines file, stdout, and an HTTP receiver on 127.0.0.1 that is
down for a first run and up for the next.
"""

from __future__ import annotations

import http.server
import json
import re
import shutil
import socket
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
from hypothesis import given
from hypothesis import strategies as st
from tinylogs import NOW as TINY_NOW
from tinylogs import run_cli, ssl_row, write_tree, x509_row
from zeekwriter import write_tsv

import zeekcert
from zeekcert.alerting import (
    Alert,
    AlertOptions,
    AlertStore,
    NoticeLogSink,
    Reason,
    document,
    raised,
)
from zeekcert.cli.alerting import summary
from zeekcert.inventory import State, inventory, load_allowlist

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"
NOW = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
EXT4, EXT6 = "203.0.113.44:443", "[2001:db8:44::44]:443"
# What the sample raises on its first run, best hunt lead first. Jenkins (10.20.30.40:8443) is
# acknowledged; Sliver's two servers show a chain cause, not self_signed, and are kept in
# the default inventory by their C2 label: new failing servers.
RAISED = [("tooling_match", "198.51.100.23"),
          ("new_self_signed_server", "198.51.100.23"),
          ("tooling_match", "192.0.2.151"), ("new_failing_server", "192.0.2.151"),
          ("tooling_match", "203.0.113.151"), ("new_failing_server", "203.0.113.151"),
          ("new_self_signed_server", "203.0.113.44"),
          ("new_self_signed_server", "2001:db8:44::44"),
          ("new_self_signed_server", "203.0.113.200"),
          ("new_self_signed_server", "10.20.50.12"),
          ("new_self_signed_server", "10.20.40.9")]
NOTES = {"new_self_signed_server": "ZeekCert::New_Self_Signed_Server",
         "new_failing_server": "ZeekCert::New_Failing_Server",
         "tooling_match": "ZeekCert::Tooling_Match"}
FIRST_EXT4 = 6  # the position of Ext4's alert in RAISED


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="ascii").splitlines()]


def nightly(tmp_path: Path, *extra: object, now: datetime = NOW) -> tuple[int, str, str]:
    return run_cli(["inventory", SAMPLE, "--state", tmp_path / "state.db",
                    "--allowlist", SAMPLE / "allowlist.toml", "-o", tmp_path / "inv.json",
                    *extra], now=now)


def test_the_sample_raises_one_alert_per_new_self_signed_server_once(tmp_path: Path) -> None:
    sink = tmp_path / "alerts.jsonl"
    code, out, err = nightly(tmp_path, "--alert-to", f"jsonl:{sink}")
    assert (code, out, err) == (0, "", "")
    alerts = jsonl(sink)
    assert [(a["rule"]["name"], a["destination"]["ip"], a["destination"]["port"])
            for a in alerts] == [(*r, 443) for r in RAISED]
    cobalt = alerts[0]
    assert cobalt["zeekcert"]["label"] == "tooling:cobalt_strike_default"
    assert cobalt["zeekcert"]["hunt"]["rank"] == 1
    assert alerts[8]["zeekcert"]["hunt"]["fresh"] is True  # the payload server
    sliver = alerts[2]
    assert sliver["zeekcert"]["label"] == "tooling:sliver_https"
    assert alerts[3]["zeekcert"]["causes"] == ["incomplete_chain"]
    ext4 = alerts[FIRST_EXT4]
    assert ext4["@timestamp"] == "2026-11-27T06:00:00.000000Z"
    assert ext4["event"]["kind"] == "alert" and ext4["event"]["category"] == ["network"]
    assert ext4["source"] == {"ip": "10.1.20.57"}
    assert ext4["tls"]["server"]["x509"]["subject"]["distinguished_name"] == "CN=localhost"
    assert ext4["tls"]["server"]["hash"]["sha256"] == (
        "4951A085B4CDA8FD3E7B98E0A50CAA2A889C7859CCA304ABC10593A9D76D29AD")
    assert ext4["zeekcert"]["first_seen"] == "2026-11-25T00:01:47.914112Z"
    # each cause says what raised it: Zeek's status, the notice and our own re-check
    assert ext4["zeekcert"]["sources"] == {"self_signed": ["notice", "policy", "zeek_status"]}
    assert ext4["zeekcert"]["beacon"]["clockwork"] is True
    assert round(ext4["zeekcert"]["beacon"]["median_interval_s"]) == 145
    assert ext4["zeekcert"]["alert_id"] == ext4["event"]["id"]
    assert ext4["zeekcert"]["schema_version"] == 1
    code, _, err = nightly(tmp_path, "--alert-to", f"jsonl:{sink}")
    assert (code, err) == (0, "")
    assert len(jsonl(sink)) == len(RAISED) == 11  # the next run raises nothing again


def test_without_a_sink_a_run_that_finds_something_says_so_on_stderr(tmp_path: Path) -> None:
    code, out, err = nightly(tmp_path)
    assert (code, out) == (0, "")
    assert err == (f"6 new self-signed servers: 198.51.100.23:443, {EXT4}, {EXT6}, "
                   "203.0.113.200:443, 10.20.50.12:443 and 1 more\n"
                   "2 new failing servers: 192.0.2.151:443, 203.0.113.151:443\n"
                   "3 servers with C2 tooling's certificates: 198.51.100.23:443, "
                   "192.0.2.151:443, 203.0.113.151:443\n")
    code, _, err = nightly(tmp_path)
    assert (code, err) == (0, "")


def test_quiet_says_nothing_and_alerts_are_kept_for_suppression(tmp_path: Path) -> None:
    code, _, err = nightly(tmp_path, "-q")
    assert (code, err) == (0, "")
    with sqlite3.connect(tmp_path / "state.db") as db:
        rows = db.execute("SELECT reason, resp_h, shown FROM alerts ORDER BY rowid").fetchall()
    assert rows == [(*r, 1) for r in RAISED]


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps what is POSTed, or answers 503 when down."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.down = True
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.down:
                    self.send_response(503)
                else:
                    receiver.bodies.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def test_a_webhook_that_is_down_gets_every_alert_once_it_is_back(
        tmp_path: Path, receiver: Receiver) -> None:
    sink = tmp_path / "alerts.jsonl"
    argv = ["--alert-to", f"webhook:{receiver.url}", "--alert-to", f"jsonl:{sink}"]
    code, _, err = nightly(tmp_path, *argv)
    assert code == 3
    assert f"alert sink webhook:{receiver.url}: webhook {receiver.url} failed 3 times: " \
           "HTTP 503; 11 alerts wait for the next run" in err
    assert len(jsonl(sink)) == 11  # one sink's failure does not stop the others
    receiver.down = False
    code, _, err = nightly(tmp_path, *argv, now=NOW + timedelta(hours=1))
    assert (code, err) == (0, "")
    ids = [b["zeekcert"]["alert_id"] for b in receiver.bodies]
    assert ids == [a["zeekcert"]["alert_id"] for a in jsonl(sink)]
    assert len(set(ids)) == 11
    code, _, _ = nightly(tmp_path, *argv, now=NOW + timedelta(hours=2))
    assert code == 0 and len(receiver.bodies) == 11


def test_a_webhook_nobody_listens_on_is_a_failed_sink(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    code, _, err = nightly(tmp_path, "--alert-to", f"webhook:http://127.0.0.1:{port}/")
    assert code == 3 and "Connection refused" in err and "11 alerts wait" in err


@pytest.mark.parametrize("spec", ["jsonl:", "webhook:ftp://127.0.0.1/", "mail:x",
                                  "zeek-notice:"])
def test_an_unknown_sink_is_a_usage_error(spec: str, tmp_path: Path) -> None:
    code, _, err = nightly(tmp_path, "--alert-to", spec)
    assert code == 2 and "give one of stdout, jsonl:FILE, webhook:URL" in err
    assert not (tmp_path / "state.db").exists()


def test_alerts_go_to_dev_null_as_it_is(tmp_path: Path) -> None:
    code, _, err = nightly(tmp_path, "--alert-to", "jsonl:/dev/null")
    assert (code, err) == (0, "")
    assert Path("/dev/null").is_char_device()


def test_a_burst_is_cut_to_n_alerts_and_one_for_the_rest(tmp_path: Path) -> None:
    code, _, err = nightly(tmp_path, "--alert-burst", "2", "--alert-to",
                           f"jsonl:{tmp_path / 'a.jsonl'}")
    assert (code, err) == (0, "")
    alerts = jsonl(tmp_path / "a.jsonl")
    assert [a["rule"]["name"] for a in alerts] == [r for r, _ in RAISED[:2]] + [
        "more_servers"]
    assert alerts[2]["zeekcert"]["count"] == 9
    assert alerts[2]["zeekcert"]["servers"] == [
        {"server": f"[{ip}]:443" if ":" in ip else f"{ip}:443", "reason": r}
        for r, ip in RAISED[2:]]
    assert "destination" not in alerts[2]
    assert summary([]) == []


def test_hostile_text_reaches_the_file_only_as_json_escapes(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    evil = "CN=\x1b[2J\x1b]0;pwned\x07\u202e=cmd|' /C calc'!A0"
    write_tsv(str(folder / "x509.log"), X509_FIELDS, X509_TYPES, [x509_row(subject=evil)],
              log_path="x509")
    write_tsv(str(folder / "ssl.log"), SSL_FIELDS, SSL_TYPES, [ssl_row(i) for i in range(3)],
              log_path="ssl")
    sink = tmp_path / "a.jsonl"
    code, out, err = run_cli(["inventory", folder, "--state", tmp_path / "s.db", "--alert-to",
                              f"jsonl:{sink}", "--alert-to", "stdout", "-o",
                              tmp_path / "inv.json"], now=TINY_NOW)
    assert code == 0, err
    raw = sink.read_bytes()
    assert all(32 <= b < 127 for b in raw.replace(b"\n", b""))
    assert jsonl(sink)[0]["tls"]["server"]["x509"]["subject"]["distinguished_name"] == evil
    assert out.encode() == raw
    code, _, err = run_cli(["inventory", folder, "--state", tmp_path / "t.db", "-o",
                            tmp_path / "inv2.json"], now=TINY_NOW)
    assert err == "1 new self-signed server: 203.0.113.9:443\n"


def _inventory_of(hosts: list[str], now: datetime, allowlist: Any = ()) -> pd.DataFrame:
    rows = pd.DataFrame({"ts": pd.to_datetime([now - timedelta(minutes=5)] * len(hosts)),
                         "uid": [f"C{i}" for i in range(len(hosts))],
                         "id.orig_h": "10.0.0.5", "id.resp_h": hosts, "id.resp_p": 443,
                         "causes": [["self_signed"]] * len(hosts), "server_name": None,
                         "fingerprint": "f" * 64, "subject": "CN=x", "issuer": "CN=x"})
    for name in ("not_valid_before", "not_valid_after", "key_type", "key_length", "sig_alg"):
        rows[name] = None
    return inventory(rows, now, allowlist=allowlist)


def test_the_same_server_and_reason_are_not_alerted_again_within_the_window(
        tmp_path: Path) -> None:
    first = Alert(Reason.CERTIFICATE_CHANGED, "2026-11-27T06:00:00.000000Z", "a" * 64,
                  "192.0.2.1", 443)
    again = Alert(Reason.CERTIFICATE_CHANGED, "2026-11-27T12:00:00.000000Z", "b" * 64,
                  "192.0.2.1", 443)
    later = Alert(Reason.CERTIFICATE_CHANGED, "2026-11-28T07:00:00.000000Z", "c" * 64,
                  "192.0.2.1", 443)
    with State.open(tmp_path / "s.db") as state:
        store = AlertStore(state.db)
        assert store.record([first], NOW, ["stdout"]) == [first]
        assert store.record([first], NOW, ["stdout"]) == []  # its id is kept
        assert store.record([again], NOW + timedelta(hours=6), ["stdout"]) == []
        assert store.record([later], NOW + timedelta(hours=25), ["stdout"]) == [later]
        assert len(store.pending("stdout")) == 2
        assert store.pending("webhook:http://127.0.0.1:1/") == []


@given(st.sampled_from(list(Reason)), st.text(max_size=20), st.text(max_size=20),
       st.integers(0, 65535))
def test_an_alert_id_depends_on_its_reason_server_and_event_only(
        reason: Reason, event: str, host: str, port: int) -> None:
    a = Alert(reason, "2026-11-27T06:00:00.000000Z", event, host, port, {"x": 1})
    b = Alert(reason, "2027-01-01T00:00:00.000000Z", event, host, port, {"x": 2})
    c = Alert(reason, "2026-11-27T06:00:00.000000Z", event + "!", host, port)
    assert a.alert_id == b.alert_id != c.alert_id
    assert len(a.alert_id) == 32 and document(a)["event"]["id"] == a.alert_id


def test_an_acknowledgement_past_its_date_raises_one_alert(tmp_path: Path) -> None:
    allow = tmp_path / "allow.toml"
    allow.write_text('[[acknowledged]]\nresp_h = "192.0.2.1"\nowner = "me"\nreason = "lab"\n'
                     'expires = 2026-11-26\n')
    entries = load_allowlist(allow)
    frame = _inventory_of(["192.0.2.1", "192.0.2.2"], NOW, entries)
    found = raised(frame, NOW, entries, AlertOptions())
    assert [(a.reason.value, a.resp_h) for a in found] == [
        ("new_self_signed_server", "192.0.2.1"), ("acknowledgement_expired", "192.0.2.1"),
        ("new_self_signed_server", "192.0.2.2")]
    assert found[1].evidence["acknowledgement"] == "#1 (me: lab)"
    on = datetime(2026, 11, 26, 12, tzinfo=UTC)
    before = raised(_inventory_of(["192.0.2.1", "192.0.2.2"], on, entries), on, entries)
    assert [(a.reason.value, a.resp_h) for a in before] == [
        ("new_self_signed_server", "192.0.2.2")]


def test_gone_servers_are_alerted_only_when_asked(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "logs")
    state = tmp_path / "s.db"
    code, _, _ = run_cli(["inventory", tree, "--state", state, "-q"], now=TINY_NOW)
    assert code == 0
    shutil.rmtree(tree)
    (tmp_path / "logs").mkdir()
    sink = tmp_path / "a.jsonl"
    later = TINY_NOW + timedelta(days=30)
    code, _, err = run_cli(["inventory", tmp_path / "logs", "--state", state, "--alert-to",
                            f"jsonl:{sink}", "-q"], now=later)
    assert not sink.exists() or jsonl(sink) == []
    code, _, err = run_cli(["inventory", tmp_path / "logs", "--state", state, "--alert-to",
                            f"jsonl:{sink}", "--alert-gone", "-q"], now=later)
    assert [a["rule"]["name"] for a in jsonl(sink)] == ["server_gone"]


SYSLOG = re.compile(r'<132>1 (?P<ts>\S+) \S+ zeekcert \d+ (?P<msgid>\S+) '
                    r'\[zeekcert@32473 alert_id="(?P<id>[0-9a-f]{32})"\] (?P<json>\{.*\})')


def _parsed(message: bytes) -> tuple[str, str, dict[str, Any]]:
    match = SYSLOG.fullmatch(message.decode("ascii"))
    assert match is not None, message[:200]
    doc = json.loads(match["json"])
    assert doc["zeekcert"]["alert_id"] == match["id"]
    return match["ts"], match["msgid"], doc


def test_syslog_over_udp_gets_one_rfc5424_message_per_alert(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(5)
        port = listener.getsockname()[1]
        code, _, err = nightly(tmp_path, "--alert-to", f"syslog:udp://127.0.0.1:{port}")
        assert (code, err) == (0, "")
        got = [_parsed(listener.recv(65536)) for _ in range(len(RAISED))]
    assert [(ts, msgid, d["destination"]["ip"]) for ts, msgid, d in got] == [
        ("2026-11-27T06:00:00.000000Z", *r) for r in RAISED]


def test_syslog_over_tcp_frames_each_message_by_its_length(tmp_path: Path) -> None:
    received = bytearray()
    with socket.create_server(("::1", 0), family=socket.AF_INET6) as listener:
        port = listener.getsockname()[1]

        def serve() -> None:
            for _ in range(len(RAISED)):  # one connection per alert
                conn, _ = listener.accept()
                with conn:
                    while chunk := conn.recv(65536):
                        received.extend(chunk)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        code, _, err = nightly(tmp_path, "--alert-to", f"syslog:tcp://[::1]:{port}")
        thread.join(10)
    assert (code, err) == (0, "")
    messages, rest = [], bytes(received)
    while rest:
        length, _, rest = rest.partition(b" ")
        messages.append(rest[:int(length)])
        rest = rest[int(length):]
    assert [_parsed(m)[2]["destination"]["port"] for m in messages] == [443] * len(RAISED)


def test_syslog_over_a_unix_socket(tmp_path: Path) -> None:
    path = tmp_path / "log.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(path))
        listener.settimeout(5)
        code, _, err = nightly(tmp_path, "--alert-to", f"syslog:unix:{path}")
        assert (code, err) == (0, "")
        assert _parsed(listener.recv(65536))[1] == "tooling_match"
    again = tmp_path / "again"
    again.mkdir()
    code, _, err = nightly(again, "--alert-to", f"syslog:unix:{tmp_path}/none")
    assert code == 3 and "No such file or directory" in err


def test_the_zeek_notice_log_reads_back_as_a_notice_log(tmp_path: Path) -> None:
    log = tmp_path / "zeekcert_alerts.log"
    code, _, err = nightly(tmp_path, "--alert-to", f"zeek-notice:{log}")
    assert (code, err) == (0, "")
    text = log.read_text(encoding="ascii")
    assert text.startswith("#separator \\x09\n") and "#path\tnotice\n" in text
    frame = zeekcert.read_log(log)
    assert frame["note"].astype(str).tolist() == [NOTES[r] for r, _ in RAISED]
    assert frame["id.resp_h"].astype(str).tolist() == [ip for _, ip in RAISED]
    assert frame["sub"].astype(str).tolist()[FIRST_EXT4] == "CN=localhost"
    assert frame["p"].tolist() == [443] * len(RAISED)
    assert text.count("\n#fields") == 1
    code, _, _ = nightly(tmp_path, "--alert-to", f"zeek-notice:{log}")
    assert log.read_text(encoding="ascii") == text  # nothing new: nothing appended


def test_a_hostile_subject_is_escaped_in_the_notice_log_and_reads_back(tmp_path: Path) -> None:
    evil = "CN=\x1b[2J\t\\x41\u202e-"
    doc = document(Alert(Reason.NEW_SELF_SIGNED_SERVER, "2026-11-27T06:00:00.000000Z", "e",
                         "192.0.2.1", 443, {"certificate": {"subject": evil}}))
    log = tmp_path / "a.log"
    NoticeLogSink(str(log)).send(doc)
    raw = log.read_bytes()
    assert all(32 <= b < 127 for b in raw.replace(b"\n", b"").replace(b"\t", b""))
    assert zeekcert.read_log(log)["sub"].astype(str).tolist() == [evil]


def test_alerts_on_stdout_need_the_inventory_in_a_file(tmp_path: Path) -> None:
    code, out, err = run_cli(["inventory", SAMPLE, "--state", tmp_path / "s.db",
                              "--alert-to", "stdout"], now=NOW)
    assert (code, out) == (2, "")
    assert "--alert-to stdout would mix alerts into the inventory" in err
    assert not (tmp_path / "s.db").exists()


@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.set_index")
def test_zat_reads_the_zeek_notice_log(tmp_path: Path) -> None:
    """zat, which reads Zeek's own TSV, reads the alerts' notice log: the same rows."""
    from timelimit import time_limit
    from zat.log_to_dataframe import LogToDataFrame

    log = tmp_path / "zeekcert_alerts.log"
    code, _, err = nightly(tmp_path, "--alert-to", f"zeek-notice:{log}")
    assert (code, err) == (0, "")
    with time_limit(60):
        frame = LogToDataFrame().create_dataframe(str(log))
    assert frame["note"].astype(str).tolist() == [NOTES[r] for r, _ in RAISED]
    assert frame["id.resp_h"].astype(str).tolist() == [ip for _, ip in RAISED]
    assert frame["sub"].astype(str).tolist()[FIRST_EXT4:FIRST_EXT4 + 2] == [
        "CN=localhost", "CN=localhost"]
    assert frame["sub"].astype(str).tolist()[-1] == "CN=NPI0A1B2C,O=HP"
