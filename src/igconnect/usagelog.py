"""The last rate-limit usage Meta reported for each connection and account, kept in SQLite.

Every command that talks to Meta records what the usage headers said, so `trackers list` and `doctor`
can show each connection's headroom without spending a call.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from igconnect.meta.usage import Usage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (
    connection   TEXT NOT NULL,
    scope        TEXT NOT NULL,      -- 'app' or an Instagram account id
    observed_at  TEXT NOT NULL,
    percent      REAL NOT NULL,
    regain_minutes REAL NOT NULL DEFAULT 0,
    detail       TEXT NOT NULL,
    PRIMARY KEY (connection, scope)
)
"""


@dataclass(frozen=True)
class UsageSeen:
    connection: str
    scope: str
    observed_at: datetime
    percent: float
    regain_minutes: float
    detail: dict[str, float]


class UsageLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._init_lock = threading.Lock()
        self._initialised = False

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10)
        if not self._initialised:
            with self._init_lock:
                if not self._initialised:
                    self._initialise(db)
                    self._initialised = True
        return db

    def _initialise(self, db: sqlite3.Connection) -> None:
        # Switching to WAL needs a moment alone with the file; another process may be doing the
        # same, and SQLite answers "locked" at once rather than waiting, so retry briefly.
        for attempt in range(50):
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.05)

    def record(self, connection: str, usage: Usage) -> None:
        rows = []
        when = usage.observed_at.isoformat()
        if usage.app:
            rows.append(
                (connection, "app", when, usage.app_percent or 0.0, 0.0, json.dumps(usage.app))
            )
        for account_id, acc in usage.accounts.items():
            detail = {
                "call_count": acc.call_count,
                "total_cputime": acc.total_cputime,
                "total_time": acc.total_time,
            }
            rows.append(
                (connection, account_id, when, acc.percent, acc.regain_minutes, json.dumps(detail))
            )
        if not rows:
            return
        db = self._connect()
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO usage VALUES (?, ?, ?, ?, ?, ?)", rows)
        finally:
            db.close()

    def latest(self, connection: str) -> list[UsageSeen]:
        if not self.path.exists():
            return []
        db = self._connect()
        try:
            rows = db.execute(
                "SELECT connection, scope, observed_at, percent, regain_minutes, detail "
                "FROM usage WHERE connection = ? ORDER BY scope",
                (connection,),
            ).fetchall()
        finally:
            db.close()
        return [
            UsageSeen(c, s, datetime.fromisoformat(o), p, r, json.loads(d))
            for c, s, o, p, r, d in rows
        ]

    def forget(self, connection: str) -> None:
        if not self.path.exists():
            return
        db = self._connect()
        try:
            with db:
                db.execute("DELETE FROM usage WHERE connection = ?", (connection,))
        finally:
            db.close()

    def rename(self, old: str, new: str) -> None:
        if not self.path.exists():
            return
        db = self._connect()
        try:
            with db:
                db.execute("UPDATE usage SET connection = ? WHERE connection = ?", (new, old))
        finally:
            db.close()
