"""Infrastructure, not single servers: one certificate, or one generated template, on many
addresses.

A certificate is known by its fingerprint when Zeek logs one (>= 4.1), else by the hash
of what identifies it (subject, issuer, serial and validity: a Zeek 4.0 file id names one
connection's copy, not the certificate). A cluster is a certificate seen on at least
``cluster_min`` distinct addresses, or a structural catalogue entry (a generator's
template) matched on that many by more than one certificate (on one certificate, the
certificate's own cluster already says it). The catalogue says what a cluster means: an entry whose
certificate every install shares is one product; one generated per install, one actor.

A TLS-stack cluster is one JA3S or JA4S, as the ja3 or FoxIO ja4 package logs it, on that
many addresses: servers whose hellos answer alike, one software and configuration (a
JA3S also depends on the client's hello, so it groups, it does not prove).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np
import pandas as pd

from ..classification import STACK_FIELDS
from .catalogue import Catalogue

CLUSTER_COLUMNS = ["cluster", "kind", "key", "label", "means", "servers", "addresses",
                   "first_seen", "last_seen", "clients"]
_HASH = re.compile(r"[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}")
TLS_STACK = "tls_stack"  # the kind of a cluster of one JA3S or JA4S
ONE_STACK = "one TLS stack"


def identity(key: object, subject: object, issuer: object, serial: object,
             before: object, after: object) -> str:
    """What a certificate is known by across servers: its fingerprint, or a content hash."""
    text = str(key)
    if _HASH.fullmatch(text):
        return text.lower()
    parts = "|".join("" if v is None or v is pd.NA else str(v)
                     for v in (subject, issuer, serial, before, after))
    return "content:" + hashlib.sha256(parts.encode()).hexdigest()[:40]


def find_clusters(shown: pd.DataFrame, catalogue: Catalogue, cluster_min: int
                  ) -> pd.DataFrame:
    """Clusters from ``shown``: one row per (server, certificate) with ``resp_h``,
    ``resp_p``, ``identity``, ``labels``, ``first_seen``, ``last_seen`` and ``clients``."""
    rows = []
    structural = {e.id for e in catalogue.entries if any(m.structure for m in e.matches)}
    spread = shown.assign(_h=shown["resp_h"].astype(str)).groupby("identity")["_h"].nunique()
    shared = shown[shown["identity"].isin(spread.index[spread >= cluster_min]).to_numpy()]
    for ident, group in shared.groupby("identity", sort=True):  # only the few shared ones
        labels = sorted({lab for ls in group["labels"] for lab in ls})
        rows.append(_cluster("certificate", str(ident), group, labels,
                             _means(labels, catalogue), cluster_min))
    exploded = shown.explode("labels")
    for label, group in exploded.groupby("labels", sort=True):
        if str(label).split(":")[-1] in structural and group["identity"].nunique() > 1:
            rows.append(_cluster("template", str(label), group.drop_duplicates(
                ["resp_h", "resp_p"]), [str(label)], _means([str(label)], catalogue),
                cluster_min))
    return _sorted(rows)


def stack_clusters(servers: pd.DataFrame, cluster_min: int) -> pd.DataFrame:
    """TLS-stack clusters from ``servers`` (``resp_h``, ``resp_p``, ``first_seen``,
    ``last_seen``, ``clients``, and the lists ``ja3s`` and ``ja4s`` where logged)."""
    rows = []
    for name in STACK_FIELDS:
        if name not in servers.columns:
            continue
        exploded = _one_per_value(servers, name)
        spread = exploded.groupby("_v")["_h"].nunique()
        shared = exploded[exploded["_v"].isin(spread.index[spread >= cluster_min]).to_numpy()]
        for value, group in shared.groupby("_v", sort=True):
            rows.append(_cluster(TLS_STACK, f"{name}:{value}", group, [], ONE_STACK,
                                 cluster_min))
    return _sorted(rows)


def listed(cell: object) -> list[Any]:
    """A server's list cell (a list, a tuple or an array, as a frame may hold it) as a
    list; anything else (missing) as none."""
    return list(cell) if isinstance(cell, (list, tuple, np.ndarray)) else []


def _one_per_value(servers: pd.DataFrame, name: str) -> pd.DataFrame:
    """One row per server and value of its list column ``name`` (``_v``), with the
    address as text (``_h``); servers with no value are left out."""
    values = pd.Series([listed(v) for v in servers[name]], index=servers.index, dtype=object)
    exploded = servers.assign(_v=values).explode("_v")
    exploded = exploded[exploded["_v"].notna().to_numpy(dtype=bool)]
    return exploded.assign(_h=exploded["resp_h"].astype(str))


def merged_clusters(*found: pd.DataFrame) -> pd.DataFrame:
    """Clusters of every kind in one table, most addresses first, then by name."""
    return _sorted([list(row) for frame in found for row in frame.itertuples(index=False)])


def _sorted(rows: list[list[object] | None]) -> pd.DataFrame:
    found = pd.DataFrame([r for r in rows if r is not None], columns=CLUSTER_COLUMNS)
    return found.sort_values(["addresses", "cluster"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


def _cluster(kind: str, key: str, group: pd.DataFrame, labels: list[str], means: str,
             cluster_min: int) -> list[object] | None:
    addresses = group["resp_h"].astype(str).nunique()
    if addresses < cluster_min:
        return None
    servers = sorted({f"{h}:{p}" if ":" not in str(h) else f"[{h}]:{p}"
                      for h, p in zip(group["resp_h"], group["resp_p"], strict=True)})
    name = f"{kind}:{key[:16] if kind == 'certificate' else key}"
    return [name, kind, key, labels[0] if labels else None, means, servers, int(addresses),
            group["first_seen"].min(), group["last_seen"].max(), int(group["clients"].sum())]


def _means(labels: list[str], catalogue: Catalogue) -> str:
    """``one product``, ``one actor``, or ``unknown`` when the catalogue knows none."""
    entries = {e.label: e for e in catalogue.entries}
    known = [entries[lab] for lab in labels if lab in entries]
    if not known:
        return "unknown"
    return "one product" if any(e.shared for e in known) else "one actor"
