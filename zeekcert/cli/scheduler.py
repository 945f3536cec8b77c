"""``--scheduler``: where a run's files are read, on a Dask cluster or in this process.

``local:N`` starts a ``LocalCluster`` of N worker processes (one thread each, all on
127.0.0.1, its HTTP port chosen free) for the run and stops it after; ``tcp://HOST:PORT`` (or
``tls://``) uses a cluster already running, whose workers must see the same log paths.
Dask is the ``zeekcert[dask]`` extra and is imported only here, only when asked for.

A worker that dies mid-task is replaced and its task run again by the scheduler, so the
result is the same. A scheduler that cannot be reached, or is lost, is a
``SchedulerError`` (exit 3): the state is committed only at the end, so it is unchanged.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import ConfigError, SchedulerError, UsageError

CONNECT_TIMEOUT = "10s"  # to reach an existing scheduler


def add_scheduler_argument(cmd: argparse.ArgumentParser) -> None:
    """The ``--scheduler`` option of a command that reads log trees."""
    cmd.add_argument("--scheduler", metavar="WHERE",
                     help="read and classify files on a Dask cluster: 'local:N' starts N "
                          "worker processes here, 'tcp://HOST:PORT' uses a running "
                          "scheduler (needs zeekcert[dask])")


@contextmanager
def executor_for(spec: str | None) -> Iterator[cf.Executor | None]:
    """The executor ``--scheduler`` names (None: this process), closed after the run."""
    if spec is None:
        yield None
        return
    with _client(_distributed(), spec) as client:
        # Not ``pure``: a task reads files, which may have grown since the same task was
        # last run, so Dask must never reuse a result it holds by the task's arguments.
        yield client.get_executor(pure=False)


@contextmanager
def _client(distributed: Any, spec: str) -> Iterator[Any]:
    if spec.startswith("local:"):
        workers = _count(spec)
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                           processes=True, host="127.0.0.1",
                                           dashboard_address="127.0.0.1:0",
                                           silence_logs=logging.ERROR)
        try:
            with distributed.Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    if not spec.startswith(("tcp://", "tls://")):
        raise UsageError(f"--scheduler {spec!r}: give local:N or tcp://HOST:PORT")
    try:
        client = distributed.Client(spec, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise SchedulerError(f"no Dask scheduler at {spec}: {exc}") from exc
    with client:
        yield client


def _count(spec: str) -> int:
    text = spec.removeprefix("local:")
    if not text.isdigit() or not 1 <= int(text) <= 512:
        raise UsageError(f"--scheduler {spec!r}: local:N needs N from 1 to 512")
    return int(text)


def _distributed() -> Any:
    try:
        return importlib.import_module("dask.distributed")
    except ImportError as exc:
        raise ConfigError("--scheduler needs Dask: pip install 'zeekcert[dask]'") from exc
