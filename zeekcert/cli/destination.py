"""Where a command's output goes, the same way for every command and every output.

``-o -`` or no ``-o`` is stdout. A regular file (or a new one) is written to a temporary
file beside it, flushed to disk and renamed over it only once complete, so a reader (or
a crash, or kill -9) never sees half an output; its mode follows the umask. A special
file (``/dev/null``, a FIFO, a terminal) is written in place and never replaced: renaming
over ``/dev/null`` as root would turn the device into a regular file. A symbolic link is
followed, so the file it points to is replaced and the link kept.

The destination is made before the work, so a folder that does not exist or cannot be
written fails at once, with exit 2 and nothing processed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TextIO

from ..errors import ConfigError

STDOUT = "-"
Writer = Callable[[Any], None]  # a text writer, or a binary one for binary outputs


class Destination:
    """One output: stdout, a special file written in place, or a file replaced atomically."""

    def __init__(self, target: str | None, stdout: TextIO, binary: bool = False,
                 option: str = "--output"):
        self.target = None if target in (None, STDOUT) else str(target)
        self.option = option
        self._tmp: str | None = None
        self._done = False
        if self.target is None:
            self._stream: IO[Any] = _stdout(stdout, binary, option)
            self.kind = "stdout"
        else:
            self._stream, self._tmp, self.kind = _open(self.target, binary, option)

    @property
    def is_stdout(self) -> bool:
        """Whether the output goes to the command's stdout."""
        return self.kind == "stdout"

    def write(self, writer: Writer) -> None:
        """Run ``writer`` on the stream; a failed write is a ConfigError naming the target."""
        try:
            writer(self._stream)
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._error(exc) from exc

    def commit(self) -> None:
        """Make the output final: flush it to disk and rename it into place (once)."""
        if self._done:
            return
        self._done = True
        if self.is_stdout:
            self._stream.flush()
            return
        try:
            self._stream.flush()
            if self._tmp is not None:
                os.fsync(self._stream.fileno())
            self._stream.close()
            if self._tmp is not None and self.target is not None:
                real = os.path.realpath(self.target)
                os.replace(self._tmp, real)
                self._tmp = None
                _sync_folder(os.path.dirname(real))
        except OSError as exc:
            self.discard()
            raise self._error(exc) from exc

    def discard(self) -> None:
        """Drop an output that was not committed: the target stays as it was."""
        self._done = True
        if not self.is_stdout:
            with contextlib.suppress(OSError):
                self._stream.close()
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            self._tmp = None

    def __enter__(self) -> Destination:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    def _error(self, exc: OSError) -> ConfigError:
        return ConfigError(f"cannot write {self.option}: {exc.strerror or exc}", self.target)


def _stdout(stdout: TextIO, binary: bool, option: str) -> IO[Any]:
    if not binary:
        return stdout
    buffer: IO[bytes] | None = getattr(stdout, "buffer", None)
    if buffer is None or stdout.isatty():
        raise ConfigError(f"binary output needs a file: give {option} FILE")
    return buffer


def _open(target: str, binary: bool, option: str) -> tuple[IO[Any], str | None, str]:
    """The stream for ``target``, the temporary file behind it (if any), and its kind."""
    real = os.path.realpath(target)
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise ConfigError(f"cannot write {option}: {exc.strerror or exc}", target) from exc
    if mode is not None and stat.S_ISDIR(mode):
        raise ConfigError(f"cannot write {option}: it is a folder", target)
    if mode is not None and not stat.S_ISREG(mode):
        return _open_special(real, binary, option, target), None, "special"
    return (*_open_temporary(real, binary, option, target), "file")


def _open_special(real: str, binary: bool, option: str, target: str) -> IO[Any]:
    """A device, FIFO or socket, opened for writing as it is; never truncated or replaced."""
    try:
        fd = os.open(real, os.O_WRONLY | os.O_NOCTTY)
    except OSError as exc:
        raise ConfigError(f"cannot write {option}: {exc.strerror or exc}", target) from exc
    return _fdopen(fd, binary)


def _open_temporary(real: str, binary: bool, option: str, target: str) -> tuple[IO[Any], str]:
    folder = os.path.dirname(real) or "."
    if not os.path.isdir(folder):
        raise ConfigError(f"cannot write {option}: the folder {folder} does not exist", target)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{Path(real).name}.", suffix=".tmp")
    except OSError as exc:
        raise ConfigError(f"cannot write {option} in {folder}: {exc.strerror or exc}",
                          target) from exc
    os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a new file follows the umask
    return _fdopen(fd, binary), tmp


def _fdopen(fd: int, binary: bool) -> IO[Any]:
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def _umask() -> int:
    mask = os.umask(0o077)  # os.umask only reads by setting; restored at once
    os.umask(mask)
    return mask


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable; not every file system lets a folder be synced."""
    with contextlib.suppress(OSError):
        fd = os.open(folder or ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class NewFolder:
    """An output of many files (``--export-parquet``): made in a folder beside ``target``
    and renamed to it once complete.

    ``target`` must not exist, or be an empty folder: a folder of files is never merged
    into or replaced, nor a file turned into a folder. A run that fails leaves no trace.
    """

    def __init__(self, target: str, option: str):
        self.target, self.option = Path(target), option
        if self.target.is_symlink() or (self.target.exists() and not _empty_folder(self.target)):
            raise ConfigError(f"cannot write {option}: it exists and is not an empty folder, "
                              "and is never replaced", target)
        parent = self.target.parent
        if not parent.is_dir():
            raise ConfigError(f"cannot write {option}: the folder {parent} does not exist",
                              target)
        try:
            self.path = Path(tempfile.mkdtemp(dir=parent, prefix=f".{self.target.name}.",
                                              suffix=".partial"))
        except OSError as exc:
            raise ConfigError(f"cannot write {option} in {parent}: {exc.strerror or exc}",
                              target) from exc
        os.chmod(self.path, 0o777 & ~_umask())  # mkdtemp makes 0700

        self._done = False

    def commit(self) -> None:
        """Rename the complete folder into place (once)."""
        if self._done:
            return
        self._done = True
        try:
            os.replace(self.path, self.target)  # onto an empty folder, as rename(2) allows
        except OSError as exc:
            shutil.rmtree(self.path, ignore_errors=True)
            raise ConfigError(f"cannot write {self.option}: {exc.strerror or exc}",
                              str(self.target)) from exc
        _sync_folder(str(self.target.parent))

    def discard(self) -> None:
        """Drop what was written: the target stays as it was."""
        self._done = True
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> NewFolder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        elif not self._done:
            self.discard()


def new_folder(target: str | None, option: str) -> contextlib.AbstractContextManager[
        NewFolder | None]:
    """``NewFolder`` for an option given, nothing for one that was not."""
    return contextlib.nullcontext() if target is None else NewFolder(target, option)


def _empty_folder(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())
