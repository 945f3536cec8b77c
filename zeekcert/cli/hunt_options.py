"""The hunt's options every subcommand shares: ``--catalogue``, and ``[hunt]`` in ``--policy``."""

from __future__ import annotations

import argparse
from typing import Any

from ..hunting import Catalogue, HuntPolicy, load_catalogue


def add_hunt_arguments(cmd: Any) -> None:
    """``--catalogue FILE``: entries added to the shipped catalogue."""
    cmd.add_argument("--catalogue", metavar="FILE",
                     help="TOML file of [[entry]] certificates your own hunting knows, added "
                          "to the shipped catalogue of C2 tooling and vendor defaults")


def hunt_settings(args: argparse.Namespace) -> tuple[Catalogue, HuntPolicy]:
    """The catalogue and the hunt policy the arguments name; ConfigError if either is bad."""
    policy = HuntPolicy.from_toml(args.policy) if args.policy else HuntPolicy()
    return load_catalogue(args.catalogue), policy
