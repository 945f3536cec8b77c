#!/usr/bin/env python3
"""Time zeekcert on a tree of many one-row ssl.log files, against the floor of reading them.

Usage: python benchmarks/bench_small_files.py [--files 2000] [--days 7] [--plain 0.25]
[--x509] [--data bench-data/small-files] [--repeat 1] [--calls 300] [--root DIR]

The tree is zeekctl's layout, ``YYYY-MM-DD/ssl.HH:MM:SS-HH:MM:SS.log.gz``, with --files
files spread evenly over --days days (the rotation interval follows), one realistic row
each (from make_ssl_log's generator, so no two files are copies); a --plain share of them
is not compressed and named ``….log``; --x509 adds an x509.log beside each ssl.log that
shows a certificate first. Every measurement runs in its own fresh process:
``zeekcert.load(tree)``; ``read_log`` of each file in turn; ``read_log`` of one gzip and
one plain file repeated --calls times after a warm-up (the pure per-call cost); the
``report`` command and the ``inventory`` command on a new state and then again on the same
state (every file already taken in), timed from outside minus the startup of
``python -m zeekcert --version``; and the floors: ``gzip -dcf`` of every file in one
process, and a Python loop that opens and reads (and inflates) each file. Wall and CPU
(all threads) times are both shown; the best of --repeat interleaved runs counts, as
timeit does: the machine is shared and noisy. --root times another copy of zeekcert (a
prototype, say) on the same tree. The table is followed by the same numbers as JSON.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_ssl_log import (  # noqa: E402 - a sibling script, not a package
    DAY0,
    SSL_FIELDS,
    SSL_TYPES,
    US,
    X509_FIELDS,
    X509_TYPES,
    Generator,
    zeek_stamp,
)

_MANIFEST = "small-files.json"

_PRELUDE = """
import json, sys, time
sys.path.insert(0, {root!r})
tree = {tree!r}
{imports}
t0, c0 = time.perf_counter(), time.process_time()
"""
_EPILOGUE = """
print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "count": count, "rows": rows}))
"""
# name -> (imports, body); the body sets ``count`` (files or calls) and ``rows``.
_WARM = """
for _ in range(20):
    zeekcert.read_log({one!r})
t0, c0 = time.perf_counter(), time.process_time()
for _ in range({calls}):
    rows = len(zeekcert.read_log({one!r}))
count = {calls}
"""
PYTHON_RUNS = {
    "zeekcert.load(tree)": (
        "import zeekcert",
        "logs = zeekcert.load(tree)\ncount = len(logs.report.files)\n"
        "rows = sum(len(logs[k]) for k in ('ssl', 'x509', 'notice', 'known_certs'))",
    ),
    "read_log(each file), serial": (
        "import zeekcert",
        "paths = zeekcert.find_logs(tree)\n"
        "rows = sum(len(zeekcert.read_log(p)) for p in paths)\ncount = len(paths)",
    ),
    "read_log(one .log.gz), warm, per call": ("import zeekcert", _WARM.replace("{one!r}",
                                                                              "{gz!r}")),
    "read_log(one .log), warm, per call": ("import zeekcert", _WARM.replace("{one!r}",
                                                                            "{plain!r}")),
    "find_logs(tree) alone": (
        "import zeekcert", "count, rows = len(zeekcert.find_logs(tree)), 0",
    ),
    "floor: Python open+read each file": (
        "from pathlib import Path\npaths = sorted(Path(tree).rglob('*.log*'))",
        "count, rows = 0, 0\nfor p in paths:\n"
        "    with open(p, 'rb') as fh:\n        fh.read()\n    count += 1",
    ),
    "floor: Python open+read+inflate (isal)": (
        "from pathlib import Path\nfrom isal import isal_zlib\n"
        "paths = sorted(Path(tree).rglob('*.log*'))",
        "count, rows = 0, 0\nfor p in paths:\n"
        "    with open(p, 'rb') as fh:\n        data = fh.read()\n"
        "    if data[:2] == b'\\x1f\\x8b':\n        data = isal_zlib.decompress(data, wbits=31)\n"
        "    count += 1\n"
        "    rows += data.count(b'\\n') - data.count(b'\\n#') - data.startswith(b'#')",
    ),
}


def bench_arguments() -> argparse.Namespace:
    """The command line: tree shape, where it lives, how often to measure, which zeekcert."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="one-row files in the tree")
    parser.add_argument("--days", type=int, default=7, help="days the files are spread over")
    parser.add_argument("--plain", type=float, default=0.25,
                        help="share of files left uncompressed (default 0.25)")
    parser.add_argument("--x509", action="store_true",
                        help="also an x509.log beside each ssl.log that shows a new certificate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path,
                        default=HERE.parent / "bench-data" / "small-files")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs")
    parser.add_argument("--calls", type=int, default=300, help="calls of the warm loops")
    parser.add_argument("--root", type=Path, default=HERE.parent,
                        help="the zeekcert source tree to time (default: this one)")
    args = parser.parse_args()
    if args.files < 1 or args.days * 86400 < args.files or not 0 <= args.plain <= 1:
        parser.error("need 1 <= --files <= 86400 * --days and 0 <= --plain <= 1")
    return args


# --------------------------------------------------------------------------- the tree


def file_text(log: str, lines: list[str], start: int, end: int) -> bytes:
    """A complete Zeek TSV ssl or x509 log covering ``[start, end)``, as zeekctl archives it."""
    fields, types = (SSL_FIELDS, SSL_TYPES) if log == "ssl" else (X509_FIELDS, X509_TYPES)
    return ("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
            f"#path\t{log}\n#open\t{zeek_stamp(start)}\n#fields\t" + "\t".join(fields)
            + "\n#types\t" + "\t".join(types) + "\n" + "".join(lines)
            + f"#close\t{zeek_stamp(end)}\n").encode()


def generated_rows(files: int, seed: int) -> tuple[list[str], list[str]]:
    """``files`` distinct realistic ssl rows, and the x509 rows of the certificates they
    show (each line with its newline), all in the first hour after DAY0."""
    gen = Generator(seed, ("tsv",))
    chunks = list(gen.hour_chunks(0, files))
    return ("".join(c[0] for c in chunks).splitlines(keepends=True),
            "".join(c[2] for c in chunks).splitlines(keepends=True))


def _moved(line: str, start: int, span: int, frac: float) -> str:
    """``line`` with its ts put ``frac`` of the way into ``[start, start + span)``."""
    ts = start * US + int(frac * span * US)
    return f"{ts // US}.{ts % US:06d}\t{line.split(chr(9), 1)[1]}"


def make_tree(folder: Path, files: int, days: int, plain: float, seed: int,
              x509: bool = False) -> list[Path]:
    """Write the tree: ssl file i covers the i-th rotation interval and holds one row in it;
    with ``x509``, each interval in which a certificate is first shown has an x509 file."""
    interval = days * 86400 // files
    every = round(1 / plain) if plain else 0  # every k-th file stays plain
    ssl_rows, x509_rows = generated_rows(files, seed)
    logs: dict[tuple[str, int], list[str]] = {}
    for i, line in enumerate(ssl_rows):
        frac = (int(line[:line.index("\t")].replace(".", "")) - DAY0 * US) / (3600 * US)
        logs["ssl", i] = [_moved(line, DAY0 + i * interval, interval, frac)]
    for line in x509_rows if x509 else ():
        at = (int(line[:line.index("\t")].replace(".", "")) - DAY0 * US) / (3600 * US) * files
        i = min(int(at), files - 1)
        logs.setdefault(("x509", i), []).append(
            _moved(line, DAY0 + i * interval, interval, min(at - i, 0.999)))
    written = []
    for (log, i), lines in logs.items():
        start, end = DAY0 + i * interval, DAY0 + (i + 1) * interval
        name = (time.strftime("%Y-%m-%d/", time.gmtime(start)) + log + "."
                + time.strftime("%H:%M:%S-", time.gmtime(start))
                + time.strftime("%H:%M:%S.log", time.gmtime(end)))
        data = file_text(log, lines, start, end)
        if not (every and i % every == every - 1):
            name, data = name + ".gz", gzip.compress(data, mtime=0)
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def ensure_tree(args: argparse.Namespace) -> list[Path]:
    """Generate the tree unless the one in --data was made with the same options."""
    wanted = {"files": args.files, "days": args.days, "plain": args.plain, "seed": args.seed,
              "x509": args.x509}
    manifest = args.data / _MANIFEST
    if manifest.exists() and json.loads(manifest.read_text()).get("options") == wanted:
        return [args.data / p for p in json.loads(manifest.read_text())["paths"]]
    if args.data.exists():
        if not manifest.exists() and any(args.data.iterdir()):
            sys.exit(f"{args.data} is not empty and was not made by this script")
        shutil.rmtree(args.data)
    began = time.perf_counter()
    paths = make_tree(args.data, args.files, args.days, args.plain, args.seed, args.x509)
    manifest.write_text(json.dumps({"options": wanted,
                                    "paths": [str(p.relative_to(args.data)) for p in paths]}))
    print(f"made {len(paths)} files in {time.perf_counter() - began:.1f}s", file=sys.stderr)
    return paths


# --------------------------------------------------------------------------- the runs


def run_python(name: str, root: Path, tree: Path, gz: Path, plain: Path,
               calls: int) -> dict[str, float]:
    """Run one measurement in a fresh interpreter; times are taken inside it."""
    imports, body = PYTHON_RUNS[name]
    code = (_PRELUDE.format(root=str(root), imports=imports, tree=str(tree))
            + body.format(gz=str(gz), plain=str(plain), calls=calls) + _EPILOGUE)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, env=_env(root))
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}  # type: ignore[dict-item]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(root)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(argv: list[str], root: Path, count: int) -> dict[str, float]:
    """Wall and CPU time of ``python -m zeekcert ARGV`` in a fresh process, and its exit."""
    began, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "zeekcert", *argv], capture_output=True,
                          text=True, check=False, env=_env(root), cwd=root)  # -m puts cwd first
    seconds, cpu = time.perf_counter() - began, _children_cpu() - cpu
    if done.returncode not in (0, 1, 3):
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}  # type: ignore[dict-item]
    return {"seconds": seconds, "cpu": cpu, "count": count, "rows": 0,
            "exit": done.returncode}


def gzip_floor(paths: list[Path]) -> dict[str, float]:
    """``gzip -dcf`` of every file in one process (xargs), output to /dev/null."""
    began, cpu = time.perf_counter(), _children_cpu()
    with open(os.devnull, "wb") as sink:
        subprocess.run(["xargs", "-0", "gzip", "-dcf"], input=b"\0".join(map(bytes, paths)),
                       stdout=sink, check=True)
    return {"seconds": time.perf_counter() - began, "cpu": _children_cpu() - cpu,
            "count": len(paths), "rows": 0}


def measure_once(args: argparse.Namespace, paths: list[Path], tmp: Path,
                 run: int) -> dict[str, dict[str, float]]:
    """One round of every measurement, each in its own process."""
    tree, n = args.data, len(paths)
    ssl = [p for p in paths if p.name.startswith("ssl.")]
    gz = next(p for p in ssl if p.suffix == ".gz")
    plain = next((p for p in ssl if p.suffix == ".log"), gz)
    out: dict[str, dict[str, float]] = {}
    out["startup: python -m zeekcert --version"] = run_cli(["--version"], args.root, 1)
    for name in PYTHON_RUNS:
        out[name] = run_python(name, args.root, tree, gz, plain, args.calls)
    out["CLI report --format json"] = run_cli(
        ["report", str(tree), "--format", "json", "--output", str(tmp / "report.json")],
        args.root, n)
    out["CLI inventory, new state"] = run_cli(
        ["inventory", str(tree), "--state", str(tmp / f"state{run}.db"),
         "--output", str(tmp / "inventory.json")], args.root, n)
    out["CLI inventory, same state again"] = run_cli(
        ["inventory", str(tree), "--state", str(tmp / f"state{run}.db"),
         "--output", str(tmp / "inventory.json")], args.root, n)
    out["floor: gzip -dcf of every file"] = gzip_floor(paths)
    return out


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    """The fastest run; an error if every run failed."""
    good = [r for r in runs if "error" not in r]
    return min(good, key=lambda r: r["seconds"]) if good else runs[0]


def report(results: dict[str, dict[str, float]], args: argparse.Namespace, n: int) -> None:
    """Print the table (CLI rows net of startup) and the same numbers as JSON."""
    start = results["startup: python -m zeekcert --version"]
    print(f"{n} one-row ssl files ({args.plain:.0%} plain"
          + (f", plus {x509} x509 files" if (x509 := n - args.files) else "")
          + f") over {args.days} days; zeekcert from {args.root}; best of {args.repeat}")
    print(f"{'measurement':42} {'wall s':>7} {'cpu s':>7} {'count':>6} {'ms each':>8} "
          f"{'cpu ms':>7} {'rows':>6}")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:42} failed: {r['error']}")
            continue
        cli = name.startswith("CLI")
        net = r["seconds"] - start.get("seconds", 0.0) if cli else r["seconds"]
        cpu = r["cpu"] - start.get("cpu", 0.0) if cli else r["cpu"]
        each = max(r["count"], 1)
        r |= {"net_seconds": net, "net_cpu": cpu, "ms_each": 1000 * net / each,
              "cpu_ms_each": 1000 * cpu / each}
        rows = f"{'-':>6} exit {int(r['exit'])}" if cli else f"{int(r['rows']):6d}"
        print(f"{name:42} {net:7.2f} {cpu:7.2f} {int(r['count']):6d} {r['ms_each']:8.2f} "
              f"{r['cpu_ms_each']:7.2f} {rows}")
    print(f"(CLI rows: the process's times minus the startup's, {start.get('seconds', 0):.2f}s "
          "wall; 'ms each' is per file, or per call for the warm loops; cpu counts all threads)")
    print(json.dumps({"files": n, "days": args.days, "plain": args.plain,
                      "repeat": args.repeat, "root": str(args.root), "results": results}))


def main() -> None:
    """Make the tree once, measure --repeat times interleaved, print the best of each."""
    args = bench_arguments()
    args.root = args.root.resolve()
    paths = ensure_tree(args)
    runs: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="zeekcert-bench-") as tmp:
        for run in range(args.repeat):
            for name, result in measure_once(args, paths, Path(tmp), run).items():
                runs.setdefault(name, []).append(result)
    report({name: best(r) for name, r in runs.items()}, args, len(paths))


if __name__ == "__main__":
    main()
