"""A login link for the client: made here, opened on the client's own device, finished here.

`create_invite` makes the authorize URL of a login that nobody waits for: its `state`, PKCE
verifier, provider and redirect URI go to the secret store under `invite:<id>`, and a row in the
state store's `invites` table (with only a hash of the state) lets `igconnect connections invites`
list it and `complete_invite` recognise the address the client sends back. The client logs in on
their device; their browser ends on `REDIRECT_URI?code=...&state=...` (with the localhost redirect
the page fails to load and the address bar holds the code). `complete_invite(address)` checks that
address like a callback (the invite's state, compared in constant time; its redirect URI; single
use; not expired), exchanges the code and stores the connection as any login does (`finish.py`).

An invite stays usable until it is completed or expires (`invite_expiry_days`): a client who
cancelled, or whose address was refused by Meta, can open the same link again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from igconnect.connections.clients import login_provider
from igconnect.connections.model import ORIGIN_INVITE, PROVIDERS, Connection, validate_name
from igconnect.connections.store import ConnectionStore
from igconnect.errors import ExitCode, IgconnectError, LoginFailed, NotFoundError, UsageError
from igconnect.login.callback_server import CallbackGate
from igconnect.login.finish import LoginResult, finish_login, name_clash
from igconnect.meta.errors import InvalidPlatformApp, MetaApiError, Throttled, TransientError
from igconnect.meta.oauth import FACEBOOK, Pkce, new_pkce, new_state
from igconnect.redact import remember_secret
from igconnect.state.db import require_transaction
from igconnect.timestamps import iso_z, parse_iso

if TYPE_CHECKING:
    import sqlite3

    from igconnect.runtime import Runtime

STATUS_PENDING = "pending"
STATUS_USED = "used"
STATUS_EXPIRED = "expired"
LIST_COMMAND = "igconnect connections invites"


def secret_key(invite_id: str) -> str:
    return f"invite:{invite_id}"


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


@dataclass
class Invite:
    """An invite as the state store knows it (no secret in it)."""

    id: str
    name: str
    provider: str
    redirect_uri: str
    created_at: datetime
    expires_at: datetime
    reconnect_id: str | None = None
    reconnect_name: str | None = None
    used_at: datetime | None = None
    connection_name: str | None = None  # what it made, once used

    def status(self, now: datetime) -> str:
        if self.used_at is not None:
            return STATUS_USED
        return STATUS_EXPIRED if self.expires_at <= now else STATUS_PENDING

    def new_invite_command(self) -> str:
        if self.reconnect_name:
            return f"igconnect login --invite --reconnect {self.reconnect_name}"
        provider = f" --provider {self.provider}" if self.provider != FACEBOOK else ""
        return f"igconnect login --invite --name {self.name}{provider}"

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "provider": self.provider,
            "reconnect": self.reconnect_name,
            "redirect_uri": self.redirect_uri,
            "status": self.status(now),
            "created_at": iso_z(self.created_at),
            "expires_at": iso_z(self.expires_at),
            "used_at": iso_z(self.used_at),
            "connection": self.connection_name,
        }


@dataclass
class InviteResult:
    """What `login --invite` made: the link to send, and how to finish it."""

    invite: Invite
    url: str  # carries `state` by design (alone it grants nothing); never a verifier or token

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        data = self.invite.to_json(self.invite.created_at)
        data["url"] = self.url
        return data


@dataclass
class InviteList:
    invites: list[Invite]
    now: datetime

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {"invites": [i.to_json(self.now) for i in self.invites]}


# -- the invites table ------------------------------------------------------------------------------
_SELECT = (
    "SELECT i.*, r.name AS reconnect_name, c.name AS connection_name FROM invites i "
    "LEFT JOIN connections r ON r.id = i.reconnect_id "
    "LEFT JOIN connections c ON c.id = i.connection_id"
)


def _invite(row: sqlite3.Row) -> Invite:
    return Invite(
        id=row["id"],
        name=row["name"],
        provider=row["provider"],
        redirect_uri=row["redirect_uri"],
        created_at=parse_iso(row["created_at"]) or datetime.now(UTC),
        expires_at=parse_iso(row["expires_at"]) or datetime.now(UTC),
        reconnect_id=row["reconnect_id"],
        reconnect_name=row["reconnect_name"],
        used_at=parse_iso(row["used_at"]),
        connection_name=row["connection_name"],
    )


def _by_hash(db: sqlite3.Connection, digest: str) -> Invite | None:
    row = db.execute(f"{_SELECT} WHERE i.state_hash = ?", (digest,)).fetchone()
    return _invite(row) if row else None


def _pending_named(db: sqlite3.Connection, name: str, now: datetime) -> Invite | None:
    row = db.execute(
        f"{_SELECT} WHERE i.name = ? AND i.used_at IS NULL AND i.expires_at > ? "
        "ORDER BY i.created_at DESC",
        (name, iso_z(now)),
    ).fetchone()
    return _invite(row) if row else None


def _claim(db: sqlite3.Connection, invite_id: str, now: datetime) -> bool:
    """Take the invite for this completion; False when another one took it first."""
    require_transaction(db)
    cursor = db.execute(
        "UPDATE invites SET used_at = ? WHERE id = ? AND used_at IS NULL", (iso_z(now), invite_id)
    )
    return cursor.rowcount == 1


# -- making one ------------------------------------------------------------------------------------
def create_invite(
    runtime: Runtime,
    *,
    name: str | None,
    provider: str | None = None,
    reconnect: str | None = None,
    redirect_uri: str | None = None,
) -> InviteResult:
    """A login link for `name` (a new connection) or for renewing `reconnect`."""
    now = datetime.now(UTC)
    connections = ConnectionStore(runtime.state.db)
    target: Connection | None = None
    if provider is not None and provider not in PROVIDERS:
        raise UsageError(
            f"unknown provider '{provider}'", hint="use --provider facebook or instagram"
        )
    if reconnect:
        target = connections.get(reconnect)
        if target.is_system_user:
            raise UsageError(
                f"'{target.name}' is a system user's connection: nobody logs in for it",
                hint=f"pipe a new system-user token to `igconnect login --reconnect {target.name}`",
            )
        if provider and provider != target.provider:
            raise UsageError(
                f"connection '{target.name}' uses {target.provider.capitalize()} Login",
                hint=f"drop --provider: `igconnect login --invite --reconnect {target.name}`",
            )
        if name and name != target.name:
            raise UsageError(
                "--name cannot rename a connection while reconnecting it",
                hint=f"reconnect first, then run `igconnect connections rename {target.name} NEW`",
            )
        name, provider = target.name, target.provider
    else:
        if not name:
            raise UsageError(
                "an invite needs the name of the connection it will create",
                hint="add --name, e.g. `igconnect login --invite --name acme`",
            )
        validate_name(name)
        if connections.find(name) is not None:
            raise name_clash(name)
        provider = provider or FACEBOOK
    pending = _pending_named(runtime.state.db, name, now)
    if pending is not None:
        raise UsageError(
            f"an invite for '{name}' is already pending (made {iso_z(pending.created_at)}, "
            f"expires {iso_z(pending.expires_at)})",
            hint=f"wait for the client to complete it, or see `{LIST_COMMAND}`",
        )
    login = login_provider(runtime, provider)  # the app must be set up: fail before anything
    # The client types their password into the dialog: a dialog setting pointed anywhere but Meta
    # (or loopback) is refused, as for `login`.
    from igconnect.trust import guard_token_destination

    endpoints = runtime.endpoints
    dialog = endpoints.instagram_url if provider == "instagram" else endpoints.facebook_url
    guard_token_destination(dialog, runtime.settings, runtime.paths)
    store = runtime.secret_store
    store.check()
    settings = runtime.settings
    redirect = (
        redirect_uri
        or settings.get("invite_redirect_uri")
        or f"http://localhost:{settings.get('login_port')}/callback"
    )
    state = new_state()
    pkce = new_pkce() if settings.get("login_pkce") else None
    config_id = settings.get("facebook_config_id") if provider == FACEBOOK else None
    url = login.authorize_url(
        redirect, state, pkce=pkce, rerequest=target is not None, config_id=config_id
    )
    invite = Invite(
        id="inv-" + secrets.token_hex(6),
        name=name,
        provider=provider,
        redirect_uri=redirect,
        created_at=now,
        expires_at=now + timedelta(days=settings.get("invite_expiry_days")),
        reconnect_id=target.id if target else None,
        reconnect_name=target.name if target else None,
    )
    secret = {
        "state": state,
        "verifier": pkce.verifier if pkce else None,
        "provider": provider,
        "redirect_uri": redirect,
        "expires_at": iso_z(invite.expires_at),
    }
    key = secret_key(invite.id)
    store.set(key, json.dumps(secret))
    try:
        with runtime.state.transaction() as db:
            db.execute(
                "INSERT INTO invites (id, name, provider, reconnect_id, redirect_uri, state_hash, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    invite.id,
                    name,
                    provider,
                    invite.reconnect_id,
                    redirect,
                    state_hash(state),
                    iso_z(now),
                    iso_z(invite.expires_at),
                ),
            )
    except BaseException:
        store.delete(key)
        raise
    _forget_expired(runtime, now)
    return InviteResult(invite, url)


def _forget_expired(runtime: Runtime, now: datetime) -> None:
    """Delete the secrets of invites that expired unused (their rows stay, for the listing)."""
    rows = runtime.state.db.execute(
        "SELECT id FROM invites WHERE used_at IS NULL AND expires_at <= ?", (iso_z(now),)
    ).fetchall()
    for row in rows:
        try:
            runtime.secret_store.delete(secret_key(row["id"]))
        except IgconnectError:
            return  # tidying only: the next invite tries again


# -- listing ---------------------------------------------------------------------------------------
def list_invites(runtime: Runtime, *, include_done: bool = False) -> InviteList:
    """Pending invites (with `include_done`, the used and expired ones too), newest first."""
    now = datetime.now(UTC)
    where = "" if include_done else " WHERE i.used_at IS NULL AND i.expires_at > ?"
    params = () if include_done else (iso_z(now),)
    rows = runtime.state.db.execute(f"{_SELECT}{where} ORDER BY i.created_at DESC", params)
    return InviteList([_invite(r) for r in rows], now)


# -- finishing one ---------------------------------------------------------------------------------
def complete_invite(runtime: Runtime, address: str, *, force: bool = False) -> LoginResult:
    """Finish the invite the client's `address` (where their browser ended) belongs to."""
    now = datetime.now(UTC)
    text = address.strip().split("#", 1)[0]  # Instagram appends "#_"
    parts = urlsplit(text)
    query = parts.query if (parts.scheme or "?" in text) else text
    try:
        params = parse_qs(query, keep_blank_values=True, max_num_fields=20)
    except ValueError:
        params = {}
    states = params.get("state") or []
    if len(states) != 1 or not states[0]:
        raise LoginFailed(
            "that is not the address the client's browser ended on (it carries no single state)",
            hint="ask the client for the whole address from the address bar, starting with the "
            "redirect URI, and pass it in quotes",
        )
    invite = _by_hash(runtime.state.db, state_hash(states[0]))
    if invite is None:
        raise LoginFailed(
            "that address does not belong to any invite made here: it was altered, or comes "
            "from an invite made on another machine or an ordinary login",
            hint=f"ask the client to send the address again, unchanged; `{LIST_COMMAND}` lists "
            "the pending invites",
        )
    _check_usable(runtime, invite, now)
    if parts.scheme and not _same_endpoint(text, invite.redirect_uri):
        raise LoginFailed(
            f"that address does not lead to the invite's redirect URI {invite.redirect_uri}: it "
            "was altered",
            hint="ask the client to send the address again, unchanged",
        )
    secret = _read_secret(runtime, invite)
    gate = CallbackGate(str(secret["state"]))
    verdict = gate.judge_query(query, "pasted")
    if gate.failure is not None:
        gate.failure.hint = (
            "the invite is still open: ask the client to open the same link again, press "
            "Continue and keep every permission ticked"
        )
        raise gate.failure
    if not verdict.accepted or gate.callback is None:
        raise LoginFailed(f"that address was not accepted: {verdict.reason}")
    code = gate.callback.code
    remember_secret(code)
    with runtime.state.transaction() as db:
        if not _claim(db, invite.id, now):
            raise _used(ConnectionStore(db), invite)
    try:
        result = _exchange(runtime, invite, code, secret, force)
    except BaseException:
        with runtime.state.transaction() as db:
            db.execute("UPDATE invites SET used_at = NULL WHERE id = ?", (invite.id,))
        raise
    with runtime.state.transaction() as db:
        db.execute(
            "UPDATE invites SET connection_id = ? WHERE id = ?", (result.connection.id, invite.id)
        )
    runtime.secret_store.delete(secret_key(invite.id))
    return result


def _check_usable(runtime: Runtime, invite: Invite, now: datetime) -> None:
    status = invite.status(now)
    if status == STATUS_USED:
        raise _used(ConnectionStore(runtime.state.db), invite)
    if status == STATUS_EXPIRED:
        with contextlib.suppress(IgconnectError):
            runtime.secret_store.delete(secret_key(invite.id))
        raise LoginFailed(
            f"the invite for '{invite.name}' expired on {iso_z(invite.expires_at)} "
            f"(invites last {runtime.settings.get('invite_expiry_days')} days); nothing was changed",
            hint=f"make a new one and send it: `{invite.new_invite_command()}`",
        )


def _used(connections: ConnectionStore, invite: Invite) -> LoginFailed:
    made = connections.by_id(_connection_id(connections, invite) or "")
    shown = f" (connection '{made.name}')" if made else ""
    hint = (
        f"nothing to do: `igconnect connections show {made.name}` shows it"
        if made
        else f"`{LIST_COMMAND} --all` shows it"
    )
    return LoginFailed(
        f"the invite for '{invite.name}' was already used{shown}; an invite works once",
        hint=hint,
    )


def _connection_id(connections: ConnectionStore, invite: Invite) -> str | None:
    row = connections.db.execute(
        "SELECT connection_id FROM invites WHERE id = ?", (invite.id,)
    ).fetchone()
    return row["connection_id"] if row else None


def _same_endpoint(address: str, redirect_uri: str) -> bool:
    got, want = urlsplit(address), urlsplit(redirect_uri)
    return (got.scheme.lower(), got.netloc.lower(), got.path or "/") == (
        want.scheme.lower(),
        want.netloc.lower(),
        want.path or "/",
    )


def _read_secret(runtime: Runtime, invite: Invite) -> dict[str, Any]:
    raw = runtime.secret_store.get(secret_key(invite.id))
    try:
        secret = json.loads(raw) if raw else None
    except ValueError:
        secret = None
    if not isinstance(secret, dict) or not secret.get("state"):
        raise LoginFailed(
            f"the invite for '{invite.name}' has no secret in the {runtime.secret_store.description} "
            "(made with another token_store, or on another machine?)",
            hint=f"make a new one here and send it: `{invite.new_invite_command()}`",
        )
    remember_secret(secret.get("verifier"))
    return secret


def _exchange(
    runtime: Runtime, invite: Invite, code: str, secret: dict[str, Any], force: bool
) -> LoginResult:
    provider = login_provider(runtime, invite.provider)
    target = None
    if invite.reconnect_id:
        target = ConnectionStore(runtime.state.db).by_id(invite.reconnect_id)
        if target is None:
            raise NotFoundError("connection", invite.reconnect_name or invite.name, [])
    verifier = secret.get("verifier")
    pkce = Pkce(str(verifier), "") if verifier else None
    try:
        short = provider.exchange_code(code, invite.redirect_uri, pkce)
    except MetaApiError as exc:
        if isinstance(exc, InvalidPlatformApp | TransientError | Throttled):
            raise  # the app's set-up, or Meta having a moment: not the address's fault
        raise LoginFailed(
            f"Meta refused the code in that address ({exc.message}): it was altered, already "
            "exchanged, or is too old",
            hint="the invite is still open: ask the client to open the same link again and send "
            "the new address",
        ) from None
    grant = provider.long_lived(short)
    return finish_login(
        runtime,
        provider,
        grant,
        name=invite.name,
        target=target,
        force=force,
        origin=ORIGIN_INVITE,
    )
