"""The README's cron and systemd recipes, run as written with the paths pointed here.

Without root, neither cron nor systemd can be run; their command lines can. The cron line
must leave something on stderr for cron to mail; the systemd line must deliver its alerts
to both its sinks.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The night after the sample's last day, whenever the test runs: its servers are new.
ENV = {**os.environ, "ZEEKCERT_NOW": "2026-11-27T06:00:00Z"}
README = (ROOT / "README.md").read_text(encoding="utf-8")


def recipe(fence: str, start: str) -> str:
    """The first line starting with ``start`` in a ``fence`` code block of the README."""
    for block in re.findall(rf"```{fence}\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            if line.startswith(start):
                return line
    raise AssertionError(f"no {start!r} line in a {fence} block of the README")


def pointed_here(command: str, tmp_path: Path) -> list[str]:
    """The command with the README's paths replaced by the sample's and ``tmp_path``."""
    words = shlex.split(command)
    (tmp_path / "lib").mkdir()
    (tmp_path / "log").mkdir()
    swap = {"/opt/zeekcert/bin/python": sys.executable, "/nsm/zeek/logs": str(
        ROOT / "sample_logs"), "/etc/zeekcert/allowlist.toml": str(
        ROOT / "sample_logs" / "allowlist.toml")}
    out = []
    for word in words:
        word = swap.get(word, word)
        word = word.replace("/var/lib/zeekcert", str(tmp_path / "lib"))
        out.append(word.replace("/var/log/zeekcert", str(tmp_path / "log")))
    return out


def test_the_cron_line_leaves_the_news_on_stderr_for_cron_to_mail(tmp_path: Path) -> None:
    line = recipe("cron", "30 0 ")
    fields = line.split(None, 6)
    assert fields[:6] == ["30", "0", "*", "*", "*", "zeek"]
    argv = pointed_here(fields[6], tmp_path)
    first = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=ENV)
    assert first.returncode == 1  # --fail-on new: unacknowledged new servers
    assert first.stdout == ""
    assert first.stderr == ("6 new self-signed servers: 198.51.100.23:443, 203.0.113.44:443, "
                            "[2001:db8:44::44]:443, 203.0.113.200:443, 10.20.50.12:443 "
                            "and 1 more\n2 new failing servers: 192.0.2.151:443, "
                            "203.0.113.151:443\n3 servers with C2 tooling's certificates: "
                            "198.51.100.23:443, 192.0.2.151:443, 203.0.113.151:443\n")
    assert json.loads((tmp_path / "lib" / "inventory.json").read_text())["schema_version"] == 1
    again = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=ENV)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")


def test_the_systemd_line_delivers_to_syslog_and_a_file(tmp_path: Path) -> None:
    line = recipe("ini", "ExecStart=")
    argv = pointed_here(line.removeprefix("ExecStart="), tmp_path)
    sock = tmp_path / "log.sock"
    argv = [f"syslog:unix:{sock}" if a == "syslog:" else a for a in argv]
    assert f"syslog:unix:{sock}" in argv  # the README's recipe has a syslog sink
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(sock))
        listener.settimeout(10)
        run = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=ENV)
        assert (run.returncode, run.stderr) == (0, "")
        messages = [listener.recv(65536) for _ in range(11)]
    assert all(b" zeekcert " in m for m in messages)
    assert [m.split(b" ")[5] for m in messages] == [
        b"tooling_match", b"new_self_signed_server"] + [
        b"tooling_match", b"new_failing_server"] * 2 + [b"new_self_signed_server"] * 5
    lines = (tmp_path / "log" / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(x)["destination"]["ip"] for x in lines] == [
        "198.51.100.23", "198.51.100.23", "192.0.2.151", "192.0.2.151", "203.0.113.151",
        "203.0.113.151", "203.0.113.44", "2001:db8:44::44", "203.0.113.200", "10.20.50.12",
        "10.20.40.9"]
