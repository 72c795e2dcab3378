"""Keeping Instagram Login tokens alive: refresh them once they are due.

Meta refreshes an Instagram Login token only once it is at least 24 hours old and not yet expired, and
the new one lives 60 days again. Any command about to use a connection calls `refresh_if_due` first.
Facebook Login tokens cannot be refreshed: the user logs in again (`connections list` warns).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from igconnect.connections.model import STATUS_BROKEN, Connection
from igconnect.connections.store import ConnectionStore
from igconnect.connections.tokens import read_token
from igconnect.errors import NetworkError
from igconnect.meta.errors import MetaApiError, TokenDead
from igconnect.meta.oauth import INSTAGRAM, InstagramLogin
from igconnect.secretstore import token_key

if TYPE_CHECKING:
    from igconnect.runtime import Runtime

MIN_AGE = timedelta(hours=24)


def issued_at(connection: Connection) -> datetime:
    return connection.renewed_at or connection.created_at


def is_due(connection: Connection, refresh_days: int, now: datetime) -> bool:
    """An Instagram Login token over 24 h old, not expired, within `refresh_days` of expiry."""
    if connection.provider != INSTAGRAM or connection.is_broken:
        return False
    expires = connection.token_expires_at
    if expires is None or expires <= now:
        return False
    if now - issued_at(connection) < MIN_AGE:
        return False
    return expires - now <= timedelta(days=refresh_days)


def refresh_if_due(
    runtime: Runtime, connection: Connection, *, now: datetime | None = None
) -> bool:
    """Refresh `connection`'s token if it is due; True when it was refreshed.

    A dead token marks the connection broken and raises TokenDead (exit code AUTH). Other failures
    (network, throttling) leave the still-valid token in place and add a warning.
    """
    now = now or datetime.now(UTC)
    if not is_due(connection, runtime.settings.get("instagram_refresh_days"), now):
        return False
    try:
        refresh_token(runtime, connection, now=now)
    except TokenDead:
        raise
    except (MetaApiError, NetworkError) as exc:
        runtime.warnings.append(
            f"could not refresh the token of '{connection.name}' ({exc.message}); it still works "
            "until it expires, and the next command will try again"
        )
        return False
    return True


def refresh_token(runtime: Runtime, connection: Connection, *, now: datetime | None = None) -> None:
    """Refresh now (Instagram Login only); updates `connection` in place and in the state store."""
    now = now or datetime.now(UTC)
    token = read_token(runtime.secret_store, connection)
    # The refresh needs neither the app id nor its secret.
    provider = InstagramLogin(runtime.endpoints, "", "", runtime.graph_client)
    try:
        grant = provider.refresh(token)
    except TokenDead as exc:
        with runtime.state.transaction() as db:
            ConnectionStore(db).mark_broken(connection.id, exc.reason, now)
        connection.status, connection.broken_reason, connection.broken_at = (
            STATUS_BROKEN,
            exc.reason,
            now,
        )
        exc.hint = f"run `igconnect login --reconnect {connection.name}`"
        raise
    runtime.secret_store.set(token_key(connection.id), grant.access_token)
    connection.token_expires_at = grant.expires_at
    connection.renewed_at = now
    if grant.permissions:
        connection.scopes_granted = sorted(set(grant.permissions))
    with runtime.state.transaction() as db:
        store = ConnectionStore(db)
        current = store.by_id(connection.id)  # by id: another process may have renamed it
        if current is not None:
            current.token_expires_at = connection.token_expires_at
            current.renewed_at = connection.renewed_at
            current.scopes_granted = connection.scopes_granted
            store.save(current)
