"""The report's hunt leads: its failing servers scored by ``zeekcert.hunting``.

The failing servers carry what every server has (causes, clients, times, names and
fingerprints); the self-signed ones add how regularly a client polls them. Every failing
server is checked against the allowlist here, since an acknowledged server scores less
whatever its cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from ..hunting import Catalogue, Hunt, HuntPolicy, hunt, load_catalogue
from ..inventory import Acknowledgement, acknowledging

_BEACON = ["clockwork", "median_interval_s", "beacon_client"]


def hunt_leads(failing: pd.DataFrame, kept: pd.DataFrame, now: datetime,
               allowlist: Sequence[Acknowledgement], certs: pd.DataFrame | None = None,
               catalogue: Catalogue | None = None, policy: HuntPolicy | None = None) -> Hunt:
    """Score the failing servers; ``kept`` (``findings.kept_records``: the self-signed
    servers and the C2 matches) gives their beacons; ``certs`` is the certificate table
    their fingerprints name, when the report kept one."""
    servers = failing.copy()
    servers["resp_h"] = servers["resp_h"].astype(str)
    if len(kept):
        beacons = kept[["resp_h", "resp_p", *_BEACON]].astype({"resp_h": str})
        servers = servers.merge(beacons, on=["resp_h", "resp_p"], how="left")
    else:
        servers = servers.assign(clockwork=False, median_interval_s=float("nan"),
                                 beacon_client=None)
    servers["acknowledged"] = [e is not None for e in acknowledging(
        servers, allowlist, now)] if allowlist else False
    return hunt(servers, catalogue or load_catalogue(), policy, certs)
