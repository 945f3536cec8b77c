"""The inventory's servers scored as hunt leads: labels, score and reasons beside each.

The nightly job and the watch score what the state keeps: every server's fingerprints
name certificates in the state's certificate cache, so a label, a cluster or a fresh
certificate found once is found again in every later run, for as long as the server is
kept. The columns are the report's (``zeekcert.hunting``), prefixed where they would be
ambiguous beside the inventory's own.
"""

from __future__ import annotations

import pandas as pd

from ..hunting import Catalogue, HuntPolicy, hunt, load_catalogue

HUNT_COLUMNS = ["hunt_rank", "hunt_score", "hunt_components", "labels", "clusters", "fresh"]


def with_hunt(inventory: pd.DataFrame, certs: pd.DataFrame | None,
              catalogue: Catalogue | None = None, policy: HuntPolicy | None = None
              ) -> pd.DataFrame:
    """``inventory`` in its own order, with ``HUNT_COLUMNS`` added."""
    if not len(inventory):
        return inventory.assign(**{c: pd.Series(dtype=object) for c in HUNT_COLUMNS})
    found = hunt(inventory, catalogue or load_catalogue(), policy, certs).leads
    scored = found[["resp_h", "resp_p", "rank", "score", "components", "labels", "clusters",
                    "fresh"]].set_axis(["resp_h", "resp_p", *HUNT_COLUMNS], axis=1)
    keys = inventory[["resp_h", "resp_p"]].astype({"resp_h": str})
    merged = keys.merge(scored.astype({"resp_h": str}), on=["resp_h", "resp_p"], how="left")
    out = inventory.copy()
    for name in HUNT_COLUMNS:
        out[name] = merged[name].to_numpy()
    return out
