#!/usr/bin/env python3
"""How report, the nightly inventory job and a plain load grow with the size of one day.

Usage: python benchmarks/bench_scaling.py [--rows 500000,1000000,2000000,4000000,10000000]
[--kind make_ssl_log[,scanner]] [--layout hourly|single] [--data bench-data/scaling]
[--timeout 900] [--repeat 1] [--steps load,report,inventory] [--generator PATH] [--notices]
[--json FILE]

For each size (ssl.log rows; ``500k`` and ``2M`` are accepted) and each kind, one day is
generated once into ``--data/<kind>-…-<rows>/`` and reused by later runs:

- ``make_ssl_log`` (benchmarks/make_ssl_log.py): with --layout hourly (the default), the
  zeekctl tree a sensor writes, ``YYYY-MM-DD/ssl.HH:MM:SS-HH:MM:SS.log.gz`` and x509 beside
  it, 24 files each; with --layout single, one ssl.log.gz and one x509.log.gz;
- ``scanner`` (/work/shared/bench/gen_zeek_logs.py, or --generator): its scanner-like mix in
  one ssl.log.gz and x509.log.gz (rows / 5 x509 rows), spread over 24 hours. Where the
  generator is missing the script says so on stderr and uses make_ssl_log instead.

With --notices, benchmarks/add_notices.py then adds the notice.log a sensor running
validate-certs writes (one SSL::Invalid_Server_Cert per failing connection, suppressed a
day per server, port, status and certificate; hourly notice files beside hourly ssl
files), in a process of its own, before anything is measured. Such days are cached apart,
in ``--data/<kind>-…-<rows>-notices/``, so a day with notices and one without never mix;
the manifest's ``notices`` entry, written last, says the notices are complete.

Then each step runs as a whole, fresh process, as a user runs it (start-up and imports
included), and is measured from outside (wall, CPU = user + sys from ``os.wait4``, peak
RSS = ``ru_maxrss`` from ``os.wait4``; see bench_process.py for the RSS floor):

- load: ``python -c "import zeekcert; zeekcert.load(DIR)"``;
- report: ``python -m zeekcert report DIR --format json -o /dev/null`` (exit 1 accepted);
- inventory: ``python -m zeekcert inventory DIR --state TMP/state.sqlite --format json
  -o TMP/inventory.json`` on a new state (the nightly job's first run of the day).

A process still running after --timeout seconds is killed and shown as a timeout; that
step is then skipped for the larger sizes. Output: Markdown tables for the README, with
seconds per million rows and the growth per extra million rows between consecutive
sizes. The numbers come from one run on a shared machine; nothing here asserts on them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_process import (  # noqa: E402 - a sibling script, not a package
    KINDS,
    MANIFEST,
    PYTHON,
    ROOT,
    Run,
    best,
    ensure_day,
    locate_generator,
    machine,
    markdown,
    measure,
    mib,
    python_code,
    resolve_kind,
    rss_text,
    warm_cache,
    warm_imports,
)

ADD_NOTICES = HERE / "add_notices.py"
DEFAULT_ROWS = "500000,1000000,2000000,4000000,10000000"
STEPS = ("load", "report", "inventory")
_LOAD = ("import json, zeekcert\nlogs = zeekcert.load({data!r})\n"
         "print(json.dumps({{'ssl': len(logs['ssl']), 'x509': len(logs['x509'])}}))")


def step_argv(step: str, data: Path, tmp: Path) -> tuple[list[str], tuple[int, ...]]:
    """The command line of one step and the exit codes that mean it worked."""
    if step == "load":
        return python_code(_LOAD.format(data=str(data))), (0,)
    if step == "report":
        return [PYTHON, "-m", "zeekcert", "report", str(data), "--format", "json",
                "-o", "/dev/null"], (0, 1)
    return [PYTHON, "-m", "zeekcert", "inventory", str(data), "--state",
            str(tmp / "state.sqlite"), "--format", "json", "-o",
            str(tmp / "inventory.json")], (0,)


def parse_rows(text: str) -> list[int]:
    """``500k,1M,2_000_000`` -> [500000, 1000000, 2000000], sorted, no repeats."""
    out = set()
    for item in text.split(","):
        item = item.strip().lower().replace("_", "")
        if not item:
            continue
        scale = {"k": 1_000, "m": 1_000_000}.get(item[-1], 1)
        number = float(item[:-1] if scale > 1 else item)
        if number * scale < 1:
            raise argparse.ArgumentTypeError(f"not a row count: {item!r}")
        out.add(int(number * scale))
    if not out:
        raise argparse.ArgumentTypeError("no sizes given")
    return sorted(out)


def parse_list(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    """An argparse type for a comma list of names out of ``allowed``."""
    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        bad = [n for n in names if n not in allowed]
        if bad or not names:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}")
        return list(dict.fromkeys(names))
    return parse


@dataclass
class Size:
    """One generated day and what each step measured on it."""

    kind: str
    rows: int
    folder: Path
    info: dict[str, Any]
    runs: dict[str, list[Run]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # step -> why

    def best(self, step: str) -> Run | None:
        """The best run of a step, None when it was skipped."""
        return best(self.runs[step]) if self.runs.get(step) else None

    def x509_rows(self) -> int | None:
        """x509 rows, as the load step counted them."""
        load = self.best("load")
        if load is None or not load.ok:
            return None
        return int(json.loads(load.stdout.splitlines()[-1])["x509"])


def layout_of(kind: str, layout: str) -> str:
    """The layout a kind is generated in: scanner days are always one file per log."""
    return layout if kind == "make_ssl_log" else "single"


def folder_for(data: Path, kind: str, layout: str, rows: int, notices: bool = False) -> Path:
    """Where one day of a kind and size is cached (days with notices apart)."""
    return data / f"{kind}-{layout_of(kind, layout)}-{rows}{'-notices' if notices else ''}"


def ensure_notices(folder: Path, info: dict[str, Any]) -> dict[str, Any]:
    """Add notice logs to a generated day unless its manifest says they are there.

    Runs add_notices.py as a process of its own (this one stays small, see measure),
    then records what it wrote in the manifest; returns the day's info with the notice
    files counted in.
    """
    manifest = folder / MANIFEST
    found = json.loads(manifest.read_text())
    if "notices" not in found:
        print(f"adding notices to {folder} ...", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="notices-", dir=folder.parent) as tmp:
            summary_path = Path(tmp) / "summary.json"
            subprocess.run([PYTHON, str(ADD_NOTICES), str(folder), "--replace",
                            "--json", str(summary_path)], check=True,
                           stdout=subprocess.DEVNULL)
            summary = json.loads(summary_path.read_text())
        found["notices"] = {key: summary[key] for key in
                            ("notices", "failing", "suppress_for", "seconds", "bytes")}
        found["notices"]["files"] = len(summary["files"])
        partial = manifest.with_name(MANIFEST + ".partial")
        partial.write_text(json.dumps(found, indent=1) + "\n")
        partial.replace(manifest)
        print(f"  {found['notices']['notices']:,d} notices in "
              f"{found['notices']['seconds']} s", file=sys.stderr)
    added = found["notices"]
    return {**info, "notices": added, "files": info["files"] + added["files"],
            "bytes": info["bytes"] + added["bytes"],
            "gz_bytes": info["gz_bytes"] + added["bytes"]}


def run_size(size: Size, steps: list[str], repeat: int, timeout: float, data: Path,
             dead: dict[str, str]) -> None:
    """Measure every step on one size, --repeat times interleaved; skip steps ``dead``."""
    gz = sorted(size.folder.rglob("*.gz"))
    warm_cache(gz)
    for step in steps:
        size.runs[step] = []
        if step in dead:
            size.skipped[step] = dead[step]
    for i in range(repeat):
        for step in steps:
            if step in size.skipped:
                continue
            with tempfile.TemporaryDirectory(prefix="run-", dir=data) as tmp:
                argv, ok_codes = step_argv(step, size.folder, Path(tmp))
                print(f"  [{i + 1}/{repeat}] {step} ...", file=sys.stderr, flush=True)
                run = measure(argv, ok_codes=ok_codes, timeout=timeout)
            size.runs[step].append(run)
            if run.timed_out:
                size.skipped[step] = f"timeout > {timeout:g} s"
                dead[step] = f"skipped: timed out at {size.rows:,d} rows"
            elif not run.ok:
                print(f"    failed: {run.error}", file=sys.stderr)


def _per_million(value: float, rows: int) -> str:
    return f"{value / (rows / 1e6):.2f}"


def _cells(run: Run | None, why: str | None, rows: int,
           before: tuple[int, Run] | None) -> list[str]:
    if run is None or not run.ok:
        what = why or (run.error[:50] if run is not None else "not run")
        return [what, "", "", "", "", ""]
    growth = ["—", "—"]
    if before is not None:
        extra = (rows - before[0]) / 1e6
        growth = [f"{(run.wall - before[1].wall) / extra:.2f}",
                  f"{mib(run.rss - before[1].rss) / extra:.0f}"]
    return [f"{run.wall:.2f}", f"{run.cpu:.2f}", rss_text(run), _per_million(run.wall, rows),
            *growth]


def _notice_cells(info: dict[str, Any]) -> list[str]:
    added = info.get("notices")
    if added is None:
        return ["", "", ""]
    return [f"{added['notices']:,d}", f"{added['failing']:,d}", str(added["seconds"])]


def render(sizes: list[Size], steps: list[str], layout: str, repeat: int,
           timeout: float) -> str:
    """One pair of Markdown tables (the data, then the steps) per kind."""
    with_notices = any("notices" in s.info for s in sizes)
    out = [f"Whole processes, best wall of {repeat}, timeout {timeout:g} s; "
           f"{machine()['cpus']} CPUs, {machine()['python']}"
           + ("; each day with its notice.log (benchmarks/add_notices.py)." if with_notices
              else ".")]
    for kind in dict.fromkeys(s.kind for s in sizes):
        mine = [s for s in sizes if s.kind == kind]
        shape = layout_of(kind, layout)
        where = ("zeekctl hourly tree, 24 .gz files per log" if shape == "hourly"
                 else "one .gz file per log")
        out += ["", f"### {kind} ({where})", ""]
        noticed = any("notices" in s.info for s in mine)
        out.append(markdown(
            ["ssl rows", "x509 rows", "files", ".gz MiB", "generated in s",
             *(["notice rows", "failing conns", "notices added in s"] if noticed else [])],
            [[f"{s.rows:,d}", f"{x:,d}" if (x := s.x509_rows()) is not None else "",
              str(s.info["files"]), f"{mib(s.info['gz_bytes']):.0f}",
              str(s.info["generate_seconds"]), *(_notice_cells(s.info) if noticed else [])]
             for s in mine]))
        rows = []
        for step in steps:
            before: tuple[int, Run] | None = None
            for s in mine:
                run = s.best(step)
                rows.append([step, f"{s.rows:,d}",
                             *_cells(run, s.skipped.get(step), s.rows, before)])
                if run is not None and run.ok:
                    before = (s.rows, run)
        out += ["", markdown(["step", "ssl rows", "wall s", "CPU s", "peak RSS MiB",
                              "wall s / M rows", "+wall s / extra M", "+RSS MiB / extra M"],
                             rows, right=[False] + [True] * 7)]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Generate each size once, measure the steps on it, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=parse_rows, default=parse_rows(DEFAULT_ROWS),
                        help=f"comma list of ssl.log sizes (default {DEFAULT_ROWS})")
    parser.add_argument("--kind", type=parse_list(KINDS), default=["make_ssl_log"],
                        help="comma list of generators: make_ssl_log, scanner")
    parser.add_argument("--layout", choices=("hourly", "single"), default="hourly",
                        help="make_ssl_log's files: zeekctl hourly tree, or one per log")
    parser.add_argument("--steps", type=parse_list(STEPS), default=list(STEPS))
    parser.add_argument("--data", type=Path, default=ROOT / "bench-data" / "scaling",
                        help="cache of generated days (reused when present)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds before a process is killed (default 900)")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many (default 1)")
    parser.add_argument("--generator", type=Path, default=None,
                        help="gen_zeek_logs.py for --kind scanner")
    parser.add_argument("--notices", action="store_true",
                        help="add notice.log to each day (add_notices.py), cached apart")
    parser.add_argument("--json", metavar="FILE", default=None,
                        help="also write every run's raw numbers as JSON to FILE")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.timeout <= 0:
        parser.error("--repeat must be at least 1 and --timeout positive")
    generator = locate_generator(args.generator)
    kinds = list(dict.fromkeys(resolve_kind(k, generator, args.generator) for k in args.kind))
    args.data.mkdir(parents=True, exist_ok=True)
    warm_imports("zeekcert, zeekcert.cli")
    sizes: list[Size] = []
    for kind in kinds:
        dead: dict[str, str] = {}
        for rows in args.rows:
            folder, info = ensure_day(folder_for(args.data, kind, args.layout, rows,
                                                 args.notices), rows,
                                      kind, plain=False,
                                      hourly=layout_of(kind, args.layout) == "hourly",
                                      generator=generator)
            if args.notices:
                info = ensure_notices(folder, info)
            size = Size(kind, rows, folder, info)
            print(f"{kind}, {rows:,d} rows:", file=sys.stderr, flush=True)
            run_size(size, args.steps, args.repeat, args.timeout, args.data, dead)
            sizes.append(size)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "machine": machine(), "repeat": args.repeat, "timeout": args.timeout,
            "notices": args.notices,
            "sizes": [{"kind": s.kind, "rows": s.rows, "folder": str(s.folder), "data": s.info,
                       "skipped": s.skipped,
                       "runs": {k: [r.as_dict() for r in v] for k, v in s.runs.items()}}
                      for s in sizes]}, indent=1) + "\n")
    print(render(sizes, args.steps, args.layout, args.repeat, args.timeout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
