"""Who made this certificate: hunt leads for command-and-control infrastructure.

The layer between classification and the inventory. ``catalogue`` reads the certificates
known tooling and products make (``catalogue.toml``, shipped, plus a user's file);
``matching`` labels each certificate with the entries it matches; ``clusters`` finds one
certificate, or one generator's template, on many addresses; ``names`` says which names
look generated; ``leads`` scores each failing server as the sum of components, each with
its points and reason, with the weights of ``weights.HuntPolicy`` (the policy's
``[hunt]`` table). DataFrames in, new DataFrames out; nothing here reads a log or keeps
state.
"""

from .catalogue import Catalogue, Confidence, Entry, Family, Match, load_catalogue
from .clusters import CLUSTER_COLUMNS
from .leads import LEAD_COLUMNS, Hunt, component_text, hunt
from .matching import MATCHED, c2_connections, match_certificates
from .names import looks_random
from .weights import HuntPolicy, Weights

__all__ = [
    "CLUSTER_COLUMNS", "LEAD_COLUMNS", "MATCHED", "Catalogue", "Confidence", "Entry", "Family",
    "Hunt", "HuntPolicy", "Match", "Weights", "c2_connections", "component_text", "hunt",
    "load_catalogue", "looks_random", "match_certificates",
]
