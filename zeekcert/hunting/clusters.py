"""Infrastructure, not single servers: one certificate, or one generated template, on many
addresses.

A certificate is known by its fingerprint when Zeek logs one (>= 4.1), else by the hash
of what identifies it (subject, issuer, serial and validity: a Zeek 4.0 file id names one
connection's copy, not the certificate). A cluster is a certificate seen on at least
``cluster_min`` distinct addresses, or a structural catalogue entry (a generator's
template) matched on that many by more than one certificate (on one certificate, the
certificate's own cluster already says it). The catalogue says what a cluster means: an entry whose
certificate every install shares is one product; one generated per install, one actor.
"""

from __future__ import annotations

import hashlib
import re

import pandas as pd

from .catalogue import Catalogue

CLUSTER_COLUMNS = ["cluster", "kind", "key", "label", "means", "servers", "addresses",
                   "first_seen", "last_seen", "clients"]
_HASH = re.compile(r"[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}")


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
        rows.append(_cluster("certificate", str(ident), group, labels, catalogue,
                             cluster_min))
    exploded = shown.explode("labels")
    for label, group in exploded.groupby("labels", sort=True):
        if str(label).split(":")[-1] in structural and group["identity"].nunique() > 1:
            rows.append(_cluster("template", str(label), group.drop_duplicates(
                ["resp_h", "resp_p"]), [str(label)], catalogue, cluster_min))
    found = pd.DataFrame([r for r in rows if r is not None], columns=CLUSTER_COLUMNS)
    return found.sort_values(["addresses", "cluster"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


def _cluster(kind: str, key: str, group: pd.DataFrame, labels: list[str],
             catalogue: Catalogue, cluster_min: int) -> list[object] | None:
    addresses = group["resp_h"].astype(str).nunique()
    if addresses < cluster_min:
        return None
    servers = sorted({f"{h}:{p}" if ":" not in str(h) else f"[{h}]:{p}"
                      for h, p in zip(group["resp_h"], group["resp_p"], strict=True)})
    name = f"{kind}:{key[:16] if kind == 'certificate' else key}"
    return [name, kind, key, labels[0] if labels else None, _means(labels, catalogue),
            servers, int(addresses), group["first_seen"].min(), group["last_seen"].max(),
            int(group["clients"].sum())]


def _means(labels: list[str], catalogue: Catalogue) -> str:
    """``one product``, ``one actor``, or ``unknown`` when the catalogue knows none."""
    entries = {e.label: e for e in catalogue.entries}
    known = [entries[lab] for lab in labels if lab in entries]
    if not known:
        return "unknown"
    return "one product" if any(e.shared for e in known) else "one actor"
