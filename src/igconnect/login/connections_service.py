"""What `igconnect connections ...` and `igconnect logout` do: list, show, rename, refresh, log out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from igconnect.connections import (
    Connection,
    get_connection,
    load_connections,
    mark_ok,
    remove_connection,
    rename_connection,
    save_connection,
)
from igconnect.errors import AuthError, ConflictError, IgconnectError, NetworkError
from igconnect.login.discovered import stored_accounts, stored_pages
from igconnect.meta.errors import MetaApiError, TokenDead
from igconnect.meta.oauth import FACEBOOK, INSTAGRAM, FacebookLogin, provider_for
from igconnect.redact import mask
from igconnect.secretstore import token_key
from igconnect.trackers import save_tracker, trackers_on

if TYPE_CHECKING:
    from igconnect.runtime import Runtime

# Keys of `connections list --json`: pinned by a test, change only additively.
SUMMARY_KEYS = (
    "name",
    "provider",
    "user_id",
    "user_name",
    "accounts",
    "trackers",
    "status",
    "broken_reason",
    "token_expires_at",
    "token_days_left",
    "data_access_expires_at",
    "data_access_days_left",
    "secret_store",
)


@dataclass
class ConnectionSummary:
    connection: Connection
    trackers: int
    secret_store: str
    token_days_left: float | None
    data_access_days_left: float | None

    def to_json(self) -> dict[str, Any]:
        c = self.connection
        return {
            "name": c.name,
            "provider": c.provider,
            "user_id": c.user_id,
            "user_name": c.user_name,
            "accounts": [a.username for a in c.accounts],
            "trackers": self.trackers,
            "status": c.status,
            "broken_reason": c.broken_reason,
            "token_expires_at": _iso(c.token_expires_at),
            "token_days_left": _days(self.token_days_left),
            "data_access_expires_at": _iso(c.data_access_expires_at),
            "data_access_days_left": _days(self.data_access_days_left),
            "secret_store": self.secret_store,
        }


@dataclass
class ConnectionDetails:
    summary: ConnectionSummary
    token: str  # masked
    trackers: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        c = self.summary.connection
        data = self.summary.to_json()
        data.update(
            {
                "id": c.id,
                "token": self.token,
                "tracker_names": self.trackers,
                "scopes_granted": c.scopes_granted,
                "scopes_declined": c.scopes_declined,
                "granular_scopes": c.granular_scopes,
                "pages": [
                    {
                        "id": p.id,
                        "name": p.name,
                        "tasks": p.tasks,
                        "instagram_account_id": p.instagram_account_id,
                    }
                    for p in c.pages
                ],
                "account_details": [
                    {
                        "id": a.id,
                        "username": a.username,
                        "page_id": a.page_id,
                        "page_name": a.page_name,
                        "account_type": a.account_type,
                    }
                    for a in c.accounts
                ],
                "created_at": _iso(c.created_at),
                "renewed_at": _iso(c.renewed_at),
                "broken_at": _iso(c.broken_at),
            }
        )
        return data


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _store_description(runtime: Runtime) -> str:
    try:
        store = runtime.secret_store
        if hasattr(store, "backend"):
            store.backend()  # resolves the keyring so the description names it
        return store.description
    except IgconnectError as exc:
        return f"unavailable: {exc.message}"


def summarize(
    runtime: Runtime, connection: Connection, *, store: str | None = None
) -> ConnectionSummary:
    doc = runtime.document()
    now = datetime.now(UTC)
    return ConnectionSummary(
        connection=connection,
        trackers=len(trackers_on(doc, connection.name)),
        secret_store=store if store is not None else _store_description(runtime),
        token_days_left=connection.days_left(connection.token_expires_at, now),
        data_access_days_left=connection.days_left(connection.data_access_expires_at, now),
    )


def expiry_warnings(runtime: Runtime, summary: ConnectionSummary) -> list[str]:
    """Facebook tokens cannot be refreshed: say so while there is still time to log in again."""
    c = summary.connection
    limit = runtime.settings.get("expiry_warning_days")
    out = []
    reconnect = f"run `igconnect login --reconnect {c.name}`"
    if c.provider == FACEBOOK and summary.token_days_left is not None:
        if summary.token_days_left <= 0:
            out.append(f"the token of '{c.name}' has expired: {reconnect}")
        elif summary.token_days_left <= limit:
            out.append(
                f"the token of '{c.name}' expires in {summary.token_days_left:.0f} day(s) and Facebook "
                f"tokens cannot be refreshed: {reconnect}"
            )
    if summary.data_access_days_left is not None and summary.data_access_days_left <= limit:
        out.append(
            f"data access of '{c.name}' expires in {max(0.0, summary.data_access_days_left):.0f} "
            f"day(s): {reconnect}"
        )
    return out


def list_connections(runtime: Runtime) -> list[ConnectionSummary]:
    store = _store_description(runtime)
    summaries = [
        summarize(runtime, c, store=store) for c in load_connections(runtime.document()).values()
    ]
    for summary in summaries:
        runtime.warnings.extend(expiry_warnings(runtime, summary))
    return summaries


def show_connection(runtime: Runtime, name: str) -> ConnectionDetails:
    connection = get_connection(runtime.document(), name)
    summary = summarize(runtime, connection)
    try:
        token = mask(runtime.secret_store.get(token_key(connection.id)))
    except IgconnectError as exc:
        token = f"unavailable: {exc.message}"
    runtime.warnings.extend(expiry_warnings(runtime, summary))
    trackers = [t.key for t in trackers_on(runtime.document(), name)]
    return ConnectionDetails(summary=summary, token=token, trackers=trackers)


def rename(runtime: Runtime, old: str, new: str) -> Connection:
    """Rename a connection; its trackers and usage history follow, the token stays under its id."""
    with runtime.edit() as doc:
        connection = rename_connection(doc, old, new)
    runtime.usage_log.rename(old, new)
    return connection


@dataclass
class RefreshOutcome:
    name: str
    provider: str
    action: str  # refreshed | checked | broken | failed
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "provider": self.provider,
            "action": self.action,
            "message": self.message,
        }


def refresh_connections(runtime: Runtime, name: str | None = None) -> list[RefreshOutcome]:
    """Renew what can be renewed and re-read each connection's accounts, scopes and expiry."""
    doc = runtime.document()
    targets = [get_connection(doc, name)] if name else list(load_connections(doc).values())
    return [_refresh_one(runtime, c) for c in targets]


def _refresh_one(runtime: Runtime, connection: Connection) -> RefreshOutcome:
    from igconnect.login.refresh import MIN_AGE, issued_at, refresh_token

    def outcome(action: str, message: str) -> RefreshOutcome:
        return RefreshOutcome(connection.name, connection.provider, action, message)

    now = datetime.now(UTC)
    try:
        renewed = ""
        if connection.provider == INSTAGRAM:
            if now - issued_at(connection) >= MIN_AGE:
                refresh_token(runtime, connection, now=now)
                renewed = "token renewed for 60 days; "
            else:
                renewed = "token under 24 hours old, not renewed yet; "
        token = runtime.token_for(connection)
        app_secret = _app_secret_or_empty(runtime)
        provider = provider_for(runtime, connection.provider, runtime.app_id(), app_secret)
        if isinstance(provider, FacebookLogin):
            info = provider.debug_token(token)
            if not info.is_valid:
                raise TokenDead(
                    info.error_message or "the token is no longer valid",
                    code=190,
                    subcode=info.error_subcode,
                )
            connection.token_expires_at = info.expires_at
            connection.data_access_expires_at = info.data_access_expires_at
            connection.scopes_granted = sorted(set(info.scopes))
            connection.granular_scopes = dict(info.granular_targets)
        identity = provider.identity(token)
        discovery = provider.discover(token, identity)
        _apply_discovery(connection, discovery)
        connection.user_name = identity.name or connection.user_name
        with runtime.edit() as doc:
            if connection.name in load_connections(doc):
                save_connection(doc, connection)
                mark_ok(doc, connection.name)
        connection.status, connection.broken_reason, connection.broken_at = "ok", None, None
        return outcome(
            "refreshed" if "renewed for" in renewed else "checked",
            f"{renewed}{len(connection.accounts)} account(s) reachable",
        )
    except TokenDead as exc:
        from igconnect.connections import mark_broken

        with runtime.edit() as doc:
            if connection.name in load_connections(doc):
                mark_broken(doc, connection.name, exc.reason)
        return outcome(
            "broken", f"{exc.reason}: run `igconnect login --reconnect {connection.name}`"
        )
    except (MetaApiError, NetworkError, AuthError) as exc:
        return outcome("failed", exc.message + (f" — {exc.hint}" if exc.hint else ""))


def _app_secret_or_empty(runtime: Runtime) -> str:
    from igconnect.errors import ConfigError

    try:
        return runtime.app_secret()
    except ConfigError:
        return ""


def _apply_discovery(connection: Connection, discovery: Any) -> None:
    connection.accounts = stored_accounts(discovery)
    if connection.provider == FACEBOOK:
        connection.pages = stored_pages(discovery)


@dataclass
class LogoutResult:
    name: str
    unassigned: list[str] = field(default_factory=list)
    revoked: bool = False
    warnings: list[str] = field(default_factory=list)


def logout(
    runtime: Runtime, name: str, *, revoke: bool = False, force: bool = False
) -> LogoutResult:
    """Remove a connection's token and metadata (after revoking the app on Meta's side if asked)."""
    doc = runtime.document()
    connection = get_connection(doc, name)
    _refuse_with_trackers(doc, name, force)
    store = runtime.secret_store
    store.check()  # a store we cannot reach would leave the token behind: stop before changing anything
    result = LogoutResult(name=name)
    if revoke:
        _revoke(runtime, connection, result)
    with runtime.edit() as doc:
        _refuse_with_trackers(doc, name, force)  # again under the lock
        for tracker in trackers_on(doc, name):
            tracker.connection = None
            save_tracker(doc, tracker)
            result.unassigned.append(tracker.key)
        remove_connection(doc, name)
    store.delete(token_key(connection.id))
    runtime.usage_log.forget(name)
    return result


def _refuse_with_trackers(doc: Any, name: str, force: bool) -> None:
    assigned = trackers_on(doc, name)
    if assigned and not force:
        keys = ", ".join(t.key for t in assigned[:5]) + (" …" if len(assigned) > 5 else "")
        raise ConflictError(
            f"{len(assigned)} tracker(s) are assigned to '{name}': {keys}",
            hint=f"move them to another connection first, or run `igconnect logout {name} --force` "
            "to unassign them",
        )


def _revoke(runtime: Runtime, connection: Connection, result: LogoutResult) -> None:
    if connection.provider == INSTAGRAM:
        result.warnings.append(
            "Instagram Login offers no way to revoke the app from outside: remove it in the Instagram "
            "app (Settings → Website permissions → Apps)"
        )
        return
    try:
        token = runtime.token_for(connection)
        provider = provider_for(
            runtime, connection.provider, runtime.app_id(), _app_secret_or_empty(runtime)
        )
        provider.revoke(token)
        result.revoked = True
    except (MetaApiError, NetworkError, AuthError) as exc:
        # A dead token cannot revoke anything; the local removal still goes ahead.
        result.warnings.append(
            f"could not revoke the app's permissions on Meta's side ({exc.message}); remove the app "
            "in Facebook's settings (Settings → Business integrations) if it should lose access"
        )
