#!/usr/bin/env python3
"""Time zeekcert.classify and the whole report against the load of the same files.

Usage: python benchmarks/bench_classify.py [--rows 1000000] [--data bench-data/load]

Each of --repeat fresh processes loads the generated ssl.log.gz and x509.log.gz (timed),
then classifies them (timed), then builds the report (classify included) and renders it as
JSON, table and HTML (timed). The best time of each phase counts, as timeit does: the
machine is shared and noisy. The target is classify <= 0.5 x load.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_ssl_log import bench_arguments, ensure_generated  # noqa: E402 - a sibling script, not a package

_CODE = """
import json, sys, time
sys.path.insert(0, {root!r})
import zeekcert
t0 = time.perf_counter()
logs = zeekcert.load([{ssl!r}, {x509!r}])
t1 = time.perf_counter()
out = zeekcert.classify(logs)
t2 = time.perf_counter()
import io
from zeekcert.report import write_html, write_json, write_table
findings = zeekcert.build_report(logs)
for write in (write_json, write_table, write_html):
    write(findings, io.StringIO())
t3 = time.perf_counter()
print(json.dumps({{"load": t1 - t0, "classify": t2 - t1, "report": t3 - t2, "rows": len(out),
                  "failed": int((out["causes"].map(len) > 0).sum())}}))
"""


def run_once(ssl: Path, x509: Path) -> dict[str, float]:
    """Load and classify in a fresh interpreter; return both times."""
    code = _CODE.format(root=str(HERE.parent), ssl=str(ssl), x509=str(x509))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    """Run --repeat times and print the best load and classify times and their ratio."""
    args = bench_arguments(__doc__.splitlines()[0])
    folder = ensure_generated(args.data, args.rows)
    ssl, x509 = folder / "ssl.log.gz", folder / "x509.log.gz"
    runs = [run_once(ssl, x509) for _ in range(args.repeat)]
    load = min(r["load"] for r in runs)
    classify = min(r["classify"] for r in runs)
    print(f"connections: {runs[0]['rows']}, with a cause: {runs[0]['failed']}")
    print(f"load ssl.log.gz + x509.log.gz: {load:6.2f} s (best of {args.repeat})")
    print(f"classify:                      {classify:6.2f} s (best of {args.repeat})")
    report = min(r["report"] for r in runs)
    print(f"classify / load:               {classify / load:6.2f}x (target <= 0.5)")
    print(f"report (json+table+html):      {report:6.2f} s (best of {args.repeat})")
    print(f"report / load:                 {report / load:6.2f}x")


if __name__ == "__main__":
    main()
