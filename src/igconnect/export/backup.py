"""Keeping the archive safe: checked before a run writes to it, backed up daily, restored on demand.

The archive is the agency's only copy of stories Meta has forgotten. So:

- `open_archive` runs `PRAGMA quick_check` before a run that writes when it is due
  (`archive_check_hours`, daily by default; 0: every run) and refuses a damaged archive before anything is written to it. Damage SQLite meets
  later in a run makes the next run check again.
- `backup_if_due` copies it (SQLite's online backup API) once a day into the backup folder
  (`archive_backup_dir`, by default `<data dir>/backups`), keeping the newest `archive_backups`,
  so damage or a lost disk costs at most a day.
- `check_archive`, `backup_archive` and `restore_archive` are `igconnect archive check|backup|restore`.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igconnect.errors import ConflictError, DamagedError, ExitCode, IgconnectError, UsageError
from igconnect.export.archive import SCHEMA_VERSION, Archive

if TYPE_CHECKING:
    from igconnect.runtime import Runtime
    from igconnect.sqlitefile import CheckStamp

BACKUP_EVERY = timedelta(days=1)
_BACKUP_NAME = re.compile(r"archive-(\d{8}T\d{6}Z)\.sqlite")
_STATE_BACKUP_NAME = re.compile(r"state-(\d{8}T\d{6}Z)\.sqlite")
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


def backup_dir(runtime: Runtime) -> Path:
    configured = runtime.settings.get("archive_backup_dir")
    return Path(configured).expanduser() if configured else runtime.paths.data_dir / "backups"


def _stamp(runtime: Runtime) -> CheckStamp:
    from igconnect.sqlitefile import CheckStamp

    return CheckStamp(runtime.paths.state_dir / "archive-checked")


@contextlib.contextmanager
def open_archive(runtime: Runtime, now: datetime, *, writes: bool = True) -> Iterator[Archive]:
    """The archive for a run, checked first when the check is due and the run `writes` to it (a
    run that only reads it, `--no-fetch`, need not pay for reading the whole file). A SQLite error
    inside the block (a full disk, damage met mid-run) comes out as the user reads it."""
    import sqlite3

    stamp = _stamp(runtime)
    verify = writes and stamp.due(now, runtime.settings.get("archive_check_hours"))
    try:
        archive = Archive(runtime.paths.archive_file, verify=verify)
    except DamagedError:
        stamp.forget()
        raise
    if verify:
        stamp.passed(now)
    try:
        yield archive
    except (DamagedError, sqlite3.Error) as exc:
        error = exc if isinstance(exc, DamagedError) else archive.failure(exc)
        if isinstance(error, DamagedError):
            stamp.forget()  # damage met mid-run: the next run checks before it writes
        raise error from None
    finally:
        archive.close()


# -- backups ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: datetime
    bytes: int

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "taken_at": _iso(self.taken_at), "bytes": self.bytes}


def list_backups(folder: Path, *, name: re.Pattern[str] = _BACKUP_NAME) -> list[BackupInfo]:
    """The backups in `folder`, newest first (by the time in their names)."""
    found: list[BackupInfo] = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            match = name.fullmatch(entry.name)
            if match and entry.is_file():
                taken = datetime.strptime(match[1], _STAMP_FORMAT).replace(tzinfo=UTC)
                found.append(BackupInfo(Path(entry.path), taken, entry.stat().st_size))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def backup_name(now: datetime) -> str:
    return f"archive-{now.astimezone(UTC).strftime(_STAMP_FORMAT)}.sqlite"


def backup_if_due(runtime: Runtime, archive: Archive, now: datetime) -> str | None:
    """Take the daily backups (the archive, and the state store beside it) if the newest is a day
    old, and prune the oldest beyond `archive_backups`. Returns a warning when it could not: the
    run itself succeeded."""
    keep = runtime.settings.get("archive_backups")
    if keep == 0:
        return None
    folder = backup_dir(runtime)
    warnings = [
        _daily(archive.db, folder, "archive", _BACKUP_NAME, now, keep, "the story archive"),
        _daily(runtime.state.db, folder, "state", _STATE_BACKUP_NAME, now, keep, "the state store"),
    ]
    return "; ".join(w for w in warnings if w) or None


def _daily(
    db: Any, folder: Path, prefix: str, name: re.Pattern[str], now: datetime, keep: int, what: str
) -> str | None:
    from igconnect import sqlitefile

    backups = list_backups(folder, name=name)
    if backups and now - backups[0].taken_at < BACKUP_EVERY:
        return None
    stamp = now.astimezone(UTC).strftime(_STAMP_FORMAT)
    try:
        sqlitefile.backup(db, folder / f"{prefix}-{stamp}.sqlite", what=what)
    except IgconnectError as exc:
        return f"the daily backup of {what} was not taken: {exc.message} — {exc.hint}"
    for old in list_backups(folder, name=name)[keep:]:
        with contextlib.suppress(OSError):
            old.path.unlink()
    return None


def newest_state_backup(folder: Path) -> Path | None:
    found = list_backups(folder, name=_STATE_BACKUP_NAME)
    return found[0].path if found else None


@dataclass(frozen=True)
class BackupResult:
    path: Path
    stories: int
    bytes: int
    seconds: float

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "stories": self.stories,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
        }


def backup_archive(runtime: Runtime, dest: Path | None, now: datetime) -> BackupResult:
    """`igconnect archive backup [FILE]`: a checked copy, by default into the backup folder (where
    it counts as the day's backup). An existing FILE is never overwritten."""
    from igconnect import sqlitefile

    started = time.monotonic()
    target = dest or _free_backup_name(backup_dir(runtime), now)
    if os.path.lexists(target):
        raise ConflictError(
            f"{target} exists already; a backup never overwrites a file",
            hint="give another file name, or remove that one first",
        )
    with open_archive(runtime, now) as archive:
        sqlitefile.backup(archive.db, target, what="the story archive")
        stories = archive.story_count()
    return BackupResult(target, stories, target.stat().st_size, time.monotonic() - started)


def _free_backup_name(folder: Path, now: datetime) -> Path:
    """A dated name not taken yet (the run's own backup may have this second's)."""
    while (folder / backup_name(now)).exists():
        now += timedelta(seconds=1)
    return folder / backup_name(now)


# -- checking --------------------------------------------------------------------------------------
@dataclass
class CheckResult:
    archive: Path
    exists: bool
    problems: list[str]
    stories: int
    seconds: float
    backups: list[BackupInfo] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.ok else ExitCode.DAMAGED

    def to_json(self) -> dict[str, Any]:
        return {
            "archive": str(self.archive),
            "exists": self.exists,
            "ok": self.ok,
            "problems": self.problems,
            "stories": self.stories,
            "seconds": round(self.seconds, 3),
            "backups": [b.to_json() for b in self.backups],
        }


def check_archive(runtime: Runtime, now: datetime) -> CheckResult:
    """`igconnect archive check`: SQLite's full integrity check, which writes nothing."""
    from igconnect import sqlitefile

    path = runtime.paths.archive_file
    started = time.monotonic()
    backups = list_backups(backup_dir(runtime))
    if not path.exists():
        return CheckResult(path, False, [], 0, 0.0, backups)
    try:
        db = sqlitefile.connect(path, what="the story archive")
    except DamagedError as exc:  # not even the header reads
        problems, stories = [exc.message], 0
    else:
        try:
            problems = sqlitefile.check(db, full=True)
            stories = 0 if problems else _stories(db)
        finally:
            db.close()
    stamp = _stamp(runtime)
    if problems:
        stamp.forget()
    else:
        stamp.passed(now)
    return CheckResult(path, True, problems, stories, time.monotonic() - started, backups)


def _stories(db: Any) -> int:
    import sqlite3

    try:
        return int(db.execute("SELECT count(*) FROM stories").fetchone()[0])
    except sqlite3.OperationalError:  # an empty file: no tables yet
        return 0


# -- restoring -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RestoreResult:
    source: Path
    archive: Path
    kept_aside: list[Path]
    stories: int

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "archive": str(self.archive),
            "kept_aside": [str(p) for p in self.kept_aside],
            "stories": self.stories,
        }


def restore_archive(runtime: Runtime, source: Path, now: datetime) -> RestoreResult:
    """`igconnect archive restore FILE`: check FILE fully, then, while no export runs, put the
    current archive aside (`archive-replaced-<time>.sqlite`) and a copy of FILE in its place."""
    from igconnect import sqlitefile
    from igconnect.export.runlock import export_lock

    db = sqlitefile.connect_read_only(source, what="the backup")
    try:
        problems = sqlitefile.check(db, full=True)
        if problems:
            older = [b.path for b in list_backups(backup_dir(runtime)) if b.path != source]
            raise DamagedError(
                f"{source} is damaged too ({problems[0]}); nothing was changed",
                hint=f"try an older backup ({', '.join(map(str, older[:3])) or 'none found'})",
            )
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        stories = _stories(db)
        if version == 0 or version > SCHEMA_VERSION:
            raise UsageError(
                f"{source} is not a story archive this igconnect can read (schema {version})",
                hint="give a file made by `igconnect archive backup` or found in "
                f"{backup_dir(runtime)}",
            )
        archive_path = runtime.paths.archive_file
        staged = archive_path.with_name("archive-restoring.sqlite")
        with export_lock(runtime.paths.lock_dir, runtime.settings.get("export_lock_wait")):
            sqlitefile.backup(db, staged, what="the backup")
            kept = _put_aside(archive_path, now)
            os.replace(staged, archive_path)
    finally:
        db.close()
    _stamp(runtime).passed(now)
    return RestoreResult(source, archive_path, kept, stories)


def _put_aside(archive: Path, now: datetime) -> list[Path]:
    """Rename the archive and its WAL together (SQLite pairs them by name); the -shm is rebuilt."""
    from igconnect.fileio import explained

    base = archive.with_name(f"archive-replaced-{now.astimezone(UTC).strftime(_STAMP_FORMAT)}")
    kept: list[Path] = []
    for suffix in ("", "-wal"):
        current = Path(f"{archive}{suffix}")
        if current.exists():
            target = Path(f"{base}.sqlite{suffix}")
            with explained(target, doing="rename the archive to"):
                os.replace(current, target)
            kept.append(target)
    with contextlib.suppress(OSError):
        Path(f"{archive}-shm").unlink()
    return kept


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
