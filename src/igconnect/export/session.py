"""What every export run holds while it lasts (stories, profiles, hashtags, or all of them in one
run): the export lock, the run log and the archive, taken in that order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from igconnect.export.archive import Archive
    from igconnect.runtime import Runtime


@contextmanager
def locked_run(runtime: Runtime, now: datetime, *, writes: bool) -> Iterator[tuple[Archive, str]]:
    """What every export run holds, in this order: the lock, the run log, the archive (checked
    when due and the run `writes`). Yields the archive and the log file's path."""
    from igconnect.export.backup import open_archive
    from igconnect.export.runlock import export_lock
    from igconnect.export.runlog import run_log

    with (
        export_lock(runtime.paths.lock_dir, runtime.settings.get("export_lock_wait")),
        run_log(runtime.paths.log_dir) as log_file,
        open_archive(runtime, now, writes=writes) as archive,
    ):
        yield archive, str(log_file)
