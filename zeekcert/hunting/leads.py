"""Ranked hunt leads: each failing server's score, the sum of components it shows.

Every component carries its points and its reason, so a lead says why it is one:

- ``self_signed`` (or ``other_cause``, for any other failure);
- ``external``: the server is outside the policy's ``local_nets``;
- ``beacon``: a client polls it like clockwork, with the period, on an external server
  (inside, clockwork polling is mostly monitoring);
- ``catalogue``: a c2 catalogue entry matched, weighted by its confidence; or
  ``vendor_default``: a product's factory certificate, a hygiene finding worth a point
  (fix it: its key may be public), well below any tooling;
- ``fresh``: its certificate's ``not_valid_before`` is within ``fresh_days`` of the first
  connection seen, on an external server that an internal client (in ``local_nets``)
  connects to, when the frame counts them (``internal_clients``);
- ``cluster``: its certificate is in a reuse cluster, on an external server (inside, one
  certificate on many hosts is mostly one product's);
- ``tls_stack``: its JA3S or JA4S answers on other failing addresses too (0 points unless
  a site gives it some: common stacks are shared by unrelated servers);

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
from ..classification import STACK_FIELDS
from .catalogue import Catalogue, Confidence, Family
from .clusters import (
    CLUSTER_COLUMNS,
    TLS_STACK,
    find_clusters,
    identity,
    listed,
    merged_clusters,
    stack_clusters,
)
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


def hunt(servers: pd.DataFrame, catalogue: Catalogue, policy: HuntPolicy | None = None,
         certs: pd.DataFrame | None = None) -> Hunt:
    """Score ``servers`` (the report's failing servers: ``resp_h``, ``resp_p``, ``causes``,
    ``clients``, ``first_seen``, ``last_seen``, ``server_names``, ``fingerprints``,
    ``subject``, ``issuer``, and where known ``clockwork``, ``median_interval_s``,
    ``beacon_client``, ``acknowledged``, ``internal_clients``, ``ja3s`` and ``ja4s``)
    against the catalogue and each other.

    ``certs`` is the certificate table the servers' fingerprints name; without it, each
    server's latest subject and issuer are all that is matched.
    """
    policy = policy or HuntPolicy()
    servers = servers.reset_index(drop=True)
    shown = _shown(servers, certs)
    matched = match_certificates(shown.drop_duplicates("key").set_index("key")[_CERT_FIELDS],
                                 catalogue)
    labels = matched.groupby("key")["label"].agg(lambda s: sorted(set(s))).to_dict()
    shown["labels"] = [labels.get(k, []) for k in shown["key"]]
    clusters = merged_clusters(find_clusters(shown, catalogue, policy.cluster_min),
                               stack_clusters(servers, policy.cluster_min))
    seen = _per_server(shown, len(servers), policy.fresh_days)
    rows = [_score(server, seen[i], clusters, catalogue, policy)
            for i, server in enumerate(_records(servers))]
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


@dataclass(frozen=True)
class Seen:
    """What one server's certificates showed: labels, identities, whether one was fresh,
    and the names in them (common names and SAN DNS names)."""

    labels: list[str]
    identities: set[str]
    fresh: bool
    names: set[str]


def _shown(servers: pd.DataFrame, certs: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (server, certificate it showed), with the certificate's fields; a
    server whose certificates the table lacks stands for itself with its latest names.
    Built by exploding the fingerprint lists, not a step per server."""
    given: Any = (servers["fingerprints"] if "fingerprints" in servers.columns
                  else [[]] * len(servers))
    lists = [listed(v) for v in given]
    pairs = pd.DataFrame({"server": np.repeat(np.arange(len(servers)), [len(v) for v in lists]),
                          "key": pd.Series([k for v in lists for k in v], dtype=object)})
    known = certs is not None and len(certs)
    if known:
        pairs = pairs[pairs["key"].isin(certs.index).to_numpy()]  # type: ignore[union-attr]
        fields = certs.reindex(pairs["key"].to_numpy())  # type: ignore[union-attr]
        have = pd.DataFrame({name: (fields[name].to_numpy(dtype=object) if name in fields
                                    else None) for name in _CERT_FIELDS}, index=pairs.index)
        pairs = pd.concat([pairs, have], axis=1)
    else:
        pairs = pairs.iloc[:0].assign(**dict.fromkeys(_CERT_FIELDS))
    alone = np.setdiff1d(np.arange(len(servers)), pairs["server"].to_numpy(dtype=np.int64))
    fallback = pd.DataFrame({"server": alone, "key": [f"server:{i}" for i in alone],
                             **dict.fromkeys(_CERT_FIELDS),
                             "subject": _column(servers, "subject")[alone],
                             "issuer": _column(servers, "issuer")[alone]})
    shown = pd.concat([pairs, fallback], ignore_index=True).sort_values(
        "server", kind="stable").reset_index(drop=True)
    shown["identity"] = [identity(*v) for v in zip(
        shown["key"], shown["subject"], shown["issuer"], shown["serial"],
        shown["not_valid_before"], shown["not_valid_after"], strict=True)]
    at = shown["server"].to_numpy(dtype=np.int64)
    for name in ("resp_h", "resp_p", "first_seen", "last_seen", "clients"):
        shown[name] = servers[name].to_numpy()[at]
    return shown


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    return frame[name].astype(object).where(frame[name].notna(), None).to_numpy()


def _per_server(shown: pd.DataFrame, count: int, fresh_days: int) -> list[Seen]:
    """Each server's ``Seen``, from its rows of ``shown``, aggregated once for all."""
    first = pd.to_datetime(shown["first_seen"], utc=True, errors="coerce")
    before = pd.to_datetime(shown["not_valid_before"], utc=True, errors="coerce")
    age = (first - before) / pd.Timedelta(days=1)
    fresh_rows = ((age >= -1) & (age <= fresh_days)).fillna(False).to_numpy(dtype=bool)
    common = {s: set(attribute(parse_dn(s), "CN")) for s in shown["subject"].dropna().unique()}
    at = shown["server"].to_numpy(dtype=np.int64)
    fresh = np.zeros(count, dtype=bool)
    np.logical_or.at(fresh, at, fresh_rows)
    labels: list[set[str]] = [set() for _ in range(count)]
    identities: list[set[str]] = [set() for _ in range(count)]
    names: list[set[str]] = [set() for _ in range(count)]
    for i, key_labels, ident, subject, sans in zip(at, shown["labels"], shown["identity"],
                                                   shown["subject"], shown["san_dns"],
                                                   strict=True):
        labels[i].update(key_labels)
        identities[i].add(ident)
        names[i].update(common.get(subject, ()) if isinstance(subject, str) else ())
        if isinstance(sans, (list, tuple, np.ndarray)):
            names[i].update(str(n) for n in sans)
    return [Seen(sorted(labels[i]), identities[i], bool(fresh[i]), names[i])
            for i in range(count)]


def component_text(component: dict[str, Any]) -> str:
    """``self_signed (+3): its certificate is self-signed``: one component as a line of
    text (it does not begin with ``+``, so a spreadsheet cell of it is no formula)."""
    return f"{component['component']} ({component['points']:+d}): {component['reason']}"


def _address_order(host: str) -> tuple[int, int, str]:
    """IPv4 by value, then IPv6 by value, then anything else by its text."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return (7, 0, host)
    return (ip.version, int(ip), "")


def _score(server: dict[str, Any], seen: Seen, clusters: pd.DataFrame,
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
    period = server.get("median_interval_s")
    if external and bool(server.get("clockwork")) and period is not None and pd.notna(period):
        # inside, clockwork polling is mostly monitoring
        parts.append(("beacon", w.beacon, f"{server.get('beacon_client')} polls it every "
                      f"{float(period):.0f} s like clockwork"))
    labels = seen.labels
    parts += _catalogue_parts(labels, catalogue, policy)
    # A public CA's certificate is often days old and shared by many addresses (a CDN's):
    # freshness and reuse count for certificates no public CA vouches for.
    private = bool({Cause.SELF_SIGNED.value, Cause.UNTRUSTED_ROOT.value} & set(causes)) or any(
        lab.startswith(Family.C2.prefix + ":") for lab in labels)
    inside = server.get("internal_clients")  # unknown: a frame that does not say
    fresh = external and private and seen.fresh and (inside is None or int(inside) > 0)
    if fresh:
        parts.append(("fresh", w.fresh, f"its certificate was issued within "
                      f"{policy.fresh_days} days of the first connection, from an "
                      f"internal client"))
    mine = _clusters_of(seen, clusters, _stacks_of(server))
    reused = [name for name, kind, _ in mine if kind != TLS_STACK]
    if reused and external and private:  # inside, mostly one product's certificate
        parts.append(("cluster", w.cluster, f"shares {reused[0]} with other addresses"))
    stacked = [key for _, kind, key in mine if kind == TLS_STACK]
    if stacked:
        parts.append(("tls_stack", w.tls_stack, f"its TLS stack ({stacked[0]}) answers on "
                      "other addresses too"))
    names = _random_names(server, seen)
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
            labels, [name for name, _, _ in mine], fresh, names, external, causes, clients,
            server.get("first_seen"), server.get("last_seen"), server.get("subject"),
            server.get("issuer")]


def _catalogue_parts(labels: list[str], catalogue: Catalogue, policy: HuntPolicy
                     ) -> list[tuple[str, int, str]]:
    """The best c2 match counts by its confidence; else a vendor default, a hygiene point."""
    if not labels:
        return []
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


def _stacks_of(server: dict[str, Any]) -> set[str]:
    """The server's JA3S and JA4S as cluster keys (``ja3s:<hash>``)."""
    return {f"{name}:{v}" for name in STACK_FIELDS for v in listed(server.get(name))}


def _clusters_of(seen: Seen, clusters: pd.DataFrame,
                 stacks: set[str]) -> list[tuple[str, str, str]]:
    """The (name, kind, key) of each cluster the server is in, in the clusters' order."""
    if not len(clusters):
        return []
    keys = seen.identities | set(seen.labels) | stacks
    return [(c, kind, k) for c, kind, k in zip(clusters["cluster"], clusters["kind"],
                                                clusters["key"], strict=True) if k in keys]


def _random_names(server: dict[str, Any], seen: Seen) -> list[str]:
    """The SNIs, common names and SAN names that look generated, sorted."""
    sni = server.get("server_names")
    names = set(seen.names) | ({str(n) for n in sni} if isinstance(
        sni, (list, tuple, np.ndarray)) else set())
    return sorted(n for n in names if looks_random(n))
