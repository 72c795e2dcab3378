"""What `igconnect connections ...` and `igconnect logout` do: list, show, rename, refresh, log out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from igconnect.connections.clients import login_provider
from igconnect.connections.discovery import reach_of
from igconnect.connections.model import Connection, Reach, reconnect_hint
from igconnect.connections.status import StatusCheck, checks_exit_code
from igconnect.connections.store import ConnectionStore
from igconnect.connections.tokens import read_token
from igconnect.errors import (
    AuthError,
    ConflictError,
    ExitCode,
    IgconnectError,
    NetworkError,
    PartialFailure,
)
from igconnect.meta.errors import MetaApiError, TokenDead
from igconnect.meta.oauth import FACEBOOK, INSTAGRAM, FacebookLogin
from igconnect.redact import mask
from igconnect.secretstore import token_key
from igconnect.timestamps import iso_z
from igconnect.trackers.store import Load, TrackerStore

if TYPE_CHECKING:
    from igconnect.runtime import Runtime

_NO_LOAD = Load()

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
    "kind",
    "origin",
    "checked_at",
)


@dataclass
class ConnectionSummary:
    connection: Connection
    usernames: list[str]
    trackers: int
    secret_store: str
    token_days_left: float | None
    data_access_days_left: float | None
    check: StatusCheck | None = None  # with --check: what Meta said just now

    def to_json(self) -> dict[str, Any]:
        c = self.connection
        data = {
            "name": c.name,
            "provider": c.provider,
            "user_id": c.user_id,
            "user_name": c.user_name,
            "accounts": self.usernames,
            "trackers": self.trackers,
            "status": c.status,
            "broken_reason": c.broken_reason,
            "token_expires_at": iso_z(c.token_expires_at),
            "token_days_left": _days(self.token_days_left),
            "data_access_expires_at": iso_z(c.data_access_expires_at),
            "data_access_days_left": _days(self.data_access_days_left),
            "secret_store": self.secret_store,
            "kind": c.kind,
            "origin": c.origin,
            "checked_at": iso_z(c.checked_at),
        }
        if self.check is not None:
            data["check"] = self.check.to_json()
        return data


@dataclass
class ConnectionList:
    """`connections list`: every connection; with `checked`, as Meta confirmed it just now."""

    summaries: list[ConnectionSummary]
    checked: bool = False
    store_error: IgconnectError | None = None  # the secret store cannot be used: no token readable

    @property
    def exit_code(self) -> ExitCode:
        if self.store_error is not None and self.summaries:
            return self.store_error.exit_code
        if not self.checked:
            return ExitCode.OK
        return checks_exit_code([s.check for s in self.summaries if s.check is not None])

    def to_json(self) -> dict[str, Any]:
        return {"connections": [s.to_json() for s in self.summaries]}


@dataclass
class ConnectionDetails:
    summary: ConnectionSummary
    reach: Reach
    token: str  # masked
    trackers: list[str] = field(default_factory=list)
    token_error: IgconnectError | None = None  # why the token cannot be read, if it cannot

    @property
    def exit_code(self) -> ExitCode:
        if self.token_error is not None:
            return self.token_error.exit_code
        check = self.summary.check
        return checks_exit_code([check]) if check is not None else ExitCode.OK

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
                    for p in self.reach.pages
                ],
                "account_details": [
                    {
                        "id": a.id,
                        "username": a.username,
                        "page_id": a.page_id,
                        "page_name": a.page_name,
                        "account_type": a.account_type,
                    }
                    for a in self.reach.accounts
                ],
                "created_at": iso_z(c.created_at),
                "renewed_at": iso_z(c.renewed_at),
                "broken_at": iso_z(c.broken_at),
            }
        )
        return data


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _store_description(runtime: Runtime) -> str:
    return _store_state(runtime)[0]


def _store_state(runtime: Runtime) -> tuple[str, IgconnectError | None]:
    """The secret store's description, and why it cannot be used (None when it can)."""
    try:
        store = runtime.secret_store
        if hasattr(store, "backend"):
            store.backend()  # resolves the keyring so the description names it
        return store.description, None
    except IgconnectError as exc:
        return f"unavailable: {exc.message}", exc


def summarize(
    runtime: Runtime,
    connection: Connection,
    *,
    store: str | None = None,
    usernames: list[str] | None = None,
    trackers: int | None = None,
) -> ConnectionSummary:
    db = runtime.state.db
    now = datetime.now(UTC)
    if usernames is None:
        usernames = [a.username for a in ConnectionStore(db).reach(connection.id).accounts]
    if trackers is None:
        trackers = TrackerStore(db).loads([connection.id]).get(connection.id, _NO_LOAD).count
    return ConnectionSummary(
        connection=connection,
        usernames=usernames,
        trackers=trackers,
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


def list_connections(runtime: Runtime, *, check: bool = False) -> ConnectionList:
    """Every connection; `check`: confirm each token with Meta first (in parallel) and record it."""
    checks = _check(runtime, ConnectionStore(runtime.state.db).all()) if check else {}
    store, store_error = _store_state(runtime)
    with runtime.state.snapshot() as db:
        connections = ConnectionStore(db)
        usernames = connections.usernames_by_connection()
        loads = TrackerStore(db).loads()
        summaries = [
            summarize(
                runtime,
                c,
                store=store,
                usernames=usernames.get(c.id, []),
                trackers=loads.get(c.id, _NO_LOAD).count,
            )
            for c in connections.all()
        ]
    for summary in summaries:
        summary.check = checks.get(summary.connection.id)
        runtime.warnings.extend(expiry_warnings(runtime, summary))
    return ConnectionList(summaries, checked=check, store_error=store_error)


def _check(runtime: Runtime, connections: list[Connection]) -> dict[str, StatusCheck]:
    from igconnect.connections.status import check_connections

    return check_connections(runtime, connections)


def show_connection(runtime: Runtime, name: str, *, check: bool = False) -> ConnectionDetails:
    """One connection; `check`: confirm its token with Meta first and record it."""
    checks = _check(runtime, [ConnectionStore(runtime.state.db).get(name)]) if check else {}
    with runtime.state.snapshot() as db:
        connection = ConnectionStore(db).get(name)
        reach = ConnectionStore(db).reach(connection.id)
        trackers = [t.key for t in TrackerStore(db).on(connection.id)]
    summary = summarize(
        runtime,
        connection,
        usernames=[a.username for a in reach.accounts],
        trackers=len(trackers),
    )
    summary.check = checks.get(connection.id)
    token_error: IgconnectError | None = None
    try:
        token = mask(runtime.secret_store.get(token_key(connection.id)))
    except IgconnectError as exc:
        token, token_error = f"unavailable: {exc.message}", exc
    runtime.warnings.extend(expiry_warnings(runtime, summary))
    return ConnectionDetails(
        summary=summary, reach=reach, token=token, trackers=trackers, token_error=token_error
    )


@dataclass
class RenameResult:
    """`connections rename`: the connection under its new name."""

    previous: str
    name: str
    provider: str

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, str]:
        return {"previous": self.previous, "name": self.name, "provider": self.provider}


def rename(runtime: Runtime, old: str, new: str) -> RenameResult:
    """Rename a connection; its trackers, usage and token follow (they refer to its id)."""
    with runtime.state.transaction() as db:
        renamed = ConnectionStore(db).rename(old, new)
    return RenameResult(previous=old, name=renamed.name, provider=renamed.provider)


@dataclass
class RefreshOutcome:
    name: str
    provider: str
    action: str  # refreshed | checked | broken | failed
    message: str

    @property
    def succeeded(self) -> bool:
        return self.action in ("refreshed", "checked")

    def to_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "provider": self.provider,
            "action": self.action,
            "message": self.message,
        }


@dataclass
class RefreshResult:
    """`connections refresh`: one outcome per connection; it fails when any could not be
    refreshed (exit 8 when some were, the AuthError's 4 when none was)."""

    outcomes: list[RefreshOutcome]

    @property
    def failed(self) -> list[RefreshOutcome]:
        return [o for o in self.outcomes if not o.succeeded]

    def failure(self) -> IgconnectError | None:
        bad = self.failed
        if not bad:
            return None
        if len(bad) == len(self.outcomes):
            return AuthError(
                f"no connection could be refreshed ({len(bad)} failed)",
                hint="see the lines above; `igconnect doctor NAME` explains each",
            )
        return PartialFailure(
            f"{len(bad)} of {len(self.outcomes)} connections could not be refreshed"
        )

    @property
    def exit_code(self) -> ExitCode:
        failure = self.failure()
        return failure.exit_code if failure is not None else ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "connections": [o.to_json() for o in self.outcomes],
            "exit_code": int(self.exit_code),
        }


def refresh_connections(runtime: Runtime, name: str | None = None) -> RefreshResult:
    """Renew what can be renewed and re-read each connection's accounts, scopes and expiry."""
    store = ConnectionStore(runtime.state.db)
    targets = [store.get(name)] if name else store.all()
    return RefreshResult([_refresh_one(runtime, c) for c in targets])


def _refresh_one(runtime: Runtime, connection: Connection) -> RefreshOutcome:
    from igconnect.connections.refresh import MIN_AGE, issued_at, refresh_token

    def outcome(action: str, message: str) -> RefreshOutcome:
        return RefreshOutcome(connection.name, connection.provider, action, message)

    now = datetime.now(UTC)
    try:
        renewed, was_renewed = "", False
        if connection.provider == INSTAGRAM:
            if now - issued_at(connection) >= MIN_AGE:
                refresh_token(runtime, connection, now=now)
                renewed, was_renewed = "token renewed for 60 days; ", True
            else:
                renewed = "token under 24 hours old, not renewed yet; "
        token = read_token(runtime.secret_store, connection)
        provider = login_provider(runtime, connection.provider)
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
        reach = reach_of(provider.discover(token, identity))
        connection.user_name = identity.name or connection.user_name
        with runtime.state.transaction() as db:
            store = ConnectionStore(db)
            current = store.by_id(connection.id)
            if current is not None:
                connection.name = current.name  # renamed meanwhile: keep the new name
                if connection.provider == INSTAGRAM:
                    reach.pages = store.reach(connection.id).pages
                store.save(connection, reach)
                store.mark_ok(connection.id, now)
        connection.status, connection.broken_reason, connection.broken_at = "ok", None, None
        return outcome(
            "refreshed" if was_renewed else "checked",
            f"{renewed}{len(reach.accounts)} account(s) reachable",
        )
    except TokenDead as exc:
        with runtime.state.transaction() as db:
            ConnectionStore(db).mark_broken(connection.id, exc.reason, now)
        return outcome("broken", f"{exc.reason}: {reconnect_hint(connection)}")
    except (MetaApiError, NetworkError, AuthError) as exc:
        return outcome("failed", exc.message + (f" — {exc.hint}" if exc.hint else ""))


@dataclass
class LogoutResult:
    """`logout`: what was removed (with `dry_run`, what would be)."""

    name: str
    unassigned: list[str] = field(default_factory=list)
    revoked: bool = False
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "revoked": self.revoked,
            "unassigned": list(self.unassigned),
            "warnings": list(self.warnings),
            "dry_run": self.dry_run,
        }


def logout(
    runtime: Runtime,
    name: str,
    *,
    revoke: bool = False,
    force: bool = False,
    dry_run: bool = False,
) -> LogoutResult:
    """Remove a connection's token and metadata (after revoking the app on Meta's side if asked).
    `dry_run`: say what would happen (the trackers it would unassign), change nothing."""
    connection = ConnectionStore(runtime.state.db).get(name)
    assigned = TrackerStore(runtime.state.db).on(connection.id)
    _refuse_with_trackers(assigned, name, force)
    if dry_run:
        return LogoutResult(name=name, unassigned=[t.key for t in assigned], dry_run=True)
    store = runtime.secret_store
    store.check()  # a store we cannot reach would leave the token behind: stop before changing anything
    result = LogoutResult(name=name)
    if revoke:
        _revoke(runtime, connection, result)
    with runtime.state.transaction() as db:
        trackers = TrackerStore(db)
        _refuse_with_trackers(trackers.on(connection.id), name, force)  # again, in the transaction
        result.unassigned = trackers.unassign_all(connection.id)
        ConnectionStore(db).remove(connection.id)
    store.delete(token_key(connection.id))
    return result


def _refuse_with_trackers(assigned: list[Any], name: str, force: bool) -> None:
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
        token = read_token(runtime.secret_store, connection)
        login_provider(runtime, connection.provider).revoke(token)
        result.revoked = True
    except IgconnectError as exc:
        # A dead token (or no app to ask with) cannot revoke anything; the local removal still
        # goes ahead.
        result.warnings.append(
            f"could not revoke the app's permissions on Meta's side ({exc.message}); remove the app "
            "in Facebook's settings (Settings → Business integrations) if it should lose access"
        )
