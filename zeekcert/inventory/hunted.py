"""The inventory's servers scored as hunt leads: labels, score and reasons beside each.

The nightly job and the watch score what the state keeps: every server's fingerprints
name certificates in the state's certificate cache, so a label, a cluster or a fresh
certificate found once is found again in every later run, for as long as the server is
kept. The columns are the report's (``zeekcert.hunting``), prefixed where they would be
ambiguous beside the inventory's own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..hunting import Catalogue, HuntPolicy, hunt, load_catalogue

HUNT_COLUMNS = ["hunt_rank", "hunt_score", "hunt_components", "labels", "clusters", "fresh"]


def with_hunt(inventory: pd.DataFrame, certs: pd.DataFrame | None,
              catalogue: Catalogue | None = None, policy: HuntPolicy | None = None,
              clients: pd.DataFrame | None = None) -> pd.DataFrame:
    """``inventory`` in its own order, with ``HUNT_COLUMNS`` added. ``clients`` (the
    accumulator's table: ``resp_h``, ``resp_p``, ``orig_h``) says which servers an
    internal client reached, for the ``fresh`` component."""
    if not len(inventory):
        return inventory.assign(**{c: pd.Series(dtype=object) for c in HUNT_COLUMNS})
    policy = policy or HuntPolicy()
    scoring = inventory if clients is None else inventory.assign(
        internal_clients=internal_clients(inventory, clients, policy))
    found = hunt(scoring, catalogue or load_catalogue(), policy, certs).leads
    scored = found[["resp_h", "resp_p", "rank", "score", "components", "labels", "clusters",
                    "fresh"]].set_axis(["resp_h", "resp_p", *HUNT_COLUMNS], axis=1)
    keys = inventory[["resp_h", "resp_p"]].astype({"resp_h": str})
    merged = keys.merge(scored.astype({"resp_h": str}), on=["resp_h", "resp_p"], how="left")
    out = inventory.copy()
    for name in HUNT_COLUMNS:
        out[name] = merged[name].to_numpy()
    return out


def internal_clients(inventory: pd.DataFrame, clients: pd.DataFrame, policy: HuntPolicy
                     ) -> np.ndarray:
    """Per server of ``inventory``, how many of its clients are in the local networks;
    each distinct client address is judged once."""
    addresses = clients["orig_h"].astype(str)
    inside = {a: policy.is_local(a) for a in addresses.unique()}
    mine = clients[addresses.map(inside).to_numpy(dtype=bool)]
    counts = mine.astype({"resp_h": str}).groupby(["resp_h", "resp_p"]).size()
    keys = pd.MultiIndex.from_arrays([inventory["resp_h"].astype(str),
                                      inventory["resp_p"].astype("int64")])
    return counts.reindex(keys).fillna(0).to_numpy(dtype=np.int64)
