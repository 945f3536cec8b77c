"""``zeekcert state merge A.db B.db … --into CENTRAL.db``: per-sensor states made one."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any, TextIO

from ..inventory import merge_states
from ..sanitize import terminal_safe

EXAMPLES = """examples:
  zeekcert state merge sensor-a.db sensor-b.db --into central.db
  zeekcert state merge /var/lib/zeekcert/sensors/*.db --into central.db --replace
"""


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """The ``state`` subcommand and its action, ``merge``."""
    cmd = sub.add_parser("state", help="work on nightly states (merge per-sensor states)",
                         description="Work on the states the nightly job keeps.")
    actions = cmd.add_subparsers(dest="action", required=True, parser_class=type(cmd))
    merge = actions.add_parser(
        "merge", parents=parents, epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="merge per-sensor states into a new one",
        description="Merge the states of several sensors into one new state, exactly and "
                    "in any order: the inventory one job over every sensor's logs would "
                    "keep. The sources are only read.")
    merge.add_argument("states", nargs="+", metavar="STATE", help="a sensor's state file")
    merge.add_argument("--into", required=True, metavar="FILE",
                       help="the new state (refused if it exists, unless --replace)")
    merge.add_argument("--replace", action="store_true",
                       help="replace --into if it is a zeekcert state (a central state "
                            "rebuilt each night)")


def run(args: argparse.Namespace, out: TextIO, err: TextIO, now: datetime | None = None) -> int:
    """Merge the states and say what the new one holds; 0 when it is written."""
    summary = merge_states(args.states, args.into, now or datetime.now(UTC),
                           replace=args.replace)
    out.write(f"merged {len(summary['merged'])} states into {terminal_safe(args.into)}: "
              f"{summary['servers']} servers, {summary['pairs']} client-server pairs\n")
    return 0
