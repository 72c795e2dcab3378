"""One export at a time (of any kind, or all of them): a lock file in the state dir, waited on for
`export_lock_wait` seconds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from igconnect.fileio import file_lock

LOCK_NAME = "export.lock"


@contextmanager
def export_lock(lock_dir: Path, wait_seconds: float) -> Iterator[None]:
    """Hold the export lock; raise BusyError (exit code BUSY) if another run keeps it too long."""
    with file_lock(
        lock_dir / LOCK_NAME,
        timeout=wait_seconds,
        what="the export",
        hint="another `igconnect export` (of some kind) is still running; if runs overlap often, "
        "schedule them further apart (`igconnect config set schedule_interval_minutes ...`) or "
        "raise `export_lock_wait`",
    ):
        yield
