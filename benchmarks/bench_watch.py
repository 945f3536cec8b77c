#!/usr/bin/env python3
"""``zeekcert watch`` under a live stream: alert latency, CPU per row, memory, vs the nightly job.

Usage: python benchmarks/bench_watch.py [--rate 2000] [--duration 180] [--interval 5s]
[--new-servers-per-second 1] [--data bench-data/watch] [--now 2026-11-18T09:30:00Z]
[--keep] [--json FILE]

Zeek is played by this script. ``current/x509.log`` is written once up front (a few
ordinary CA-issued certificates and one self-signed certificate per new server); then
``python -m zeekcert watch LOGDIR --alert-to jsonl:FILE --interval I`` starts (with
``ZEEKCERT_NOW=--now``), and once its first pass has taken in x509.log, ``current/ssl.log``
is written: the header, then every ~0.1 s the rows due at --rate rows/s, flushed, for
--duration seconds (2,000 rows/s is about 170M rows a day, a large site). Most rows go to
a handful of ordinary servers (validation ``ok``); --new-servers-per-second times a second
a row goes to a brand-new self-signed server (198.18.0.0/15), which must raise exactly one
``new_self_signed_server`` alert. Row times are --now plus the time since the watch
started; each row has a uid of its own. The rows and the x509.log are made with the test
helpers (tests/tinylogs.py, tests/zeekwriter.py) in a short process of its own, so this
one stays small.

Measured:

- alert latency per new server: when its alert line appeared in the jsonl file (polled
  every 20 ms) minus when its first row was written and flushed, both on this script's
  monotonic clock; median and p99 (nearest rank) in seconds and in intervals;
- the watch's CPU (user + sys, from ``os.wait4`` after SIGTERM, so the whole life of the
  process: start-up, the stream, catching up, the idle period) per 1,000 rows written, and
  the same for the stream alone (psutil ``cpu_times`` when the writer started and when
  the watch had caught up); its peak RSS (``VmHWM``, read just before SIGTERM, and
  ``ru_maxrss``, which on Linux also counts this script's RSS at the spawn);
- how far the watch fell behind: rows written but not yet in its ledger (the state's
  ``files`` table, read beside it every 0.2 s), at the end of the stream and at worst,
  the time it took to catch up, the gaps between ledger commits (about one pass each);
- idle CPU: after it has caught up and 1.5 more intervals (a pass begun before the last
  rows were flushed runs once more), the watch runs 5 intervals with nothing new; its CPU
  over that time, per minute, and how many passes ran the job then (the ``runs`` table);
- an estimate of a pass's cost: the watch's CPU over the stream divided by the rows the
  ledger held at each commit (what each pass read again), and the rows in current/ssl.log
  at which one pass would take a whole interval of CPU;
- the nightly job over the same finished files: ``python -m zeekcert inventory LOGDIR
  --state NEW.db --format json -o OUT.json`` on a fresh state (bench_process.measure),
  its CPU per 1,000 rows, and the ratio watch / nightly.

Targets (from the issue): p99 latency <= 2 intervals; watch CPU per row <= 1.5 x the
nightly job's. Printed as "met" / "missed". The numbers come from one sitting on a
shared, noisy machine (2 cores here, shared): read them as guides; nothing asserts on
them. Everything is written under --data/run/, removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import itertools
import json
import math
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_process import (  # noqa: E402 - sibling scripts, not a package
    PYTHON,
    ROOT,
    machine,
    markdown,
    measure,
    mib,
    warm_imports,
)

TESTS = ROOT / "tests"
ORDINARY_SERVERS = 8
CLIENTS = 200
NEW_NET = ipaddress.IPv4Network("198.18.0.0/15")
BATCH_S = 0.1
ALERT_POLL_S = 0.02
LEDGER_POLL_S = 0.2
IDLE_INTERVALS = 5
SETTLE_INTERVALS = 1.5
RULE = "new_self_signed_server"


# --------------------------------------------------------------------------- the data


def prepare(run_dir: Path, new_servers: int) -> None:
    """In a process of its own (it imports the test helpers, and with them zeekcert):
    write ``logs/current/x509.log`` and ``templates.json`` (the ssl.log header and, per
    server, its row from ``id.resp_h`` on, rendered as Zeek TSV)."""
    sys.path.insert(0, str(TESTS))
    import hashlib

    from certfactory import SSL_FIELDS, SSL_TYPES, X509_FIELDS, X509_TYPES
    from tinylogs import ssl_row, x509_row
    from zeekwriter import render_tsv, tsv_value

    def fingerprint(name: str) -> str:
        return hashlib.sha256(name.encode()).hexdigest()

    def tail(host: str, fp: str, sni: str | None, status: str) -> str:
        row = ssl_row(0, resp_h=host, sni=sni, fp=fp, status=status)
        first = SSL_FIELDS.index("id.resp_h")
        return "\t".join(tsv_value(v, t) for v, t in
                         zip(row[first:], SSL_TYPES[first:], strict=True))

    certs, ordinary, new = [], [], []
    for j in range(ORDINARY_SERVERS):
        fp, name = fingerprint(f"ordinary-{j}"), f"www{j}.example.com"
        certs.append(x509_row(fp, subject=f"CN={name}", issuer="CN=Example Issuing CA 1",
                              dns=[name]))
        ordinary.append(tail(f"192.0.2.{10 + j}", fp, name, "ok"))
    for k in range(new_servers):
        fp, host = fingerprint(f"new-{k}"), str(NEW_NET[1 + k])
        certs.append(x509_row(fp, subject=f"CN=device-{k}", issuer=f"CN=device-{k}"))
        new.append([host, tail(host, fp, None, "self signed certificate")])
    assert SSL_FIELDS[:4] == ["ts", "uid", "id.orig_h", "id.orig_p"]
    current = run_dir / "logs" / "current"
    current.mkdir(parents=True, exist_ok=True)
    (current / "x509.log").write_text(render_tsv(X509_FIELDS, X509_TYPES, certs, "x509",
                                                 opened="2026-11-18-09-00-00", closed=None))
    header = render_tsv(SSL_FIELDS, SSL_TYPES, [], "ssl", opened="2026-11-18-09-00-00",
                        closed=None)
    (run_dir / "templates.json").write_text(json.dumps(
        {"ssl_header": header, "ordinary": ordinary, "new": new, "certs": len(certs)}))


# --------------------------------------------------------------------------- the watch


def proc_kib(pid: int, key: str) -> int | None:
    """A ``VmXXX:`` line of /proc/PID/status in KiB, or None (gone, not Linux)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_of(proc: psutil.Process) -> float | None:
    """User + sys CPU seconds of the process (and its reaped children), or None."""
    try:
        t = proc.cpu_times()
    except psutil.Error:
        return None
    return float(t.user + t.system + t.children_user + t.children_system)


def ledger(state: Path) -> dict[str, int]:
    """The watch's ledger, read beside it: file name (ssl.log, x509.log) -> rows done."""
    if not state.exists():
        return {}
    try:
        with contextlib.closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True,
                                                timeout=5)) as db:
            rows = db.execute("SELECT path, rows_done FROM files").fetchall()
    except sqlite3.Error:  # no table yet, or busy: next poll
        return {}
    out: dict[str, int] = {}
    for path, done in rows:
        name = Path(str(path)).name
        out[name] = out.get(name, 0) + int(done)
    return out


@dataclass
class Watch:
    """The watch process, its alerts and its ledger, followed from here."""

    proc: subprocess.Popen[bytes]
    state: Path
    alerts_path: Path
    ps: psutil.Process = field(init=False)
    alerts: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # t, written, done
    written: int = 0  # set by the writer
    hwm_kib: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ps = psutil.Process(self.proc.pid)

    def start(self) -> None:
        for target in (self._follow_alerts, self._follow_ledger):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self.threads.append(thread)

    def _follow_alerts(self) -> None:
        offset, rest = 0, b""
        while not self.stop.is_set():
            try:
                with open(self.alerts_path, "rb") as fh:
                    fh.seek(offset)
                    chunk = fh.read()
            except FileNotFoundError:
                chunk = b""
            now = time.monotonic()
            if chunk:
                offset += len(chunk)
                *lines, rest = (rest + chunk).split(b"\n")
                self.alerts += [(now, json.loads(line)) for line in lines if line.strip()]
            self.stop.wait(ALERT_POLL_S)

    def _follow_ledger(self) -> None:
        while not self.stop.is_set():
            done = ledger(self.state).get("ssl.log", 0)
            self.samples.append((time.monotonic(), self.written, done))
            self.hwm_kib = max(self.hwm_kib, proc_kib(self.proc.pid, "VmHWM") or 0)
            self.stop.wait(LEDGER_POLL_S)

    def alive(self) -> bool:
        """Still running: asked without reaping it (``os.wait4`` takes its rusage later)."""
        return exited(self.proc) is False

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)


def exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether ``proc`` has exited; it is left unreaped (a zombie) until ``reap``."""
    if proc.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def reap(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int | None, Any]:
    """Wait up to ``timeout`` s for ``proc`` to exit, then reap it with ``os.wait4``:
    (exit code, rusage), or (None, None) if it is still running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if exited(proc):
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage
        time.sleep(0.05)
    return None, None


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the watch's process group (its own session) and reap it."""
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        reap(proc, 10)


# --------------------------------------------------------------------------- the writer


@dataclass
class Stream:
    """What the writer wrote, on this script's monotonic clock."""

    rows: int = 0
    began: float = 0.0
    ended: float = 0.0  # when the last batch was flushed
    first_row: dict[str, float] = field(default_factory=dict)  # new server ip -> written at
    worst_late_s: float = 0.0  # how far behind schedule a batch was written, at worst
    batches: int = 0


def write_stream(path: Path, templates: dict[str, Any], rate: float, duration: float,
                 new_per_s: float, epoch0: float, watch: Watch) -> Stream:
    """ssl.log: the header, then the rows due every BATCH_S, flushed, until ``duration``.
    Row i is due at i / rate s; new server k takes row (k + 0.5) * rate / new_per_s.
    ``epoch0`` is the epoch time (in the watch's clock) of the first row."""
    ordinary: list[str] = templates["ordinary"]
    new: list[list[str]] = templates["new"]
    total = int(rate * duration)
    new_at = {int((k + 0.5) * rate / new_per_s): k for k in range(len(new))}
    stream = Stream()
    micros0 = int(epoch0 * 1e6)
    step = 1e6 / rate

    def line(i: int) -> str:
        micros = micros0 + int(i * step)
        k = new_at.get(i)
        rest = new[k][1] if k is not None else ordinary[i % len(ordinary)]
        client = i % CLIENTS
        return (f"{micros // 1_000_000}.{micros % 1_000_000:06d}\tC{i:017d}\t"
                f"10.1.{client // 250}.{client % 250 + 1}\t{32768 + i % 28000}\t{rest}\n")

    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        stream.began = tick = time.monotonic()
        header = templates["ssl_header"]
        while stream.rows < total:
            now = time.monotonic()
            elapsed = now - stream.began
            due = total if elapsed >= duration else min(total, int(rate * elapsed))
            if due > stream.rows:
                fh.write(header + "".join(line(i) for i in range(stream.rows, due)))
                header = ""
                fh.flush()
                flushed = time.monotonic()
                for i in range(stream.rows, due):
                    if i in new_at:
                        stream.first_row[new[new_at[i]][0]] = flushed
                stream.worst_late_s = max(stream.worst_late_s,
                                          flushed - stream.began - (due - 1) / rate)
                stream.rows = watch.written = due
                stream.batches += 1
                stream.ended = flushed
            if not watch.alive():
                raise RuntimeError("the watch exited while the stream was written")
            tick += BATCH_S
            if stream.rows < total:
                time.sleep(max(0.0, tick - time.monotonic()))
    return stream


# --------------------------------------------------------------------------- numbers


def nearest_rank(values: list[float], q: float) -> float | None:
    """The q-quantile (0 < q <= 1) by nearest rank, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered, n = sorted(values), len(values)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def interval_seconds(text: str) -> float:
    """``5s``, ``500ms``, ``1m`` or seconds, as ``zeekcert watch --interval`` reads it."""
    for unit, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * scale
    return float(text)


def fmt(value: float | None, spec: str = ".2f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "met" if ok else "missed"


def lag_figures(samples: list[tuple[float, int, int]], began: float, ended: float,
                caught: float, rate: float) -> dict[str, Any]:
    """Rows behind (written, not in the ledger) at the stream's end and at worst; the
    gaps between ledger commits from the stream's start until caught up (about one pass
    each), and the rows the ledger held at each (about what each pass read again)."""
    during = [s for s in samples if began <= s[0] <= ended]
    behind = [w - d for _, w, d in during]
    at_end = behind[-1] if behind else None
    commits = [(t, d) for (_, _, before), (t, _, d) in itertools.pairwise(samples)
               if d != before and began <= t <= caught + LEDGER_POLL_S]
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(commits)]
    return {"behind_rows_at_end": at_end, "behind_rows_worst": max(behind, default=None),
            "behind_s_at_end": None if at_end is None else at_end / rate,
            "commit_gap_median_s": median(gaps), "commit_gap_max_s": max(gaps, default=None),
            "ledger_commits": len(commits), "rows_read_again": sum(d for _, d in commits)}


# --------------------------------------------------------------------------- the run


def run(args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    interval = interval_seconds(args.interval)
    new_count = int(args.duration * args.new_servers_per_second)
    now0 = datetime.fromisoformat(args.now.replace("Z", "+00:00")).astimezone(UTC)
    logs, state = run_dir / "logs", run_dir / "state.db"
    alerts_path, err_path = run_dir / "alerts.jsonl", run_dir / "watch.err"

    print(f"preparing {new_count} new-server certificates ...", file=sys.stderr, flush=True)
    subprocess.run([PYTHON, __file__, "--_prepare", str(run_dir), str(new_count)], check=True)
    templates = json.loads((run_dir / "templates.json").read_text())
    warm_imports("zeekcert, zeekcert.cli")

    argv = [PYTHON, "-m", "zeekcert", "watch", str(logs), "--state", str(state),
            "--alert-to", f"jsonl:{alerts_path}", "--interval", args.interval,
            "--cause", "self_signed"]
    floor_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    env = {**os.environ, "ZEEKCERT_NOW": args.now}
    with open(err_path, "wb") as err:
        launched = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, env=env, cwd=ROOT, start_new_session=True)
    watch = Watch(proc, state, alerts_path)
    result: dict[str, Any] = {"argv": argv, "interval_s": interval}
    try:
        deadline = launched + 120
        while ledger(state).get("x509.log", 0) < templates["certs"]:  # its first pass
            if not watch.alive() or time.monotonic() > deadline:
                raise RuntimeError("the watch did not take in x509.log: "
                                   + err_path.read_text()[-500:])
            time.sleep(0.05)
        ready = time.monotonic()
        cpu_ready = cpu_of(watch.ps)
        watch.start()
        print(f"watch ready after {ready - launched:.1f} s; streaming {args.rate:g} rows/s for "
              f"{args.duration:g} s ...", file=sys.stderr, flush=True)
        own0 = resource.getrusage(resource.RUSAGE_SELF)
        epoch0 = now0.timestamp() + (time.monotonic() - launched)
        stream = write_stream(logs / "current" / "ssl.log", templates, args.rate,
                              args.duration, args.new_servers_per_second, epoch0, watch)
        own1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu_streamed = cpu_of(watch.ps)
        print(f"wrote {stream.rows:,} rows in {stream.ended - stream.began:.1f} s; waiting "
              "for the watch to catch up ...", file=sys.stderr, flush=True)

        def caught_up() -> bool:
            got = {a["destination"]["ip"] for _, a in watch.alerts}
            return (bool(watch.samples) and watch.samples[-1][2] >= stream.rows
                    and got >= set(stream.first_row))

        limit = stream.ended + max(60.0, 12 * interval)
        while not caught_up() and time.monotonic() < limit and watch.alive():
            time.sleep(0.05)
        done_at = time.monotonic()
        is_caught_up = caught_up()
        cpu_caught_up = cpu_of(watch.ps)
        print(f"{'caught up' if is_caught_up else 'NOT caught up'} "
              f"{done_at - stream.ended:.1f} s after the stream; idle for "
              f"{SETTLE_INTERVALS + IDLE_INTERVALS:g} intervals ...", file=sys.stderr,
              flush=True)
        time.sleep(SETTLE_INTERVALS * interval)  # a pass begun before the last rows came
        cpu_settled, runs_settled = cpu_of(watch.ps), _runs(state)
        idle_s = IDLE_INTERVALS * interval
        time.sleep(idle_s)
        cpu_idle_end, runs_idle_end = cpu_of(watch.ps), _runs(state)
        hwm = max(watch.hwm_kib, proc_kib(proc.pid, "VmHWM") or 0)
        if watch.alive():
            proc.send_signal(signal.SIGTERM)
        code, usage = reap(proc, max(60.0, 3 * interval))
        if code is None:
            raise RuntimeError("the watch did not stop within a minute of SIGTERM")
        time.sleep(3 * ALERT_POLL_S)
    finally:
        watch.close()
        kill_group(proc)

    # ---- alerts and latency
    per_ip: dict[str, list[float]] = {}
    unexpected = 0
    for arrived, alert in watch.alerts:
        ip = alert.get("destination", {}).get("ip")
        if ip in stream.first_row and alert.get("rule", {}).get("name") == RULE:
            per_ip.setdefault(ip, []).append(arrived)
        else:
            unexpected += 1
    latencies = [min(t) - stream.first_row[ip] for ip, t in per_ip.items()]
    missing = sorted(set(stream.first_row) - set(per_ip))
    duplicated = sorted(ip for ip, t in per_ip.items() if len(t) > 1)
    lat_med, lat_p99 = median(latencies), nearest_rank(latencies, 0.99)

    # ---- CPU and memory of the watch
    rows = stream.rows
    watch_cpu = float(usage.ru_utime + usage.ru_stime)
    working = (None if cpu_ready is None or cpu_caught_up is None
               else cpu_caught_up - cpu_ready)
    idle_cpu = (None if cpu_settled is None or cpu_idle_end is None
                else cpu_idle_end - cpu_settled)
    result |= {
        "rate_asked": args.rate, "duration_asked_s": args.duration,
        "rows": rows, "stream_s": stream.ended - stream.began,
        "rate_achieved": rows / (stream.ended - stream.began),
        "writer_worst_late_s": stream.worst_late_s, "batches": stream.batches,
        "writer_cpu_s": (own1.ru_utime + own1.ru_stime) - (own0.ru_utime + own0.ru_stime),
        "ssl_log_bytes": (logs / "current" / "ssl.log").stat().st_size,
        "new_servers": len(stream.first_row), "alerts": len(watch.alerts),
        "servers_alerted_once": sum(len(t) == 1 for t in per_ip.values()),
        "servers_missing_alert": missing, "servers_alerted_twice": duplicated,
        "unexpected_alerts": unexpected,
        "latencies_s": sorted(latencies), "latency_median_s": lat_med,
        "latency_p99_s": lat_p99, "latency_max_s": max(latencies, default=None),
        "watch_startup_s": ready - launched,
        "watch_cpu_startup_s": cpu_ready,
        "caught_up": is_caught_up, "catch_up_s": done_at - stream.ended,
        "watch_exit": code, "watch_cpu_s": watch_cpu,
        "watch_cpu_stream_s": working,
        "watch_cpu_stream_part_s": (None if cpu_ready is None or cpu_streamed is None
                                    else cpu_streamed - cpu_ready),
        "watch_cpu_per_1k": watch_cpu / rows * 1000,
        "watch_cpu_stream_per_1k": None if working is None else working / rows * 1000,
        "settle_cpu_s": (None if cpu_settled is None or cpu_caught_up is None
                         else cpu_settled - cpu_caught_up),
        "idle_s": idle_s, "idle_cpu_s": idle_cpu,
        "idle_passes_with_work": (None if runs_idle_end is None or runs_settled is None
                                  else runs_idle_end - runs_settled),
        "idle_cpu_per_min_s": None if idle_cpu is None else idle_cpu / idle_s * 60,
        "watch_vmhwm_mib": hwm / 1024, "watch_ru_maxrss_mib": usage.ru_maxrss / 1024,
        "script_rss_at_spawn_mib": floor_kib / 1024,
        "watch_passes_with_work": _runs(state),
        "watch_stderr": err_path.read_text()[-2000:],
    }
    result |= lag_figures(watch.samples, stream.began, stream.ended, done_at, args.rate)
    again = result["rows_read_again"]
    per_row = working / again if working and again else None
    result |= {"pass_cpu_per_row_read_us": None if per_row is None else per_row * 1e6,
               "rows_when_a_pass_takes_an_interval": (None if per_row is None
                                                      else interval / per_row)}

    # ---- the nightly job over the same files, on a fresh state
    night = run_dir / "nightly"
    (night / "logs" / "current").mkdir(parents=True)
    for name in ("x509.log", "ssl.log"):
        source, target = logs / "current" / name, night / "logs" / "current" / name
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    end_time = now0 + timedelta(seconds=stream.ended - launched + 1)
    os.environ["ZEEKCERT_NOW"] = end_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    print("nightly job over the same files ...", file=sys.stderr, flush=True)
    out = night / "out.json"
    nightly = measure([PYTHON, "-m", "zeekcert", "inventory", str(night / "logs"), "--state",
                       str(night / "state.db"), "--format", "json", "-o", str(out)],
                      ok_codes=(0, 1), timeout=1800, cwd=ROOT)
    if not nightly.ok:
        raise RuntimeError(f"the nightly job failed: {nightly.error}")
    servers = json.loads(out.read_text()).get("servers", [])
    result |= {
        "nightly_argv": nightly.argv, "nightly_wall_s": nightly.wall,
        "nightly_cpu_s": nightly.cpu, "nightly_cpu_per_1k": nightly.cpu / rows * 1000,
        "nightly_ru_maxrss_mib": mib(nightly.rss), "nightly_exit": nightly.code,
        "nightly_servers": len(servers),
        "cpu_ratio": (watch_cpu / nightly.cpu) if nightly.cpu else None,
        "cpu_ratio_stream": (working / nightly.cpu) if nightly.cpu and working else None,
    }
    p99_ok = None if lat_p99 is None else (lat_p99 <= 2 * interval and not missing)
    ratio = result["cpu_ratio"]
    result["targets"] = {"p99_le_2_intervals": p99_ok,
                         "cpu_ratio_le_1_5": None if ratio is None else ratio <= 1.5}
    return result


def _runs(state: Path) -> int | None:
    """The passes that ran the job (rows of the ``runs`` table), x509.log's included."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True)) as db:
            return int(db.execute("SELECT count(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return None


def render(r: dict[str, Any]) -> str:
    """The Markdown table and the verdicts."""
    iv = r["interval_s"]

    def lat(key: str) -> str:
        v = r[key]
        return "n/a" if v is None else f"{v:.2f} s ({v / iv:.2f} intervals)"

    rows = [
        ["rows written", f"{r['rows']:,} in {r['stream_s']:.1f} s "
                         f"({r['ssl_log_bytes'] / 2**20:.0f} MiB)", ""],
        ["achieved rate", f"{r['rate_achieved']:,.0f} rows/s (asked {r['rate_asked']:g}); "
                          f"worst batch {r['writer_worst_late_s']:.2f} s late", ""],
        ["new self-signed servers", str(r["new_servers"]), ""],
        ["alerts received", f"{r['alerts']}: {r['servers_alerted_once']} servers exactly once, "
                            f"{len(r['servers_missing_alert'])} missing, "
                            f"{len(r['servers_alerted_twice'])} twice, "
                            f"{r['unexpected_alerts']} unexpected", ""],
        ["alert latency median", lat("latency_median_s"), ""],
        ["alert latency p99", lat("latency_p99_s"),
         f"≤ 2 intervals ({2 * iv:g} s): {verdict(r['targets']['p99_le_2_intervals'])}"],
        ["alert latency max", lat("latency_max_s"), ""],
        ["watch behind at stream end", f"{fmt(r['behind_rows_at_end'], ',')} rows "
                                       f"({fmt(r['behind_s_at_end'], '.1f')} s of stream); "
                                       f"worst {fmt(r['behind_rows_worst'], ',')} rows", ""],
        ["watch caught up", f"{'yes' if r['caught_up'] else 'NO'}, "
                            f"{r['catch_up_s']:.1f} s after the stream", ""],
        ["ledger commit gap (≈ pass)", f"median {fmt(r['commit_gap_median_s'], '.1f', ' s')}, "
                                       f"max {fmt(r['commit_gap_max_s'], '.1f', ' s')}; "
                                       f"{r['watch_passes_with_work']} passes ran the job", ""],
        ["pass CPU per row in the file", f"{fmt(r['pass_cpu_per_row_read_us'], '.1f')} µs "
                                         "(est.); a pass takes one interval of CPU at "
                                         f"{fmt(r['rows_when_a_pass_takes_an_interval'], ',.0f')}"
                                         " rows in current/ssl.log", ""],
        ["watch peak RSS", f"{r['watch_vmhwm_mib']:.0f} MiB VmHWM "
                           f"(ru_maxrss {r['watch_ru_maxrss_mib']:.0f} MiB)", ""],
        ["watch CPU", f"{r['watch_cpu_s']:.1f} s total (start-up "
                      f"{fmt(r['watch_cpu_startup_s'], '.1f')} s, stream + catch-up "
                      f"{fmt(r['watch_cpu_stream_s'], '.1f')} s, next "
                      f"{SETTLE_INTERVALS:g} intervals {fmt(r['settle_cpu_s'], '.2f')} s, "
                      f"idle {fmt(r['idle_cpu_s'], '.2f')} s)", ""],
        ["watch CPU / 1,000 rows", f"{r['watch_cpu_per_1k']:.3f} s (stream only "
                                   f"{fmt(r['watch_cpu_stream_per_1k'], '.3f')} s)", ""],
        ["nightly job", f"{r['nightly_wall_s']:.1f} s wall, {r['nightly_cpu_s']:.1f} s CPU, "
                        f"{r['nightly_ru_maxrss_mib']:.0f} MiB ru_maxrss, "
                        f"{r['nightly_servers']} servers", ""],
        ["nightly CPU / 1,000 rows", f"{r['nightly_cpu_per_1k']:.3f} s", ""],
        ["CPU ratio watch / nightly", f"{fmt(r['cpu_ratio'], '.2f', 'x')} (stream only "
                                      f"{fmt(r['cpu_ratio_stream'], '.2f', 'x')})",
         f"≤ 1.5x: {verdict(r['targets']['cpu_ratio_le_1_5'])}"],
        ["watch idle CPU", f"{fmt(r['idle_cpu_per_min_s'], '.3f')} s per minute "
                           f"(over {r['idle_s']:g} s; {fmt(r['idle_passes_with_work'], 'd')}"
                           " passes ran the job)", ""],
        ["this script (writer) CPU", f"{r['writer_cpu_s']:.1f} s over the stream", ""],
    ]
    head = (f"zeekcert watch --interval {iv:g}s, {r['rate_asked']:g} rows/s asked for "
            f"{r['duration_asked_s']:g} s; {os.cpu_count()} CPUs, load average at the end "
            f"{os.getloadavg()[0]:.2f}")
    out = [head, "", markdown(["measure", "value", "target"], rows, [False, False, False])]
    if r["watch_stderr"].strip():
        out += ["", "watch stderr (tail):", r["watch_stderr"].strip()[-500:]]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    if raw[:1] == ["--_prepare"]:  # the helper process (see prepare)
        prepare(Path(raw[1]), int(raw[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=2000, help="ssl rows a second")
    parser.add_argument("--duration", type=float, default=180, help="seconds of stream")
    parser.add_argument("--interval", default="5s", help="the watch's --interval")
    parser.add_argument("--new-servers-per-second", type=float, default=1.0)
    parser.add_argument("--now", default="2026-11-18T09:30:00Z",
                        help="ZEEKCERT_NOW of the watch (row times follow it)")
    parser.add_argument("--data", type=Path, default=ROOT / "bench-data" / "watch")
    parser.add_argument("--keep", action="store_true", help="keep --data/run/ afterwards")
    parser.add_argument("--json", type=Path, help="write every number as JSON")
    args = parser.parse_args(raw)
    try:
        interval = interval_seconds(args.interval)
    except ValueError:
        parser.error(f"--interval {args.interval!r}: give a time such as 5s or 500ms")
    if args.rate <= 0 or args.duration <= 0 or interval <= 0:
        parser.error("--rate, --duration and --interval must be more than 0")
    if not 0 < args.new_servers_per_second <= args.rate:
        parser.error("--new-servers-per-second must be more than 0 and at most --rate")
    if args.duration * args.new_servers_per_second >= NEW_NET.num_addresses - 2:
        parser.error("too many new servers for 198.18.0.0/15")
    run_dir = args.data.resolve() / "run"
    shutil.rmtree(run_dir, ignore_errors=True)  # our own leftover
    run_dir.mkdir(parents=True)
    try:
        result = run(args, run_dir)
    finally:
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    result["machine"] = machine()
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
