#!/usr/bin/env python3
"""Whole-process cost of zeekcert (load, report) against gzip -dc, zat, pyarrow.csv and imports.

Usage: python benchmarks/bench_process.py [--rows 1000000] [--repeat 3]
[--kind make_ssl_log|scanner] [--data bench-data/process] [--generator PATH] [--json FILE|-]

Every contender is a whole process, started fresh as a user starts it (``python -c ...``,
``python -m zeekcert report ...``, ``gzip -dc``), so interpreter start-up, imports and exit
are all counted. All run in one go on the same generated ssl.log (plain) and ssl.log.gz,
--repeat times, interleaved so a noisy moment hits every contender; per contender the run
with the best wall time counts (its CPU and RSS are shown). Measured from outside: wall
seconds (``time.perf_counter`` around spawn and reap), CPU seconds (user + sys of the child
and its children, from ``os.wait4``) and peak RSS (``ru_maxrss`` from ``os.wait4``;
Linux counts the spawning process's own RSS into it, so this script stays small and a
value at or below its RSS, about 15-20 MiB, is shown as '≤ N').
``report`` runs on a folder holding only a hard link to the ssl.log.gz (exit 1 would mean
findings and is accepted). --json writes every run's raw numbers ('-': to stdout instead
of the table).

--kind scanner uses /work/shared/bench/gen_zeek_logs.py (or --generator) when present;
without it the script says so on stderr and falls back to benchmarks/make_ssl_log.py.
Data is generated once per kind and row count under --data and reused.

The ratios come from one run on a shared, noisy machine: read them as rough guides, not
as results. Nothing here asserts on times.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MAKE_SSL_LOG = HERE / "make_ssl_log.py"

DEFAULT_GENERATOR = Path("/work/shared/bench/gen_zeek_logs.py")
KINDS = ("make_ssl_log", "scanner")
MANIFEST = "manifest.json"
PYTHON = sys.executable

# --------------------------------------------------------------------------- measuring


@dataclass
class Run:
    """One whole process, measured from outside."""

    argv: list[str]
    wall: float = 0.0
    user: float = 0.0
    sys: float = 0.0
    rss: int = 0  # bytes, ru_maxrss of the child (and any child of its own)
    rss_floor: int = 0  # bytes, this script's own peak RSS when it spawned the child
    code: int | None = None  # None: killed at the timeout
    ok: bool = False
    timed_out: bool = False
    stdout: str = ""
    error: str = ""

    @property
    def cpu(self) -> float:
        """User plus system CPU seconds, every thread of the child and its children."""
        return self.user + self.sys

    def as_dict(self) -> dict[str, Any]:
        """The raw numbers, for --json."""
        return {**asdict(self), "cpu": self.cpu}


def _maxrss_bytes(value: int) -> int:
    return value if sys.platform == "darwin" else value * 1024  # Linux: KiB


def measure(argv: Sequence[str], *, ok_codes: Sequence[int] = (0,), capture: bool = True,
            timeout: float | None = None, cwd: Path | None = None) -> Run:
    """Run ``argv`` as a fresh process and return its wall, CPU and peak-RSS figures.

    The child gets its own process group, killed as a whole at ``timeout`` seconds. Its
    stdout is kept (``capture``) or sent to /dev/null; the last line of stderr is kept
    when it fails.
    """
    run = Run(list(argv))
    lock, reaped = threading.Lock(), False
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:

        def kill() -> None:
            with lock:
                if not reaped:  # the child is at worst a zombie: its pid is not reused yet
                    run.timed_out = True
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)

        # Linux counts the spawning process's RSS into the child's ru_maxrss (at exec):
        # keep this process small (no generating, no pandas here) and say what it was.
        run.rss_floor = _maxrss_bytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        start = time.perf_counter()
        proc = subprocess.Popen(run.argv, stdin=subprocess.DEVNULL,
                                stdout=out if capture else subprocess.DEVNULL, stderr=err,
                                cwd=cwd, start_new_session=True)
        timer = threading.Timer(timeout, kill) if timeout else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        try:
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped
            run.wall = time.perf_counter() - start
        except BaseException:  # Ctrl-C: the child is in its own session, so stop it here
            kill()
            raise
        finally:
            with lock:
                reaped = True
            if timer is not None:
                timer.cancel()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        run.user, run.sys = usage.ru_utime, usage.ru_stime
        run.rss = _maxrss_bytes(usage.ru_maxrss)
        run.code = None if run.timed_out else proc.returncode
        run.ok = run.code in ok_codes
        out.seek(0)
        run.stdout = out.read().decode(errors="replace").strip()
        if not run.ok:
            err.seek(0)
            lines = err.read().decode(errors="replace").strip().splitlines()
            run.error = ("timeout" if run.timed_out
                         else lines[-1] if lines else f"exit code {run.code}")
    return run


def python_code(code: str) -> list[str]:
    """The argv of ``python -c code`` with this interpreter."""
    return [PYTHON, "-c", code]


def best(runs: list[Run]) -> Run:
    """The run with the best wall time among those that succeeded; else the first."""
    good = [r for r in runs if r.ok]
    return min(good, key=lambda r: r.wall) if good else runs[0]


# --------------------------------------------------------------------------- data


def locate_generator(path: Path | None) -> Path | None:
    """gen_zeek_logs.py (``path``, else /work/shared/bench/), or None when it is missing."""
    candidate = path or DEFAULT_GENERATOR
    return candidate if candidate.is_file() else None


def resolve_kind(kind: str, generator: Path | None, asked: Path | None = None) -> str:
    """``kind``, or make_ssl_log (said loudly) when scanner is asked for without its generator.

    ``asked`` is the --generator given, if any.
    """
    if kind == "scanner" and generator is None:
        print(f"NOTE: gen_zeek_logs.py not found at {asked or DEFAULT_GENERATOR} "
              "(--generator PATH names another): --kind scanner falls back to "
              "benchmarks/make_ssl_log.py", file=sys.stderr)
        return "make_ssl_log"
    return kind


def ensure_day(folder: Path, rows: int, kind: str, *, plain: bool, hourly: bool = False,
               generator: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Generate one day of ssl.log and x509.log in ``folder`` unless it is there already.

    ``plain`` keeps an uncompressed ssl.log (and x509.log) beside the .gz files; without
    it the folder holds only .gz files, so that a load of the folder reads each row once.
    ``hourly`` (make_ssl_log only) writes zeekctl's layout, ``YYYY-MM-DD/ssl.HH:…log.gz``.
    The manifest written last says the folder is complete; a partial one is redone.
    """
    wanted = {"kind": kind, "rows": rows, "plain": plain, "hourly": hourly, "seed": 1}
    manifest = folder / MANIFEST
    if manifest.is_file():
        found = json.loads(manifest.read_text())
        if {k: found.get(k) for k in wanted} == wanted:
            return folder, found
        raise SystemExit(f"{folder} holds other data ({found}); remove it or pick --data")
    if folder.exists() and any(folder.iterdir()):
        raise SystemExit(f"{folder} exists without {MANIFEST} (an interrupted generation?); "
                         "remove it and run again")
    partial = folder.with_name(folder.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)  # our own leftover from an interrupted run
    partial.mkdir(parents=True)
    print(f"generating {rows:,d} rows ({kind}) into {folder} ...", file=sys.stderr, flush=True)
    began = time.perf_counter()
    if kind == "scanner":
        if generator is None:
            raise SystemExit("--kind scanner needs gen_zeek_logs.py")
        subprocess.run([PYTHON, str(generator), str(rows), str(partial), "--seed", "1",
                        "--compress", "both" if plain else "gz",
                        # one day: the generator's default rate (40/s) spans rows / 40 s
                        "--rate", repr(max(rows, 1) / 86400)], check=True)
    else:  # in a process of its own, so that this one stays small (see measure)
        subprocess.run([PYTHON, str(MAKE_SSL_LOG), str(partial), "--rows", str(rows),
                        "--seed", "1", "--gzip", "--hours", "24" if hourly else "1"],
                       check=True, stdout=subprocess.DEVNULL)
        if not plain:
            for name in ("ssl.log", "x509.log"):
                (partial / name).unlink(missing_ok=True)
    files = sorted(p for p in partial.rglob("*") if p.is_file())
    info = {**wanted, "generator": str(generator) if kind == "scanner" else "make_ssl_log.py",
            "generate_seconds": round(time.perf_counter() - began, 1),
            "files": len(files), "bytes": sum(p.stat().st_size for p in files),
            "gz_bytes": sum(p.stat().st_size for p in files if p.suffix == ".gz")}
    (partial / MANIFEST).write_text(json.dumps(info, indent=1) + "\n")
    if folder.exists():
        folder.rmdir()  # empty, checked above
    partial.rename(folder)
    print(f"  done in {info['generate_seconds']} s", file=sys.stderr)
    return folder, info


def warm_cache(paths: Sequence[Path]) -> None:
    """Read files once so the first contender does not pay for a cold page cache."""
    for path in paths:
        with open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass


def warm_imports(modules: str) -> None:
    """Import once, untimed, so no timed run pays for writing .pyc files."""
    subprocess.run(python_code(f"import {modules}"), check=False, capture_output=True)


# --------------------------------------------------------------------------- formatting


def mib(n: float) -> float:
    """Bytes to MiB."""
    return n / 2**20


def rss_text(run: Run) -> str:
    """Peak RSS in MiB; '≤ N' when it does not exceed the floor this script imposes."""
    if run.rss <= run.rss_floor:
        return f"≤ {mib(run.rss_floor):.0f}"
    return f"{mib(run.rss):.0f}"


def markdown(headers: Sequence[str], rows: Sequence[Sequence[str]],
             right: Sequence[bool] | None = None) -> str:
    """A Markdown table; ``right`` marks the right-aligned (numeric) columns."""
    right = right or [False] + [True] * (len(headers) - 1)
    cells = [list(headers), *(list(r) for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if r else c.ljust(w)
                                 for c, w, r in zip(row, widths, right, strict=True)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if r else (":" + "-" * (w + 1))
                          for w, r in zip(widths, right, strict=True)) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def machine() -> dict[str, Any]:
    """What the numbers were taken on."""
    return {"python": platform.python_version(), "executable": PYTHON,
            "platform": platform.platform(), "cpus": os.cpu_count(),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


# --------------------------------------------------------------------------- contenders


@dataclass
class Contender:
    """One whole process to time."""

    name: str
    argv: list[str]
    ok_codes: tuple[int, ...] = (0,)
    capture: bool = True
    runs: list[Run] = field(default_factory=list)


_PYARROW = """
import pyarrow.csv as pc
path = {plain!r}
with open(path, encoding="utf-8") as fh:
    head = [fh.readline() for _ in range(16)]
skip = next(i for i, line in enumerate(head) if not line.startswith("#"))
names = next(l for l in head if l.startswith("#fields")).rstrip("\\n").split("\\t")[1:]
table = pc.read_csv(
    path,
    read_options=pc.ReadOptions(skip_rows=skip, column_names=names),
    parse_options=pc.ParseOptions(delimiter="\\t", quote_char=False, double_quote=False,
                                  invalid_row_handler=lambda row: "skip"),  # the #close line
    convert_options=pc.ConvertOptions(null_values=["-"], strings_can_be_null=True,
                                      true_values=["T"], false_values=["F"]))
print(table.num_rows)
"""


def contenders(plain: Path, gz: Path, report_dir: Path) -> list[Contender]:
    """Every process to time, in the order they run and are shown."""
    out = []
    gzip = shutil.which("gzip")
    if gzip is None:
        print("NOTE: no gzip on PATH: the gzip -dc floor is left out", file=sys.stderr)
    else:
        out.append(Contender("floor: gzip -dc ssl.log.gz > /dev/null", [gzip, "-dc", str(gz)],
                             capture=False))
    out += [
        Contender("python -c pass (interpreter start-up)", python_code("pass")),
        Contender("python -c 'import pandas'", python_code("import pandas")),
        Contender("python -c 'import zeekcert'", python_code("import zeekcert")),
        Contender("zeekcert.read_log(ssl.log.gz)",
                  python_code(f"import zeekcert; print(len(zeekcert.read_log({str(gz)!r})))")),
        Contender("zeekcert.read_log(ssl.log)",
                  python_code(f"import zeekcert; print(len(zeekcert.read_log({str(plain)!r})))")),
        Contender("zat LogToDataFrame(ssl.log)", python_code(
            "from zat.log_to_dataframe import LogToDataFrame; "
            f"print(len(LogToDataFrame().create_dataframe({str(plain)!r})))")),
        Contender("floor: pyarrow.csv.read_csv(ssl.log)",
                  python_code(_PYARROW.format(plain=str(plain)))),
        Contender("python -m zeekcert report DIR --format json -o /dev/null",
                  [PYTHON, "-m", "zeekcert", "report", str(report_dir), "--format", "json",
                   "-o", "/dev/null"], ok_codes=(0, 1)),
    ]
    return out


def report_folder(folder: Path, gz: Path) -> Path:
    """A folder holding only ssl.log.gz (a hard link, else a copy), for the report command."""
    target = folder / "report" / gz.name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(gz, target)
        except OSError:
            shutil.copy2(gz, target)
    return target.parent


def ratio(top: Run | None, bottom: Run | None, attr: str) -> float | None:
    """top / bottom for one measure, or None when either is missing or failed."""
    if top is None or bottom is None or not (top.ok and bottom.ok):
        return None
    low = getattr(bottom, attr)
    return float(getattr(top, attr)) / low if low else None


def ratios(results: dict[str, Run]) -> dict[str, dict[str, float | None]]:
    """The ratios the brief names, by wall and by CPU."""
    get = results.get
    floor = get("floor: gzip -dc ssl.log.gz > /dev/null")
    gz, plain = get("zeekcert.read_log(ssl.log.gz)"), get("zeekcert.read_log(ssl.log)")
    pairs = {
        "zeekcert gz load / gzip -dc": (gz, floor),
        "zat / zeekcert plain load": (get("zat LogToDataFrame(ssl.log)"), plain),
        "report / zeekcert gz load": (get("python -m zeekcert report DIR --format json "
                                          "-o /dev/null"), gz),
        "zeekcert plain load / pyarrow.csv": (plain, get("floor: pyarrow.csv.read_csv(ssl.log)")),
        "import zeekcert / zeekcert gz load": (get("python -c 'import zeekcert'"), gz),
    }
    return {name: {"wall": ratio(a, b, "wall"), "cpu": ratio(a, b, "cpu")}
            for name, (a, b) in pairs.items()}


def render(results: dict[str, Run], found: dict[str, dict[str, float | None]],
           info: dict[str, Any], repeat: int, plain: Path, gz: Path) -> str:
    """The Markdown table and the ratios."""
    lines = [f"ssl.log: {info['rows']:,d} rows ({info['kind']}), {mib(plain.stat().st_size):.0f}"
             f" MiB plain, {mib(gz.stat().st_size):.0f} MiB gzip; best wall of {repeat}, "
             f"whole processes; {os.cpu_count()} CPUs, load average at the end "
             f"{os.getloadavg()[0]:.2f}", ""]
    rows = []
    for name, r in results.items():
        if not r.ok:
            rows.append([name, "failed", "", "", "", "", r.error[:60]])
            continue
        rows.append([name, f"{r.wall:.2f}", f"{r.cpu:.2f}",
                     f"{r.cpu / r.wall:.2f}" if r.wall else "", rss_text(r),
                     r.stdout.splitlines()[-1] if r.stdout else "", str(r.code)])
    lines.append(markdown(["contender", "wall s", "CPU s", "CPU/wall", "peak RSS MiB", "rows",
                           "exit"], rows))
    lines += ["", markdown(["ratio", "wall", "CPU"], [
        [name, *(f"{v[k]:.2f}x" if v[k] is not None else "n/a" for k in ("wall", "cpu"))]
        for name, v in found.items()])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Generate (once), run every contender --repeat times interleaved, print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many (default 3)")
    parser.add_argument("--kind", choices=KINDS, default="make_ssl_log",
                        help="the data generator (scanner: gen_zeek_logs.py)")
    parser.add_argument("--data", type=Path, default=ROOT / "bench-data" / "process")
    parser.add_argument("--generator", type=Path, default=None,
                        help=f"gen_zeek_logs.py for --kind scanner (default {DEFAULT_GENERATOR})")
    parser.add_argument("--json", metavar="FILE", default=None,
                        help="write every run's raw numbers as JSON ('-': stdout, no table)")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")
    generator = locate_generator(args.generator)
    kind = resolve_kind(args.kind, generator, args.generator)
    folder, info = ensure_day(args.data / f"{kind}-{args.rows}" / "logs", args.rows, kind,
                              plain=True, generator=generator)
    plain, gz = folder / "ssl.log", folder / "ssl.log.gz"
    report_dir = report_folder(folder.parent, gz)
    todo = contenders(plain, gz, report_dir)
    warm_cache([plain, gz])
    warm_imports("zeekcert, zeekcert.cli, pandas, pyarrow.csv")
    warm_imports("zat.log_to_dataframe")
    for i in range(args.repeat):  # interleaved, so a noisy moment hits every contender
        for c in todo:
            print(f"[{i + 1}/{args.repeat}] {c.name} ...", file=sys.stderr, flush=True)
            c.runs.append(measure(c.argv, ok_codes=c.ok_codes, capture=c.capture))
    results = {c.name: best(c.runs) for c in todo}
    found = ratios(results)
    raw = {"machine": machine(), "data": info, "repeat": args.repeat,
           "contenders": {c.name: {"argv": c.argv, "ok_codes": list(c.ok_codes),
                                   "runs": [r.as_dict() for r in c.runs],
                                   "best": c.runs.index(results[c.name])} for c in todo},
           "ratios": found}
    if args.json == "-":
        print(json.dumps(raw, indent=1))
        return 0
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1) + "\n")
    print(render(results, found, info, args.repeat, plain, gz))
    return 0


if __name__ == "__main__":
    sys.exit(main())
