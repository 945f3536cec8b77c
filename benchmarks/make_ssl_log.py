#!/usr/bin/env python3
"""Generate deterministic, realistic Zeek 6.x ssl.log and x509.log files (TSV and/or JSON).

Usage: python benchmarks/make_ssl_log.py OUTDIR --rows N [--seed S] [--formats tsv,json]
[--gzip] [--hours H].  Importable: ``generate(outdir, rows, ...)`` returns the written paths.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import functools
import gzip as gziplib
import ipaddress
import json
import random
import re
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
DAY0 = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
US = 1_000_000
HOUR_US = 3600 * US
N_SERVERS = 5000
N_CLIENTS = 20000
N_CLIENT_CERTS = 2400
SHARED_SITE_SHARE = 0.16
IPV6_SHARE = 15
CHUNK_ROWS = 50_000

SSL_FIELDS = (
    "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "version", "cipher",
    "curve", "server_name", "resumed", "last_alert", "next_protocol", "established",
    "ssl_history", "cert_chain_fps", "client_cert_chain_fps", "sni_matches_cert",
    "validation_status",
)
SSL_TYPES = (
    "time", "string", "addr", "port", "addr", "port", "string", "string", "string", "string",
    "bool", "string", "string", "bool", "string", "vector[string]", "vector[string]", "bool",
    "string",
)
X509_FIELDS = (
    "ts", "fingerprint", "certificate.version", "certificate.serial", "certificate.subject",
    "certificate.issuer", "certificate.not_valid_before", "certificate.not_valid_after",
    "certificate.key_alg", "certificate.sig_alg", "certificate.key_type",
    "certificate.key_length", "certificate.exponent", "certificate.curve", "san.dns", "san.uri",
    "san.email", "san.ip", "basic_constraints.ca", "basic_constraints.path_len", "host_cert",
    "client_cert",
)
X509_TYPES = (
    "time", "string", "count", "string", "string", "string", "time", "time", "string",
    "string", "string", "count", "string", "string", "vector[string]", "vector[string]",
    "vector[string]", "vector[addr]", "bool", "count", "bool", "bool",
)

RSA_LEAF_KEYS = ("rsa2048",) * 14 + ("ec256",) * 4 + ("rsa4096",) * 2
EC_LEAF_KEYS = ("ec256",) * 4 + ("ec384",)

# Row kinds: TLS 1.3 (no visible certificate), resumed TLS 1.2, client hello without reply,
# server handshake failure alert, full TLS <= 1.2 handshake with a certificate chain.
T13, RESUMED, NOREPLY, HSFAIL, FULL = range(5)
KIND_CUM_WEIGHTS = (32.0, 42.0, 43.5, 45.0, 100.0)
DIURNAL = (
    0.35, 0.3, 0.27, 0.25, 0.25, 0.3, 0.45, 0.7, 1.0, 1.3, 1.45, 1.5,
    1.45, 1.5, 1.55, 1.5, 1.4, 1.2, 1.0, 0.9, 0.8, 0.7, 0.55, 0.45,
)

OK = "ok"
SELF_SIGNED = "self signed certificate"
SELF_SIGNED_CHAIN = "self signed certificate in certificate chain"
NO_LOCAL_ISSUER = "unable to get local issuer certificate"
EXPIRED = "certificate has expired"

# key name -> (key_alg, key_type, key_length, exponent, curve)
KEYS = {
    "rsa1024": ("rsaEncryption", "rsa", 1024, "65537", None),
    "rsa2048": ("rsaEncryption", "rsa", 2048, "65537", None),
    "rsa4096": ("rsaEncryption", "rsa", 4096, "65537", None),
    "ec256": ("id-ecPublicKey", "ecdsa", 256, None, "prime256v1"),
    "ec384": ("id-ecPublicKey", "ecdsa", 384, None, "secp384r1"),
}
SIGNS_WITH = {
    "rsa1024": "sha256WithRSAEncryption", "rsa2048": "sha256WithRSAEncryption",
    "rsa4096": "sha256WithRSAEncryption", "ec256": "ecdsa-with-SHA256",
    "ec384": "ecdsa-with-SHA384",
}

ISRG_X1 = "CN=ISRG Root X1,O=Internet Security Research Group,C=US"
ISRG_X2 = "CN=ISRG Root X2,O=Internet Security Research Group,C=US"
DIGICERT_G2 = "CN=DigiCert Global Root G2,OU=www.digicert.com,O=DigiCert Inc,C=US"
AMAZON_1 = "CN=Amazon Root CA 1,O=Amazon,C=US"
USERTRUST = ("CN=USERTrust RSA Certification Authority,O=The USERTRUST Network,"
             "L=Jersey City,ST=New Jersey,C=US")
USERTRUST_ECC = ("CN=USERTrust ECC Certification Authority,O=The USERTRUST Network,"
                 "L=Jersey City,ST=New Jersey,C=US")
ENTRUST_OU = "OU=See www.entrust.net/legal-terms,O=Entrust\\, Inc.,C=US"

# root DN -> (key, self-signature algorithm, not_valid_before year, not_valid_after year)
PUBLIC_ROOTS = {
    ISRG_X1: ("rsa4096", "sha256WithRSAEncryption", 2015, 2035),
    ISRG_X2: ("ec384", "ecdsa-with-SHA384", 2020, 2040),
    "CN=GTS Root R1,O=Google Trust Services LLC,C=US":
        ("rsa4096", "sha384WithRSAEncryption", 2016, 2036),
    "CN=GTS Root R4,O=Google Trust Services LLC,C=US":
        ("ec384", "ecdsa-with-SHA384", 2016, 2036),
    DIGICERT_G2: ("rsa2048", "sha256WithRSAEncryption", 2013, 2038),
    "CN=DigiCert Global Root CA,OU=www.digicert.com,O=DigiCert Inc,C=US":
        ("rsa2048", "sha1WithRSAEncryption", 2006, 2031),
    "CN=DigiCert Global Root G3,OU=www.digicert.com,O=DigiCert Inc,C=US":
        ("ec384", "ecdsa-with-SHA384", 2013, 2038),
    AMAZON_1: ("rsa2048", "sha256WithRSAEncryption", 2015, 2038),
    "CN=Amazon Root CA 3,O=Amazon,C=US": ("ec256", "ecdsa-with-SHA256", 2015, 2040),
    USERTRUST: ("rsa4096", "sha384WithRSAEncryption", 2010, 2038),
    USERTRUST_ECC: ("ec384", "ecdsa-with-SHA384", 2010, 2038),
    "CN=Go Daddy Root Certificate Authority - G2,O=GoDaddy.com\\, Inc.,L=Scottsdale,"
    "ST=Arizona,C=US": ("rsa2048", "sha256WithRSAEncryption", 2009, 2037),
    "CN=GlobalSign,O=GlobalSign,OU=GlobalSign Root CA - R6":
        ("rsa4096", "sha384WithRSAEncryption", 2014, 2034),
    "CN=Entrust Root Certification Authority - G2,OU=(c) 2009 Entrust\\, Inc. - for "
    "authorized use only," + ENTRUST_OU: ("rsa2048", "sha256WithRSAEncryption", 2009, 2030),
}
_ROOT_DNS = list(PUBLIC_ROOTS)

# (intermediate DN, index into _ROOT_DNS, intermediate key, leaf validity days, OV share, weight)
PUBLIC_CAS = (
    ("CN=R10,O=Let's Encrypt,C=US", 0, "rsa2048", 90, 0.0, 15),
    ("CN=R11,O=Let's Encrypt,C=US", 0, "rsa2048", 90, 0.0, 15),
    ("CN=E5,O=Let's Encrypt,C=US", 1, "ec384", 90, 0.0, 9),
    ("CN=E6,O=Let's Encrypt,C=US", 1, "ec384", 90, 0.0, 9),
    ("CN=WR2,O=Google Trust Services,C=US", 2, "rsa2048", 90, 0.0, 8),
    ("CN=WE1,O=Google Trust Services,C=US", 3, "ec256", 90, 0.0, 6),
    ("CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US", 4, "rsa2048", 199,
     0.5, 8),
    ("CN=DigiCert TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US", 5, "rsa4096", 397, 0.5, 4),
    ("CN=DigiCert Global G3 TLS ECC SHA384 2020 CA1,O=DigiCert Inc,C=US", 6, "ec384", 199,
     0.5, 3),
    ("CN=Amazon RSA 2048 M02,O=Amazon,C=US", 7, "rsa2048", 395, 0.0, 6),
    ("CN=Amazon RSA 2048 M03,O=Amazon,C=US", 7, "rsa2048", 395, 0.0, 5),
    ("CN=Amazon ECDSA 256 M02,O=Amazon,C=US", 8, "ec256", 395, 0.0, 3),
    ("CN=Sectigo RSA Domain Validation Secure Server CA,O=Sectigo Limited,L=Salford,"
     "ST=Greater Manchester,C=GB", 9, "rsa2048", 199, 0.0, 5),
    ("CN=ZeroSSL ECC Domain Secure Site CA,O=ZeroSSL,C=AT", 10, "ec384", 90, 0.0, 2),
    ("CN=Go Daddy Secure Certificate Authority - G2,OU=http://certs.godaddy.com/repository/,"
     "O=GoDaddy.com\\, Inc.,L=Scottsdale,ST=Arizona,C=US", 11, "rsa2048", 397, 0.4, 4),
    ("CN=Microsoft Azure RSA TLS Issuing CA 04,O=Microsoft Corporation,C=US", 4, "rsa4096",
     199, 1.0, 3),
    ("CN=GlobalSign GCC R6 AlphaSSL CA 2025,O=GlobalSign nv-sa,C=BE", 12, "rsa2048", 199, 0.0,
     3),
    ("CN=Entrust Certification Authority - L1K,OU=(c) 2012 Entrust\\, Inc. - for authorized "
     "use only," + ENTRUST_OU, 13, "rsa2048", 397, 1.0, 2),
)

PRIVATE_ROOTS = (
    "CN=CORP-DC01-CA,DC=corp,DC=example,DC=com",
    "emailAddress=support@fortinet.com,CN=FortiGate CA,OU=Certificate Authority,O=Fortinet,"
    "L=Sunnyvale,ST=California,C=US",
    "CN=mitmproxy,O=mitmproxy",
    "CN=Acme Widgets\\, Ltd. Internal Root CA,O=Acme Widgets\\, Ltd.,C=GB",
    "CN=Soci\\C3\\A9t\\C3\\A9 Exemple Racine,O=Soci\\C3\\A9t\\C3\\A9 Exemple,C=FR",
    "CN=Example Lab Root CA,OU=Security,O=Example Lab,L=Austin,ST=Texas,C=US",
)
DEVICE_CA = "CN=Example Corp Device Issuing CA,O=Example Corp,C=US"

# Self-signed subject templates ({h} = host name); several mimic appliance defaults.
SELF_SIGNED_DNS = (
    "CN={h}",
    "CN={h}",
    "emailAddress=ssl-certificates@vmware.com,CN={h},OU=VMware ESX Server Default Certificate,"
    "O=VMware\\, Inc,L=Palo Alto,ST=California,C=US",
    "CN={h},OU=Remote Access Group,O=Dell Inc.,L=Round Rock,ST=Texas,C=US",
    "CN={h},O=Internet Widgits Pty Ltd,ST=Some-State,C=AU",
    "CN=localhost.localdomain,OU=SomeOrganizationalUnit,O=SomeOrganization,L=SomeCity,"
    "ST=SomeState,C=--",
    "emailAddress=root@{h},CN={h},OU=IT,O=Dovecot mail server",
    "CN={h},O=Synology Inc.,L=Taipei,C=TW",
    "CN=FortiGate,O=Fortinet Ltd.",
)

# SNI names with characters that need escaping in TSV or JSON, placed on mid-popularity sites.
ODD_NAMES = {
    29: "bad\tname.example.com",
    41: "comma,host.example.com",
    59: 'quote"d.example.net',
    83: "-",
    109: "#hash.example.org",
    149: "back\\slash.example.net",
    197: "(empty)",
    241: "b\u00fccher.example.de",
}
MTLS_RANKS = frozenset((151, 233, 347, 487, 701, 997, 1409, 1999))

SYLLABLES = (
    "ar", "bel", "cor", "da", "en", "fi", "gal", "hex", "io", "jun", "ka", "lum", "mo", "nex",
    "or", "pix", "qua", "ro", "sil", "ta", "ul", "ve", "wa", "xy", "zen", "tri", "no", "ba",
    "ce", "do", "lo", "mi", "net", "sky", "cloud", "data", "shop", "soft", "labs", "byte",
)
TLDS = ("com",) * 10 + ("net", "net", "org", "io", "de", "co.uk", "app", "dev", "fr", "jp",
                         "cloud", "ru", "com.br", "nl", "info")
SUBDOMAINS = (
    "www", "www", "www", "api", "cdn", "static", "img", "login", "auth", "app", "mail", "m",
    "edge", "assets", "update", "telemetry", "gateway", "media", "accounts", "portal",
)
INTERNAL_PREFIXES = (
    "esx", "idrac", "ilo", "nas", "printer", "fw", "vpn", "wiki", "jira", "git", "grafana",
    "kibana", "vcenter", "pbx", "cam", "WIN-SRV", "ups", "switch",
)
INTERNAL_DOMAINS = ("corp.example.com", "internal.example.net", "lan", "local", "ad.example.org")
ORG_SUFFIXES = ("Inc.", ", Inc.", "LLC", ", LLC", "Ltd", "GmbH", "AG", "S.A.", "Corporation",
                "B.V.")
LOCALITIES = (
    ("San Francisco", "California", "US"), ("New York", "New York", "US"),
    ("Seattle", "Washington", "US"), ("Austin", "Texas", "US"), ("London", "London", "GB"),
    ("M\u00fcnchen", "Bayern", "DE"), ("Paris", "\u00cele-de-France", "FR"),
    ("Tokyo", "Tokyo", "JP"), ("Toronto", "Ontario", "CA"),
)
PUBLIC_OCTETS = (3, 13, 18, 20, 23, 34, 35, 40, 44, 52, 54, 64, 66, 69, 72, 74, 104, 108, 142,
                 151, 157, 162, 185, 199, 204, 216)
V6_PREFIXES = (0x26064700, 0x2A001450, 0x2A032880, 0x26009000, 0x2620_01EC, 0x24068600,
               0x2A0498C0, 0x26001F18)
PUBLIC_PORTS = (443,) * 186 + (8443,) * 4 + (993,) * 3 + (995, 465, 853, 5223, 636, 25, 25)
INTERNAL_PORTS = (443, 443, 443, 443, 8443, 3389, 5001, 8006, 9443, 636)

T13_SUITES = (("TLS_AES_128_GCM_SHA256", 55), ("TLS_AES_256_GCM_SHA384", 35),
              ("TLS_CHACHA20_POLY1305_SHA256", 10))
T13_GROUPS = (("x25519", 60), ("X25519MLKEM768", 25), ("secp256r1", 10), ("secp384r1", 5))
ECDHE_GROUPS = (("x25519", 60), ("secp256r1", 32), ("secp384r1", 8))
RSA_SUITES = (
    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 55), ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 25),
    ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 6), ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 3),
    ("TLS_RSA_WITH_AES_128_GCM_SHA256", 5), ("TLS_RSA_WITH_AES_256_CBC_SHA", 3),
    ("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 3),
)
EC_SUITES = (
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 60),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 30),
    ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 10),
)
LEGACY_SUITES = (
    ("TLS_RSA_WITH_AES_128_CBC_SHA", 40), ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 30),
    ("TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 20), ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", 6),
    ("TLS_RSA_WITH_RC4_128_SHA", 4),
)
LEGACY_VERSIONS = (("TLSv10", 55), ("TLSv11", 10), ("TLSv12", 35))
CLIENT_ALERTS = ("unknown_ca", "unknown_ca", "bad_certificate", "certificate_unknown")
SERVER_ALERTS = ("handshake_failure", "handshake_failure", "handshake_failure",
                 "protocol_version", "internal_error")
HTTPS_ALPN = ("h2",) * 6 + ("http/1.1",) * 2 + ("-",) * 2
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SPECIAL = re.compile(r"[\\\x00-\x1f\x7f]")
_CONTAINER_SPECIAL = re.compile(r"[\\\x00-\x1f\x7f,]")
_UID_TABLE = bytes(ord(BASE62[b % 62]) for b in range(256))
EPHEMERAL_PORTS = tuple(str(p) for p in range(32768, 61000)) + tuple(
    str(p) for p in range(49152, 65536))


# --------------------------------------------------------------------------- value rendering


def tsv_escape(value: str, in_container: bool = False) -> str:
    """Escape one string value exactly as Zeek's ASCII writer does (UTF-8 enabled)."""
    if value == "":
        return "(empty)"
    pattern = _CONTAINER_SPECIAL if in_container else _SPECIAL
    if value not in ("-", "(empty)") and not pattern.search(value):
        return value
    out = []
    for ch in value:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F or (in_container and ch == ","):
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    text = "".join(out)
    if value in ("-", "(empty)"):
        text = f"\\x{ord(value[0]):02x}" + text[1:]
    return text


def json_string(value: str) -> str:
    """Return the JSON literal Zeek writes for a string value."""
    return json.dumps(value, ensure_ascii=False)


def render_value(ztype: str, value: object) -> tuple[str, str | None]:
    """Return the TSV text and JSON text (None when unset) of one Zeek log value."""
    if value is None:
        return "-", None
    if ztype == "bool":
        return ("T", "true") if value else ("F", "false")
    if ztype == "time":  # only whole seconds are rendered this way (certificate validity)
        return f"{value}.000000", f"{value}.0"
    if ztype in ("count", "port"):
        return str(value), str(value)
    if ztype.startswith("vector["):
        items = list(value)  # type: ignore[call-overload]
        tsv = ",".join(tsv_escape(v, True) for v in items) if items else "(empty)"
        return tsv, "[" + ",".join(json_string(v) for v in items) + "]"
    return tsv_escape(str(value)), json_string(str(value))


def render_fields(fields: tuple, types: tuple, values: tuple) -> tuple[str, str]:
    """Render consecutive fields to a TSV fragment and a JSON fragment (`,"key":value` each)."""
    tsv, js = [], []
    for name, ztype, value in zip(fields, types, values, strict=True):
        t, j = render_value(ztype, value)
        tsv.append(t)
        if j is not None:
            js.append(f',"{name}":{j}')
    return "\t".join(tsv), "".join(js)


@functools.cache
def handshake_part(version: str | None, cipher: str | None, curve: str | None) -> tuple:
    """Render the version, cipher and curve columns."""
    return render_fields(SSL_FIELDS[6:9], SSL_TYPES[6:9], (version, cipher, curve))


@functools.cache
def state_part(resumed: bool, alert: str, alpn: str, established: bool, history: str) -> tuple:
    """Render the resumed, last_alert, next_protocol, established and ssl_history columns."""
    values = (resumed, None if alert == "-" else alert, None if alpn == "-" else alpn,
              established, history)
    tsv, js = render_fields(SSL_FIELDS[10:15], SSL_TYPES[10:15], values)
    return tsv, js


NO_HANDSHAKE = handshake_part(None, None, None)
NO_CERTS = render_fields(SSL_FIELDS[15:19], SSL_TYPES[15:19], (None, None, None, None))
MATCH_PARTS = {None: ("-", ""), True: ("T", ',"sni_matches_cert":true'),
               False: ("F", ',"sni_matches_cert":false')}


def dn_value(text: str) -> str:
    """Escape an attribute value the way OpenSSL's RFC 2253 one-line DN printer does."""
    out = []
    for i, ch in enumerate(text):
        if ch in ',+"\\<>;' or (i == 0 and ch in "# "):
            out.append("\\" + ch)
        elif ord(ch) < 0x20:
            out.append(f"\\{ord(ch):02X}")
        elif ord(ch) > 0x7E:
            out.extend(f"\\{b:02X}" for b in ch.encode())
        else:
            out.append(ch)
    return "".join(out)


def expand(pairs: tuple) -> tuple:
    """Expand (item, weight) pairs into a tuple where uniform picks follow the weights."""
    return tuple(item for item, weight in pairs for _ in range(weight))


T13_SUITE_POOL = expand(T13_SUITES)
T13_GROUP_POOL = expand(T13_GROUPS)
ECDHE_GROUP_POOL = expand(ECDHE_GROUPS)
RSA_SUITE_POOL = expand(RSA_SUITES)
EC_SUITE_POOL = expand(EC_SUITES)
LEGACY_SUITE_POOL = expand(LEGACY_SUITES)
LEGACY_VERSION_POOL = expand(LEGACY_VERSIONS)


def cumulative_zipf(n: int, exponent: float, offset: float) -> list[float]:
    """Return cumulative Zipf-like weights for ranks 0..n-1."""
    total, out = 0.0, []
    for rank in range(n):
        total += 1.0 / (rank + offset) ** exponent
        out.append(total)
    return out


def zeek_stamp(epoch: int) -> str:
    """Format an epoch second like Zeek's #open/#close lines."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d-%H-%M-%S")


def sni_matches(name: str, cert_names: tuple[str, ...]) -> bool:
    """Tell whether an SNI name matches a certificate's SAN/CN names (one-label wildcards)."""
    if name in cert_names:
        return True
    parent = name.split(".", 1)[1] if "." in name else None
    return parent is not None and f"*.{parent}" in cert_names


# --------------------------------------------------------------------------- data model


@dataclass
class Cert:
    """One certificate: fingerprint, x509.log column values (all but ts) and host names."""

    fp: str
    values: tuple
    names: tuple[str, ...]

    @functools.cached_property
    def rendered(self) -> tuple[str, str]:
        """Return the TSV and JSON fragments of the x509 columns after ts (rendered lazily)."""
        return render_fields(X509_FIELDS[1:], X509_TYPES[1:], self.values)


@dataclass
class Chain:
    """A certificate chain as a server sends it, with its validation result."""

    certs: tuple[int, ...]
    fps_tsv: str
    fps_json: str
    status: str
    key: str
    match: tuple[bool, ...]


@dataclass
class Site:
    """A TLS service (names, certificates, protocol profile) reachable on one or more servers."""

    names: list[str]
    chains: list[Chain]
    sni: tuple[tuple[str, str, int], ...]
    alpn: tuple[str, ...]
    port: int
    internal: bool
    tls13: bool
    legacy: bool
    mtls: bool
    k: int = 6
    variants: dict[int, tuple] = field(default_factory=dict)


@dataclass
class Host:
    """A server or client endpoint with IPv4 and IPv6 addresses."""

    h4: str
    h6: str
    port: int = 0
    site: Site | None = None
    chain: tuple[int, ...] = ()
    fps_tsv: str = "(empty)"
    fps_json: str = "[]"
    tails: tuple[str, str, str, str] = ("", "", "", "")

    def render_tails(self) -> None:
        """Pre-render the id.resp_h/id.resp_p columns (TSV, JSON) for IPv4 and IPv6."""
        h4, h6, port = self.h4, self.h6, self.port
        self.tails = (f"\t{h4}\t{port}", f',"id.resp_h":"{h4}","id.resp_p":{port}',
                      f"\t{h6}\t{port}", f',"id.resp_h":"{h6}","id.resp_p":{port}')


CLIENT_MARK = "\x00client\x00"
NO_CERT_CLIENT = Host("", "")
MARK_CLIENT = Host("", "", chain=(-1,), fps_tsv=CLIENT_MARK, fps_json=CLIENT_MARK)
MTLS_FULL = FULL + 10


# --------------------------------------------------------------------------- output


class Output:
    """A log file written plainly and/or gzip-compressed (on a worker thread)."""

    def __init__(self, plain: Path | None, gz: Path | None, worker: ThreadPoolExecutor):
        """Open the target files; gzip output has no name and mtime 0 for reproducibility."""
        self.paths = [p for p in (plain, gz) if p is not None]
        for path in self.paths:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = plain.open("wb", buffering=1 << 20) if plain else None
        self._raw = gz.open("wb", buffering=1 << 20) if gz else None
        self._gz = gziplib.GzipFile(filename="", mode="wb", fileobj=self._raw, compresslevel=6,
                                 mtime=0) if self._raw else None
        self._worker = worker
        self._pending: collections.deque[Future] = collections.deque()

    def write(self, text: str) -> None:
        """Append text to every target file."""
        data = text.encode()
        if self._fh:
            self._fh.write(data)
        if self._gz:
            self._pending.append(self._worker.submit(self._gz.write, data))
            while len(self._pending) > 3:
                self._pending.popleft().result()

    def close(self) -> None:
        """Flush and close every target file."""
        if self._fh:
            self._fh.close()
        if self._gz and self._raw:
            self._pending.append(self._worker.submit(self._gz.close))
            self._pending.append(self._worker.submit(self._raw.close))
        while self._pending:
            self._pending.popleft().result()


class LogFile:
    """One Zeek log (ssl or x509) in one format, adding the TSV header and #close trailer."""

    def __init__(self, out: Output, fmt: str, path: str, span: tuple[int, int]):
        """Wrap an Output and write the TSV header block when the format is TSV."""
        self.out, self.fmt, self.span = out, fmt, span
        if fmt == "tsv":
            fields, types = (SSL_FIELDS, SSL_TYPES) if path == "ssl" else (X509_FIELDS, X509_TYPES)
            out.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                      f"#unset_field\t-\n#path\t{path}\n#open\t{zeek_stamp(span[0])}\n"
                      "#fields\t" + "\t".join(fields) + "\n#types\t" + "\t".join(types) + "\n")

    def close(self) -> None:
        """Write the #close line (TSV) and close the files."""
        if self.fmt == "tsv":
            self.out.write(f"#close\t{zeek_stamp(self.span[1])}\n")
        self.out.close()


# --------------------------------------------------------------------------- the generator


class Generator:
    """Builds server, client and certificate pools, then renders ssl/x509 rows hour by hour."""

    def __init__(self, seed: int, formats: tuple[str, ...]):
        """Seed the random generator and build all pools (about two seconds)."""
        self.rng = random.Random(seed)
        self.rnd = self.rng.random
        self.want_tsv, self.want_json = "tsv" in formats, "json" in formats
        self.certs: list[Cert] = []
        self.apexes: set[str] = set()
        self.hosting: list[str] = []
        self.hosting_certs: dict[str, Chain] = {}
        self._build_cas()
        self.servers = self._build_servers()
        self.clients = self._build_clients()
        self.server_cum = cumulative_zipf(len(self.servers), 1.0, 2.0)
        self.client_cum = cumulative_zipf(len(self.clients), 0.7, 5.0)
        self.seen_day = [-1] * len(self.certs)

    def pick(self, seq: Sequence[T]) -> T:
        """Pick a uniformly random element of a non-empty sequence."""
        return seq[int(self.rnd() * len(seq))]

    # -- certificates ------------------------------------------------------------------

    def add_cert(self, subject: str, issuer: str, key: str, sig_alg: str, validity: tuple,
                 **extra) -> int:
        """Create a certificate record and return its index."""
        fp = self.rng.randbytes(32).hex()
        key_alg, key_type, bits, exponent, curve = KEYS[key]
        sans = extra.get("sans")
        serial = self.serial(extra.get("serial_lengths", (16, 16, 18, 18, 18, 20)))
        values = (fp, extra.get("version", 3), serial, subject, issuer, validity[0],
                  validity[1], key_alg, sig_alg, key_type, bits, exponent, curve, sans, None,
                  extra.get("emails"), extra.get("ips"), extra.get("ca"), extra.get("path_len"),
                  extra.get("host", True), extra.get("client", False))
        names = tuple(sans) if sans else tuple(extra.get("cn", ()))
        self.certs.append(Cert(fp, values, names))
        return len(self.certs) - 1

    def serial(self, lengths: tuple[int, ...]) -> str:
        """Return a hex certificate serial number as Zeek prints it."""
        nbytes = self.pick(lengths)
        return f"{self.rng.randrange(1, 256):02X}" + self.rng.randbytes(nbytes - 1).hex().upper()

    def validity(self, days: int, expired: bool = False) -> tuple[int, int]:
        """Return (not_valid_before, not_valid_after) for a certificate of `days` lifetime."""
        if expired:
            after = DAY0 - self.rng.randrange(86400, 400 * 86400)
        else:
            after = DAY0 + self.rng.randrange(86400, days * 86400)
        return after - days * 86400 + 1, after

    def _build_cas(self) -> None:
        """Create public roots and intermediates, private roots and the device CA."""
        self.roots = []
        for dn, (key, sig, y0, y1) in PUBLIC_ROOTS.items():
            span = (year_start(y0) + 3_000_000, year_start(y1) + 3_000_000)
            self.roots.append(self.add_cert(dn, dn, key, sig, span, ca=True, host=False))
        self.cas, weights = [], []
        for dn, root, key, days, ov, weight in PUBLIC_CAS:
            root_key = PUBLIC_ROOTS[_ROOT_DNS[root]][0]
            start = year_start(2024) + self.rng.randrange(0, 300) * 86400
            span = (start, start + 3 * 365 * 86400 - 1)
            idx = self.add_cert(dn, _ROOT_DNS[root], key, SIGNS_WITH[root_key], span, ca=True,
                                path_len=0, host=False)
            self.cas.append((idx, self.roots[root], dn, key, days, ov))
            weights.append(weight)
        self.ca_pool = expand(tuple(zip(self.cas, weights, strict=True)))
        self.private_roots = [self._private_root(dn) for dn in PRIVATE_ROOTS]
        span = (year_start(2022), year_start(2032))
        self.device_ca = self.add_cert(DEVICE_CA, PRIVATE_ROOTS[0], "rsa2048",
                                       "sha256WithRSAEncryption", span, ca=True, path_len=0,
                                       host=False, client=True)

    def _private_root(self, dn: str) -> tuple[int, str]:
        """Create a private (untrusted) self-signed root CA."""
        key = self.pick(("rsa2048", "rsa2048", "rsa4096"))
        sig = self.pick(("sha256WithRSAEncryption", "sha256WithRSAEncryption",
                         "sha1WithRSAEncryption"))
        start = year_start(self.rng.randrange(2012, 2024))
        idx = self.add_cert(dn, dn, key, sig, (start, start + 20 * 365 * 86400), ca=True,
                            host=False)
        return idx, dn

    # -- names ---------------------------------------------------------------------------

    def apex(self) -> str:
        """Return a fresh, unique registrable domain name."""
        while True:
            stem = "".join(self.pick(SYLLABLES) for _ in range(self.pick((2, 2, 3))))
            name = f"{stem}.{self.pick(TLDS)}"
            if name not in self.apexes:
                self.apexes.add(name)
                return name

    def internal_host(self) -> str:
        """Return an internal host name such as esx07.corp.example.com."""
        return (f"{self.pick(INTERNAL_PREFIXES)}{self.rng.randrange(1, 99):02d}."
                f"{self.pick(INTERNAL_DOMAINS)}")

    def public_names(self, apex: str) -> list[str]:
        """Return the one to three host names a public site is reached by."""
        subs = self.rng.sample(SUBDOMAINS[2:], self.pick((1, 1, 1, 2, 3)))
        names = list(dict.fromkeys(f"{sub}.{apex}" for sub in subs))
        if self.rnd() < 0.3:
            names.append(apex)
        return names

    def public_sans(self, names: list[str], apex: str) -> list[str]:
        """Return a plausible SAN list for a public certificate covering `names`."""
        draw = self.rnd()
        if draw < 0.35:
            return [f"*.{apex}", apex]
        sans = list(names)
        if draw > 0.88:
            sans += [f"{self.pick(SUBDOMAINS)}.{self.apex()}"
                     for _ in range(self.rng.randrange(2, 30))]
        return sans

    def leaf_subject(self, cn: str, ov_share: float) -> str:
        """Return a DV or OV leaf subject DN in OpenSSL RFC 2253 order."""
        if self.rnd() >= ov_share:
            return f"CN={dn_value(cn)}"
        stem = max(cn.lstrip("*.").split("."), key=len).capitalize()
        suffix = self.pick(ORG_SUFFIXES)
        org = f"{stem}{suffix}" if suffix.startswith(",") else f"{stem} {suffix}"
        city, state, country = self.pick(LOCALITIES)
        return (f"CN={dn_value(cn)},O={dn_value(org)},L={dn_value(city)},"
                f"ST={dn_value(state)},C={country}")

    # -- chains --------------------------------------------------------------------------

    def chain(self, certs: list[int], status: str, key: str, names: list[str]) -> Chain:
        """Wrap certificate indices into a Chain with pre-rendered ssl.log columns."""
        fps = [self.certs[c].fp for c in certs]
        leaf_names = self.certs[certs[0]].names
        match = tuple(sni_matches(n, leaf_names) for n in names)
        fps_json = "[" + ",".join(f'"{fp}"' for fp in fps) + "]"
        return Chain(tuple(certs), ",".join(fps), fps_json, status, key, match)

    def public_chain(self, names: list[str], sans: list[str], expired: bool = False,
                     incomplete: bool = False) -> Chain:
        """Issue a leaf from a public CA and return the chain the server sends."""
        ca_idx, root_idx, ca_dn, ca_key, days, ov_share = self.pick(self.ca_pool)
        key = self.pick(EC_LEAF_KEYS if ca_key.startswith("ec") else RSA_LEAF_KEYS)
        leaf = self.add_cert(self.leaf_subject(sans[0], ov_share), ca_dn, key,
                             SIGNS_WITH[ca_key], self.validity(days, expired), sans=sans,
                             ca=None if self.rnd() < 0.1 else False)
        certs = [leaf] if incomplete else [leaf, ca_idx]
        if not incomplete and self.rnd() < 0.1:
            certs.append(root_idx)
        status = NO_LOCAL_ISSUER if incomplete else EXPIRED if expired else OK
        return self.chain(certs, status, key, names)

    def self_signed_chain(self, host: str, names: list[str]) -> Chain:
        """Create a self-signed appliance-style certificate and its one-element chain."""
        dn = self.pick(SELF_SIGNED_DNS).format(h=dn_value(host))
        key = self.pick(("rsa2048",) * 6 + ("rsa1024", "rsa1024", "rsa4096", "ec256"))
        sig = SIGNS_WITH[key] if key == "ec256" else self.pick(
            ("sha256WithRSAEncryption",) * 6 + ("sha1WithRSAEncryption",) * 3
            + ("md5WithRSAEncryption",))
        days = self.pick((365, 730, 1825, 3650, 7300))
        version = 1 if self.rnd() < 0.08 else 3
        extra = {} if version == 1 else {
            "ca": self.pick((True, True, None, False)),
            "sans": [host] if self.rnd() < 0.4 else None,
            "ips": [self.internal_v4()] if self.rnd() < 0.15 else None}
        cert = self.add_cert(dn, dn, key, sig, self.validity(days, self.rnd() < 0.2),
                             version=version, cn=(host,), serial_lengths=(1, 8, 8, 9, 16, 20),
                             **extra)
        return self.chain([cert], SELF_SIGNED, key, names)

    def private_chain(self, host: str, names: list[str], root: tuple[int, str],
                      send_root: bool = True) -> Chain:
        """Issue a leaf from a private CA; status depends on whether the root is sent."""
        key = self.pick(("rsa2048", "rsa2048", "ec256"))
        leaf = self.add_cert(f"CN={dn_value(host)}", root[1], key, "sha256WithRSAEncryption",
                             self.validity(self.pick((365, 730, 825))), sans=[host], ca=False)
        certs = [leaf, root[0]] if send_root else [leaf]
        return self.chain(certs, SELF_SIGNED_CHAIN if send_root else NO_LOCAL_ISSUER, key, names)

    # -- sites ---------------------------------------------------------------------------

    def make_site(self, rank: int) -> Site:
        """Create the site for a server of the given popularity rank."""
        site = self.site_for_rank(rank)
        site.k = 24 if rank < 200 else 6
        return site

    def site_for_rank(self, rank: int) -> Site:
        """Choose the kind of site for a popularity rank and build it."""
        if rank in ODD_NAMES:
            return self.site_odd(ODD_NAMES[rank])
        if rank in MTLS_RANKS:
            return self.site_private(mtls=True)
        draw = 0.0 if rank < 300 else self.rnd()
        for limit, builder in ((0.90, self.site_public), (0.92, self.site_mismatch),
                               (0.94, self.site_incomplete), (0.95, self.site_expired),
                               (0.985, self.site_self_signed)):
            if draw < limit:
                return builder()
        return self.site_private()

    def site(self, names: list[str], chains: list[Chain], internal: bool = False,
             **flags) -> Site:
        """Assemble a Site, choosing port, ALPN and SNI options."""
        port = self.pick(INTERNAL_PORTS if internal else PUBLIC_PORTS)
        alpn = HTTPS_ALPN if port in (443, 8443) else ("dot",) if port == 853 else ("-",)
        tls13 = flags.get("tls13", self.rnd() < (0.5 if internal else 0.97))
        legacy = not tls13 and self.rnd() < 0.5
        return Site(names, chains, self.sni_options(names), alpn, port, internal, tls13,
                    legacy, flags.get("mtls", False))

    def sni_options(self, names: list[str]) -> tuple[tuple[str, str, int], ...]:
        """Return weighted (TSV, JSON fragment, name index) SNI choices incl. no SNI."""
        slots = [0] * 14 + [i for i in range(1, len(names)) for _ in range(4)] if names else []
        rendered = [render_value("string", name) for name in names]
        options = [(rendered[i][0], f',"server_name":{rendered[i][1]}', i) for i in slots]
        return tuple(options) + (("-", "", -1),) * max(1, round(len(slots) * 0.08))

    def site_public(self) -> Site:
        """A public site with a valid chain (sometimes an extra RSA/ECDSA chain)."""
        apex = self.apex()
        names = self.public_names(apex)
        sans = self.public_sans(names, apex)
        chains = [self.public_chain(names, sans)]
        if self.rnd() < 0.3:
            chains.append(self.public_chain(names, sans))
        return self.site(names, chains)

    def site_mismatch(self) -> Site:
        """A public site served with a hosting provider's default certificate."""
        if not self.hosting:
            self.hosting = [self.apex() for _ in range(4)]
        provider = self.pick(self.hosting)
        names = self.public_names(self.apex())
        if provider not in self.hosting_certs:
            self.hosting_certs[provider] = self.public_chain([], [f"*.{provider}", provider])
        shared = self.hosting_certs[provider]
        return self.site(names, [self.chain(list(shared.certs), OK, shared.key, names)])

    def site_incomplete(self) -> Site:
        """A site whose server omits the intermediate certificate."""
        if self.rnd() < 0.5:
            apex = self.apex()
            names = self.public_names(apex)
            return self.site(names, [self.public_chain(names, self.public_sans(names, apex),
                                                       incomplete=True)])
        host = self.internal_host()
        root = self.pick(self.private_roots)
        return self.site([host], [self.private_chain(host, [host], root, False)], True)

    def site_expired(self) -> Site:
        """A public site still serving an expired certificate."""
        apex = self.apex()
        names = self.public_names(apex)
        sans = self.public_sans(names, apex)
        return self.site(names, [self.public_chain(names, sans, expired=True)])

    def site_self_signed(self) -> Site:
        """An internal appliance with a self-signed certificate, often reached by IP."""
        host = self.internal_host()
        names = [] if self.rnd() < 0.5 else [host]
        return self.site(names, [self.self_signed_chain(host, names)], True)

    def site_private(self, mtls: bool = False) -> Site:
        """An internal service using a private CA that it sends along (optionally mTLS)."""
        host = self.internal_host()
        root = self.pick(self.private_roots)
        return self.site([host], [self.private_chain(host, [host], root)], True, mtls=mtls,
                         tls13=False if mtls else self.rnd() < 0.5)

    def site_odd(self, name: str) -> Site:
        """A site whose SNI name needs escaping, with a self-signed certificate for it."""
        cert = self.add_cert(f"CN={dn_value(name)}", f"CN={dn_value(name)}", "rsa2048",
                             "sha256WithRSAEncryption", self.validity(365), sans=[name],
                             ca=False)
        return self.site([name], [self.chain([cert], SELF_SIGNED, "rsa2048", [name])],
                         tls13=True)

    # -- hosts ---------------------------------------------------------------------------

    def internal_v4(self) -> str:
        """Return a random RFC 1918 address."""
        r = self.rng.randrange
        if self.rnd() < 0.6:
            return f"10.{r(0, 256)}.{r(0, 256)}.{r(1, 255)}"
        if self.rnd() < 0.5:
            return f"172.{r(16, 32)}.{r(0, 256)}.{r(1, 255)}"
        return f"192.168.{r(0, 256)}.{r(1, 255)}"

    def server_addrs(self, internal: bool) -> tuple[str, str]:
        """Return an (IPv4, IPv6) address pair for a server."""
        r = self.rng.randrange
        if internal:
            v6 = (0xFD << 120) | (self.rng.getrandbits(40) << 80) | (r(1, 64) << 64) | r(1, 4096)
            return self.internal_v4(), str(ipaddress.IPv6Address(v6))
        v4 = f"{self.pick(PUBLIC_OCTETS)}.{r(0, 256)}.{r(0, 256)}.{r(1, 255)}"
        iid = self.rng.getrandbits(32 if self.rnd() < 0.5 else 64)
        v6 = (self.pick(V6_PREFIXES) << 96) | (self.rng.getrandbits(16) << 80) | iid
        return v4, str(ipaddress.IPv6Address(v6))

    def _build_servers(self) -> list[Host]:
        """Create the server pool ordered by popularity; popular sites get several IPs."""
        servers: list[Host] = []
        for rank in range(N_SERVERS):
            forced = rank in ODD_NAMES or rank in MTLS_RANKS
            if rank >= 10 and not forced and self.rnd() < SHARED_SITE_SHARE:
                site = servers[int(rank * self.rnd() ** 2)].site
            else:
                site = self.make_site(rank)
            assert site is not None
            h4, h6 = self.server_addrs(site.internal)
            servers.append(Host(h4, h6, site.port, site))
            servers[-1].render_tails()
        return servers

    def _build_clients(self) -> list[Host]:
        """Create the client pool; the most active clients carry client certificates."""
        offsets = self.rng.sample(range(65536 * 254), N_CLIENTS)
        clients = []
        for i, off in enumerate(offsets):
            net, host = divmod(off, 254)
            v4 = f"10.{net >> 8}.{net & 255}.{host + 1}"
            v6 = (0x20010DB8 << 96) | (self.rng.randrange(1, 400) << 64) | self.rng.getrandbits(64)
            client = Host(v4, str(ipaddress.IPv6Address(v6)))
            if i < N_CLIENT_CERTS:
                self.add_client_cert(client, i)
            clients.append(client)
        return clients

    def add_client_cert(self, client: Host, i: int) -> None:
        """Give a client a device or user certificate (with the issuing CA half the time)."""
        if self.rnd() < 0.5:
            dn, extra = f"CN=device-{i:05d},OU=Devices,O=Example Corp", {}
        else:
            email = f"user{i:05d}@corp.example.com"
            dn, extra = f"CN={email},OU=Staff,O=Example Corp", {"emails": [email]}
        key = self.pick(("rsa2048", "ec256"))
        leaf = self.add_cert(dn, DEVICE_CA, key, "sha256WithRSAEncryption",
                             self.validity(365), ca=False, client=True, **extra)
        client.chain = (leaf, self.device_ca) if self.rnd() < 0.5 else (leaf,)
        fps = [self.certs[c].fp for c in client.chain]
        client.fps_tsv = ",".join(fps)
        client.fps_json = "[" + ",".join(f'"{fp}"' for fp in fps) + "]"

    # -- rows ----------------------------------------------------------------------------

    def suite(self, site: Site, key: str) -> tuple[str, str, str | None]:
        """Pick (version, cipher, curve) for a TLS <= 1.2 handshake with this site."""
        if site.legacy:
            version, suites = self.pick(LEGACY_VERSION_POOL), LEGACY_SUITE_POOL
        else:
            version, suites = "TLSv12", EC_SUITE_POOL if key.startswith("ec") else RSA_SUITE_POOL
        cipher = self.pick(suites)
        if "ECDHE" not in cipher:
            return version, cipher, None
        return version, cipher, "secp256r1" if site.legacy else self.pick(ECDHE_GROUP_POOL)

    def tls13_row(self, site: Site) -> tuple:
        """Return the handshake, state and cert parts of a TLS 1.3 connection."""
        hs = handshake_part("TLSv13", self.pick(T13_SUITE_POOL), self.pick(T13_GROUP_POOL))
        history = "CsiI" if self.rnd() < 0.93 else "Cs"
        state = state_part(self.rnd() < 0.15, "-", self.pick(site.alpn), True, history)
        return hs, state, NO_CERTS, None

    def resumed_row(self, site: Site) -> tuple:
        """Return the parts of a resumed TLS <= 1.2 session (no certificates exchanged)."""
        version, cipher, _ = self.suite(site, site.chains[0].key)
        state = state_part(True, "-", self.pick(site.alpn), True, "CsiI")
        return handshake_part(version, cipher, None), state, NO_CERTS, None

    def failed_row(self, kind: int) -> tuple:
        """Return the parts of a handshake with no server reply or a server alert."""
        if kind == NOREPLY:
            return NO_HANDSHAKE, state_part(False, "-", "-", False, "C"), NO_CERTS, None
        alert = self.pick(SERVER_ALERTS)
        return NO_HANDSHAKE, state_part(False, alert, "-", False, "Cl"), NO_CERTS, None

    def full_row(self, site: Site, client: Host, name_i: int) -> tuple:
        """Return the parts of a full handshake in which the certificate chain is visible."""
        chain = self.pick(site.chains)
        version, cipher, curve = self.suite(site, chain.key)
        kex = "k" if "DHE" in cipher else ""
        mtls = site.mtls
        middle = ("rnXGYI" if client.chain else "rnXGI") if mtls else "nGI"
        alpn = self.pick(site.alpn)
        if chain.status != OK and self.rnd() < 0.3:
            state = state_part(False, self.pick(CLIENT_ALERTS), alpn, False, f"Csx{kex}nL")
        else:
            history = ("Csx" + ("u" if self.rnd() < 0.3 else "") + kex + middle
                       + ("t" if self.rnd() < 0.6 else "") + "i")
            state = state_part(False, "-", alpn, True, history)
        match_t, match_j = MATCH_PARTS[chain.match[name_i] if name_i >= 0 else None]
        cc_t, cc_j = client.fps_tsv, client.fps_json
        return (handshake_part(version, cipher, curve), state,
                (f"{chain.fps_tsv}\t{cc_t}\t{match_t}\t{chain.status}",
                 f',"cert_chain_fps":{chain.fps_json},"client_cert_chain_fps":{cc_j}{match_j}'
                 f',"validation_status":"{chain.status}"'), chain.certs)

    def parts(self, kind: int, site: Site, client: Host, name_i: int) -> tuple:
        """Dispatch a row kind to the builder of its handshake/state/certificate parts."""
        if kind == T13 and site.tls13:
            return self.tls13_row(site)
        if kind == RESUMED:
            return self.resumed_row(site)
        if kind in (NOREPLY, HSFAIL):
            return self.failed_row(kind)
        return self.full_row(site, client, name_i)

    def uids(self, n: int) -> list[str]:
        """Return n connection uids ('C' + 17 base62 characters)."""
        text = self.rng.randbytes(17 * n).translate(_UID_TABLE).decode("ascii")
        return ["C" + text[i:i + 17] for i in range(0, 17 * n, 17)]

    def hour_chunks(self, hour: int, n: int) -> Iterator[tuple[str, str, str, str]]:
        """Yield (ssl TSV, ssl JSON, x509 TSV, x509 JSON) text for n rows of one hour."""
        base = (DAY0 + hour * 3600) * US
        offsets = sorted(self.rng.sample(range(HOUR_US), n))
        pending: list[tuple[int, int]] = []
        for lo in range(0, n, CHUNK_ROWS):
            stamps = [base + off for off in offsets[lo:lo + CHUNK_ROWS]]
            ssl_t, ssl_j = self.rows(stamps, hour // 24, base + HOUR_US - 1, pending)
            pending.sort()
            final = lo + CHUNK_ROWS >= n
            cut = len(pending) if final else bisect.bisect_right(pending, (stamps[-1], 1 << 62))
            x509_t, x509_j = self.x509_rows(pending[:cut])
            del pending[:cut]
            yield ssl_t, ssl_j, x509_t, x509_j

    def rows(self, stamps: list[int], day: int, limit: int,
             pending: list[tuple[int, int]]) -> tuple[str, str]:
        """Render ssl rows at the given timestamps, queueing first-seen certificates."""
        n, rng = len(stamps), self.rng
        uids = self.uids(n)
        servers = rng.choices(self.servers, cum_weights=self.server_cum, k=n)
        clients = rng.choices(self.clients, cum_weights=self.client_cum, k=n)
        kinds = rng.choices(range(5), cum_weights=KIND_CUM_WEIGHTS, k=n)
        v6 = rng.choices((False, True), cum_weights=(100 - IPV6_SHARE, 100), k=n)
        oports = rng.choices(EPHEMERAL_PORTS, k=n)
        tsv, js = [], []
        for i, ts in enumerate(stamps):
            line_t, line_j, certs = self.row(ts, uids[i], servers[i], clients[i], v6[i],
                                             kinds[i], oports[i])
            tsv.append(line_t)
            js.append(line_j)
            if certs:
                self.note_certs(ts, certs, day, limit, pending)
        return "".join(tsv), "".join(js)

    def variant_set(self, site: Site, key: int) -> tuple:
        """Build (once per site and row kind) the pre-rendered row tails the site draws from."""
        kind = FULL if key == MTLS_FULL else key
        client = MARK_CLIENT if key == MTLS_FULL else NO_CERT_CLIENT
        out = []
        for _ in range(site.k if kind in (T13, RESUMED, FULL) else 2):
            sni_t, sni_j, name_i = self.pick(site.sni)
            hs, state, cert, certs = self.parts(kind, site, client, name_i)
            out.append((f"\t{hs[0]}\t{sni_t}\t{state[0]}\t{cert[0]}\n",
                        f"{hs[1]}{sni_j}{state[1]}{cert[1]}}}\n", certs))
        site.variants[key] = tuple(out)
        return site.variants[key]

    def row(self, ts: int, uid: str, server: Host, client: Host, v6: bool, kind: int,
            oport: str) -> tuple[str, str, tuple[int, ...] | None]:
        """Render one ssl.log row as TSV and JSON and return the certificates it showed."""
        site = server.site
        assert site is not None
        key = FULL if kind == T13 and not site.tls13 else kind
        if site.mtls and key == FULL and client.chain:
            key = MTLS_FULL
        variants = site.variants.get(key) or self.variant_set(site, key)
        mid_t, mid_j, certs = variants[int(self.rnd() * len(variants))]
        if key == MTLS_FULL:
            mid_t = mid_t.replace(CLIENT_MARK, client.fps_tsv)
            mid_j = mid_j.replace(CLIENT_MARK, client.fps_json)
            certs = certs + client.chain
        resp_t, resp_j = server.tails[2:] if v6 else server.tails[:2]
        orig, stamp = client.h6 if v6 else client.h4, str(ts)
        line_t = line_j = ""
        if self.want_tsv:
            line_t = f"{stamp[:-6]}.{stamp[-6:]}\t{uid}\t{orig}\t{oport}{resp_t}{mid_t}"
        if self.want_json:
            line_j = (f'{{"ts":{stamp[:-6]}.{stamp[-6:].rstrip("0") or "0"},"uid":"{uid}",'
                      f'"id.orig_h":"{orig}","id.orig_p":{oport}{resp_j}{mid_j}')
        return line_t, line_j, certs

    def note_certs(self, ts: int, certs: tuple[int, ...], day: int, limit: int,
                   out: list[tuple[int, int]]) -> None:
        """Queue x509 rows for certificates not yet logged today (Zeek's 1-day dedup)."""
        seen, delay = self.seen_day, 0
        for k, cert in enumerate(certs):
            if seen[cert] != day:
                seen[cert] = day
                delay = delay or self.rng.randrange(2_000, 40_000)
                out.append((min(ts + delay + 173 * k, limit), cert))

    def x509_rows(self, entries: list[tuple[int, int]]) -> tuple[str, str]:
        """Render queued (ts, cert) x509 entries as TSV and JSON text."""
        tsv, js = [], []
        for ts, idx in entries:
            cert_t, cert_j = self.certs[idx].rendered
            sec, frac = divmod(ts, US)
            tsv.append(f"{sec}.{frac:06d}\t{cert_t}\n")
            jfrac = f"{frac:06d}".rstrip("0") or "0"
            js.append(f'{{"ts":{sec}.{jfrac}{cert_j}}}\n')
        return "".join(tsv), "".join(js)


def year_start(year: int) -> int:
    """Return the epoch second of January 1st of a year (UTC)."""
    return int(datetime(year, 1, 1, tzinfo=UTC).timestamp())



# --------------------------------------------------------------------------- orchestration


def split_rows(rows: int, weights: list[float]) -> list[int]:
    """Split rows over buckets proportionally to weights (largest remainder)."""
    total = sum(weights)
    exact = [rows * w / total for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: rows - sum(counts)]:
        counts[i] += 1
    return counts


def plan_spans(rows: int, hours: int) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Return (start, end, [(hour index, rows)]) per output file span."""
    if hours <= 1:
        counts = split_rows(rows, list(DIURNAL))
        return [(DAY0, DAY0 + 86400, list(enumerate(counts)))]
    counts = split_rows(rows, [1.0] * hours)
    return [(DAY0 + h * 3600, DAY0 + (h + 1) * 3600, [(h, counts[h])]) for h in range(hours)]


def span_paths(outdir: Path, log: str, fmt: str, span: tuple[int, int], hourly: bool,
               compress: bool) -> tuple[Path | None, Path | None]:
    """Return the (plain, gzip) paths for one log/format/span."""
    ext = "log" if fmt == "tsv" else "ndjson"
    if not hourly:
        plain = outdir / f"{log}.{ext}"
        return plain, (plain.with_name(plain.name + ".gz") if compress else None)
    start, end = (datetime.fromtimestamp(t, UTC) for t in span)
    name = f"{log}.{start:%H:%M:%S}-{end:%H:%M:%S}.{ext}.gz"
    return None, outdir / f"{start:%Y-%m-%d}" / name


def open_logs(outdir: Path, formats: tuple[str, ...], span: tuple[int, int], hourly: bool,
              compress: bool, worker: ThreadPoolExecutor) -> dict[tuple[str, str], LogFile]:
    """Open the ssl and x509 log files of every format for one span."""
    logs = {}
    for log in ("ssl", "x509"):
        for fmt in formats:
            plain, gz = span_paths(outdir, log, fmt, span, hourly, compress)
            logs[log, fmt] = LogFile(Output(plain, gz, worker), fmt, log, span)
    return logs


def generate(outdir: str | Path, rows: int, seed: int = 1, formats: tuple[str, ...] = ("tsv",),
             gzip: bool = False, hours: int = 1) -> list[Path]:
    """Write synthetic Zeek ssl/x509 logs into outdir and return the written paths."""
    formats = tuple(f for f in ("tsv", "json") if f in formats)
    if not formats or rows < 0:
        raise ValueError("formats must include 'tsv' and/or 'json' and rows must be >= 0")
    outdir, gen, written = Path(outdir), Generator(seed, formats), []
    with ThreadPoolExecutor(max_workers=1) as worker:
        for start, end, hour_rows in plan_spans(rows, hours):
            logs = open_logs(outdir, formats, (start, end), hours > 1, gzip, worker)
            for hour, n in hour_rows:
                for chunk in gen.hour_chunks(hour, n):
                    write_chunk(logs, chunk)
            for log in logs.values():
                log.close()
                written.extend(log.out.paths)
    return written


def write_chunk(logs: dict[tuple[str, str], LogFile], chunk: tuple[str, str, str, str]) -> None:
    """Append one generated chunk (ssl/x509 x TSV/JSON texts) to the open logs."""
    slot = {("ssl", "tsv"): 0, ("ssl", "json"): 1, ("x509", "tsv"): 2, ("x509", "json"): 3}
    for key, logfile in logs.items():
        if chunk[slot[key]]:
            logfile.out.write(chunk[slot[key]])


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--formats", default="tsv", help="comma list of tsv,json")
    parser.add_argument("--gzip", action="store_true", help="also write .gz copies")
    parser.add_argument("--hours", type=int, default=1, help="H>1: zeekctl hourly layout")
    args = parser.parse_args(argv)
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    if not set(formats) <= {"tsv", "json"}:
        parser.error("--formats accepts tsv and/or json")
    began = time.perf_counter()
    paths = generate(args.outdir, args.rows, args.seed, formats, args.gzip, args.hours)
    for path in paths:
        print(f"{path.stat().st_size:>14,d}  {path}")
    print(f"{args.rows:,d} rows in {time.perf_counter() - began:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())


def ensure_generated(folder: Path, rows: int) -> Path:
    """Generate ssl.log, x509.log and their .gz in ``folder`` unless they are there already."""
    wanted = ("ssl.log", "ssl.log.gz", "x509.log", "x509.log.gz")
    if not all((folder / name).exists() for name in wanted):
        folder.mkdir(parents=True, exist_ok=True)
        generate(folder, rows, seed=1, formats=("tsv",), gzip=True)
    return folder


def bench_arguments(description: str) -> argparse.Namespace:
    """The ``--rows``, ``--data`` and ``--repeat`` options the 1M-row benchmarks share."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).resolve().parent.parent / "bench-data" / "load")
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args()
