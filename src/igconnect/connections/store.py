"""Connections in the state store: one row each, and the accounts and Pages they reach.

Reads work on any connection to the store; writes must run inside `StateStore.transaction()`, so a
caller that changes several things (a login, a logout with its trackers) changes all or none.
Single-connection reads are indexed: their cost does not grow with the number of connections or of
accounts they reach.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from igconnect.connections.model import (
    STATUS_BROKEN,
    STATUS_CHECKPOINT,
    STATUS_OK,
    Account,
    Connection,
    Page,
    Reach,
    normalise_username,
    validate_name,
)
from igconnect.errors import ConflictError, NotFoundError
from igconnect.state.db import require_transaction
from igconnect.timestamps import iso_z, parse_iso

if TYPE_CHECKING:
    import sqlite3

_SELECT = (
    "SELECT c.*, (SELECT count(*) FROM accounts a WHERE a.connection_id = c.id) AS account_count "
    "FROM connections c"
)
_COLUMNS = (
    "id",
    "name",
    "provider",
    "kind",
    "origin",
    "user_id",
    "user_name",
    "scopes_granted",
    "scopes_declined",
    "granular_scopes",
    "token_expires_at",
    "data_access_expires_at",
    "created_at",
    "renewed_at",
    "status",
    "broken_reason",
    "broken_at",
    "checked_at",
)
LIST_HINT = "run `igconnect connections list` to see them, or `igconnect login` to add one"


class ConnectionStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    # -- reading ---------------------------------------------------------------------------------
    def all(self) -> list[Connection]:
        return [_connection(r) for r in self.db.execute(f"{_SELECT} ORDER BY c.name")]

    def names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM connections ORDER BY name")]

    def find(self, name: str) -> Connection | None:
        row = self.db.execute(f"{_SELECT} WHERE c.name = ?", (name,)).fetchone()
        return _connection(row) if row else None

    def get(self, name: str) -> Connection:
        found = self.find(name)
        if found is None:
            raise NotFoundError("connection", name, self.names(), hint=LIST_HINT)
        return found

    def by_id(self, connection_id: str) -> Connection | None:
        row = self.db.execute(f"{_SELECT} WHERE c.id = ?", (connection_id,)).fetchone()
        return _connection(row) if row else None

    def of_user(self, provider: str, user_id: str) -> list[Connection]:
        rows = self.db.execute(
            f"{_SELECT} WHERE c.provider = ? AND c.user_id = ? ORDER BY c.name", (provider, user_id)
        )
        return [_connection(r) for r in rows]

    def reach(self, connection_id: str) -> Reach:
        """Every account and Page of one connection (only where all of them are needed)."""
        accounts = [
            _account(r)
            for r in self.db.execute(
                "SELECT * FROM accounts WHERE connection_id = ? ORDER BY username", (connection_id,)
            )
        ]
        pages = [
            Page(r["page_id"], r["name"], json.loads(r["tasks"]), r["instagram_account_id"])
            for r in self.db.execute(
                "SELECT * FROM pages WHERE connection_id = ? ORDER BY name", (connection_id,)
            )
        ]
        return Reach(accounts, pages)

    def account(self, connection_id: str, username_or_id: str) -> Account | None:
        wanted = normalise_username(username_or_id)
        # Two indexed lookups (the key, then the username index): an OR across both would scan
        # every account of the connection.
        row = self.db.execute(
            "SELECT * FROM accounts WHERE connection_id = ? AND account_id = ?",
            (connection_id, wanted),
        ).fetchone()
        if row is None:
            row = self.db.execute(
                "SELECT * FROM accounts WHERE username = ? COLLATE NOCASE AND connection_id = ?",
                (wanted, connection_id),
            ).fetchone()
        return _account(row) if row else None

    def reaching(self, username_or_id: str) -> list[tuple[Connection, Account]]:
        """Every connection that reaches the account, with the account as that connection sees it."""
        wanted = normalise_username(username_or_id)
        rows = self.db.execute(
            "SELECT connection_id, account_id, username, page_id, page_name, account_type "
            "FROM accounts WHERE account_id = ? OR username = ? COLLATE NOCASE",
            (wanted, wanted),
        ).fetchall()
        out = []
        for row in rows:
            connection = self.by_id(row["connection_id"])
            if connection is not None:
                out.append((connection, _account(row)))
        return sorted(out, key=lambda pair: pair[0].name)

    def reached(self, username_or_id: str) -> Account | None:
        """The account as some connection reaches it, or None: one indexed lookup, for a caller
        that needs to know only whether any connection reaches it."""
        wanted = normalise_username(username_or_id)
        row = self.db.execute(
            "SELECT * FROM accounts WHERE account_id = ? OR username = ? COLLATE NOCASE LIMIT 1",
            (wanted, wanted),
        ).fetchone()
        return _account(row) if row else None

    def usernames(self, connection_id: str, limit: int) -> list[str]:
        """A few usernames the connection reaches, for messages."""
        rows = self.db.execute(
            "SELECT username FROM accounts WHERE connection_id = ? ORDER BY username LIMIT ?",
            (connection_id, limit),
        )
        return [r[0] for r in rows]

    def first_account(self, connection_id: str) -> Account | None:
        """One account of the connection (the first by username): what it asks business discovery
        and hashtag search from."""
        row = self.db.execute(
            "SELECT * FROM accounts WHERE connection_id = ? ORDER BY username LIMIT 1",
            (connection_id,),
        ).fetchone()
        return _account(row) if row else None

    def username_candidates(
        self, username: str, connection_id: str | None = None, limit: int = 200
    ) -> list[str]:
        """Usernames that could be a near spelling of `username`, for close matches: those
        sharing its longest prefix that any share (down to three letters), then its last three
        letters (a typo in the first one). Index ranges and bounded scans, never every account."""
        wanted = normalise_username(username)
        if not wanted:
            return []
        scope, params = "", []
        if connection_id is not None:
            scope, params = " AND connection_id = ?", [connection_id]
        found: dict[str, None] = {}

        def like(pattern: str) -> None:
            rows = self.db.execute(
                "SELECT DISTINCT username FROM accounts WHERE username LIKE ? ESCAPE '\\'"
                f"{scope} LIMIT ?",
                [pattern, *params, limit],
            )
            found.update(dict.fromkeys(r[0] for r in rows))

        for k in range(len(wanted) - 1, 2, -1):
            like(_like(wanted[:k]) + "%")
            if found:
                break
        if len(found) < limit:
            like("%" + _like(wanted[-3:]))
        return list(found)[: limit * 2]

    def all_accounts(self) -> list[tuple[str, Account]]:
        """(connection id, account) for every account of every connection."""
        rows = self.db.execute("SELECT * FROM accounts ORDER BY connection_id, username")
        return [(r["connection_id"], _account(r)) for r in rows]

    def usernames_by_connection(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for row in self.db.execute(
            "SELECT connection_id, username FROM accounts ORDER BY connection_id, username"
        ):
            out.setdefault(row[0], []).append(row[1])
        return out

    def known_usernames(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT username FROM accounts")]

    # -- writing (inside a transaction) ----------------------------------------------------------
    def add(self, connection: Connection, reach: Reach) -> None:
        require_transaction(self.db)
        validate_name(connection.name)
        if self.find(connection.name) is not None:
            raise ConflictError(
                f"a connection named '{connection.name}' already exists",
                hint="pick another with --name, or renew it with "
                f"`igconnect login --reconnect {connection.name}`",
            )
        values = _row(connection)
        self.db.execute(
            f"INSERT INTO connections ({', '.join(_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_COLUMNS))})",
            [values[c] for c in _COLUMNS],
        )
        self._write_reach(connection.id, reach)
        connection.account_count = len(reach.accounts)

    def save(self, connection: Connection, reach: Reach | None = None) -> None:
        """Update a connection's row by id (its name included); replace its reach if given."""
        require_transaction(self.db)
        values = _row(connection)
        columns = [c for c in _COLUMNS if c != "id"]
        cursor = self.db.execute(
            f"UPDATE connections SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
            [*(values[c] for c in columns), connection.id],
        )
        if cursor.rowcount == 0:
            raise NotFoundError("connection", connection.name, self.names(), hint=LIST_HINT)
        if reach is not None:
            self.db.execute("DELETE FROM accounts WHERE connection_id = ?", (connection.id,))
            self.db.execute("DELETE FROM pages WHERE connection_id = ?", (connection.id,))
            self._write_reach(connection.id, reach)
            connection.account_count = len(reach.accounts)

    def rename(self, old: str, new: str) -> Connection:
        """Rename; trackers, usage and the token follow, since they refer to the id."""
        require_transaction(self.db)
        validate_name(new)
        connection = self.get(old)
        if old != new and self.find(new) is not None:
            raise ConflictError(
                f"a connection named '{new}' already exists", hint="pick another name"
            )
        self.db.execute("UPDATE connections SET name = ? WHERE id = ?", (new, connection.id))
        connection.name = new
        return connection

    def remove(self, connection_id: str) -> None:
        """Delete a connection with its accounts, Pages and usage; its trackers become unassigned."""
        require_transaction(self.db)
        self.db.execute("DELETE FROM connections WHERE id = ?", (connection_id,))

    def mark_broken(
        self,
        connection_id: str,
        reason: str,
        at: datetime | None = None,
        *,
        may_recover: bool = False,
    ) -> None:
        """Record a dead token (`may_recover`: held by a checkpoint, to be tried again)."""
        require_transaction(self.db)
        when = iso_z(at or datetime.now(UTC))
        status = STATUS_CHECKPOINT if may_recover else STATUS_BROKEN
        self.db.execute(
            "UPDATE connections SET status = ?, broken_reason = ?, broken_at = "
            "CASE WHEN status = ? AND broken_reason IS ? THEN broken_at ELSE ? END, "
            "checked_at = ? WHERE id = ?",
            (status, reason, status, reason, when, when, connection_id),
        )

    def mark_ok(self, connection_id: str, at: datetime | None = None) -> None:
        require_transaction(self.db)
        self.db.execute(
            "UPDATE connections SET status = ?, broken_reason = NULL, broken_at = NULL, "
            "checked_at = ? WHERE id = ?",
            (STATUS_OK, iso_z(at or datetime.now(UTC)), connection_id),
        )

    def _write_reach(self, connection_id: str, reach: Reach) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO accounts (connection_id, account_id, username, page_id, "
            "page_name, account_type) VALUES (?, ?, ?, ?, ?, ?)",
            (
                (connection_id, a.id, a.username, a.page_id, a.page_name, a.account_type)
                for a in reach.accounts
            ),
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO pages (connection_id, page_id, name, tasks, "
            "instagram_account_id) VALUES (?, ?, ?, ?, ?)",
            (
                (connection_id, p.id, p.name, json.dumps(p.tasks), p.instagram_account_id)
                for p in reach.pages
            ),
        )


def _row(c: Connection) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "provider": c.provider,
        "kind": c.kind,
        "origin": c.origin,
        "user_id": c.user_id,
        "user_name": c.user_name,
        "scopes_granted": json.dumps(sorted(set(c.scopes_granted))),
        "scopes_declined": json.dumps(sorted(set(c.scopes_declined))),
        "granular_scopes": json.dumps(c.granular_scopes, sort_keys=True),
        "token_expires_at": iso_z(c.token_expires_at),
        "data_access_expires_at": iso_z(c.data_access_expires_at),
        "created_at": iso_z(c.created_at),
        "renewed_at": iso_z(c.renewed_at),
        "status": c.status,
        "broken_reason": c.broken_reason,
        "broken_at": iso_z(c.broken_at),
        "checked_at": iso_z(c.checked_at),
    }


def _connection(row: sqlite3.Row) -> Connection:
    return Connection(
        name=row["name"],
        provider=row["provider"],
        id=row["id"],
        kind=row["kind"],
        origin=row["origin"],
        user_id=row["user_id"],
        user_name=row["user_name"],
        scopes_granted=json.loads(row["scopes_granted"]),
        scopes_declined=json.loads(row["scopes_declined"]),
        granular_scopes=json.loads(row["granular_scopes"]),
        token_expires_at=parse_iso(row["token_expires_at"]),
        data_access_expires_at=parse_iso(row["data_access_expires_at"]),
        created_at=parse_iso(row["created_at"]) or datetime.now(UTC),
        renewed_at=parse_iso(row["renewed_at"]),
        status=row["status"],
        broken_reason=row["broken_reason"],
        broken_at=parse_iso(row["broken_at"]),
        checked_at=parse_iso(row["checked_at"]),
        account_count=int(row["account_count"]),
    )


def _like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _account(row: sqlite3.Row) -> Account:
    return Account(
        id=row["account_id"],
        username=row["username"],
        page_id=row["page_id"],
        page_name=row["page_name"],
        account_type=row["account_type"],
    )
