"""Finishing a login, whichever way its token came (this machine's browser, a client's invite link,
a system user's token on stdin): identity, reach and permissions, the rules, then storage.

The rules, in order:
- only a second connection of the *same* Meta user (or Instagram account) is refused, naming that
  user's connection; different people reaching the same account all connect;
- a reconnect keeps its user (unless `force`), and never replaces a working token with one that can
  do less (a required permission or an account lost) unless `force`;
- a login that lacks a required permission is stored (so `login --reconnect NAME` can ask again),
  and its result carries exit code 18 (`PERMISSION_MISSING`) naming what is missing.

Nothing is stored until every check has passed; the token goes to the secret store first, then the
connection to the state store, and on any failure or Ctrl-C what was stored is taken back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from igconnect.connections.discovery import reach_of
from igconnect.connections.model import (
    KIND_USER,
    ORIGIN_BROWSER,
    Connection,
    Reach,
    derive_name,
    reconnect_command,
    validate_name,
)
from igconnect.connections.store import ConnectionStore
from igconnect.errors import (
    ConflictError,
    ExitCode,
    IgconnectError,
    LoginFailed,
    NetworkError,
    PermissionDeclined,
)
from igconnect.meta.errors import MetaApiError, TokenDead
from igconnect.meta.oauth import FACEBOOK, INSTAGRAM, REQUIRED_SCOPES, FacebookLogin
from igconnect.redact import remember_secret
from igconnect.secretstore import token_key

if TYPE_CHECKING:
    from igconnect.connections.service import ConnectionSummary
    from igconnect.meta.oauth import Identity, LoginProvider, TokenGrant, TokenInspection
    from igconnect.runtime import Runtime

# What a required permission is needed for, for the message that names it.
PERMISSION_USE = {
    "instagram_basic": "the Instagram accounts and their stories",
    "instagram_manage_insights": "story insights",
    "pages_show_list": "the Pages that lead to the Instagram accounts",
    "pages_read_engagement": "the stories of Page-linked accounts",
    "instagram_business_basic": "the Instagram account and its stories",
    "instagram_business_manage_insights": "story insights",
}


@dataclass
class LoginResult:
    connection: Connection
    reach: Reach
    reconnected: bool
    missing: list[str] = field(default_factory=list)  # one line per thing not in place
    # the lines of `missing` not about a required permission (those are said with the fix)
    missing_besides_permissions: list[str] = field(default_factory=list)
    replaced_user: str | None = None  # --reconnect --force with a different Meta user
    secret_store: str = ""
    missing_permissions: list[str] = field(default_factory=list)  # required, not granted
    summary: ConnectionSummary | None = None

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.PERMISSION_MISSING if self.missing_permissions else ExitCode.OK

    @property
    def fix(self) -> str:
        """The command that asks again for what was declined."""
        return reconnect_command(self.connection)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = self.summary.to_json() if self.summary is not None else {}
        data["reconnected"] = self.reconnected
        data["missing"] = self.missing
        data["missing_permissions"] = self.missing_permissions
        data["replaced_user"] = self.replaced_user
        data["exit_code"] = int(self.exit_code)
        return data


def missing_permissions(provider: str, granted: list[str]) -> list[str]:
    """The permissions story collection needs that `granted` lacks, in a stable order."""
    return [s for s in REQUIRED_SCOPES.get(provider, ()) if s not in granted]


def permissions_line(permissions: list[str]) -> str:
    return ", ".join(f"{p} ({PERMISSION_USE.get(p, 'story collection')})" for p in permissions)


def finish_login(
    runtime: Runtime,
    provider: LoginProvider,
    grant: TokenGrant,
    *,
    name: str | None,
    target: Connection | None,
    force: bool = False,
    kind: str = KIND_USER,
    origin: str = ORIGIN_BROWSER,
    inspection: TokenInspection | None = None,
) -> LoginResult:
    """Check the new token against the rules above, store it, and say what is missing."""
    inspection = inspection or provider.inspect(grant)
    if not inspection.is_valid:
        raise LoginFailed(
            f"Meta says the new token is not valid: {inspection.error_message or 'no reason given'}",
            hint="run `igconnect login` again",
        )
    token = grant.access_token
    remember_secret(token)
    identity = provider.identity(token)
    reach = reach_of(provider.discover(token, identity))
    granted = [s for s in inspection.scopes if s]
    if granted or provider.name != INSTAGRAM:
        declined = provider.declined_scopes(token, granted)
        lacking = missing_permissions(provider.name, granted)
    else:  # an Instagram answer that lists no permissions says nothing about them
        declined, lacking = [], []

    connections = ConnectionStore(runtime.state.db)
    replaced_user = None
    if target is not None:
        replaced_user = _same_user(provider, identity, target, force)
        if not force:
            _no_downgrade(runtime, target, connections.reach(target.id), granted, reach)
        name = target.name
    else:
        owner = next(iter(connections.of_user(provider.name, identity.user_id)), None)
        if owner is not None:
            raise already_connected(owner, identity)
        name = name or derive_name(identity.name)
        validate_name(name)
        if connections.find(name) is not None:
            raise name_clash(name)

    connection = _build_connection(
        name, provider.name, identity, inspection, grant, granted, declined, target
    )
    connection.kind = kind
    connection.origin = origin
    store_description = _store(runtime, connection, reach, token, target)
    from igconnect.connections.service import summarize

    result = LoginResult(
        connection=connection,
        reach=reach,
        reconnected=target is not None,
        missing=missing_items(connection, reach),
        missing_besides_permissions=missing_items(connection, reach, besides=lacking),
        replaced_user=replaced_user,
        secret_store=store_description,
        missing_permissions=lacking,
    )
    result.summary = summarize(
        runtime,
        connection,
        store=store_description,
        usernames=[a.username for a in reach.accounts],
    )
    return result


# -- the rules --------------------------------------------------------------------------------------
def _who(provider: str) -> str:
    return "Instagram account" if provider == INSTAGRAM else "Meta user"


def _same_user(
    provider: LoginProvider, identity: Identity, target: Connection, force: bool
) -> str | None:
    """A reconnect must bring back the connection's user; `force` replaces it (returned)."""
    if identity.user_id == target.user_id:
        return None
    if not force:
        raise ConflictError(
            f"a different {_who(provider.name)} came back: {identity.name} "
            f"({identity.user_id}), not {target.user_name} ({target.user_id}) of "
            f"'{target.name}'; nothing was changed",
            hint="log out of Facebook/Instagram in the browser (or use a private window) "
            f"and log in as {target.user_name}, or add --force to replace the user",
        )
    return f"{target.user_name} ({target.user_id})"


def _no_downgrade(
    runtime: Runtime, target: Connection, old_reach: Reach, granted: list[str], reach: Reach
) -> None:
    """Refuse to replace a working token with one that can do less (the caller checks `force`)."""
    required = REQUIRED_SCOPES.get(target.provider, ())
    lost_permissions = [s for s in required if s in target.scopes_granted and s not in granted]
    new_ids = {a.id for a in reach.accounts}
    lost_accounts = [a.username for a in old_reach.accounts if a.id not in new_ids]
    if not (lost_permissions or lost_accounts):
        return
    if not _still_works(runtime, target):
        return  # a dead token can do nothing: anything is better
    command = reconnect_command(target)
    if lost_permissions:
        raise PermissionDeclined(
            f"the new login of '{target.name}' lacks {permissions_line(lost_permissions)}, which "
            "its working token has; the working token was kept and nothing was changed",
            permissions=lost_permissions,
            hint=f"run `{command}` again and keep every permission ticked (it asks again for "
            "declined permissions), or add --force to replace the token anyway",
        )
    shown = ", ".join("@" + u for u in lost_accounts[:5]) + (" …" if len(lost_accounts) > 5 else "")
    raise ConflictError(
        f"the new login of '{target.name}' no longer reaches {len(lost_accounts)} account(s) its "
        f"working token reaches ({shown}): Pages were left unpicked in the dialog, or a role was "
        "lost; the working token was kept and nothing was changed",
        hint=f"run `{command}` again and pick every Page, or add --force to replace the token "
        "anyway",
    )


def _still_works(runtime: Runtime, connection: Connection) -> bool:
    """Whether Meta still accepts the connection's current token (unknown counts as working)."""
    if connection.is_broken:
        return False
    from igconnect.connections.clients import login_provider
    from igconnect.connections.tokens import read_token

    try:
        token = read_token(runtime.secret_store, connection)
        provider = login_provider(runtime, connection.provider)
        if isinstance(provider, FacebookLogin):
            return provider.debug_token(token).is_valid
        provider.identity(token)
    except (TokenDead, LoginFailed):
        return False
    except IgconnectError as exc:
        # Could not tell (Meta or the network): keep what may well work. No token stored (or no
        # app to ask with): nothing worth keeping.
        return isinstance(exc, MetaApiError | NetworkError)
    return True


class AlreadyConnected(ConflictError):
    """The person who logged in is already a connection: the login page says so by this class,
    not by reading the message."""

    def __init__(self, owner: Connection, identity: Identity) -> None:
        super().__init__(
            f"{identity.name} ({identity.user_id}) is already connected as '{owner.name}'",
            hint=f"renew it with `{reconnect_command(owner)}`; to connect another "
            "person, log out of Facebook/Instagram in the browser or use a private window, then "
            "log in again",
        )
        self.connection = owner.name


def already_connected(owner: Connection, identity: Identity) -> AlreadyConnected:
    return AlreadyConnected(owner, identity)


def name_clash(name: str) -> ConflictError:
    return ConflictError(
        f"a connection named '{name}' already exists",
        hint=f"pick another with --name, or renew it with `igconnect login --reconnect {name}`",
    )


# -- building and storing ---------------------------------------------------------------------------
def _build_connection(
    name: str,
    provider: str,
    identity: Identity,
    inspection: TokenInspection,
    grant: TokenGrant,
    granted: list[str],
    declined: list[str],
    target: Connection | None,
) -> Connection:
    now = datetime.now(UTC)
    connection = Connection(
        name=name,
        provider=provider,
        user_id=identity.user_id,
        user_name=identity.name,
        scopes_granted=sorted(set(granted)),
        scopes_declined=sorted(set(declined)),
        granular_scopes=dict(inspection.granular_targets),
        token_expires_at=inspection.expires_at or grant.expires_at,
        data_access_expires_at=inspection.data_access_expires_at,
        created_at=now,
        checked_at=now,
    )
    if target is not None:  # a reconnect keeps the id (token key) and the creation time
        connection.id = target.id
        connection.created_at = target.created_at
        connection.renewed_at = now
    return connection


def _store(
    runtime: Runtime, connection: Connection, reach: Reach, token: str, target: Connection | None
) -> str:
    """Token first, then the connection; on any failure or Ctrl-C, take back what was stored."""
    store = runtime.secret_store
    key = token_key(connection.id)
    previous = store.get(key) if target is not None else None
    remember_secret(token)
    store.set(key, token)
    try:
        with runtime.state.transaction() as db:
            connections = ConnectionStore(db)
            if target is None:
                connections.add(connection, reach)  # refuses a name taken meanwhile
            else:
                current = connections.by_id(connection.id)
                if current is None:
                    raise ConflictError(
                        f"connection '{target.name}' was removed while logging in; nothing was kept",
                        hint="run `igconnect login` to add it again",
                    )
                connection.name = current.name  # renamed meanwhile: keep the new name
                connections.save(connection, reach)
    except BaseException:
        if previous is not None:
            store.set(key, previous)
        else:
            store.delete(key)
        raise
    return store.description


def missing_items(
    connection: Connection, reach: Reach, *, besides: list[str] | None = None
) -> list[str]:
    """One line per thing that stops story collection on this connection (leaving out the
    permissions in `besides`)."""
    lines = []
    required = REQUIRED_SCOPES.get(connection.provider, ())
    not_granted = set(connection.scopes_declined)
    if connection.scopes_granted:
        not_granted |= {s for s in required if s not in connection.scopes_granted}
    for scope in [*required, "business_management"]:
        if scope in not_granted and scope not in (besides or ()):
            lines.append(f"permission {scope} was declined")
    if connection.provider == FACEBOOK:
        if not reach.pages:
            lines.append("no Facebook Page was shared with the app (none managed, or none picked)")
        for page in reach.pages:
            if not page.instagram_account_id:
                lines.append(
                    f"Page '{page.name}' has no linked Instagram professional account (or the link "
                    "is not confirmed)"
                )
    elif not reach.accounts:
        lines.append("no Instagram professional account came back")
    return lines
