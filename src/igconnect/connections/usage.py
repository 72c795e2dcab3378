"""The last rate-limit usage Meta reported for each connection and account, kept in the state store.

Every answer from Meta may carry usage headers. A `UsageRecorder` keeps the newest figure per
connection and scope in memory while a command runs (from any thread) and the runtime writes them in
one transaction when it closes, so an export of 10,000 accounts costs one write, not 10,000. `trackers
list` and `doctor` show each connection's headroom from these without spending a call.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from igconnect.state.db import require_transaction
from igconnect.timestamps import iso_z, parse_iso

if TYPE_CHECKING:
    import sqlite3

    from igconnect.meta.usage import Usage


@dataclass(frozen=True)
class UsageSeen:
    connection_id: str
    scope: str  # 'app' or an Instagram account id
    observed_at: datetime
    percent: float
    regain_minutes: float
    detail: dict[str, float]


def usage_rows(connection_id: str, usage: Usage) -> list[UsageSeen]:
    rows = []
    if usage.app:
        rows.append(
            UsageSeen(
                connection_id,
                "app",
                usage.observed_at,
                usage.app_percent or 0.0,
                0.0,
                dict(usage.app),
            )
        )
    for account_id, acc in usage.accounts.items():
        detail = {
            "call_count": acc.call_count,
            "total_cputime": acc.total_cputime,
            "total_time": acc.total_time,
        }
        rows.append(
            UsageSeen(
                connection_id,
                account_id,
                usage.observed_at,
                acc.percent,
                acc.regain_minutes,
                detail,
            )
        )
    return rows


class UsageRecorder:
    """The newest usage per (connection, scope) seen by this process, until it is written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[tuple[str, str], UsageSeen] = {}

    def record(self, connection_id: str, usage: Usage) -> None:
        with self._lock:
            for row in usage_rows(connection_id, usage):
                key = (row.connection_id, row.scope)
                known = self._latest.get(key)
                if known is None or known.observed_at <= row.observed_at:
                    self._latest[key] = row

    def take(self) -> list[UsageSeen]:
        with self._lock:
            rows, self._latest = list(self._latest.values()), {}
        return rows


class UsageStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def latest(self, connection_id: str) -> list[UsageSeen]:
        rows = self.db.execute(
            "SELECT * FROM usage WHERE connection_id = ? ORDER BY scope", (connection_id,)
        )
        return [
            UsageSeen(
                r["connection_id"],
                r["scope"],
                parse_iso(r["observed_at"]) or datetime.min,
                r["percent"],
                r["regain_minutes"],
                json.loads(r["detail"]),
            )
            for r in rows
        ]

    def write(self, rows: list[UsageSeen]) -> None:
        """Store figures newer than what is stored; rows of a removed connection are dropped."""
        require_transaction(self.db)
        self.db.executemany(
            "INSERT INTO usage (connection_id, scope, observed_at, percent, regain_minutes, detail) "
            "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM connections WHERE id = ?) "
            "ON CONFLICT (connection_id, scope) DO UPDATE SET observed_at = excluded.observed_at, "
            "percent = excluded.percent, regain_minutes = excluded.regain_minutes, "
            "detail = excluded.detail WHERE excluded.observed_at >= usage.observed_at",
            [
                (
                    r.connection_id,
                    r.scope,
                    iso_z(r.observed_at),
                    r.percent,
                    r.regain_minutes,
                    json.dumps(r.detail),
                    r.connection_id,
                )
                for r in rows
            ],
        )
