"""``df.zeekcert``: notebook shortcuts that only delegate to the library's functions.

Each shortcut checks at once that the frame has the columns it needs, and says which
are missing, rather than failing with a KeyError deep inside.
"""

from __future__ import annotations

import pandas as pd

from .classification import cause_flags, servers
from .reading import from_zat

# What a frame from zeekcert.classify has that the shortcuts below rely on.
_CLASSIFIED = ("id.resp_h", "id.resp_p", "id.orig_h", "ts", "causes", "primary_cause",
               "server_name", "fingerprint", "subject", "issuer", "not_valid_after")


@pd.api.extensions.register_dataframe_accessor("zeekcert")
class ZeekcertAccessor:
    """``classified.zeekcert.servers()``, ``.cause_flags()``; ``zat_frame.zeekcert.from_zat()``."""

    def __init__(self, frame: pd.DataFrame):
        self._frame = frame

    def servers(self) -> pd.DataFrame:
        """See ``zeekcert.servers``."""
        self._need("servers", _CLASSIFIED)
        return servers(self._frame)

    def cause_flags(self) -> pd.DataFrame:
        """See ``zeekcert.classification.cause_flags``."""
        self._need("cause_flags", ("causes",))
        return cause_flags(self._frame)

    def from_zat(self, kind: str | None = None) -> pd.DataFrame:
        """See ``zeekcert.from_zat``."""
        return from_zat(self._frame, kind)

    def _need(self, name: str, columns: tuple[str, ...]) -> None:
        missing = [c for c in columns if c not in self._frame.columns]
        if missing:
            raise AttributeError(f"df.zeekcert.{name}() needs a frame from zeekcert.classify; "
                                 f"this one has no {', '.join(missing)}")
