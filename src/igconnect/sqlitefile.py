"""SQLite files that hold what cannot be fetched again (the story archive, the state store):
opened safely, checked, copied with SQLite's online backup API, and their failures explained.

    db = connect(path)                        # 0600 file in a 0700 folder; errors explained
    problems = check(db)                      # PRAGMA quick_check; [] when the file is sound
    backup(db, dest)                          # a checked, self-contained copy, renamed into place
    raise failure(exc, path, what=..., restore_hint=...)   # a sqlite3.Error as the user reads it

A full disk says "free space" and never suggests moving the file aside: that would split a healthy
file's history. Only a file that SQLite reports damaged is called damaged.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from igconnect.errors import (
    BusyError,
    DamagedError,
    DiskFullError,
    FilesystemError,
    IgconnectError,
)
from igconnect.fileio import ensure_dir, explained, remove_stale_temps

if TYPE_CHECKING:
    import sqlite3

# Below this much free space an I/O error is a full disk: SQLite reports a -shm file it could not
# grow as SQLITE_IOERR_SHMSIZE, not SQLITE_FULL.
NEARLY_FULL_BYTES = 256 * 1024
CHECK_ERRORS_SHOWN = 10


def connect(
    path: Path,
    *,
    timeout: float = 30.0,
    what: str = "the database",
    restore_hint: str | None = None,
) -> sqlite3.Connection:
    """Open (creating it 0600, in a 0700 folder) the SQLite file `path`, in autocommit mode."""
    import sqlite3

    ensure_dir(path.parent)
    if not path.exists():
        with explained(path, doing="create"):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    try:
        db = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute(
            "PRAGMA schema_version"
        ).fetchone()  # reads the header: a non-database fails here
    except sqlite3.Error as exc:
        raise failure(exc, path, what=what, restore_hint=restore_hint) from None
    return db


def connect_read_only(path: Path, *, what: str = "the database") -> sqlite3.Connection:
    """Open an existing SQLite file without ever writing to it (a backup, a file to restore)."""
    import sqlite3
    from urllib.parse import quote

    if not path.is_file():
        raise FilesystemError(f"{what} {path} does not exist or is not a file")
    try:
        db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error as exc:
        raise failure(exc, path, what=what) from None
    return db


def check(db: sqlite3.Connection, *, full: bool = False) -> list[str]:
    """What `PRAGMA quick_check` (`integrity_check` with `full`) finds wrong; [] when sound.

    quick_check reads every page and checks its structure (about 0.3 s per 100 MB); the full
    check also compares every index with its table.
    """
    import sqlite3

    pragma = "integrity_check" if full else "quick_check"
    try:
        rows = [str(r[0]) for r in db.execute(f"PRAGMA {pragma}({CHECK_ERRORS_SHOWN})")]
    except sqlite3.DatabaseError as exc:  # damaged past what the check can walk
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def is_damage(exc: BaseException) -> bool:
    import sqlite3

    return isinstance(exc, sqlite3.DatabaseError) and _primary(exc) in (
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_NOTADB,
    )


def failure(
    exc: sqlite3.Error, path: Path, *, what: str, restore_hint: str | None = None
) -> IgconnectError:
    """The igconnect error for a SQLite error met on `what` at `path`. Any other error (bad SQL,
    misuse) is a bug of ours and is raised as it is, to be reported as one."""
    import sqlite3

    code = _primary(exc)
    if code == sqlite3.SQLITE_FULL or (code == sqlite3.SQLITE_IOERR and _nearly_full(path)):
        return DiskFullError(
            f"no space left on the device of {path.parent} ({what} could not be written)",
            hint=f"free space there (`df -h {path.parent}`), then run again; {what} is intact",
        )
    if is_damage(exc):
        return DamagedError(
            f"{what} {path} is damaged ({exc}); nothing more was written to it",
            hint=restore_hint or "restore it from a backup",
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return BusyError(
            f"{what} {path} stayed locked by another process",
            hint="another igconnect process is writing to it; try again when it is done",
        )
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return FilesystemError(
            f"{what} {path} cannot be written ({exc})",
            hint=f"check that {path.parent} is writable (not a read-only filesystem, owned by you)",
        )
    if code == sqlite3.SQLITE_IOERR:
        return FilesystemError(
            f"input/output error on {what} {path} ({exc})",
            hint="the disk may be failing: check `dmesg`, and keep the newest backup safe",
        )
    raise exc


def failure_in(exc: sqlite3.Error, folder: Path) -> IgconnectError:
    """`failure` for an error that reached the CLI without its file: one of the databases
    igconnect keeps in `folder` (the data dir)."""
    return failure(
        exc,
        folder / "*.sqlite",
        what="an igconnect database",
        restore_hint="`igconnect archive check` says whether it is the story archive, and lists "
        "its backups for `igconnect archive restore`",
    )


def _primary(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF  # extended codes carry the primary in the low byte


def _nearly_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def backup(source: sqlite3.Connection, dest: Path, *, what: str = "the database") -> None:
    """Copy the database behind `source` to `dest` with SQLite's online backup API.

    Writers may go on meanwhile; the copy is one consistent moment. It is written beside `dest`,
    made a single self-contained file (no WAL), checked, then renamed into place (mode 0600).
    """
    import sqlite3

    ensure_dir(dest.parent)
    remove_stale_temps(dest)
    staged = _temp_name(dest)
    try:
        with explained(staged, doing="create"):
            os.close(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        copy = sqlite3.connect(str(staged), isolation_level=None)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            problems = check(copy)
        finally:
            copy.close()
        if problems:
            raise DamagedError(
                f"the copy of {what} in {dest} did not pass its check ({problems[0]})",
                hint="run `igconnect archive check`; the source may be damaged",
            )
        with explained(dest):
            with open(staged, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(staged, dest)
    except sqlite3.Error as exc:
        raise failure(exc, dest, what=f"the copy of {what}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(staged)


def _temp_name(dest: Path) -> Path:
    import secrets

    # The shape fileio.remove_stale_temps knows: `.NAME.` + eight of [a-z0-9_] + `.tmp`.
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_"
    tag = "".join(secrets.choice(alphabet) for _ in range(8))
    return dest.with_name(f".{dest.name}.{tag}.tmp")


class CheckStamp:
    """When a file last passed its check, kept in a small file of its own (not in the file checked:
    a damaged file cannot be trusted to say it is fine). Forgotten as soon as damage is seen."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def last(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None

    def due(self, now: datetime, every_hours: float) -> bool:
        last = self.last()
        return (
            last is None or every_hours <= 0 or (now - last).total_seconds() >= every_hours * 3600
        )

    def passed(self, now: datetime) -> None:
        from igconnect.fileio import atomic_write_text

        with contextlib.suppress(IgconnectError):  # an unrecorded check is only done again
            ensure_dir(self.path.parent)
            atomic_write_text(self.path, now.astimezone(UTC).isoformat() + "\n", mode=0o600)

    def forget(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()
