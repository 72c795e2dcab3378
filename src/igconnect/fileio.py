"""Files and folders: atomic writes, where an output goes, private folders, locks, and what an
operating-system error means to the user.

Every OSError met while reading or writing igconnect's files becomes one of our errors through
`os_failure`: a full disk says "free space", a read-only or blocked folder says which one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from igconnect.errors import (
    BusyError,
    DiskFullError,
    FilesystemError,
    IgconnectError,
    UsageError,
)

# A temporary file older than this beside its target belongs to a killed process: live writers
# keep theirs fresh, and callers hold the lock that keeps two writers of one target apart.
STALE_TEMP_SECONDS = 60.0
_TEMP_SUFFIX = ".tmp"
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


def os_failure(
    exc: OSError, path: Path | str | None = None, *, doing: str = "write"
) -> IgconnectError:
    """The igconnect error for `exc`, met while `doing` something to `path` (or `exc.filename`)."""
    target = Path(path if path is not None else exc.filename or "?")
    code = exc.errno
    if code in _DISK_FULL:
        return DiskFullError(
            f"no space left on the device of {_folder(target)} (could not {doing} {target})",
            hint=f"free space there (`df -h {_folder(target)}`), then run again",
        )
    if code == errno.EROFS:
        return FilesystemError(
            f"cannot {doing} {target}: its filesystem is read-only",
            hint="remount it read-write, or point igconnect at a writable place (--out, "
            "IGCONNECT_DATA_DIR, IGCONNECT_CONFIG_DIR)",
        )
    if code in (errno.ENOTDIR, errno.EEXIST):
        blocker = _blocking_file(target)
        return FilesystemError(
            f"cannot {doing} {target}: {blocker} is a file, not a folder",
            hint=f"move {blocker} away, or choose another place for it",
        )
    if code in (errno.EACCES, errno.EPERM):
        return FilesystemError(
            f"cannot {doing} {target}: permission denied",
            hint=f"check the owner and mode of it and its folder (`ls -ld {_folder(target)}`)",
        )
    if code == errno.EISDIR:
        return FilesystemError(
            f"cannot {doing} {target}: it is a folder", hint="give the path of a file"
        )
    reason = exc.strerror or type(exc).__name__
    return FilesystemError(
        f"cannot {doing} {target}: {reason}",
        hint="check the disk and the path (`ls -ld` each folder on the way)",
    )


def _folder(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def _blocking_file(path: Path) -> Path:
    """The first part of `path` that exists and is not a folder (the file in the way)."""
    for part in [*reversed(path.parents), path]:
        with contextlib.suppress(OSError):
            if not part.is_dir() and part.exists():
                return part
    return path


@contextlib.contextmanager
def explained(path: Path, *, doing: str = "write") -> Iterator[None]:
    """Turn any OSError inside the block into `os_failure` (a closed pipe stays a BrokenPipeError)."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise os_failure(exc, path, doing=doing) from None


def ensure_dir(path: Path, *, mode: int = 0o700) -> Path:
    """Create `path` and each missing parent with `mode` (XDG asks 0700), or say why not."""
    missing = [p for p in [*reversed(path.parents), path] if not p.is_dir()]
    with explained(path, doing="create the folder"):
        for part in missing:
            try:
                part.mkdir(mode=mode)
            except FileExistsError:
                if not part.is_dir():
                    raise
    return path


# -- temporary files ---------------------------------------------------------------------------------
def _temp_pattern(target: Path) -> re.Pattern[str]:
    # mkstemp's names: the prefix we give, eight characters of [a-z0-9_], our suffix.
    return re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}{re.escape(_TEMP_SUFFIX)}")


def remove_stale_temps(target: Path, *, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Delete the temporary files that killed writers of `target` left beside it; return them.

    Only names this module makes for `target`, and only files untouched for `older_than` seconds.
    """
    pattern = _temp_pattern(target)
    removed: list[Path] = []
    cutoff = time.time() - older_than
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        with contextlib.suppress(OSError):
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


# -- atomic writes -------------------------------------------------------------------------------
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
    """A handle on a temporary file that replaces `path` only if the block succeeds.

    Stale temporary files of `path` left by killed writers are removed first.
    """
    with explained(path.parent, doing="create the folder"):
        path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    with explained(path):
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=_TEMP_SUFFIX, dir=path.parent
        )
    try:
        with explained(path):
            os.fchmod(fd, mode)
            handle = (
                os.fdopen(fd, "wb")
                if binary
                else os.fdopen(fd, "w", encoding="utf-8", newline=newline)
            )
        with explained(path), handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        with explained(path):
            os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
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


# -- where an output goes ------------------------------------------------------------------------
@contextlib.contextmanager
def output_stream(path: Path | None, *, newline: str = "") -> Iterator[IO[str]]:
    """A text handle for an output the user named: stdout for None (`-`).

    A FIFO, a character device or a process's own stream (`/dev/stdout`, `/dev/fd/N`) is written
    into as a stream. A regular file, or a symlink to one, is replaced atomically at its real path
    (keeping its mode). Anything else (a block device, a socket) is refused, never replaced.
    """
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    if _via_process_stream(path) or _is_stream(path):
        with explained(path), open(path, "a", encoding="utf-8", newline=newline) as handle:
            yield handle
        return
    real = Path(os.path.realpath(path))
    try:
        info = os.stat(real)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise os_failure(exc, real) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{path} is a folder", hint="give a file name with --out")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise FilesystemError(
            f"{path} is not a regular file, a FIFO or a terminal; igconnect never replaces it",
            hint="give the path of a regular file, a FIFO, or - for stdout",
        )
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o644
    with atomic_writer(real, mode=mode, newline=newline) as handle:
        yield handle


def _is_stream(path: Path) -> bool:
    try:
        kind = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(kind) or stat.S_ISCHR(kind)


def _via_process_stream(path: Path) -> bool:
    """Whether `path` is, or links to, one of this process's open files (/dev/stdout, /dev/fd/1):
    replacing what such a link names would take the output away from whoever reads the stream."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on a chain of links
        if current.startswith(("/proc/self/fd/", "/proc/thread-self/fd/", "/dev/fd/")):
            return True
        if re.match(r"/proc/\d+/fd/", current):
            return True
        try:
            link = os.readlink(current)
        except OSError:
            return False
        current = os.path.join(os.path.dirname(current), link)
    return False


# -- locks ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def file_lock(
    lock_path: Path, *, timeout: float, what: str, hint: str | None = None
) -> Iterator[None]:
    """Hold an inter-process lock on `lock_path`; after `timeout` seconds raise BusyError."""
    import filelock

    ensure_dir(lock_path.parent)
    lock = filelock.FileLock(str(lock_path), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:  # a TimeoutError, so an OSError: caught first
        raise BusyError(
            f"{what} is in use by another igconnect process (waited {timeout:g} s)",
            hint=hint or "wait for the other run to finish, then try again",
        ) from None
    except OSError as exc:
        raise os_failure(exc, lock_path, doing="create the lock file") from None
    try:
        yield
    finally:
        lock.release()
