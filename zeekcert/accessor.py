"""``df.zeekcert``: notebook shortcuts that only delegate to the module's functions."""

from __future__ import annotations

import pandas as pd

from .classification import cause_flags, servers
from .reading import from_zat


@pd.api.extensions.register_dataframe_accessor("zeekcert")
class ZeekcertAccessor:
    """``classified.zeekcert.servers()``, ``.cause_flags()``; ``zat_frame.zeekcert.from_zat()``."""

    def __init__(self, frame: pd.DataFrame):
        self._frame = frame

    def servers(self) -> pd.DataFrame:
        """See ``zeekcert.servers``."""
        return servers(self._frame)

    def cause_flags(self) -> pd.DataFrame:
        """See ``zeekcert.servers.cause_flags``."""
        return cause_flags(self._frame)

    def from_zat(self, kind: str | None = None) -> pd.DataFrame:
        """See ``zeekcert.from_zat``."""
        return from_zat(self._frame, kind)
