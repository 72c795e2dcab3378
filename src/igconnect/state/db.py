"""Opening the state store, migrating it forward, and its transactions.

One SQLite file (`state.sqlite` in the data dir), mode 0600, in WAL mode so readers never wait for
a writer and never see half of a change. Writers take the write lock at the start of their
transaction (`BEGIN IMMEDIATE`) and wait for each other up to `busy_timeout`, so concurrent
processes serialise instead of failing.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from igconnect.errors import ConfigError
from igconnect.state.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import sqlite3

BUSY_TIMEOUT_SECONDS = 30.0


class StateStore:
    """The state store file; the connection is opened (and migrated) on first use."""

    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = self._open()
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction: all of it or none of it reaches the file.

        `commit=False` is a dry run: everything inside happens and is read back as usual, then
        rolled back, so a plan is computed by the very code that would carry it out.
        """
        import sqlite3

        db = self.db
        if db.in_transaction:  # a nested call joins the transaction already open
            yield db
            return
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from None
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if not commit:
            db.execute("ROLLBACK")
            return
        try:
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise self._translate(exc) from None

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the store as of one moment."""
        db = self.db
        if db.in_transaction:
            yield db
            return
        db.execute("BEGIN DEFERRED")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    # -- opening -----------------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        import sqlite3

        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            # Create it 0600 before SQLite does: it holds who the agency's clients are.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        try:
            db = sqlite3.connect(
                str(self.path),
                timeout=self.busy_timeout,
                isolation_level=None,  # we say BEGIN/COMMIT ourselves
                check_same_thread=False,
            )
            db.execute("PRAGMA schema_version").fetchone()  # a file that is not SQLite fails here
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=NORMAL")
            self._wal(db)
            self._migrate(db)
        except sqlite3.DatabaseError as exc:
            raise self._translate(exc) from None
        return db

    @staticmethod
    def _wal(db: sqlite3.Connection) -> None:
        # Switching a new file to WAL needs a moment alone with it, and SQLite answers "locked" at
        # once rather than waiting when another process is doing the same: retry briefly.
        import sqlite3

        for attempt in range(100):
            try:
                db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                # SQLite's (extended) result code, set on every error it raises; its low byte is
                # the primary code
                code = getattr(exc, "sqlite_errorcode", None)
                busy = code is not None and code & 0xFF in (
                    sqlite3.SQLITE_BUSY,
                    sqlite3.SQLITE_LOCKED,
                )
                if not busy or attempt == 99:
                    raise
                time.sleep(0.05)

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise self._newer(version)
        db.execute("BEGIN IMMEDIATE")
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])  # another process?
            if version > SCHEMA_VERSION:
                raise self._newer(version)
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(MIGRATIONS[number - 1]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _newer(self, version: int) -> ConfigError:
        return ConfigError(
            f"the state store {self.path} was written by a newer igconnect (schema {version}, "
            f"this one knows {SCHEMA_VERSION})",
            hint="upgrade igconnect (pip install -U igconnect)",
        )

    def _translate(self, exc: Exception) -> Exception:
        """A SQLite error as the user reads it: a full disk says free space, a busy store says
        wait, only a store SQLite finds damaged is called damaged (with where its copies are)."""
        import sqlite3

        from igconnect import sqlitefile

        if not isinstance(exc, sqlite3.Error):
            return exc
        return sqlitefile.failure(
            exc, self.path, what="the state store", restore_hint=self._restore()
        )

    def _restore(self) -> str:
        """How to get a sound store back: the newest daily copy if there is one (the export keeps
        one a day in the data dir's backups folder), else a fresh store."""
        copies = sorted((self.path.parent / "backups").glob("state-*.sqlite"))
        aside = f"mv {self.path} {self.path}.damaged"
        if copies:
            return f"put back the newest copy: `{aside} && cp {copies[-1]} {self.path}`"
        return f"move it aside (`{aside}`), then log in again and re-import your trackers"


def require_transaction(db: sqlite3.Connection) -> None:
    """Writers of several rows call this: outside a transaction a crash could keep half of them."""
    if not db.in_transaction:
        raise RuntimeError("a state store write outside a transaction")  # a bug, not a user error


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script, one at a time (executescript would COMMIT)."""
    import sqlite3

    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending.strip()
            pending = ""
    if pending.strip():
        yield pending.strip()
