#!/usr/bin/env python3
"""How the nightly inventory job (and the report) scale on a local Dask cluster.

Usage: python benchmarks/bench_scale.py [--rows 10000000] [--data bench-data/scale]
[--steps inventory[,report]] [--modes single,local:1,local:2] [--repeat 1]
[--timeout 1800] [--json FILE]

One day of --rows ssl.log rows is generated once, as bench_scaling.py --notices does it
(make_ssl_log.py's zeekctl hourly tree, 24 gzip files each of ssl, x509 and notice), into
``--data/make_ssl_log-hourly-<rows>-notices/`` and reused by later runs. Then each step
runs in each mode, in the order given, as a whole fresh process, as a user runs it:

- inventory: ``python -m zeekcert inventory DAYDIR --state NEW.db -o OUT.json`` on a new
  state (deleted first), the nightly job's first run of the day;
- report: ``python -m zeekcert report DAYDIR --format json -o OUT.json`` (exit 1 accepted);
- a mode ``local:N`` adds ``--scheduler local:N`` (a LocalCluster of N worker processes,
  children of the main one); ``single`` adds nothing.

Measured from outside, the process tree polled with psutil every 0.2 s: wall time; CPU
(user + sys) of the whole tree, the larger of the polled sum and the getrusage
(RUSAGE_CHILDREN) delta (see ``Tree.cpu``); peak RSS (Linux's VmHWM, the kernel's own
high-water mark, so a poll cannot miss a peak) of the main process and of each worker,
shown as the largest worker's and as the sum over workers. Every output is compared
byte for byte with the first mode's (single); a difference is a loud warning, recorded.

Printed: a Markdown table per step, the ratios local:1 / single (the cluster's overhead,
target <= 1.2x) and local:1 / local:2 (the speed-up, target >= 1.6x), and an estimate of
the workers a site with 500 GB of ssl.log a day needs, from the per-worker throughput of
the largest local:N. The numbers come from one sitting on a shared machine (2 cores
here): read them as guides; nothing asserts on them.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_process import (  # noqa: E402 - sibling scripts, not a package
    MANIFEST,
    PYTHON,
    ROOT,
    ensure_day,
    machine,
    markdown,
    mib,
    warm_cache,
    warm_imports,
)
from bench_scaling import ensure_notices, folder_for, parse_list, parse_rows  # noqa: E402

STEPS = ("inventory", "report")
DEFAULT_MODES = "single,local:1,local:2"
POLL = 0.2  # seconds between looks at the process tree
LINGER = 5.0  # seconds a descendant may outlive the main process
SITE_BYTES = 500e9  # the site's ssl.log a day: 500 GB, decimal, as disks are sold
DEADLINES = {"1 hour": 3600, "8 hours": 8 * 3600}
OVERHEAD_TARGET, SPEEDUP_TARGET = 1.2, 1.6
SIZES = "ssl-sizes.json"  # beside the manifest: the ssl files' gzip and plain bytes

# --------------------------------------------------------------------------- measuring


@dataclass
class Seen:
    """One process of the tree, as last seen."""

    pid: int
    role: str  # main, worker, helper or other: see _role
    cmd: str
    cpu: float = 0.0  # user + sys of this process alone, at the last look
    hwm: int = 0  # bytes, the highest VmHWM (else RSS) seen


def _role(proc: psutil.Process, root: int) -> str:
    """main; worker (a Dask worker); helper (multiprocessing's own); other: anything else.

    The Nanny starts each Dask worker through multiprocessing's spawn (``spawn_main`` in
    its command line), which also starts a resource tracker: tiny and not a worker. A
    descendant caught mid-start (no command line yet) or any other child is "other",
    looked at again later; its CPU counts in the tree's, not in the worker columns.
    """
    if proc.pid == root:
        return "main"
    text = " ".join(_cmdline(proc))
    if "resource_tracker" in text or "forkserver" in text:
        return "helper"
    return "worker" if "spawn_main" in text else "other"


def _hwm(proc: psutil.Process) -> int:
    """Peak RSS so far in bytes: VmHWM where /proc has it (a zombie has none), else RSS."""
    with contextlib.suppress(OSError), open(f"/proc/{proc.pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    with contextlib.suppress(psutil.Error):
        return int(proc.memory_info().rss)
    return 0


class Tree:
    """The process tree under one pid, followed by polling (``look``)."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.procs: dict[tuple[int, float], psutil.Process] = {}
        self.seen: dict[tuple[int, float], Seen] = {}
        self.peak_total = 0  # bytes, the largest sum of current RSS over the tree at a look

    def _members(self) -> list[psutil.Process]:
        """Descendants now, plus any seen before that still run (reparented orphans)."""
        found = [self.root]
        with contextlib.suppress(psutil.Error):
            found += self.root.children(recursive=True)
        found += [p for p in self.procs.values() if p.is_running()]
        return list({p.pid: p for p in found}.values())

    def look(self) -> None:
        """Record every member's CPU so far and peak RSS so far."""
        total = 0
        for proc in self._members():
            try:
                with proc.oneshot():
                    key = (proc.pid, proc.create_time())
                    times = proc.cpu_times()
                    rss = proc.memory_info().rss if proc.status() != "zombie" else 0
            except psutil.Error:
                continue  # gone between listing and reading: its last look stands
            if key not in self.seen:
                self.procs[key] = proc
                self.seen[key] = Seen(proc.pid, _role(proc, self.root.pid),
                                      " ".join(_cmdline(proc))[:200])
            entry = self.seen[key]
            if entry.role == "other":  # perhaps seen before its exec: look again
                entry.role = _role(proc, self.root.pid)
                entry.cmd = entry.cmd or " ".join(_cmdline(proc))[:200]
            # own time only: children_* would count again a child that is also polled
            entry.cpu = max(entry.cpu, times.user + times.system)
            entry.hwm = max(entry.hwm, _hwm(proc), rss)
            total += rss
        self.peak_total = max(self.peak_total, total)

    def leftovers(self) -> list[psutil.Process]:
        """Members still running once the main process has exited (should be none)."""
        return [p for p in self.procs.values() if p.is_running() and p.pid != self.root.pid]


def _cmdline(proc: psutil.Process) -> list[str]:
    with contextlib.suppress(psutil.Error):
        return proc.cmdline()
    return []


@dataclass
class Run:
    """One whole process tree, measured from outside."""

    step: str
    mode: str
    argv: list[str]
    load: float = 0.0  # the 1-minute load average as it started: how noisy the moment was
    wall: float = 0.0
    cpu_polled: float = 0.0  # sum over every pid seen of its last user + sys
    cpu_rusage: float = 0.0  # getrusage(RUSAGE_CHILDREN) delta around the run
    code: int | None = None  # None: killed at the timeout
    ok: bool = False
    timed_out: bool = False
    error: str = ""
    procs: list[dict[str, Any]] = field(default_factory=list)
    peak_tree_rss: int = 0  # bytes, the largest simultaneous sum seen at a poll
    output: dict[str, Any] = field(default_factory=dict)  # sha256, bytes, identical, ...

    @property
    def cpu(self) -> float:
        """CPU seconds of the whole tree: the larger, so the more complete, of the two.

        Both are lower bounds and neither counts a process twice. The rusage delta is
        exact for every process reaped by its parent (we reap the main one; Dask's
        nanny joins its workers) but blind to a descendant that outlived its parent and
        went to init. The polled sum sees every process alive at a look, but misses the
        last <= 0.2 s of each and any process shorter than one interval.
        """
        return max(self.cpu_polled, self.cpu_rusage)

    def _role(self, role: str) -> list[dict[str, Any]]:
        return [p for p in self.procs if p["role"] == role]

    @property
    def main_rss(self) -> int:
        """Peak RSS of the main process, bytes."""
        return max((p["hwm"] for p in self._role("main")), default=0)

    @property
    def worker_rss(self) -> list[int]:
        """Peak RSS of each worker process seen (a restarted worker counts apart)."""
        return [p["hwm"] for p in self._role("worker")]

    @property
    def main_cpu(self) -> float:
        """The main process's own CPU seconds (polled): the part workers cannot share."""
        return sum(p["cpu"] for p in self._role("main"))

    def as_dict(self) -> dict[str, Any]:
        """The raw numbers, for --json."""
        return {**asdict(self), "cpu": self.cpu, "main_rss": self.main_rss,
                "worker_rss": self.worker_rss, "main_cpu": self.main_cpu}


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wait_exit(pid: int, done: threading.Event, end: list[float]) -> None:
    """Note the moment ``pid`` exits, without reaping it (it stays readable as a zombie)."""
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    end.append(time.perf_counter())
    done.set()


def _poll(tree: Tree, done: threading.Event, pgid: int, timeout: float, run: Run) -> None:
    """Look at the tree every POLL seconds until the main exits; kill all at the timeout."""
    deadline = time.perf_counter() + timeout
    while not done.wait(POLL):
        tree.look()
        if time.perf_counter() > deadline and not run.timed_out:
            run.timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)  # its own session: the workers too
    tree.look()  # the last look: the main a zombie, its CPU final


def _finish(run: Run, tree: Tree, err: Any) -> None:
    """Fill in what the tree showed, stop leftovers, keep the last line of a failure."""
    run.procs = [asdict(s) for s in tree.seen.values()]
    run.cpu_polled = sum(s.cpu for s in tree.seen.values())
    run.peak_tree_rss = tree.peak_total
    # multiprocessing's resource tracker exits on its own just after the main one: give
    # it (and any worker) a moment before calling it a leftover of ours and stopping it
    _, alive = psutil.wait_procs(tree.leftovers(), timeout=LINGER)
    for proc in alive:  # our own run's descendants, known by pid and start time
        role = next((s.role for k, s in tree.seen.items() if tree.procs[k] is proc), "?")
        print(f"    NOTE: {role} pid {proc.pid} outlived the run by {LINGER:g} s; killing it",
              file=sys.stderr)
        with contextlib.suppress(psutil.Error):
            proc.kill()
    if not run.ok:
        err.seek(0)
        lines = err.read().decode(errors="replace").strip().splitlines()
        run.error = ("timeout" if run.timed_out
                     else lines[-1] if lines else f"exit code {run.code}")


def measure(run: Run, ok_codes: tuple[int, ...], timeout: float) -> Run:
    """Run ``run.argv`` as a fresh process in its own session and measure its tree."""
    with tempfile.TemporaryFile() as err:
        before = _cpu_children()
        start = time.perf_counter()
        proc = subprocess.Popen(run.argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
        done, end = threading.Event(), []
        threading.Thread(target=_wait_exit, args=(proc.pid, done, end), daemon=True).start()
        tree = Tree(proc.pid)
        try:
            _poll(tree, done, proc.pid, timeout, run)
        finally:
            proc.wait()
        run.wall = end[0] - start
        run.cpu_rusage = _cpu_children() - before
        run.code = None if run.timed_out else proc.returncode
        run.ok = run.code in ok_codes
        _finish(run, tree, err)
    return run


# --------------------------------------------------------------------------- steps


def step_argv(step: str, mode: str, day: Path, tmp: Path) -> tuple[list[str], Path]:
    """The command line of one step in one mode, and the file it writes."""
    out = tmp / f"{step}-{mode.replace(':', '')}.json"
    if step == "inventory":
        state = tmp / "state.db"
        for stale in tmp.glob("state.db*"):  # a NEW state each run: the first of the day
            stale.unlink()
        argv = [PYTHON, "-m", "zeekcert", "inventory", str(day), "--state", str(state),
                "-o", str(out)]
    else:
        argv = [PYTHON, "-m", "zeekcert", "report", str(day), "--format", "json",
                "-o", str(out)]
    out.unlink(missing_ok=True)
    return argv + ([] if mode == "single" else ["--scheduler", mode]), out


def ok_codes(step: str) -> tuple[int, ...]:
    """Exit codes that mean the step worked: the report exits 1 when it has findings."""
    return (0, 1) if step == "report" else (0,)


def first_difference(a: bytes, b: bytes) -> dict[str, Any]:
    """Where two outputs part: the first differing byte, with a little context."""
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
              min(len(a), len(b)))
    return {"offset": at, "reference": a[max(0, at - 60):at + 60].decode(errors="replace"),
            "this": b[max(0, at - 60):at + 60].decode(errors="replace")}


def compare(run: Run, out: Path, reference: dict[str, tuple[str, int | None, bytes]]) -> None:
    """Record the output's digest; warn loudly when it is not the reference's bytes.

    The reference is the first good run of the step (single, as --modes is ordered); its
    exit code must match too (the report's 1 means findings).
    """
    data = out.read_bytes() if out.is_file() else b""
    run.output = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    mode, code, ref = reference.setdefault(run.step, (run.mode, run.code, data))
    run.output.update(reference_mode=mode, identical=data == ref and run.code == code)
    if run.output["identical"]:
        return
    run.output["difference"] = {"exit_codes": [code, run.code], **first_difference(ref, data)}
    print(f"\n*** WARNING: {run.step} in mode {run.mode} DIFFERS from {mode}: "
          f"{len(data):,d} vs {len(ref):,d} bytes, first difference at byte "
          f"{run.output['difference']['offset']:,d}, exit {run.code} vs {code} ***\n",
          file=sys.stderr, flush=True)


def run_all(day: Path, steps: list[str], modes: list[str], repeat: int,
            timeout: float) -> list[Run]:
    """Every step in every mode, --repeat times, in the order given, in one sitting."""
    runs: list[Run] = []
    reference: dict[str, tuple[str, int | None, bytes]] = {}
    gz = sorted(day.rglob("*.gz"))
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as name:
        for step in steps:
            for i in range(repeat):
                for mode in modes:
                    argv, out = step_argv(step, mode, day, Path(name))
                    # before every run, not once: this VM's kernel (DAMON) reclaims idle
                    # page cache within a minute or two, and no mode should read the disk
                    warm_cache(gz)
                    print(f"  [{i + 1}/{repeat}] {step} {mode} ...", file=sys.stderr,
                          flush=True)
                    run = measure(Run(step, mode, argv, load=os.getloadavg()[0]),
                                  ok_codes(step), timeout)
                    print(f"    {run.wall:.1f} s wall, {run.cpu:.1f} s CPU"
                          + ("" if run.ok else f"; FAILED: {run.error}"),
                          file=sys.stderr, flush=True)
                    if run.ok:
                        compare(run, out, reference)
                    runs.append(run)
    return runs


# --------------------------------------------------------------------------- data


def day_folder(folder: Path) -> Path:
    """The one YYYY-MM-DD folder of the generated tree: the DAYDIR the commands get."""
    days = sorted({p.parent for p in folder.rglob("ssl.*.log.gz")})
    if len(days) != 1:
        raise SystemExit(f"{folder}: expected one day folder of ssl files, found {days}")
    return days[0]


def ssl_sizes(folder: Path, day: Path) -> dict[str, int]:
    """Bytes of the ssl files, gzip'd (on disk) and plain (decompressed once, cached)."""
    cache = folder / SIZES
    if cache.is_file():
        return dict(json.loads(cache.read_text()))
    try:  # isal is a zeekcert dependency and several times faster than zlib here
        from isal import igzip as gzip_module
    except ImportError:
        import gzip as gzip_module
    files = sorted(day.glob("ssl.*.log.gz"))
    plain = 0
    for path in files:
        with gzip_module.open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                plain += len(chunk)
    sizes = {"files": len(files), "gz": sum(p.stat().st_size for p in files), "plain": plain}
    cache.write_text(json.dumps(sizes, indent=1) + "\n")
    return sizes


def prepare(data: Path, rows: int) -> tuple[Path, dict[str, Any], float]:
    """Generate the day (once), add its notices (once); the day folder, its info, seconds.

    ``info["cached"]`` says the day was there already (its notices may still be new).
    """
    began = time.perf_counter()
    data.mkdir(parents=True, exist_ok=True)
    folder = folder_for(data, "make_ssl_log", "hourly", rows, notices=True)
    cached = (folder / MANIFEST).is_file()
    folder, info = ensure_day(folder, rows, "make_ssl_log", plain=False, hourly=True)
    info = ensure_notices(folder, info)
    day = day_folder(folder)
    info = {**info, "ssl": ssl_sizes(folder, day), "day": str(day), "cached": cached}
    return day, info, time.perf_counter() - began


# --------------------------------------------------------------------------- formatting


def best(runs: list[Run], step: str, mode: str) -> Run | None:
    """The run of a step and mode with the best wall among those that worked, else any."""
    mine = [r for r in runs if r.step == step and r.mode == mode]
    good = [r for r in mine if r.ok]
    return min(good, key=lambda r: r.wall) if good else (mine[0] if mine else None)


def _output_cell(runs: list[Run], step: str, mode: str) -> str:
    mine = [r for r in runs if r.step == step and r.mode == mode and r.ok]
    if not mine:
        return ""
    if all(r.output["reference_mode"] == mode for r in mine):
        return "reference"
    return "identical" if all(r.output["identical"] for r in mine) else "**DIFFERS**"


def _row(run: Run | None, rows: int, output: str) -> list[str]:
    if run is None or not run.ok:
        return ["" if run is None else f"failed: {run.error[:60]}", *[""] * 6, output]
    workers = run.worker_rss
    return [f"{run.wall:.1f}", f"{run.cpu:.1f}", f"{rows / run.wall:,.0f}",
            f"{mib(run.main_rss):.0f}",
            f"{mib(max(workers)):.0f}" if workers else "—",
            f"{mib(sum(workers)):.0f}" if workers else "—", str(len(workers)), output]


def step_table(runs: list[Run], step: str, modes: list[str], rows: int) -> str:
    """One step's table: a line per mode."""
    body = [[mode, *_row(best(runs, step, mode), rows, _output_cell(runs, step, mode))]
            for mode in modes]
    return markdown(["mode", "wall s", "CPU s", "rows/s", "peak RSS main MiB",
                     "peak RSS per worker MiB", "sum of peaks MiB", "workers seen",
                     "output"], body, right=[False] + [True] * 7 + [False])


def ratio_lines(runs: list[Run], step: str) -> list[list[str]]:
    """The two wall ratios the brief sets targets for, each met or missed."""
    def wall(mode: str) -> float | None:
        run = best(runs, step, mode)
        return run.wall if run is not None and run.ok else None

    one, single, two = wall("local:1"), wall("single"), wall("local:2")
    out = []
    for name, top, bottom, target, better in (
            ("local:1 / single wall (overhead)", one, single, OVERHEAD_TARGET, "≤"),
            ("local:1 / local:2 wall (speed-up)", one, two, SPEEDUP_TARGET, "≥")):
        if top is None or bottom is None:
            out.append([name, "n/a", f"{better} {target}x", "not measured"])
            continue
        value = top / bottom
        met = value <= target if better == "≤" else value >= target
        out.append([name, f"{value:.2f}x", f"{better} {target}x", "met" if met else "MISSED"])
    return out


def _largest_cluster(runs: list[Run], step: str, modes: list[str]) -> tuple[int, Run] | None:
    """(N, best run) of the largest local:N that worked."""
    found = [(int(m.split(":")[1]), best(runs, step, m)) for m in modes if m != "single"]
    good = [(n, r) for n, r in found if r is not None and r.ok]
    return max(good, key=lambda x: x[0]) if good else None


def _workers_needed(rate: float, seconds: float) -> str:
    return f"{math.ceil(SITE_BYTES / (rate * seconds)):,d}"


def estimate(runs: list[Run], step: str, modes: list[str], info: dict[str, Any]) -> list[str]:
    """The workers a 500 GB/day site needs, extrapolated from the largest local:N run."""
    found = _largest_cluster(runs, step, modes)
    if found is None:
        return [f"No local:N run of {step} worked: no estimate."]
    n, run = found
    rows, ssl = info["rows"], info["ssl"]
    gz_rate, plain_rate = ssl["gz"] / run.wall / n, ssl["plain"] / run.wall / n
    body = [[f"500 GB {kind} ssl.log", f"{SITE_BYTES / rate / 3600:,.1f}",
             *(_workers_needed(rate, s) for s in DEADLINES.values())]
            for kind, rate in (("gzip'd", gz_rate), ("plain", plain_rate))]
    lines = [f"**Estimate, not a measurement** ({step}): from local:{n}, {run.wall:.1f} s for "
             f"{rows:,d} ssl rows = {rows / run.wall / n:,.0f} rows/s per worker, "
             f"{mib(gz_rate):.2f} MiB/s of gzip'd ssl.log ({ssl['gz'] / rows:.0f} B/row) or "
             f"{mib(plain_rate):.2f} MiB/s plain ({ssl['plain'] / rows:.0f} B/row) per "
             "worker. 500 GB is read as 5e11 bytes, of gzip'd files (as zeekctl archives "
             "them) and of plain ones (the live log): both are given.", "",
             markdown(["site", "one worker: hours",
                       *(f"workers for {d}" for d in DEADLINES)], body)]
    site_rows = {"gzip'd": SITE_BYTES / ssl["gz"] * rows,
                 "plain": SITE_BYTES / ssl["plain"] * rows}
    return lines + _caveats(run, rows, site_rows)


def _caveats(run: Run, rows: int, site_rows: dict[str, float]) -> list[str]:
    """What the linear extrapolation leaves out: the main process does not scale out."""
    per_row = run.main_cpu / rows
    gz_rows, plain_rows = site_rows["gzip'd"], site_rows["plain"]
    return ["", "It assumes throughput grows linearly with workers, each on a core of its own "
            "like those here, on files of this generator's mix. The main process does not "
            "scale out: it merges every file's result alone, and used "
            f"{run.main_cpu:.1f} s of CPU here for {rows:,d} rows "
            f"({per_row * 1e6:.2f} s per million; an upper bound of its cost per row, as "
            "its start-up, imports and the cluster's start are in it). At that rate its "
            "share alone takes "
            f"{gz_rows * per_row / 3600:,.1f} h for the gzip'd reading ({gz_rows:,.0f} rows) "
            f"or {plain_rows * per_row / 3600:,.1f} h for the plain one ({plain_rows:,.0f} "
            "rows), however many workers there are: a deadline shorter than that needs a "
            "faster merge or the day split over several runs."]


def render(runs: list[Run], steps: list[str], modes: list[str], info: dict[str, Any],
           repeat: int, timeout: float, prep_seconds: float) -> str:
    """The tables, ratios and estimate, in Markdown."""
    ssl, notices = info["ssl"], info["notices"]
    out = [f"One day, {info['rows']:,d} ssl rows in {ssl['files']} hourly files "
           f"({mib(ssl['gz']):.0f} MiB gzip'd, {mib(ssl['plain']):.0f} MiB plain) with x509 "
           f"and {notices['notices']:,d} notices; generated in {info['generate_seconds']} s + "
           f"notices {notices['seconds']} s ({'cached' if info['cached'] else 'this run'}, "
           f"{prep_seconds:.0f} s to get ready here). "
           f"Whole processes, best wall of {repeat}, timeout {timeout:g} s; "
           f"{machine()['cpus']} CPUs, Python {machine()['python']}, load average at the "
           f"end {os.getloadavg()[0]:.2f}."]
    for step in steps:
        out += ["", f"### {step}", "", step_table(runs, step, modes, info["rows"]), "",
                markdown(["ratio", "value", "target", ""], ratio_lines(runs, step),
                         right=[False, True, True, False]), ""]
        differ = [r for r in runs if r.step == step and r.ok and not r.output["identical"]]
        if differ:
            out += [f"**WARNING: {step} output differs from "
                    f"{differ[0].output['reference_mode']} in "
                    f"{', '.join(sorted({r.mode for r in differ}))}** (see --json).", ""]
        out += estimate(runs, step, modes, info)
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def parse_modes(text: str) -> list[str]:
    """``single,local:1,local:2`` -> the list, checked, in the order given."""
    modes = list(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    for mode in modes:
        n = mode.removeprefix("local:")
        if mode != "single" and not (mode.startswith("local:") and n.isdigit() and int(n)):
            raise argparse.ArgumentTypeError(f"{mode!r}: give single or local:N")
    if not modes:
        raise argparse.ArgumentTypeError("no modes given")
    return modes


def parse_one_size(text: str) -> int:
    """One ssl.log size, ``10M`` and ``200k`` accepted."""
    sizes = parse_rows(text)
    if len(sizes) != 1:
        raise argparse.ArgumentTypeError("give one size")
    return sizes[0]


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=parse_one_size, default=10_000_000,
                        help="ssl.log rows in the day (default 10M)")
    parser.add_argument("--data", type=Path, default=ROOT / "bench-data" / "scale",
                        help="cache of generated days (reused when present)")
    parser.add_argument("--steps", type=parse_list(STEPS), default=["inventory"],
                        help="comma list of inventory, report (default inventory)")
    parser.add_argument("--modes", type=parse_modes, default=parse_modes(DEFAULT_MODES),
                        help=f"comma list, run in this order (default {DEFAULT_MODES})")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many (default 1)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds before a process tree is killed (default 1800)")
    parser.add_argument("--json", metavar="FILE", default=None,
                        help="also write every run's raw numbers as JSON to FILE")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.timeout <= 0:
        parser.error("--repeat must be at least 1 and --timeout positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """Generate once, run every step in every mode, print the tables and the estimate."""
    args = arguments(argv)
    day, info, prep_seconds = prepare(args.data, args.rows)
    print(f"data ready in {prep_seconds:.1f} s: {day}", file=sys.stderr, flush=True)
    warm_imports("zeekcert, zeekcert.cli, dask.distributed")  # no run writes .pyc files
    runs = run_all(day, args.steps, args.modes, args.repeat, args.timeout)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "machine": machine(), "repeat": args.repeat, "timeout": args.timeout,
            "modes": args.modes, "data": info, "prepare_seconds": round(prep_seconds, 1),
            "runs": [r.as_dict() for r in runs]}, indent=1) + "\n")
    print(render(runs, args.steps, args.modes, info, args.repeat, args.timeout, prep_seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
