"""Atomic file writes and inter-process locks."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from igconnect.errors import BusyError


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write `data` to `path` so that a reader sees the old file or the new one, never half of one."""
    with atomic_writer(path, mode=mode, binary=True) as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str, *, mode: int = 0o644) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


@contextlib.contextmanager
def atomic_writer(
    path: Path, *, mode: int = 0o644, newline: str = "", binary: bool = False
) -> Iterator[Any]:
    """A handle on a temporary file that replaces `path` only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        handle = (
            os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline=newline)
        )
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def file_lock(
    lock_path: Path, *, timeout: float, what: str, hint: str | None = None
) -> Iterator[None]:
    """Hold an inter-process lock on `lock_path`; after `timeout` seconds raise BusyError."""
    import filelock

    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(lock_path), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise BusyError(
            f"{what} is in use by another igconnect process (waited {timeout:g} s)",
            hint=hint or "wait for the other run to finish, then try again",
        ) from None
    try:
        yield
    finally:
        lock.release()
