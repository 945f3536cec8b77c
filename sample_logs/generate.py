"""Write the sample's Zeek logs: two archived days and the open ``current/`` files.

A threat simulation, deterministic: an internal host runs

    while sleep 144; do curl -s https://Ext4 >/dev/null; wget -q https://Ext6 -O /dev/null; done

against two self-signed ``CN=localhost`` servers, one IPv4 and one IPv6, among ordinary
traffic, one server for each other validation failure, TLS 1.3 connections that show no
certificate, a developers' Jenkins with a self-signed certificate that its upgrade on
2026-11-26 replaces with a new one, and a network printer's self-signed web UI, visited
for the last time on 2026-11-25 before it is decommissioned. An intrusion runs beside
it: a workstation fetches a payload from a server made three days before and beacons to a
Cobalt Strike team server with the default keystore; two hosts beacon to Sliver on two
addresses sharing one certificate from Sliver's per-server CA; and an internal Kubernetes
ingress serves its fake default certificate. The certificates are the
real ones in ``certs/`` (made by ``make_certs.py``), their validation status is what
``openssl verify`` said (``certs/verdicts.json``).

The sensor is modelled as a standalone Zeek 8.x started at 2026-11-25 00:00 UTC in UTC,
with the default ``local.zeek``: validate-certs (notices suppressed for
``Notice::default_suppression_interval`` = 1 h per server, certificate and error),
log-hostcerts-only, x509 deduplication (``X509::relog_known_certificates_after`` = 1 day
since the certificate was last logged). zeekctl rotates hourly into
``YYYY-MM-DD/<log>.HH:00:00-HH:00:00.log.gz``. As in Zeek >= 4.1, a log file is opened at
its first write (``#open`` is that time): an hour without records has no file.

    python sample_logs/generate.py [--out DIR]

The same certificates give byte-identical files on every run. Old generated logs are
deleted first (date folders, ``current/``, ``json/``); ``certs/``, ``README.md``,
``allowlist.toml`` and the scripts are never touched.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import ipaddress
import json
import math
import random
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import certfactory as cf  # noqa: E402
import zeekwriter as zw  # noqa: E402

SEED = 144
US = 1_000_000
HOUR = 3600 * US
DAY0 = datetime(2026, 11, 25, tzinfo=UTC)
ARCHIVED_DAYS = 2
# current/ is a snapshot of the still-open files, 40 minutes into 2026-11-27.
SNAPSHOT = DAY0 + timedelta(days=ARCHIVED_DAYS, minutes=40)
JSON_DAY = DAY0
SUPPRESS_FOR = 1 * HOUR  # Notice::default_suppression_interval; validate-certs sets none
RELOG_AFTER = 24 * HOUR  # X509::relog_known_certificates_after
GENERATED = re.compile(r"^(\d{4}-\d{2}-\d{2}|current|json)$")


def micros(when: datetime) -> int:
    return int(when.timestamp()) * US + when.microsecond


def as_datetime(us: int) -> datetime:
    return datetime.fromtimestamp(us // US, UTC).replace(microsecond=us % US)


T0, T_END = micros(DAY0), micros(SNAPSHOT)


def at(text: str) -> int:
    """An ISO date-time, UTC, in µs."""
    return micros(datetime.fromisoformat(text).replace(tzinfo=UTC))


# 2026-11-26: Jenkins is upgraded. The service stops at 08:51:20; the installer makes a
# new key and self-signed certificate (not_before 08:57:43, certs/jenkins-dev-2.pem);
# Jenkins answers again from 08:58:05 and presents the new certificate from then on.
JENKINS_DOWN = (at("2026-11-26T08:51:20"), at("2026-11-26T08:58:05"))
# 2026-11-25: the floor-2 printer is switched off for good at 15:47 (decommissioned).
PRINTER_OFF = at("2026-11-25T15:47:00")


# --- the network ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """A TLS server: where it is, what it sends, how it talks."""

    key: str
    addr: str
    port: int
    chain: str | None  # label in certs/verdicts.json; None: TLS 1.3 only, never shows one
    role: str
    tls13: float = 0.0  # share of connections in TLS 1.3 (the certificate is encrypted)
    rtt_ms: float = 30.0
    alpn: bool = True  # answers ALPN (h2 / http/1.1) in its TLS 1.2 ServerHello
    tickets: bool = True  # sends a NewSessionTicket in TLS 1.2
    curve: str = "x25519"
    new_certs: tuple[tuple[int, str], ...] = ()  # (from when, chain): a new certificate
    offline: tuple[tuple[int, int], ...] = ()  # [from, to): nothing answers, no ssl.log

    def chain_at(self, ts: int) -> str | None:
        """The chain the server sends at ``ts``."""
        chain = self.chain
        for since, label in self.new_certs:
            if ts >= since:
                chain = label
        return chain

    def answers(self, ts: int) -> bool:
        return not any(start <= ts < end for start, end in self.offline)

    @property
    def stream(self) -> str:
        """The sensor's random stream for this server's connections: the intrusion's
        servers have their own, so that adding them left every other record as it was."""
        return "intrusion" if self.key in INTRUSION else ""


SERVERS = [
    Server("ext4", "203.0.113.44", 443, "ext4", "Ext4: beacon target (curl), IPv4",
           rtt_ms=38, alpn=False, tickets=False),
    Server("ext6", "2001:db8:44::44", 443, "ext6", "Ext6: beacon target (wget), IPv6",
           rtt_ms=45, alpn=False, tickets=False),
    Server("jenkins-dev", "10.20.30.40", 8443, "jenkins-dev",
           "developers' Jenkins, acknowledged in allowlist.toml", rtt_ms=0.6, alpn=False,
           tickets=False, new_certs=((JENKINS_DOWN[1], "jenkins-dev-2"),),
           offline=(JENKINS_DOWN,)),
    Server("printer", "10.20.40.9", 443, "printer",
           "HP LaserJet web UI (NPI0A1B2C), decommissioned 2026-11-25", rtt_ms=1.4,
           alpn=False, tickets=False, curve="secp256r1", offline=((PRINTER_OFF, T_END),)),
    Server("expired", "198.51.100.60", 443, "expired", "legacy.example.net",
           rtt_ms=61, curve="secp256r1"),
    Server("not-yet-valid", "198.51.100.61", 443, "not-yet-valid", "staging.example.net",
           rtt_ms=61),
    Server("missing-intermediate", "192.0.2.30", 443, "missing-intermediate",
           "shop.example.org, sends only its leaf", rtt_ms=24),
    Server("private-ca", "203.0.113.80", 443, "private-ca",
           "portal.partner.example, chain to the partner's own root", rtt_ms=17),
    Server("wrong-name", "192.0.2.40", 443, "wrong-name",
           "blog.example.org on a hosting.example.net certificate", rtt_ms=27),
    Server("weak-key", "198.51.100.70", 443, "weak-key", "vpn.example.org, RSA 1024",
           rtt_ms=44, curve="secp256r1"),
    Server("sha1", "198.51.100.71", 443, "sha1", "legacy-api.example.com, SHA-1 signed",
           rtt_ms=44, alpn=False, tickets=False, curve="secp256r1"),
    Server("www", "192.0.2.10", 443, "www", "www.example.com", tls13=0.55, rtt_ms=12),
    Server("mail", "192.0.2.11", 993, "mail", "mail.example.com (IMAPS)", rtt_ms=12,
           alpn=False),
    Server("api", "198.51.100.20", 443, "api", "api.example.net", tls13=0.5, rtt_ms=33),
    Server("cdn4", "198.51.100.30", 443, "cdn", "cdn.example.net", tls13=0.6, rtt_ms=8),
    Server("cdn6", "2001:db8:cd::30", 443, "cdn", "cdn.example.net over IPv6", tls13=0.6,
           rtt_ms=9),
    Server("login", "198.51.100.40", 443, "login", "login.example.org", tls13=0.3,
           rtt_ms=29),
    Server("updates", "203.0.113.50", 443, "updates", "updates.example.org", tls13=0.2,
           rtt_ms=71),
    Server("docs", "192.0.2.12", 443, "docs", "docs.example.com", tls13=0.5, rtt_ms=12),
    Server("files", "203.0.113.60", 443, "files", "files.example.org", tls13=0.4,
           rtt_ms=19),
    Server("news", "192.0.2.13", 443, "news", "news.example.com", tls13=0.5, rtt_ms=12),
    Server("chat", "2001:db8:c4a7::10", 443, None,
           "chat.example.net, TLS 1.3 only: its certificate is never seen", tls13=1.0,
           rtt_ms=22),
    # The intrusion.
    Server("cobalt", "198.51.100.23", 443, "cobalt-strike",
           "Cobalt Strike team server with its default keystore", rtt_ms=52, alpn=False,
           tickets=False),
    Server("sliver-a", "203.0.113.151", 443, "sliver-https",
           "Sliver HTTPS listener, first address", rtt_ms=35, alpn=False, tickets=False),
    Server("sliver-b", "192.0.2.151", 443, "sliver-https",
           "Sliver HTTPS listener, second address, the same certificate", rtt_ms=21,
           alpn=False, tickets=False),
    Server("fresh", "203.0.113.200", 443, "fresh-self-signed",
           "payload server, self-signed three days before", rtt_ms=64, alpn=False,
           tickets=False),
    Server("ingress", "10.20.50.12", 443, "ingress-fake",
           "Kubernetes ingress serving its fake default certificate", rtt_ms=0.8),
]
INTRUSION = {"cobalt", "sliver-a", "sliver-b", "fresh", "ingress"}
BY_KEY = {s.key: s for s in SERVERS}

BEACON_HOST = "10.1.20.57"  # its IPv6 address is v6_of(BEACON_HOST)
WORKSTATIONS = [f"10.1.10.{n}" for n in range(11, 25)]
DUAL_STACK = WORKSTATIONS[:6]  # these also have IPv6 addresses and use them


def v6_of(host: str) -> str:
    """The IPv6 address (ULA) of an internal dual-stack host: 10.1.X.Y -> fd0a:1:X::Y."""
    _, _, x, y = host.split(".")
    return str(ipaddress.ip_address(f"fd0a:1:{x}::{y}"))


# Connections per hour of the day (sensor and office both in UTC).
OFFICE = [0.2, 0.15, 0.1, 0.1, 0.1, 0.15, 0.4, 1.0, 2.5, 4.0, 4.5, 4.2,
          3.2, 4.0, 4.3, 4.1, 3.6, 2.6, 1.5, 1.1, 0.9, 0.7, 0.5, 0.3]
WORKDAY = [0.0] * 8 + [1.0, 2.0, 2.0, 1.5, 0.5, 1.5, 2.0, 2.0, 1.5, 1.0] + [0.0] * 6
ALWAYS = [1.0] * 24
PATTERNS = {"office": OFFICE, "workday": WORKDAY, "always": ALWAYS}


@dataclass(frozen=True)
class Flow:
    """One client's traffic to one server."""

    client: str
    server: str
    sni: str | None
    per_day: float  # mean connections (visits for burst > 1) per day
    pattern: str  # office, workday, always, or periodic:<seconds>
    burst: int = 1  # a visit opens up to this many connections


# One-off visits: (client, server, SNI, second of the first ClientHello, connections).
VISITS = [
    # 2026-11-26, the Jenkins upgrade by 10.1.30.11: a last look before it, a check after.
    ("10.1.30.11", "jenkins-dev", "jenkins-dev.corp.example", "2026-11-26T08:44:09", 2),
    ("10.1.30.11", "jenkins-dev", "jenkins-dev.corp.example", "2026-11-26T09:01:37", 2),
    ("10.1.30.12", "jenkins-dev", "jenkins-dev.corp.example", "2026-11-26T09:13:52", 1),
    # 2026-11-25, the printer's last day: two users by its address (no SNI), then IT
    # (10.1.50.7) saves its settings and wipes it before it is switched off.
    ("10.1.10.14", "printer", None, "2026-11-25T08:37:15", 2),
    ("10.1.10.20", "printer", None, "2026-11-25T11:19:48", 1),
    ("10.1.10.14", "printer", None, "2026-11-25T13:52:31", 1),
    ("10.1.50.7", "printer", None, "2026-11-25T15:21:04", 2),
    ("10.1.50.7", "printer", None, "2026-11-25T15:38:40", 1),
    # The intrusion's first step: 10.1.10.18 fetches a payload, then beacons (IMPLANTS).
    ("10.1.10.18", "fresh", "www.kq7vzxb2mtw.example", "2026-11-25T10:09:51", 2),
    ("10.1.10.18", "fresh", "www.kq7vzxb2mtw.example", "2026-11-26T13:27:06", 1),
]

# Implants checking in: (host, server, SNI, first check-in, sleep s, jitter s). Cobalt
# Strike's beacon sleeps 300 s with no jitter (``sleep 300``); Sliver's adds up to its
# jitter at random (``--seconds 600 --jitter 300``). Each check-in is a new connection
# with a full handshake; the second Sliver implant arrives by lateral movement.
IMPLANTS = [
    ("10.1.10.18", "cobalt", None, "2026-11-25T10:14:33", 300, 0),
    ("10.1.10.22", "sliver-a", "assets.cdn-update.example", "2026-11-25T16:40:12", 600, 300),
    ("10.1.40.12", "sliver-b", "assets.cdn-update.example", "2026-11-26T02:13:55", 600, 300),
]


def flows() -> list[Flow]:
    """Every flow but the beacon's."""
    out = [
        Flow("10.1.40.5", "expired", "legacy.example.net", 96, "periodic:900"),
        Flow("10.1.10.15", "not-yet-valid", "staging.example.net", 20, "office"),
        Flow("10.1.10.16", "not-yet-valid", "staging.example.net", 20, "office"),
        Flow("10.1.10.11", "missing-intermediate", "shop.example.org", 40, "office"),
        Flow("10.1.10.17", "missing-intermediate", "www.shop.example.org", 45, "office"),
        Flow("10.1.10.23", "missing-intermediate", "shop.example.org", 50, "office"),
        Flow("10.1.40.8", "private-ca", "portal.partner.example", 48, "periodic:1800"),
        Flow("10.1.10.21", "private-ca", "portal.partner.example", 8, "office"),
        Flow("10.1.10.12", "wrong-name", "blog.example.org", 35, "office"),
        Flow("10.1.10.19", "wrong-name", "blog.example.org", 35, "office"),
        Flow("10.1.10.13", "weak-key", "vpn.example.org", 25, "office"),
        Flow("10.1.10.22", "weak-key", "vpn.example.org", 25, "office"),
        Flow("10.1.40.6", "sha1", "legacy-api.example.com", 144, "periodic:600"),
        Flow("10.1.30.11", "jenkins-dev", "jenkins-dev.corp.example", 4, "workday", burst=2),
        Flow("10.1.30.12", "jenkins-dev", "jenkins-dev.corp.example", 3, "workday", burst=2),
    ]
    intrusion = [
        # Developers open a dashboard whose ingress rule has no TLS secret of its own.
        Flow("10.1.30.11", "ingress", "grafana.dev.corp.example", 6, "workday", burst=3),
        Flow("10.1.30.12", "ingress", "grafana.dev.corp.example", 4, "workday", burst=3),
    ]
    # Ordinary traffic: (server, SNI, connections per day, clients, pattern).
    background = [
        ("www", "www.example.com", 380, 10, "office"),
        ("mail", "mail.example.com", 220, 12, "office"),
        ("api", "api.example.net", 260, 6, "office"),
        ("cdn4", "cdn.example.net", 320, 14, "office"),
        ("cdn6", "static.cdn.example.net", 140, 5, "office"),
        ("login", "login.example.org", 120, 14, "office"),
        ("updates", "dl.example.org", 90, 14, "always"),
        ("docs", "docs.example.com", 160, 8, "office"),
        ("files", "files.example.org", 110, 6, "office"),
        ("news", "news.example.com", 180, 9, "office"),
        ("chat", "chat.example.net", 170, 12, "office"),
    ]
    for server, sni, per_day, n_clients, pattern in background:
        rng = random.Random(f"{SEED}:clients:{server}")
        pool = DUAL_STACK if ":" in BY_KEY[server].addr else WORKSTATIONS
        clients = sorted(rng.sample(pool, min(n_clients, len(pool))))
        shares = [rng.uniform(0.5, 1.5) for _ in clients]
        for client, share in zip(clients, shares, strict=True):
            out.append(Flow(client, server, sni, per_day * share / sum(shares), pattern,
                            burst=3))
    return out + intrusion  # last, so that every earlier flow keeps its seed


# --- when connections happen -------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A TLS connection: ``ts`` is when Zeek saw the ClientHello."""

    ts: int
    client: str
    server: Server
    sni: str | None
    kind: str  # full, resumed, tls13, tls13-resumed, curl, wget


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; fine for the small means used here."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def visit_times(flow: Flow, rng: random.Random) -> Iterator[int]:
    """Visit start times over the whole window, in µs."""
    if flow.pattern.startswith("periodic:"):
        period = int(flow.pattern.split(":")[1]) * US
        t = T0 - int(rng.uniform(0, period))
        while t < T_END:
            yield t
            t += period + int(rng.gauss(0, 0.004 * period))
        return
    weights = PATTERNS[flow.pattern]
    total = sum(weights)
    for hour in range(ARCHIVED_DAYS * 24 + 1):
        lam = flow.per_day * weights[hour % 24] / total
        for _ in range(poisson(rng, lam)):
            yield T0 + hour * HOUR + rng.randrange(HOUR)


def attempts_of(flow: Flow, index: int) -> Iterator[Attempt]:
    rng = random.Random(f"{SEED}:flow:{index}")
    server = BY_KEY[flow.server]
    client = v6_of(flow.client) if ":" in server.addr else flow.client
    for start in visit_times(flow, rng):
        burst = 1 + (rng.randint(1, flow.burst - 1) if flow.burst > 1 and
                     rng.random() < 0.35 else 0)
        t = start
        for _ in range(burst):
            if rng.random() < server.tls13:
                kind = "tls13-resumed" if rng.random() < 0.3 else "tls13"
            elif server.tickets and flow.pattern != "workday" and rng.random() < 0.15:
                kind = "resumed"
            else:
                kind = "full"
            yield Attempt(t, client, server, flow.sni, kind)
            t += rng.randint(5_000, 80_000)


def beacon() -> Iterator[Attempt]:
    """``while sleep 144; do curl -s https://Ext4; wget -q https://Ext6; done``."""
    rng = random.Random(f"{SEED}:beacon")
    ext4, ext6 = BY_KEY["ext4"], BY_KEY["ext6"]
    v6 = v6_of(BEACON_HOST)
    t = T0 - int(rng.uniform(0, 145) * US)  # the loop was already running
    while t < T_END:
        curl_hello = t + int(rng.uniform(0.004, 0.012) * US) + rtt(rng, ext4)
        curl_exit = curl_hello + int(rng.uniform(0.09, 0.30) * US)
        wget_start = curl_exit + int(rng.uniform(0.003, 0.020) * US)
        wget_hello = wget_start + int(rng.uniform(0.010, 0.030) * US) + rtt(rng, ext6)
        wget_exit = wget_hello + int(rng.uniform(0.12, 0.40) * US)
        yield Attempt(curl_hello, BEACON_HOST, ext4, None, "curl")
        yield Attempt(wget_hello, v6, ext6, None, "wget")
        t = wget_exit + 144 * US + int(rng.uniform(0.001, 0.004) * US)


def implants() -> Iterator[Attempt]:
    """The check-ins of ``IMPLANTS``: sleep, plus jitter, plus the time a check-in takes."""
    for host, key, sni, first, sleep, jitter in IMPLANTS:
        rng = random.Random(f"{SEED}:implant:{key}")
        t = at(first) + rng.randrange(US)
        while t < T_END:
            yield Attempt(t, host, BY_KEY[key], sni, "full")
            t += int((sleep + rng.uniform(0, jitter) + rng.uniform(0.15, 0.6)) * US)


def visits() -> Iterator[Attempt]:
    """The one-off visits in ``VISITS``: browsers, full TLS 1.2 handshakes."""
    rng = random.Random(f"{SEED}:visits")
    for client, key, sni, when, connections in VISITS:
        t = at(when) + rng.randrange(US)
        for _ in range(connections):
            yield Attempt(t, client, BY_KEY[key], sni, "full")
            t += rng.randint(5_000, 80_000)


def rtt(rng: random.Random, server: Server) -> int:
    return int(server.rtt_ms * rng.uniform(0.95, 1.25) * 1000)


# --- what Zeek logs --------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    kind: str  # ssl, x509, notice
    written: int  # when Zeek wrote it: decides the hourly file
    row: dict[str, object]


@dataclass(frozen=True)
class Chain:
    certs: tuple[cf.Issued, ...]
    status: str
    code: int
    sha1: str
    names: tuple[str, ...]  # SAN DNS names of the leaf
    key_type: str  # rsa or ecdsa: picks the TLS 1.2 cipher suite


def load_chains(certs: Path) -> dict[str, Chain]:
    record = json.loads((certs / "verdicts.json").read_text())
    chains = {}
    for label, info in sorted(record["chains"].items()):
        issued = tuple(cf.load_certificate(certs / name) for name in info["sent"])
        leaf = cf.x509_row(issued[0], DAY0)
        der = issued[0].cert.public_bytes(Encoding.DER)
        chains[label] = Chain(issued, info["validation_status"], info["openssl_code"],
                              hashlib.sha1(der).hexdigest(), tuple(leaf["san.dns"] or ()),
                              str(leaf["certificate.key_type"]))
    return chains


def covers(names: tuple[str, ...], sni: str) -> bool:
    """Zeek's ``x509_check_cert_hostname`` for our certificates (all have SAN DNS names)."""
    sni = sni.lower()
    for name in (n.lower() for n in names):
        if name == sni or (name.startswith("*.") and "." in sni
                           and sni.split(".", 1)[1] == name[2:]):
            return True
    return False


def uid(rng: random.Random, prefix: str) -> str:
    """A Zeek connection (C…) or file (F…) id: 96 random bits in base 62."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    n, out = rng.getrandbits(96), ""
    while n:
        n, digit = divmod(n, 62)
        out = alphabet[digit] + out
    return prefix + out


CIPHERS_12 = {"rsa": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
              "ecdsa": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"]}
CIPHERS_13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
              "TLS_CHACHA20_POLY1305_SHA256"]


class Sensor:
    """validate-certs, x509 deduplication and notice suppression, connection by connection."""

    def __init__(self, chains: dict[str, Chain]) -> None:
        self.chains = chains
        self.rngs = {stream: random.Random(f"{SEED}:sensor{':' if stream else ''}{stream}")
                     for stream in ("", "intrusion")}
        self.logged_cert: dict[str, int] = {}
        self.noticed: dict[tuple[str, int, str, int], int] = {}
        self.records: list[Record] = []

    def see(self, a: Attempt) -> None:
        rng = self.rngs[a.server.stream]
        chain = self.server_chain(a) if a.kind in ("full", "curl", "wget") else None
        rtt = a.server.rtt_ms * 1000 * rng.uniform(0.95, 1.25)
        established = a.kind != "curl"
        # ssl.log is written when the handshake completes; an aborted connection is
        # written when Zeek removes it, tcp_close_delay (5 s) after the FINs.
        written = a.ts + int((2 * rtt if established else 5 * US + 2 * rtt)
                             + rng.uniform(200, 3000))
        conn = cf.Connection(
            uid=uid(rng, "C"), ts=as_datetime(a.ts), resp_h=a.server.addr, server_name=a.sni,
            chain=chain.certs if chain else (),
            validation_status=chain.status if chain else None,
            sni_matches_cert=covers(chain.names, a.sni) if chain and a.sni else None,
            orig_h=a.client, orig_p=rng.randint(32768, 60999), resp_p=a.server.port,
            version="TLSv13" if a.kind.startswith("tls13") else "TLSv12")
        self.records.append(Record("ssl", written, cf.ssl_row(conn) | self.details(a)))
        if chain is None:
            return
        self.x509(chain, a.ts + int(rtt))
        if chain.status != "ok":
            self.notice(conn, chain, written, rng)

    def server_chain(self, a: Attempt) -> Chain | None:
        label = a.server.chain_at(a.ts)
        return self.chains[label] if label else None

    def details(self, a: Attempt) -> dict[str, object]:
        """The columns that depend on the kind of handshake."""
        rng, server = self.rngs[a.server.stream], a.server
        if a.kind.startswith("tls13"):
            # ALPN and the certificate travel in encrypted handshake messages.
            return {"cipher": rng.choice(CIPHERS_13), "curve": "x25519",
                    "resumed": a.kind == "tls13-resumed", "next_protocol": None,
                    "ssl_history": "CsiI", "client_cert_chain_fps": None}
        label = server.chain_at(a.ts)
        key = self.chains[label].key_type if label else "rsa"
        out: dict[str, object] = {
            "cipher": CIPHERS_12[key][rng.random() < 0.3], "curve": server.curve,
            "next_protocol": None, "resumed": False}
        if server.alpn:
            out["next_protocol"] = "h2" if rng.random() < 0.8 else "http/1.1"
        if a.kind == "resumed":
            return out | {"resumed": True, "ssl_history": "CstiI",
                          "client_cert_chain_fps": None}
        if a.kind == "curl":
            # curl (OpenSSL) checks the certificate as it arrives and aborts.
            return out | {"last_alert": "unknown_ca", "established": False,
                          "ssl_history": "CsxknL"}
        # wget (GnuTLS) checks after the handshake; other clients carry on.
        return out | {"ssl_history": "CsxknGIti" if server.tickets else "CsxknGIi"}

    def x509(self, chain: Chain, seen: int) -> None:
        """log-hostcerts-only: the leaf only, once per relog interval."""
        leaf = chain.certs[0]
        last = self.logged_cert.get(leaf.fingerprint)
        if last is not None and seen - last < RELOG_AFTER:
            return
        self.logged_cert[leaf.fingerprint] = seen
        self.records.append(Record("x509", seen + 800, cf.x509_row(leaf, as_datetime(seen))))

    def notice(self, conn: cf.Connection, chain: Chain, when: int,
               rng: random.Random) -> None:
        """validate-certs' Invalid_Server_Cert, suppressed per resp_h, resp_p, sha1, code."""
        ident = (conn.resp_h, conn.resp_p, chain.sha1, chain.code)
        last = self.noticed.get(ident)
        if last is not None and when - last < SUPPRESS_FOR:
            return
        self.noticed[ident] = when
        row = cf.notice_row(conn, "SSL::Invalid_Server_Cert",
                            f"SSL certificate validation failed with ({chain.status})",
                            sub=cf.zeek_dn(chain.certs[0].cert.subject),
                            suppress_hours=SUPPRESS_FOR // HOUR)
        self.records.append(Record("notice", when, row | {"ts": when,
                                                          "fuid": uid(rng, "F")}))


def simulate(chains: dict[str, Chain]) -> list[Record]:
    attempts = list(beacon())
    for index, flow in enumerate(flows()):
        attempts.extend(attempts_of(flow, index))
    attempts.extend(visits())
    attempts.extend(implants())
    attempts.sort(key=lambda a: (a.ts, a.client, a.server.key))
    sensor = Sensor(chains)
    for attempt in attempts:
        if T0 <= attempt.ts < T_END and attempt.server.answers(attempt.ts):
            sensor.see(attempt)
    return [r for r in sensor.records if r.written < T_END]


# --- files ------------------------------------------------------------------------------------

LAYOUT = {
    "ssl": (cf.SSL_FIELDS, cf.SSL_TYPES),
    "x509": (cf.X509_FIELDS, cf.X509_TYPES),
    "notice": (cf.NOTICE_FIELDS, cf.NOTICE_TYPES),
}


def stamp(us: int) -> str:
    """``#open``/``#close``: the sensor's local time (UTC), ``%Y-%m-%d-%H-%M-%S``."""
    return as_datetime(us).strftime("%Y-%m-%d-%H-%M-%S")


def gz(data: bytes) -> bytes:
    """gzip without a file name and with mtime 0: the same bytes every time."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as fh:
        fh.write(data)
    return buf.getvalue()


def written_in(records: list[Record], kind: str, start: int, end: int) -> list[Record]:
    """The records of one log written in ``[start, end)``, in the order Zeek wrote them."""
    return sorted((r for r in records if r.kind == kind and start <= r.written < end),
                  key=lambda r: (r.written, str(r.row["ts"]), str(r.row.get("uid"))))


def files(records: list[Record]) -> dict[str, bytes]:
    """Relative path -> bytes, for the whole tree.

    Zeek (>= 4.1) opens a log file at its first write, so ``#open`` is the time of the
    first record and an hour without records has no file at all, in the archive, in
    ``current/`` and in the JSON copy alike; zeekctl still names an archived file after
    the hour it covers."""
    out: dict[str, bytes] = {}
    for day in range(ARCHIVED_DAYS):
        for hour in range(24):
            start = T0 + (day * 24 + hour) * HOUR
            date = as_datetime(start).strftime("%Y-%m-%d")
            span = f"{hour:02d}:00:00-{(hour + 1) % 24:02d}:00:00"
            for kind, (fields, types) in LAYOUT.items():
                chosen = written_in(records, kind, start, start + HOUR)
                if not chosen:
                    continue
                rows = [[r.row[f] for f in fields] for r in chosen]
                name = f"{kind}.{span}.log.gz"
                text = zw.render_tsv(fields, types, rows, kind,
                                     opened=stamp(chosen[0].written),
                                     closed=stamp(start + HOUR))
                out[f"{date}/{name}"] = gz(text.encode())
                if as_datetime(start).date() == JSON_DAY.date():
                    out[f"json/{date}/{name}"] = gz(zw.render_json(fields, types,
                                                                   rows).encode())
    start = T0 + ARCHIVED_DAYS * 24 * HOUR
    for kind, (fields, types) in LAYOUT.items():
        chosen = written_in(records, kind, start, T_END)
        if not chosen:
            continue
        rows = [[r.row[f] for f in fields] for r in chosen]
        text = zw.render_tsv(fields, types, rows, kind, opened=stamp(chosen[0].written),
                             closed=None)
        out[f"current/{kind}.log"] = text.encode()
    return out


def clean(out: Path) -> None:
    """Delete what an earlier run wrote; leave everything else alone."""
    if not out.is_dir():
        return
    for entry in sorted(out.iterdir()):
        if entry.is_dir() and GENERATED.match(entry.name):
            shutil.rmtree(entry)


def write(out: Path, tree: dict[str, bytes]) -> None:
    clean(out)
    for relative, data in sorted(tree.items()):
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE,
                        help="where to write the tree (default: this script's folder)")
    parser.add_argument("--certs", type=Path, default=HERE / "certs",
                        help="certificates and verdicts.json (default: certs/ beside this)")
    args = parser.parse_args(argv)
    records = simulate(load_chains(args.certs))
    tree = files(records)
    write(args.out, tree)
    counts = {k: sum(r.kind == k for r in records) for k in LAYOUT}
    size = sum(len(b) for b in tree.values())
    print(f"{len(tree)} files, {size / 1e6:.2f} MB, rows: "
          + ", ".join(f"{k} {n}" for k, n in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
