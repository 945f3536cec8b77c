"""What ``--alert-to`` names: a spec to its sink.

``stdout``, ``jsonl:FILE``, ``webhook:URL``, ``syslog:…`` (see ``syslog``) and
``zeek-notice:FILE`` (see ``notice_log``); anything else is a UsageError that lists them.
"""

from __future__ import annotations

from typing import TextIO

from ..errors import UsageError
from .notice_log import NoticeLogSink
from .sinks import JsonlSink, Sink, StdoutSink, WebhookSink
from .syslog import syslog_sink

KINDS = ("stdout", "jsonl:FILE", "webhook:URL",
         "syslog:[unix:PATH|udp://HOST:PORT|tcp://HOST:PORT]", "zeek-notice:FILE")


def sink_of(spec: str, out: TextIO) -> Sink:
    """The sink an ``--alert-to`` spec names; UsageError for one it does not."""
    kind, _, where = spec.partition(":")
    if spec == "stdout":
        return StdoutSink(out)
    if kind == "jsonl" and where:
        return JsonlSink(where)
    if kind == "webhook" and where.startswith(("http://", "https://")):
        return WebhookSink(where)
    if kind == "syslog":
        return syslog_sink(spec)
    if kind == "zeek-notice" and where:
        return NoticeLogSink(where)
    raise UsageError(f"--alert-to {spec!r}: give one of {', '.join(KINDS)}")
