#!/usr/bin/env python3
"""The fixed cost of one small batch in a warm process: classify, the report's fold, the
inventory's fold.

Usage: python benchmarks/bench_batch.py [--rows 50] [--repeat 40]

The sample's certificates and notices are prepared once (``know``), as the report and
the nightly job do; then the same ``--rows`` connections are classified and folded
``--repeat`` times and the mean per call is printed in milliseconds (target: 10 ms per
batch). One sitting on a shared machine: nothing here asserts on the numbers.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

import zeekcert
from zeekcert.classification import classify, know
from zeekcert.inventory import Accumulator
from zeekcert.report.tally import ReportTally

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    logs = zeekcert.load(SAMPLE)
    known = know(logs.x509, logs.notice)
    ssl = logs.ssl.iloc[:args.rows]
    tally, acc = ReportTally(), Accumulator(cause="any")
    classified = classify({"ssl": ssl}, now=NOW, known=known)
    for _ in range(3):  # warm: first calls import and build caches
        tally.add(classified)
        acc.add(classified)
    steps = {"classify": lambda: classify({"ssl": ssl}, now=NOW, known=known),
             "report tally add": lambda: tally.add(classified),
             "inventory add": lambda: acc.add(classified)}
    for name, step in steps.items():
        start = time.perf_counter()
        for _ in range(args.repeat):
            step()
        print(f"{name:>17}: {(time.perf_counter() - start) / args.repeat * 1000:6.1f} ms "
              f"per {args.rows}-row batch")


if __name__ == "__main__":
    main()
