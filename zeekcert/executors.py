"""Work mapped onto an executor: any ``concurrent.futures.Executor``, Dask's included.

A run that is given an executor maps its files (or groups of small files) to partial
records on the executor's workers and merges them, in the order the files were listed,
on the caller's side; without one it runs in the calling process as before. Two things
every such run needs are here:

- ``Sharing``: what every task needs and is big (the prepared certificates), sent once
  rather than with each task. A Dask client scatters it to every worker; a thread pool
  passes the object itself; any other executor (a process pool) gets it written once to
  a file that each worker process reads once.
- ``in_order``: the tasks' results in the order submitted, with only a few tasks ahead
  of the one awaited, so the results waiting to be merged stay bounded;
- ``runs``: consecutive small files grouped into one task, up to ``GROUP_BYTES``.

A task that raises on its worker raises here with its own error. A lost worker, client
or scheduler is a ``SchedulerError``: the run stops before anything is committed.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import pickle
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from .errors import SchedulerError, ZeekcertError

T = TypeVar("T")
GROUP_BYTES = 8 << 20  # consecutive files smaller than this on disk share one task
_LOADED: dict[str, Any] = {}  # per worker process: the shared values it has read
KEPT = 4  # shared values a worker process holds at once, the latest read


@dataclass(frozen=True)
class Shared(Generic[T]):
    """A value written once to a file, read once by each process that needs it."""

    path: str

    def get(self) -> T:
        """The value, read from its file the first time this process asks."""
        if self.path not in _LOADED:
            while len(_LOADED) >= KEPT:  # a run shares a few values: older runs' go
                del _LOADED[next(iter(_LOADED))]
            with open(self.path, "rb") as fh:
                _LOADED[self.path] = pickle.load(fh)
        value: T = _LOADED[self.path]
        return value


def resolve(value: Any) -> Any:
    """What a task was given: the value behind a ``Shared``, else the value itself."""
    return value.get() if isinstance(value, Shared) else value


class Sharing:
    """Values sent once to every worker of ``executor``; ``close`` drops them."""

    def __init__(self, executor: cf.Executor):
        self.executor = executor
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def share(self, value: Any) -> Any:
        """A handle to pass to tasks in place of ``value`` (give it to ``resolve``)."""
        client = dask_client(self.executor)
        if client is not None:
            return _on_cluster(client.scatter, value, broadcast=True, hash=False)
        if isinstance(self.executor, cf.ThreadPoolExecutor):
            return value  # the same process: nothing to copy
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="zeekcert-shared-")
        fd, path = tempfile.mkstemp(dir=self._folder.name, suffix=".pickle")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return Shared(str(Path(path)))

    def close(self) -> None:
        """Remove what was written for the workers."""
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> Sharing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def runs(items: Sequence[T], sizes: Sequence[int], limit: int) -> Iterator[list[T]]:
    """Consecutive items in runs of at most ``limit`` in all; an item of ``limit`` or
    more alone. How small files are grouped into one task."""
    run: list[T] = []
    held = 0
    for item, size in zip(items, sizes, strict=True):
        if run and held + size > limit:
            yield run
            run, held = [], 0
        run.append(item)
        held += size
        if held >= limit:
            yield run
            run, held = [], 0
    if run:
        yield run


def size_on_disk(path: Path) -> int:
    """A file's size; 0 for one that cannot be read (its task says what is wrong)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def dask_client(executor: cf.Executor) -> Any:
    """The Dask client behind ``Client.get_executor()``, or None for any other executor."""
    client = getattr(executor, "_client", None)
    return client if type(executor).__module__.startswith("distributed") else None


def workers(executor: cf.Executor) -> int:
    """How many tasks the executor runs at once, as far as it says (at least 1)."""
    client = dask_client(executor)
    if client is not None:
        return max(1, int(sum(_on_cluster(client.nthreads).values())))
    return max(1, int(getattr(executor, "_max_workers", 0) or os.cpu_count() or 1))


def _on_cluster(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A call to a Dask client; SchedulerError when its cluster cannot answer."""
    try:
        return call(*args, **kwargs)
    except Exception as exc:  # Dask raises many kinds for a lost cluster
        raise SchedulerError(f"the cluster cannot be reached: {type(exc).__name__}: "
                             f"{exc}") from exc


def in_order(executor: cf.Executor, fn: Callable[..., T], tasks: Iterable[tuple[Any, ...]],
             ahead: int | None = None) -> Iterator[T]:
    """``fn(*task)`` of every task on ``executor``, yielded in the order of ``tasks``.

    At most ``ahead`` tasks (default: twice the workers) are submitted beyond the one
    whose result is awaited. What remains is cancelled when the caller stops early.
    """
    ahead = ahead or 2 * workers(executor)
    pending: deque[cf.Future[T]] = deque()
    tasks = iter(tasks)
    try:
        for task in tasks:
            pending.append(_submit(executor, fn, task))
            if len(pending) > ahead:
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())
    finally:
        for future in pending:
            future.cancel()


def _submit(executor: cf.Executor, fn: Callable[..., T], task: tuple[Any, ...]
            ) -> cf.Future[T]:
    try:
        return executor.submit(fn, *task)
    except RuntimeError as exc:  # shut down, or its client closed
        raise SchedulerError(f"the executor refused work: {exc}") from exc


def _result(future: cf.Future[T]) -> T:
    """A task's result; its own error if it raised one, SchedulerError if it was lost."""
    try:
        return future.result()
    except ZeekcertError:
        raise
    except (cf.CancelledError, cf.BrokenExecutor, OSError, TimeoutError) as exc:
        raise SchedulerError(f"a task was lost: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("distributed", "tornado"):
            raise SchedulerError(f"the cluster failed: {type(exc).__name__}: {exc}") from exc
        raise
