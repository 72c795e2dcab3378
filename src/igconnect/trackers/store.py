"""Trackers in the state store: one row each, pointing at its connection by id.

A tracker follows its connection through a rename (the id stays) and becomes unassigned when the
connection is removed. Writes must run inside `StateStore.transaction()`. Lookups of one tracker and
the per-connection loads are indexed, so adding a tracker costs the same at 10 or 10,000 of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from igconnect.errors import ConflictError, NotFoundError
from igconnect.state.db import require_transaction
from igconnect.timestamps import iso_z, parse_iso
from igconnect.trackers.model import (
    KIND_HASHTAG,
    VOLUME_HIGH,
    Tracker,
    parse_tracker_ref,
    tracker_key,
)

if TYPE_CHECKING:
    import sqlite3

_SELECT = (
    "SELECT t.*, c.name AS connection FROM trackers t "
    "LEFT JOIN connections c ON c.id = t.connection_id"
)
_COLUMNS = (
    "key",
    "kind",
    "target",
    "connection_id",
    "volume",
    "volume_source",
    "volume_measured_at",
    "measured_posts",
    "measured_likes",
    "account_id",
    "created_at",
    "access",
    "pending",
)
# The trackers that share a token's platform budget (rules.py): hashtags and public accounts.
_SHARED = "(kind = 'hashtag' OR access = 'public')"
LIST_HINT = "run `igconnect trackers list` to see them"
# A change of a tracker's connection through `save` (other than a failover's) forgets where a
# failover took it from: a person moved it, it stays. SQLite evaluates every SET on the old row.
_FORGET_FAILOVER = (
    "failover_from = CASE WHEN connection_id IS ? THEN failover_from ELSE NULL END, "
    "failover_at = CASE WHEN connection_id IS ? THEN failover_at ELSE NULL END"
)


@dataclass(frozen=True)
class FailedOver:
    """A tracker a failover moved: where it is now, and the connection it came from."""

    key: str
    target: str
    account_id: str | None
    connection_id: str | None
    home_id: str
    moved_at: datetime | None
    access: str | None = None


@dataclass
class Load:
    """What one connection carries: the counts the assignment rules need."""

    count: int = 0
    hashtags: int = 0
    high_volume: list[str] = field(default_factory=list)  # among the shared-budget ones
    shared: int = 0  # public accounts and hashtags: they share the token's platform budget


class TrackerStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    # -- reading ---------------------------------------------------------------------------------
    def all(self) -> list[Tracker]:
        return [_tracker(r) for r in self.db.execute(f"{_SELECT} ORDER BY t.key")]

    def keys(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT key FROM trackers ORDER BY key")]

    def find(self, key: str) -> Tracker | None:
        row = self.db.execute(f"{_SELECT} WHERE t.key = ?", (key,)).fetchone()
        return _tracker(row) if row else None

    def get(self, ref: str) -> Tracker:
        key = tracker_key(*parse_tracker_ref(ref))
        found = self.find(key)
        if found is None:
            raise NotFoundError("tracker", key, self.keys(), hint=LIST_HINT)
        return found

    def on(self, connection_id: str) -> list[Tracker]:
        rows = self.db.execute(
            f"{_SELECT} WHERE t.connection_id = ? ORDER BY t.key", (connection_id,)
        )
        return [_tracker(r) for r in rows]

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM trackers").fetchone()[0])

    def waiting(self, limit: int) -> tuple[list[Tracker], int]:
        """Trackers on no connection (unassigned or pending): the first `limit`, and how many."""
        where = "WHERE t.connection_id IS NULL OR t.pending = 1"
        rows = self.db.execute(f"{_SELECT} {where} ORDER BY t.key LIMIT ?", (limit,))
        total = self.db.execute(f"SELECT count(*) FROM trackers t {where}").fetchone()[0]
        return [_tracker(r) for r in rows], int(total)

    def unreached(self, limit: int) -> tuple[list[Tracker], int]:
        """Account trackers on a connection that does not reach them and that are not read
        through business discovery: the first `limit`, and how many."""
        where = (
            "WHERE t.kind = 'account' AND t.connection_id IS NOT NULL "
            "AND coalesce(t.access, '') != 'public' AND NOT EXISTS ("
            "SELECT 1 FROM accounts a WHERE a.connection_id = t.connection_id "
            "AND (a.username = t.target COLLATE NOCASE OR a.account_id = t.account_id))"
        )
        rows = self.db.execute(f"{_SELECT} {where} ORDER BY t.key LIMIT ?", (limit,))
        total = self.db.execute(f"SELECT count(*) FROM trackers t {where}").fetchone()[0]
        return [_tracker(r) for r in rows], int(total)

    def loads(self, connection_ids: Iterable[str] | None = None) -> dict[str, Load]:
        """Per connection id: how many trackers, how many hashtags, how many share the platform
        budget (hashtags, public accounts) and which of those are high-volume."""
        where, params = "WHERE connection_id IS NOT NULL", []
        if connection_ids is not None:
            ids = list(connection_ids)
            if not ids:
                return {}
            where = f"WHERE connection_id IN ({', '.join('?' * len(ids))})"
            params = ids
        out: dict[str, Load] = {}
        for row in self.db.execute(
            "SELECT connection_id, count(*) AS n, sum(kind = ?) AS tags, "
            f"sum({_SHARED}) AS shared FROM trackers {where} GROUP BY connection_id",
            [KIND_HASHTAG, *params],
        ):
            out[row["connection_id"]] = Load(
                int(row["n"]), int(row["tags"] or 0), shared=int(row["shared"] or 0)
            )
        for row in self.db.execute(
            f"SELECT connection_id, key FROM trackers {where} AND volume = ? AND {_SHARED} "
            "ORDER BY key",
            [*params, VOLUME_HIGH],
        ):
            out.setdefault(row["connection_id"], Load()).high_volume.append(row["key"])
        return out

    # -- writing (inside a transaction) ----------------------------------------------------------
    def add(self, tracker: Tracker) -> None:
        require_transaction(self.db)
        existing = self.find(tracker.key)
        if existing is not None:
            where = f" (on '{existing.connection}')" if existing.connection else " (unassigned)"
            raise ConflictError(
                f"{tracker.key} is already tracked{where}",
                hint=f"use `igconnect trackers assign {tracker.key} CONNECTION` to move it",
            )
        values = _row(tracker)
        self.db.execute(
            f"INSERT INTO trackers ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
            [values[c] for c in _COLUMNS],
        )

    def save(self, tracker: Tracker) -> None:
        """Write every field of an existing tracker (by key)."""
        require_transaction(self.db)
        values = _row(tracker)
        columns = [c for c in _COLUMNS if c != "key"]
        cursor = self.db.execute(
            f"UPDATE trackers SET {_FORGET_FAILOVER}, {', '.join(f'{c} = ?' for c in columns)} "
            "WHERE key = ?",
            [
                tracker.connection_id,
                tracker.connection_id,
                *(values[c] for c in columns),
                tracker.key,
            ],
        )
        if cursor.rowcount == 0:
            raise NotFoundError("tracker", tracker.key, self.keys(), hint=LIST_HINT)

    def assign(
        self,
        key: str,
        connection_id: str | None,
        account_id: str | None = None,
        access: str | None = None,
    ) -> None:
        """Put a tracker on a connection (None: off it). Placed, it is no longer pending;
        `access` (managed | public) is recorded when given."""
        require_transaction(self.db)
        # A person chose this connection (assign, move, rebalance): a failover is forgotten,
        # even when they chose the connection the failover had picked.
        self.db.execute(
            "UPDATE trackers SET connection_id = ?, account_id = coalesce(?, account_id), "
            "access = coalesce(?, access), "
            "pending = CASE WHEN ? IS NULL THEN pending ELSE 0 END, "
            "failover_from = NULL, failover_at = NULL WHERE key = ?",
            (connection_id, account_id, access, connection_id, key),
        )

    def remove(self, key: str) -> None:
        require_transaction(self.db)
        self.db.execute("DELETE FROM trackers WHERE key = ?", (key,))

    def unassign_all(self, connection_id: str) -> list[str]:
        require_transaction(self.db)
        keys = [t.key for t in self.on(connection_id)]
        self.db.execute(
            "UPDATE trackers SET connection_id = NULL, failover_from = NULL, failover_at = NULL "
            "WHERE connection_id = ?",
            (connection_id,),
        )
        return keys

    # -- failover (trackers/failover.py) ----------------------------------------------------------
    def on_broken_connections(self) -> list[Tracker]:
        """Account trackers whose connection is broken (not a checkpoint: that one is retried)."""
        rows = self.db.execute(
            f"{_SELECT} WHERE t.kind = 'account' AND c.status = 'broken' ORDER BY t.key"
        )
        return [_tracker(r) for r in rows]

    def failed_over(self) -> list[FailedOver]:
        """Trackers a failover moved off their connection, which have not been moved since."""
        rows = self.db.execute(
            "SELECT key, target, account_id, connection_id, failover_from, failover_at, access "
            "FROM trackers WHERE failover_from IS NOT NULL ORDER BY key"
        )
        return [
            FailedOver(
                r["key"],
                r["target"],
                r["account_id"],
                r["connection_id"],
                r["failover_from"],
                parse_iso(r["failover_at"]),
                r["access"],
            )
            for r in rows
        ]

    def fail_over(self, key: str, to_id: str, from_id: str, at: datetime) -> None:
        """Move a tracker off a broken connection, remembering the first one it left."""
        require_transaction(self.db)
        self.db.execute(
            "UPDATE trackers SET connection_id = ?, failover_from = coalesce(failover_from, ?), "
            "failover_at = coalesce(failover_at, ?) WHERE key = ?",
            (to_id, from_id, iso_z(at), key),
        )

    def fail_back(self, key: str) -> None:
        """Put a failed-over tracker back on the connection it came from."""
        require_transaction(self.db)
        self.db.execute(
            "UPDATE trackers SET connection_id = failover_from, failover_from = NULL, "
            "failover_at = NULL WHERE key = ? AND failover_from IS NOT NULL",
            (key,),
        )


def _row(t: Tracker) -> dict[str, Any]:
    return {
        "key": t.key,
        "kind": t.kind,
        "target": t.target,
        "connection_id": t.connection_id,
        "volume": t.volume,
        "volume_source": t.volume_source,
        "volume_measured_at": iso_z(t.volume_measured_at),
        "measured_posts": t.measured_posts,
        "measured_likes": t.measured_likes,
        "account_id": t.account_id,
        "created_at": iso_z(t.created_at),
        "access": t.access,
        "pending": int(t.pending),
    }


def _tracker(row: sqlite3.Row) -> Tracker:
    return Tracker(
        kind=row["kind"],
        target=row["target"],
        connection=row["connection"],
        volume=row["volume"],
        volume_source=row["volume_source"],
        volume_measured_at=parse_iso(row["volume_measured_at"]),
        account_id=row["account_id"],
        created_at=parse_iso(row["created_at"]) or datetime.now(UTC),
        measured_posts=row["measured_posts"],
        measured_likes=row["measured_likes"],
        connection_id=row["connection_id"],
        access=row["access"],
        pending=bool(row["pending"]),
    )
