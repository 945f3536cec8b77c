"""``zeek-notice:FILE``: alerts as a Zeek notice log, for zeek-cut, zat and zeekcert.

The file is Zeek's TSV format with ``#path notice`` and the notice fields a reader looks
for (``ts``, ``uid``, ``id.*``, ``note``, ``msg``, ``sub``, ``src``, ``dst``, ``p``,
``actions``, ``suppress_for``); each alert is appended as one row, flushed and fsync'd.
The header is written when the file is new or empty; an existing file is appended to,
never replaced. ``note`` is ``ZeekCert::`` and the reason in Zeek's spelling, such as
``ZeekCert::New_Self_Signed_Server``; ``sub`` holds the certificate's subject and
``msg`` the alert's message and id. Text is escaped as Zeek escapes it, and beyond:
every byte outside printable ASCII is written ``\\xNN``, so that zeek-cut never prints a
log's control or invisible character. Name it apart from the logs zeekcert reads (say
``zeekcert_alerts.log``): a file named ``notice*.log`` in a log tree is read as notices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..sanitize import zeek_tsv_text
from .sinks import append_synced

FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "note",
          "msg", "sub", "src", "dst", "p", "actions", "suppress_for"]
TYPES = ["time", "string", "addr", "port", "addr", "port", "enum", "enum", "string", "string",
         "addr", "addr", "port", "set[enum]", "interval"]


@dataclass(frozen=True)
class NoticeLogSink:
    """Alerts appended to a Zeek-format notice log."""

    path: str

    @property
    def name(self) -> str:
        """``zeek-notice:FILE``."""
        return f"zeek-notice:{self.path}"

    def send(self, doc: dict[str, Any]) -> None:
        """Append one row (the header first, to a new or empty file)."""
        append_synced(self.path, row(doc).encode("ascii"), header().encode("ascii"))


def header(opened: datetime | None = None) -> str:
    """The header Zeek's ASCII writer gives a notice log."""
    when = (opened or datetime.now(UTC)).strftime("%Y-%m-%d-%H-%M-%S")
    return ("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
            f"#path\tnotice\n#open\t{when}\n#fields\t" + "\t".join(FIELDS) + "\n#types\t"
            + "\t".join(TYPES) + "\n")


def row(doc: dict[str, Any]) -> str:
    """One alert as one TSV row."""
    ours = doc.get("zeekcert", {})
    stamp = datetime.fromisoformat(str(doc["@timestamp"]).replace("Z", "+00:00"))
    source = (doc.get("source") or {}).get("ip")
    dest = doc.get("destination") or {}
    subject = ((doc.get("tls") or {}).get("server", {}).get("x509", {}).get("subject", {})
               .get("distinguished_name"))
    values = [f"{stamp.timestamp():.6f}", None, source, None, dest.get("ip"),
              _port(dest.get("port")), "tcp" if dest else None, note_of(str(ours["reason"])),
              f"{doc.get('message')} (alert {ours.get('alert_id')})", subject, source,
              dest.get("ip"), _port(dest.get("port")), "Notice::ACTION_LOG", "86400.000000"]
    return "\t".join(zeek_tsv_text(v) for v in values) + "\n"


def note_of(reason: str) -> str:
    """``new_self_signed_server`` as ``ZeekCert::New_Self_Signed_Server``."""
    return "ZeekCert::" + "_".join(word.capitalize() for word in reason.split("_"))


def _port(port: object) -> str | None:
    return None if port is None else str(port)
