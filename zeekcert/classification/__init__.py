"""One verdict per TLS connection, from every source of evidence.

The pipeline (``verdicts``): take the connections; attach each one's leaf certificate
(``certs``); collect causes from ``validation_status`` (``validation_status``),
``sni_matches_cert``, notices (``notices``) and our own re-check against the local
policy (``recheck``: dates, keys, hashes, and the self-signed rule, subject = issuer on
a one-certificate chain; ``hostname``: RFC 6125 names); then settle causes, primary
cause and evidence. ``known`` prepares the certificates and notices once for many
batches. ``rollup`` and ``tally`` turn classified connections into one row per server, batch by
batch; ``hashed_texts`` keeps the values they pair with a server as 64-bit hashes, each text once.
This layer reads frames, never files, and keeps nothing between runs.
"""

from .certs import CERT_FIELDS, CertificateParts, cert_table
from .distinct import lists_per
from .hashed_texts import hashed, lookup, merged_texts
from .known import Known, know
from .notices import notice_evidence
from .rollup import SERVER_KEY, cause_flags, cause_lists, sort_worst_first
from .tally import ServerTally, server_hashes, servers
from .verdicts import STACK_FIELDS, classify, join_summary

__all__ = [
    "CERT_FIELDS", "SERVER_KEY", "STACK_FIELDS", "CertificateParts", "Known", "ServerTally",
    "cause_flags", "cause_lists", "cert_table", "classify", "hashed", "join_summary", "know",
    "lists_per", "lookup", "merged_texts", "notice_evidence", "server_hashes", "servers",
    "sort_worst_first",
]
