#!/usr/bin/env python3
"""Time zeekcert's loader against zat, pandas.read_csv and the gzip -dc floor, in one run.

Usage: python benchmarks/bench_load.py [--rows 1000000] [--data bench-data/load]

Each contender runs in its own fresh process on the same generated ssl.log, --repeat
times (3 by default), interleaved, and the best time counts, as timeit does: the machine
is shared and noisy. Times are wall-clock seconds measured inside that process around the
load alone; peak memory is the process's maximum RSS minus that of a process that only
imported the same libraries. Report ratios, not absolute times.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_ssl_log import bench_arguments, ensure_generated  # noqa: E402 - a sibling script, not a package

_PRELUDE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
import pandas as pd, pyarrow
{imports}
t0 = time.perf_counter()
"""
_EPILOGUE = """
elapsed = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
size = int(df.memory_usage(deep=True).sum()) if df is not None else 0
print(json.dumps({{"seconds": elapsed, "rss": rss, "rows": 0 if df is None else len(df),
                  "frame_bytes": size}}))
"""

CONTENDERS = {
    "zeekcert, plain": ("import zeekcert", "df = zeekcert.read_log({plain!r})"),
    "zeekcert, gzip": ("import zeekcert", "df = zeekcert.read_log({gz!r})"),
    "zat LogToDataFrame, plain": (
        "from zat.log_to_dataframe import LogToDataFrame",
        "df = LogToDataFrame().create_dataframe({plain!r})",
    ),
    "pandas.read_csv(sep='\\t', comment='#'), plain": (
        "",
        "names = [l.rstrip('\\n').split('\\t')[1:] for l in open({plain!r}) "
        "if l.startswith('#fields')][0]\n"
        "df = pd.read_csv({plain!r}, sep='\\t', comment='#', header=None, names=names, "
        "low_memory=False)",
    ),
    "baseline (imports only)": ("import zeekcert\nfrom zat.log_to_dataframe import LogToDataFrame",
                                "df = None"),
}


def run_python(imports: str, body: str, plain: Path, gz: Path) -> dict[str, float]:
    """Run one contender in a fresh interpreter and return its measurements."""
    code = (_PRELUDE.format(root=str(HERE.parent), imports=imports)
            + body.format(plain=str(plain), gz=str(gz)) + _EPILOGUE.format())
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1]}  # type: ignore[dict-item]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    """The fastest run; an error if every run failed."""
    good = [r for r in runs if "error" not in r]
    return min(good, key=lambda r: r["seconds"]) if good else runs[0]


def gzip_floor(gz: Path) -> float:
    """Wall time of ``gzip -dc file > /dev/null``: the decompression floor."""
    start = time.perf_counter()
    with open("/dev/null", "wb") as sink:
        subprocess.run(["gzip", "-dc", str(gz)], stdout=sink, check=True)
    return time.perf_counter() - start


def main() -> None:
    """Run every contender once and print times, ratios and peak memory."""
    args = bench_arguments(__doc__.splitlines()[0])
    folder = ensure_generated(args.data, args.rows)
    plain, gz = folder / "ssl.log", folder / "ssl.log.gz"
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in CONTENDERS}
    floors = []
    for _ in range(args.repeat):  # interleaved, so a noisy moment hits every contender
        for name, (imp, body) in CONTENDERS.items():
            runs[name].append(run_python(imp, body, plain, gz))
        floors.append(gzip_floor(gz))
    results = {name: best(r) for name, r in runs.items()}
    floor = min(floors)
    report(results, floor, plain, gz)


def report(results: dict[str, dict[str, float]], floor: float, plain: Path, gz: Path) -> None:
    """Print the table and the three target ratios."""
    base_rss = results["baseline (imports only)"].get("rss", 0)
    print(f"ssl.log: {plain.stat().st_size / 2**20:.0f} MiB plain, "
          f"{gz.stat().st_size / 2**20:.0f} MiB gzip")
    print(f"{'contender':48} {'seconds':>8} {'rows':>9} {'peak MiB':>9} {'frame MiB':>9}")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:48} failed: {r['error']}")
            continue
        print(f"{name:48} {r['seconds']:8.2f} {r['rows']:9d} "
              f"{(r['rss'] - base_rss) / 2**20:9.0f} {r['frame_bytes'] / 2**20:9.0f}")
    print(f"{'gzip -dc > /dev/null':48} {floor:8.2f}")
    ours, ours_gz = results["zeekcert, plain"], results["zeekcert, gzip"]
    zat = results["zat LogToDataFrame, plain"]
    if "seconds" in zat:
        print(f"zat / zeekcert (plain):           {zat['seconds'] / ours['seconds']:.2f}x "
              "(target >= 3)")
    print(f"zeekcert gzip / gzip -dc floor:   {ours_gz['seconds'] / floor:.2f}x (target <= 1.5)")
    peak = (ours_gz["rss"] - base_rss) / ours_gz["frame_bytes"]
    print(f"zeekcert peak memory / frame:     {peak:.2f}x (target <= 2)")


if __name__ == "__main__":
    main()
