#!/usr/bin/env python3
"""What naming several sensors costs: the overlap pass, and a connection counted once.

Usage: python benchmarks/bench_sensors.py [--rows 2000000] [--data bench-data/scale]
[--steps report,inventory] [--json FILE]

One day of --rows ssl.log rows is generated once, as bench_scale.py does it (make_ssl_log's
zeekctl hourly tree with notices). A second sensor, ``b``, is written beside it: every
other ssl row of each hourly file, with a uid of its own, 0.25 s late (x509 and notice
files are copies). Then each step runs as a whole fresh process:

- ``one``: the day alone (``report DAY`` / ``inventory DAY``): what one sensor costs;
- ``two``: ``--sensor a=DAY --sensor b=B``: 1.5 times the rows, half of them merged.

Printed: wall, CPU and peak RSS of each, the ratios two / one, and whether ``two``
counts what ``one`` counts (it must: each of b's rows is a copy of one of a's). Ratios
come from one sitting on a shared machine; nothing asserts on them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_process import PYTHON, ROOT, measure, mib, warm_cache  # noqa: E402
from bench_scale import prepare  # noqa: E402

SHIFT_S = 0.25


def second_sensor(day: Path, target: Path) -> int:
    """Write sensor b beside the day (once); the ssl rows it holds."""
    done = target / "rows.txt"
    if done.is_file():
        return int(done.read_text())
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / day.name).mkdir(parents=True)
    rows = 0
    for source in sorted(day.iterdir()):
        out = partial / day.name / source.name
        if not source.name.startswith("ssl."):
            shutil.copyfile(source, out)
            continue
        with gzip.open(source, "rt", encoding="utf-8") as fh, \
                gzip.open(out, "wt", encoding="utf-8", compresslevel=1) as dst:
            i = 0
            for line in fh:
                if line.startswith("#"):
                    dst.write(line)
                    continue
                if i % 2:
                    ts, uid, rest = line.split("\t", 2)
                    dst.write(f"{float(ts) + SHIFT_S:.6f}\tB{uid[1:]}\t{rest}")
                    rows += 1
                i += 1
    (partial / "rows.txt").write_text(str(rows))
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return rows


def argv_of(step: str, mode: str, day: Path, other: Path, out: Path) -> list[str]:
    """The command line of one step in one mode."""
    source = [str(day)] if mode == "one" else [
        "--sensor", f"a={day}", "--sensor", f"b={other / day.name}"]
    if step == "report":
        return [PYTHON, "-m", "zeekcert", "report", *source, "--format", "json", "-o", str(out)]
    state = out.with_suffix(".db")
    state.unlink(missing_ok=True)
    return [PYTHON, "-m", "zeekcert", "inventory", *source, "--state", str(state),
            "--format", "json", "-o", str(out)]


def counted(step: str, out: Path) -> Any:
    """What must not change when the second sensor's copies are merged."""
    data = json.loads(out.read_text())
    if step == "report":
        return data["summary"]["connections"], data["summary"]["failed_connections"]
    return sorted((s["resp_h"], s["resp_p"], s["total_connections"]) for s in data["servers"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--data", type=Path, default=ROOT / "bench-data" / "scale")
    parser.add_argument("--steps", default="report,inventory")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    day, _, _ = prepare(args.data, args.rows)
    other = day.parent.parent / f"{day.parent.name}-sensor-b"
    b_rows = second_sensor(day, other)
    warm_cache(sorted(day.iterdir()) + sorted((other / day.name).iterdir()))
    results: dict[str, Any] = {"rows": args.rows, "b_rows": b_rows}
    with tempfile.TemporaryDirectory() as tmp:
        for step in args.steps.split(","):
            runs = {}
            for mode in ("one", "two"):
                out = Path(tmp) / f"{step}-{mode}.json"
                run = measure(argv_of(step, mode, day, other, out), ok_codes=(0, 1))
                if not run.ok:
                    raise SystemExit(f"{step} {mode} failed: {run.error}")
                runs[mode] = {"wall": run.wall, "cpu": run.cpu, "rss_mib": mib(run.rss),
                              "counted": counted(step, out)}
            same = runs["one"]["counted"] == runs["two"]["counted"]
            results[step] = {m: {k: v for k, v in r.items() if k != "counted"}
                             for m, r in runs.items()} | {"same_counts": same}
            one, two = runs["one"], runs["two"]
            print(f"{step}: one sensor {one['wall']:.1f} s, {one['cpu']:.1f} CPU s, "
                  f"{one['rss_mib']:.0f} MiB; two sensors ({args.rows + b_rows:,} rows) "
                  f"{two['wall']:.1f} s, {two['cpu']:.1f} CPU s, {two['rss_mib']:.0f} MiB; "
                  f"two/one wall {two['wall'] / one['wall']:.2f}x, CPU "
                  f"{two['cpu'] / one['cpu']:.2f}x, RSS {two['rss_mib'] / one['rss_mib']:.2f}x;"
                  f" counts {'identical' if same else 'DIFFER'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
