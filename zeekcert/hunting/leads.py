"""Ranked hunt leads: each failing server's score, the sum of components it shows.

Every component carries its points and its reason, so a lead says why it is one:

- ``self_signed`` (or ``other_cause``, for any other failure);
- ``external``: the server is outside the policy's ``local_nets``;
- ``beacon``: a client polls it like clockwork, with the period, on an external server
  (inside, clockwork polling is mostly monitoring);
- ``catalogue``: a catalogue entry matched, weighted by its confidence (a vendor default
  lowers the score instead: it is explained);
- ``fresh``: its certificate's ``not_valid_before`` is within ``fresh_days`` of the first
  connection seen, on an external server;
- ``cluster``: its certificate is in a reuse cluster, on an external server (inside, one
  certificate on many hosts is mostly one product's);

both only for a certificate no public CA vouches for (self-signed, an untrusted root, or
a tooling match): a public CA's is often days old and shared by a CDN's many addresses,
and one whose intermediate is missing fails as ``incomplete_chain`` all the same;
- ``random_name``: its SNI, CN or a SAN looks generated (``names``);
- ``rare``: ``rare_clients`` clients or fewer;
- ``acknowledged``: an allowlist entry covers it (negative).

Ranking is by score, then address and port, so the same servers rank the same whatever
order they come in.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..causes import Cause
from .catalogue import Catalogue, Confidence, Family
from .clusters import CLUSTER_COLUMNS, find_clusters, identity
from .dn import attribute, parse_dn
from .matching import match_certificates
from .names import looks_random
from .weights import HuntPolicy

LEAD_COLUMNS = ["rank", "resp_h", "resp_p", "score", "lead", "components", "labels",
                "clusters", "fresh", "random_names", "external", "causes", "clients",
                "first_seen", "last_seen", "subject", "issuer"]


@dataclass(frozen=True)
class Hunt:
    """The scored servers (``leads``, best first) and the reuse ``clusters``."""

    leads: pd.DataFrame
    clusters: pd.DataFrame
    policy: HuntPolicy

    def top(self) -> pd.DataFrame:
        """The leads at or above the threshold, at most ``policy.top`` of them."""
        return self.leads[self.leads["lead"].to_numpy(dtype=bool)].head(self.policy.top)


def hunt(servers: pd.DataFrame, catalogue: Catalogue, policy: HuntPolicy | None = None,
         certs: pd.DataFrame | None = None) -> Hunt:
    """Score ``servers`` (the report's failing servers: ``resp_h``, ``resp_p``, ``causes``,
    ``clients``, ``first_seen``, ``last_seen``, ``server_names``, ``fingerprints``,
    ``subject``, ``issuer``, and where known ``clockwork``, ``median_interval_s``,
    ``beacon_client``, ``acknowledged``) against the catalogue and each other.

    ``certs`` is the certificate table the servers' fingerprints name; without it, each
    server's latest subject and issuer are all that is matched.
    """
    policy = policy or HuntPolicy()
    servers = servers.reset_index(drop=True)
    shown = _shown(servers, certs)
    matched = match_certificates(shown.set_index("key")[_CERT_FIELDS], catalogue)
    labels = matched.groupby("key")["label"].agg(lambda s: sorted(set(s))).to_dict()
    shown["labels"] = [labels.get(k, []) for k in shown["key"]]
    clusters = find_clusters(shown, catalogue, policy.cluster_min)
    rows = [_score(servers.iloc[i], group, clusters, catalogue, policy)
            for i, group in _by_server(shown, len(servers))]
    leads = pd.DataFrame(rows, columns=LEAD_COLUMNS[1:]).astype(
        {"score": "int64", "lead": bool, "fresh": bool, "external": bool})
    keys = [(-int(score), _address_order(str(host)), -1 if pd.isna(port) else int(port))
            for score, host, port in zip(leads["score"], leads["resp_h"], leads["resp_p"],
                                         strict=True)]
    order = sorted(range(len(leads)), key=keys.__getitem__)
    leads = leads.iloc[order].reset_index(drop=True)
    leads.insert(0, "rank", np.arange(1, len(leads) + 1))
    return Hunt(leads, clusters.reindex(columns=CLUSTER_COLUMNS), policy)


_CERT_FIELDS = ["subject", "issuer", "serial", "not_valid_before", "not_valid_after",
                "key_type", "key_length", "san_dns"]


def _shown(servers: pd.DataFrame, certs: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (server, certificate it showed), with the certificate's fields; a
    server whose certificates the table lacks stands for itself with its latest names."""
    rows = []
    index = set() if certs is None else set(certs.index)
    for i, server in servers.iterrows():
        keys = [k for k in (server.get("fingerprints") or []) if k in index]
        for key in keys:
            rows.append({"server": i, "key": key, **_fields(certs.loc[key])})  # type: ignore[union-attr]
        if not keys:
            rows.append({"server": i, "key": f"server:{i}",
                         **dict.fromkeys(_CERT_FIELDS), "subject": server.get("subject"),
                         "issuer": server.get("issuer")})
    shown = pd.DataFrame(rows, columns=["server", "key", *_CERT_FIELDS])
    shown["identity"] = [identity(*v) for v in zip(
        shown["key"], shown["subject"], shown["issuer"], shown["serial"],
        shown["not_valid_before"], shown["not_valid_after"], strict=True)]
    for name in ("resp_h", "resp_p", "first_seen", "last_seen", "clients"):
        shown[name] = servers[name].to_numpy()[shown["server"].to_numpy(dtype=np.int64)]
    return shown


def _address_order(host: str) -> tuple[int, int, str]:
    """IPv4 by value, then IPv6 by value, then anything else by its text."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return (7, 0, host)
    return (ip.version, int(ip), "")


def _fields(cert: pd.Series) -> dict[str, Any]:
    return {name: (None if name not in cert.index else cert[name]) for name in _CERT_FIELDS}


def _by_server(shown: pd.DataFrame, count: int) -> list[tuple[int, pd.DataFrame]]:
    groups = dict(list(shown.groupby("server", sort=True)))
    return [(i, groups[i]) for i in range(count)]


def _score(server: pd.Series, shown: pd.DataFrame, clusters: pd.DataFrame,
           catalogue: Catalogue, policy: HuntPolicy) -> list[Any]:
    """One lead row: the components, their sum, and what they looked at."""
    w, parts = policy.weights, []
    causes = list(server.get("causes") or [])
    host = str(server["resp_h"])
    external = not policy.is_local(host)
    if Cause.SELF_SIGNED.value in causes:
        parts.append(("self_signed", w.self_signed, "its certificate is self-signed"))
    elif causes:
        parts.append(("other_cause", w.other_cause, f"validation fails: {', '.join(causes)}"))
    if external:
        parts.append(("external", w.external, f"{host} is outside the local networks"))
    if external and bool(server.get("clockwork")) and pd.notna(
            server.get("median_interval_s")):  # inside, clockwork is mostly monitoring
        parts.append(("beacon", w.beacon, f"{server.get('beacon_client')} polls it every "
                      f"{float(server['median_interval_s']):.0f} s like clockwork"))
    labels = sorted({lab for ls in shown["labels"] for lab in ls})
    parts += _catalogue_parts(labels, catalogue, policy)
    # A public CA's certificate is often days old and shared by many addresses (a CDN's):
    # freshness and reuse count for certificates no public CA vouches for.
    private = bool({Cause.SELF_SIGNED.value, Cause.UNTRUSTED_ROOT.value} & set(causes)) or any(
        lab.startswith(Family.C2.prefix + ":") for lab in labels)
    fresh = external and private and _fresh(shown, server, policy.fresh_days)
    if fresh:
        parts.append(("fresh", w.fresh, f"its certificate was issued within "
                      f"{policy.fresh_days} days of the first connection"))
    mine = _clusters_of(shown, clusters)
    if mine and external and private:  # inside, mostly one product's certificate
        parts.append(("cluster", w.cluster, f"shares {mine[0]} with other addresses"))
    names = _random_names(server, shown)
    if names:
        parts.append(("random_name", w.random_name, f"{names[0]} looks generated"))
    clients = int(server.get("clients") or 0)
    if clients <= policy.rare_clients:
        parts.append(("rare", w.rare, f"{clients} client{'s' if clients != 1 else ''}"))
    if bool(server.get("acknowledged")):
        parts.append(("acknowledged", w.acknowledged, "acknowledged in the allowlist"))
    components: list[dict[str, Any]] = [{"component": c, "points": p, "reason": r}
                                         for c, p, r in parts if p]
    score = sum(p for _, p, _ in parts)
    return [host, server["resp_p"], score, score >= policy.lead_threshold, components,
            labels, mine, fresh, names, external, causes, clients, server.get("first_seen"),
            server.get("last_seen"), server.get("subject"), server.get("issuer")]


def _catalogue_parts(labels: list[str], catalogue: Catalogue, policy: HuntPolicy
                     ) -> list[tuple[str, int, str]]:
    """The best c2 match counts by its confidence; a vendor default lowers the score."""
    w = policy.weights
    entries = {e.label: e for e in catalogue.entries}
    known = [entries[lab] for lab in labels if lab in entries]
    tooling = [e for e in known if e.family is Family.C2]
    order = [Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW]
    if tooling:
        best = min(tooling, key=lambda e: order.index(e.confidence))
        points = {Confidence.HIGH: w.catalogue_high, Confidence.MEDIUM: w.catalogue_medium,
                  Confidence.LOW: w.catalogue_low}[best.confidence]
        return [("catalogue", points, f"{best.tool}: {best.description} "
                 f"({best.confidence.value} confidence)")]
    vendor = [e for e in known if e.family is Family.VENDOR_DEFAULT]
    if vendor:
        return [("vendor_default", w.vendor_default, f"{vendor[0].tool}'s default "
                 "certificate: a hygiene finding")]
    return []


def _fresh(shown: pd.DataFrame, server: pd.Series, days: int) -> bool:
    """Whether a certificate it showed became valid within ``days`` before (or a day
    after: clocks differ) the first connection seen."""
    first = pd.to_datetime(server["first_seen"], utc=True) if "first_seen" in server.index \
        else pd.NaT
    before = pd.to_datetime(shown["not_valid_before"], utc=True, errors="coerce")
    if pd.isna(first) or not before.notna().any():
        return False
    age = (first - before) / pd.Timedelta(days=1)
    return bool(((age >= -1) & (age <= days)).any())


def _clusters_of(shown: pd.DataFrame, clusters: pd.DataFrame) -> list[str]:
    if not len(clusters):
        return []
    keys = set(shown["identity"]) | {lab for ls in shown["labels"] for lab in ls}
    return [c for c, k in zip(clusters["cluster"], clusters["key"], strict=True) if k in keys]


def _random_names(server: pd.Series, shown: pd.DataFrame) -> list[str]:
    """The SNIs, common names and SAN names that look generated, sorted."""
    names = {str(n) for n in (server.get("server_names") or [])}
    for subject in shown["subject"].dropna():
        names |= set(attribute(parse_dn(str(subject)), "CN"))
    for sans in shown["san_dns"].dropna():
        if isinstance(sans, (list, tuple, np.ndarray)):
            names |= {str(s) for s in sans}
    return sorted(n for n in names if looks_random(n))
