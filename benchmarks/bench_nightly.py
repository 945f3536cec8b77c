#!/usr/bin/env python3
"""Time the nightly inventory job on one day of 24 hourly gzip files against a plain load.

Usage: python benchmarks/bench_nightly.py [--rows 10000000] [--data bench-data/nightly]

Two fresh processes on the same files: one only loads them file by file (the floor), one
runs ``zeekcert inventory`` into a new state. Reported: both wall times, their ratio
(target <= 2) and the job's peak RSS (target < 1.5 GB, whatever the total size, because
the job streams file by file).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_ssl_log import generate  # noqa: E402 - a sibling script, not a package

_LOAD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
import zeekcert
t0 = time.perf_counter()
rows = 0
for path in zeekcert.find_logs({data!r}, ["ssl", "x509"]):
    rows += len(zeekcert.read_log(path))
print(json.dumps({{"seconds": time.perf_counter() - t0, "rows": rows,
    "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}}))
"""
_JOB = """
import json, resource, sys, time, io
sys.path.insert(0, {root!r})
from zeekcert.cli import main
t0 = time.perf_counter()
code = main(["inventory", {data!r}, "--state", {state!r}, "--format", "json",
             "--output", {out!r}], out=io.StringIO(), err=io.StringIO())
print(json.dumps({{"seconds": time.perf_counter() - t0, "code": code,
    "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}}))
"""


def _run(code: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    """Generate once, then time the load floor and the job."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, default=HERE.parent / "bench-data" / "nightly")
    args = parser.parse_args()
    if not any(args.data.rglob("ssl.*.log.gz")):
        generate(args.data, args.rows, seed=1, hours=24)
    root = str(HERE.parent)
    load = _run(_LOAD.format(root=root, data=str(args.data)))
    with tempfile.TemporaryDirectory() as tmp:
        job = _run(_JOB.format(root=root, data=str(args.data), state=f"{tmp}/state.db",
                               out=f"{tmp}/inventory.json"))
        servers = len(json.loads(Path(f"{tmp}/inventory.json").read_text())["servers"])
    print(f"rows loaded: {load['rows']}, servers in the inventory: {servers}, "
          f"exit code {job['code']}")
    print(f"load only:   {load['seconds']:7.1f} s, peak {load['rss'] / 2**30:.2f} GiB")
    print(f"nightly job: {job['seconds']:7.1f} s, peak {job['rss'] / 2**30:.2f} GiB "
          "(target < 1.5 GB)")
    print(f"job / load:  {job['seconds'] / load['seconds']:7.2f}x (target <= 2)")


if __name__ == "__main__":
    main()
