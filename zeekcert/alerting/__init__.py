"""Alerts that reach a person: what a run found, raised once, delivered at least once.

``alerts`` says what an alert is (``Reason``, ``Alert`` and its stable ``alert_id``);
``raising`` which alerts an inventory raises; ``store`` keeps them in the state, with
suppression and a burst's summary; ``ecs`` shapes each as an ECS document; ``sinks`` are
the transports (stdout, a JSON-lines file, a webhook; ``syslog``, ``notice_log``), named
by ``specs``, and ``delivery`` takes what is pending to them. This layer reads the
inventory only through ``zeekcert.inventory``.
"""

from .alerts import Alert, Reason
from .delivery import DeliveryReport, deliver
from .ecs import SCHEMA_VERSION, document, json_line, message
from .notice_log import NoticeLogSink
from .raising import AlertOptions, raised
from .sinks import JsonlSink, Sink, StdoutSink, WebhookSink, append_synced
from .specs import sink_of
from .store import AlertStore
from .syslog import SyslogSink, rfc5424

__all__ = [
    "SCHEMA_VERSION",
    "Alert",
    "AlertOptions",
    "AlertStore",
    "DeliveryReport",
    "JsonlSink",
    "NoticeLogSink",
    "Reason",
    "Sink",
    "StdoutSink",
    "SyslogSink",
    "WebhookSink",
    "append_synced",
    "deliver",
    "document",
    "json_line",
    "message",
    "raised",
    "rfc5424",
    "sink_of",
]
