#!/usr/bin/env python3
"""How often the hunt fires on real logs: catalogue matches, leads and random-looking names.

Usage: python benchmarks/hunt_corpus.py [ROOT ...] [--json FILE]

ROOT defaults to ../shared/real-logs (when it exists) and tests/data/real. Every folder
under a root that holds an ssl log is reported on as a whole (``build_streaming`` of that
folder alone, its subfolders excluded), at the time of its last connection, with the
shipped catalogue and the default hunt policy. Counted, per folder and in all:

- servers scored (every failing server), catalogue matches (servers with a label, and
  which labels), and leads (servers scoring at least the default threshold, 5);
- distinct names (SNI, certificate CN and SAN DNS names) and how many of them
  ``hunting.looks_random`` calls random: the false-positive rate of the rule, since the
  corpus holds no generated names we know of (each one it flags is listed to check).

None of these logs shows known C2 tooling, so every match and every lead is a false
positive or a genuine hygiene finding, and the listing says which.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOTS = [HERE.parent.parent / "shared" / "real-logs", HERE.parent / "tests" / "data" / "real"]


@dataclass
class Tally:
    """What the hunt found over some folders."""

    folders: int = 0
    scored: int = 0
    leads: int = 0
    matched: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    names: set[str] = field(default_factory=set)
    random: set[str] = field(default_factory=set)
    lead_servers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"folders": self.folders, "scored": self.scored, "leads": self.leads,
                "matched": self.matched, "labels": dict(sorted(self.labels.items())),
                "names": len(self.names), "random": sorted(self.random),
                "lead_servers": self.lead_servers}


def folders_with_ssl(root: Path) -> list[Path]:
    """Every folder under ``root`` holding a file whose name starts with ``ssl``."""
    found = {p.parent for p in root.rglob("ssl*") if p.is_file()}
    return sorted(found)


def hunt_folder(folder: Path, tally: Tally) -> None:
    """Report on one folder's own files (copied alone, so subfolders stay out)."""
    import pandas as pd

    from zeekcert.hunting import looks_random
    from zeekcert.report import build_streaming

    with tempfile.TemporaryDirectory() as tmp:
        for path in folder.iterdir():
            if path.is_file():
                shutil.copy(path, Path(tmp) / path.name)
        findings = build_streaming(tmp, now=pd.Timestamp("2030-01-01", tz="UTC")).findings
        if findings.window_end is not None:  # judged at its own time, as a nightly run would
            findings = build_streaming(tmp, now=findings.window_end.to_pydatetime()).findings
    hunt = findings.hunt
    assert hunt is not None
    tally.folders += 1
    tally.scored += len(hunt.leads)
    leads = hunt.leads[hunt.leads["lead"].to_numpy(dtype=bool)]
    tally.leads += len(leads)
    tally.lead_servers += [f"{folder.name}: {h}:{p} ({s})" for h, p, s in
                           zip(leads["resp_h"], leads["resp_p"], leads["score"], strict=True)]
    for labels in hunt.leads["labels"]:
        tally.matched += bool(labels)
        tally.labels.update(labels)
    names = {str(n) for ns in findings.servers["server_names"] for n in (ns or [])}
    names |= {str(s).split("CN=", 1)[1].split(",")[0] for s in findings.servers["subject"]
              if isinstance(s, str) and "CN=" in s}
    tally.names |= names
    tally.random |= {n for n in names if looks_random(n)}


TOR = "zat/bro-2.5-ssl-cert_chain_fuids-tor/tor_ssl.log"
_TOR_NAME = r"www\.[a-z2-7]+\.(com|net)"


def tor_recall(root: Path) -> tuple[int, int, int, int] | None:
    """In the real Tor log: (Tor names, of them called random, other names, of them
    called random). Tor relays present ``www.<random>.com`` SNIs and ``www.<random>.net``
    CNs, genuinely generated: the rule's true positives. None if the log is not there."""
    import re

    from zeekcert import read_log
    from zeekcert.hunting import looks_random

    path = root / TOR
    if not path.is_file():
        return None
    frame = read_log(path)
    names = set(frame["server_name"].dropna().astype(str))
    names |= {m.group(1) for s in frame["subject"].dropna().astype(str)
              if (m := re.match(r"CN=([^,]+)", s))}
    tor = {n for n in names if re.fullmatch(_TOR_NAME, n)}
    other = names - tor
    return (len(tor), sum(looks_random(n) for n in tor), len(other),
            sum(looks_random(n) for n in other))


def measure(roots: list[Path]) -> Tally:
    tally = Tally()
    for root in roots:
        for folder in folders_with_ssl(root):
            hunt_folder(folder, tally)
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="*", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    roots = [r for r in (args.roots or ROOTS) if r.exists()]
    sys.path.insert(0, str(HERE.parent))
    tally = measure(roots)
    result = tally.as_dict()
    rate = len(tally.random) / len(tally.names) if tally.names else 0.0
    print(f"roots: {', '.join(str(r) for r in roots)}")
    print(f"folders with ssl logs: {tally.folders}; failing servers scored: {tally.scored}")
    print(f"catalogue matches: {tally.matched} servers {dict(tally.labels)}")
    print(f"leads (score >= 5): {tally.leads}")
    for line in tally.lead_servers:
        print(f"  {line}")
    print(f"names: {len(tally.names)} distinct; random-looking: {len(tally.random)} "
          f"({rate:.2%}): {', '.join(sorted(tally.random)) or '-'}")
    for root in roots:
        recall = tor_recall(root)
        if recall is not None:
            print(f"Tor names in {TOR}: {recall[1]} of {recall[0]} called random "
                  f"({recall[1] / recall[0]:.0%}); its other names: {recall[3]} of {recall[2]}")
            result["tor"] = list(recall)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
