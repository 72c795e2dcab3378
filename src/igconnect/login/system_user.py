"""A Business Manager system user's token, handed over on stdin, stored as a connection.

A system user (Business settings → Users → System users) is given the business's Pages and
Instagram accounts and generates a token for the app with chosen permissions. The token is not tied
to a person's password and, unless "expires in 60 days" was chosen, never expires: the token Meta
intends for server-to-server work such as an agency's cron export.

The token is checked with debug_token before anything is stored: valid, issued for this app, the
permissions story collection needs. Its `type` is USER or SYSTEM_USER (Meta's documentation does not
settle which; both are accepted) and `expires_at` 0 means never.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from igconnect.connections.clients import login_provider
from igconnect.connections.model import KIND_SYSTEM_USER, ORIGIN_STDIN, validate_name
from igconnect.connections.store import ConnectionStore
from igconnect.errors import LoginFailed, PermissionDeclined, UsageError
from igconnect.login.finish import (
    LoginResult,
    finish_login,
    missing_permissions,
    name_clash,
    permissions_line,
)
from igconnect.meta.errors import TOKEN_DEAD_REASONS
from igconnect.meta.oauth import FACEBOOK, REQUIRED_SCOPES, FacebookLogin, TokenGrant
from igconnect.redact import remember_secret

if TYPE_CHECKING:
    from igconnect.runtime import Runtime

WHERE = "Business settings → Users → System users → Generate new token"
MAX_TOKEN_LENGTH = 4096


def is_system_user(runtime: Runtime, name: str) -> bool:
    """Whether the connection `name` exists and is a system user's (its reconnect reads stdin)."""
    found = ConnectionStore(runtime.state.db).find(name)
    return found is not None and found.is_system_user


def clean_token(text: str) -> str:
    """The token as read from stdin: one line, no spaces; never echoed back in an error."""
    token = text.strip()
    if not token:
        raise UsageError(
            "no system-user token on standard input",
            hint=f"generate one ({WHERE}) and pipe it in: "
            "`igconnect login --system-user --name NAME < token-file`",
        )
    if len(token) > MAX_TOKEN_LENGTH or any(c.isspace() or not c.isprintable() for c in token):
        raise UsageError(
            "what was read from standard input is not an access token (one line, no spaces)",
            hint="put only the token in the file or pipe",
        )
    remember_secret(token)
    return token


def login_system_user(
    runtime: Runtime,
    token: str,
    *,
    name: str | None = None,
    reconnect: str | None = None,
    force: bool = False,
) -> LoginResult:
    """Check `token` (a system user's) and store it as a new connection or as `reconnect`'s."""
    token = clean_token(token)
    connections = ConnectionStore(runtime.state.db)
    target = None
    if reconnect:
        target = connections.get(reconnect)
        if target.provider != FACEBOOK:
            raise UsageError(
                f"connection '{target.name}' uses Instagram Login; a system user's token is a "
                "Facebook (Graph API) token",
                hint=f"run `igconnect login --reconnect {target.name}` without --system-user",
            )
        if name and name != target.name:
            raise UsageError(
                "--name cannot rename a connection while reconnecting it",
                hint=f"reconnect first, then run `igconnect connections rename {target.name} NEW`",
            )
    elif name:
        validate_name(name)
        if connections.find(name) is not None:
            raise name_clash(name)
    runtime.secret_store.check()  # fail before calling Meta, not after
    provider = login_provider(runtime, FACEBOOK)
    assert isinstance(provider, FacebookLogin)
    inspection = provider.debug_token(token)
    if not inspection.is_valid:
        reason = TOKEN_DEAD_REASONS.get(inspection.error_subcode or 0)
        said = inspection.error_message or "no reason given"
        raise LoginFailed(
            f"Meta does not accept this token: {reason + ' — ' if reason else ''}{said}",
            hint=f"generate a new token for the system user ({WHERE}) and pipe it in again",
        )
    if inspection.app_id and inspection.app_id != provider.app_id:
        raise LoginFailed(
            f"this token was issued for app {inspection.app_id}, not for igconnect's Meta app "
            f"{provider.app_id}",
            hint=f"generate the token for app {provider.app_id} ({WHERE}: choose that app), "
            "then pipe it in again",
        )
    lacking = missing_permissions(FACEBOOK, inspection.scopes)
    if lacking:
        raise PermissionDeclined(
            f"the system user's token lacks {permissions_line(lacking)}; nothing was stored",
            permissions=lacking,
            hint=f"generate a new token ({WHERE}) with {', '.join(REQUIRED_SCOPES[FACEBOOK])} "
            "(and business_management) ticked, then pipe it in again",
        )
    return finish_login(
        runtime,
        provider,
        TokenGrant(token, inspection.expires_at, user_id=inspection.user_id),
        name=name,
        target=target,
        force=force,
        kind=KIND_SYSTEM_USER,
        origin=ORIGIN_STDIN,
        inspection=inspection,
    )
