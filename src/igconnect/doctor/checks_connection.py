"""Per-connection checks: token readable, token valid, expiry, permissions, Pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from igconnect.doctor.model import (
    SCOPE_CONNECTION,
    Finding,
    check,
    failure,
    ok,
    reconnect_command,
    warning,
)
from igconnect.doctor.state import ConnectionState
from igconnect.errors import IgconnectError, SecretStoreError

FACEBOOK_REQUIRED = (
    "instagram_basic",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
)
FACEBOOK_ADVISED = ("business_management",)
INSTAGRAM_REQUIRED = ("instagram_business_basic", "instagram_business_manage_insights")
INSIGHTS_SCOPE = {
    "facebook": "instagram_manage_insights",
    "instagram": "instagram_business_manage_insights",
}

# What to do about a dead token, by debug_token / error subcode.
_DEAD_STEPS: dict[int, str] = {
    458: "The app was removed from the account's settings (Business Integrations). Log in again "
    "and allow the app.",
    459: "Facebook put a security check on the account: log in on facebook.com in a browser and "
    "clear it first.",
    460: "The password was changed, which ends every app's access. Log in again with the new "
    "password.",
    463: "Facebook Login tokens last 60 days and cannot be renewed without a login: log in again "
    "(and before day 60 next time).",
    464: "The account is not confirmed: confirm the e-mail or phone on facebook.com first.",
    467: "The session ended (the user logged out everywhere, or the token was revoked).",
    492: "The user lost their role on the Page: ask a Page admin to give it back first.",
}


@check(
    "conn.token-readable",
    "Token readable",
    scope=SCOPE_CONNECTION,
    depends=("env.secret-store",),
    proves="the connection's token is in the secret store under its id",
    usual_fix="`igconnect login --reconnect NAME` stores a new token",
)
def token_readable(state: ConnectionState) -> Finding:
    from igconnect.secretstore import token_key

    store = state.runtime.secret_store
    try:
        state.token = store.get(token_key(state.connection.id))
    except SecretStoreError as exc:
        return failure(exc.message, [exc.hint or "See env.secret-store."], "igconnect doctor")
    if not state.token:
        return failure(
            f"no token for '{state.name}' in the {store.description}",
            [
                "The token was deleted, or the connection was created with another secret store "
                "(token_store) or on another machine.",
                "Log in again to store a new one; trackers stay on the connection.",
            ],
            reconnect_command(state.name),
            key=token_key(state.connection.id),
        )
    return ok(f"found in the {store.description}")


def _refresh_if_due(state: ConnectionState) -> str | None:
    """Refresh an Instagram Login token that is due, so doctor checks the token commands will use."""
    from igconnect.connections.refresh import refresh_if_due
    from igconnect.connections.store import ConnectionStore
    from igconnect.secretstore import token_key

    result = refresh_if_due(state.runtime, state.connection)
    state.connection = (
        ConnectionStore(state.runtime.state.db).by_id(state.connection.id) or state.connection
    )
    state.token = state.runtime.secret_store.get(token_key(state.connection.id)) or state.token
    return "refreshed" if result else None


def _dead(state: ConnectionState, subcode: int | None, message: str, reason: str) -> Finding:
    from igconnect.meta.errors import CHECKPOINT_SUBCODE, TOKEN_DEAD_REASONS

    marked = _mark(state, broken_reason=reason, may_recover=subcode == CHECKPOINT_SUBCODE)
    step = _DEAD_STEPS.get(subcode or 0, "Meta no longer accepts the token: log in again.")
    user = state.connection.user_name or state.name
    return failure(
        f"token is dead: {reason} ({message})",
        [
            step,
            f"Reconnect as {user} (use a private browser window if several people share the "
            "computer); the connection keeps its name and trackers.",
        ],
        reconnect_command(state.name),
        subcode=subcode,
        reason=reason,
        known_reasons=sorted(TOKEN_DEAD_REASONS.values()) if subcode is None else None,
        settings_file=marked,
    )


def _mark(
    state: ConnectionState, *, broken_reason: str | None, may_recover: bool = False
) -> str | None:
    """Record the verdict in the state store (only when it changes); say what was done. A
    checkpoint (`may_recover`) is marked held, to be checked again, not broken for good."""
    from igconnect.connections.model import STATUS_BROKEN, STATUS_CHECKPOINT
    from igconnect.connections.store import ConnectionStore

    connection = state.connection
    status = STATUS_CHECKPOINT if may_recover else STATUS_BROKEN
    try:
        if broken_reason is not None:
            if connection.status == status and connection.broken_reason == broken_reason:
                return f"already marked {status}"
            with state.runtime.state.transaction() as db:
                ConnectionStore(db).mark_broken(
                    connection.id, broken_reason, may_recover=may_recover
                )
            connection.status, connection.broken_reason = status, broken_reason
            return f"marked {status}"
        with state.runtime.state.transaction() as db:
            ConnectionStore(db).mark_ok(connection.id)  # confirmed now, broken before or not
        if connection.status != "ok":
            connection.status, connection.broken_reason = "ok", None
            return "marked ok again"
    except IgconnectError as exc:
        return f"could not update the state store: {exc.message}"
    return None


@check(
    "conn.token-valid",
    "Token valid",
    scope=SCOPE_CONNECTION,
    depends=("conn.token-readable", "env.meta"),
    proves="Meta accepts the token now (Facebook: debug_token; Instagram: /me)",
    usual_fix="`igconnect login --reconnect NAME`; the evidence says why the token died",
)
def token_valid(state: ConnectionState) -> Finding:
    from igconnect.meta.errors import TOKEN_DEAD_REASONS, TokenDead

    env = state.env
    notes: dict[str, Any] = {}
    if state.provider == "instagram":
        try:
            if _refresh_if_due(state):
                notes["refreshed"] = True
        except TokenDead as exc:
            return _dead(state, exc.subcode, exc.meta_message, exc.reason)
        dead = _read_me(state, "user_id,username,account_type")
        if dead is not None:
            return dead
        marked = _mark(state, broken_reason=None)
        me = state.me or {}
        return ok(
            f"Meta accepts it: Instagram Login as @{me.get('username')}",
            user_id=me.get("user_id"),
            account_type=me.get("account_type"),
            settings_file=marked,
            **notes,
        )
    if not (env.app_id and env.app_secret):
        # Without the app token debug_token cannot be asked: fall back to /me with the token.
        dead = _read_me(state, "id,name")
        if dead is not None:
            return dead
        marked = _mark(state, broken_reason=None)
        return ok(
            f"Meta accepts it as {(state.me or {}).get('name')} (checked with /me: debug_token "
            "needs the app secret)",
            settings_file=marked,
        )
    runtime = state.runtime
    app_client = runtime.graph_client(
        runtime.endpoints.graph_url, token=f"{env.app_id}|{env.app_secret}"
    )
    try:
        body = app_client.get("debug_token", {"input_token": state.token})
    finally:
        app_client.close()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return failure("debug_token gave no `data`", ["Try again later."], "igconnect doctor")
    state.debug = data
    if not data.get("is_valid"):
        err = data.get("error") or {}
        subcode = err.get("subcode")
        subcode = (
            int(subcode) if isinstance(subcode, int | str) and str(subcode).isdigit() else None
        )
        reason = TOKEN_DEAD_REASONS.get(subcode or 0, "Meta no longer accepts the token")
        message = f"code {err.get('code', 190)}" + (f", subcode {subcode}" if subcode else "")
        return _dead(state, subcode, message, reason)
    if str(data.get("app_id", env.app_id)) != str(env.app_id):
        return failure(
            f"the token belongs to app {data.get('app_id')}, not to app {env.app_id}",
            [
                "The connection was made with another Meta app (or app_id was changed since).",
                "Set the right app, or log in again with this one.",
            ],
            reconnect_command(state.name),
        )
    expected_user = state.connection.user_id
    if expected_user and str(data.get("user_id", expected_user)) != expected_user:
        return failure(
            f"the token acts as Meta user {data.get('user_id')}, not {expected_user} as recorded",
            ["Log in again as the person this connection belongs to."],
            reconnect_command(state.name),
        )
    marked = _mark(state, broken_reason=None)
    who = state.connection.user_name or data.get("user_id")
    return ok(
        f"Meta accepts it ({data.get('type', 'USER')} token of {who})",
        user_id=data.get("user_id"),
        type=data.get("type"),
        settings_file=marked,
    )


def _read_me(state: ConnectionState, fields: str) -> Finding | None:
    """Ask /me with the connection's own token (into `state.me`): the finding if the token is dead."""
    from igconnect.meta.errors import TokenDead

    client = state.client()
    try:
        state.me = client.get("me", {"fields": fields})
    except TokenDead as exc:
        return _dead(state, exc.subcode, exc.meta_message, exc.reason)
    finally:
        client.close()
    return None


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@check(
    "conn.expiry",
    "Token and data-access expiry",
    scope=SCOPE_CONNECTION,
    depends=("conn.token-valid",),
    proves="the token (and, on the Facebook path, data access) lasts longer than "
    "`expiry_warning_days`",
    usual_fix="log in again before the date (`igconnect login --reconnect NAME`)",
)
def expiry(state: ConnectionState) -> Finding:
    warn_days = int(state.runtime.settings.get("expiry_warning_days"))
    now = datetime.now(UTC)
    moments: dict[str, datetime | None] = {}
    if state.debug is not None:
        from igconnect.meta.oauth import from_epoch

        moments["token"] = from_epoch(state.debug.get("expires_at"))
        moments["data access"] = from_epoch(state.debug.get("data_access_expires_at"))
    else:
        moments["token"] = state.connection.token_expires_at
        if state.provider == "facebook":
            moments["data access"] = state.connection.data_access_expires_at
    details = {
        k.replace(" ", "_") + "_expires_at": (v.isoformat() if v else None)
        for k, v in moments.items()
    }
    soonest = [(what, m) for what, m in moments.items() if m is not None]
    soonest.sort(key=lambda item: item[1])
    if not soonest:
        return ok("no expiry date (the token does not expire)", **details)
    what, moment = soonest[0]
    days = (moment - now).total_seconds() / 86400
    if days <= 0:
        return failure(
            f"{what} expired on {_when(moment)}",
            ["Log in again to renew it."],
            reconnect_command(state.name),
            **details,
        )
    if days <= warn_days:
        renew = (
            "Log in again; on the Facebook path that renews both the token (60 days) and data "
            "access (90 days)."
            if state.provider == "facebook"
            else "Instagram Login tokens are refreshed automatically once they are 24 hours old; "
            "if that keeps failing, log in again."
        )
        return warning(
            f"{what} expires in {days:.0f} day{'s' if round(days) != 1 else ''} ({_when(moment)})",
            [renew],
            reconnect_command(state.name),
            **details,
        )
    parts = [f"{w} until {_when(m)}" for w, m in soonest]
    return ok("; ".join(parts), **details)


@check(
    "conn.permissions",
    "Required permissions granted",
    scope=SCOPE_CONNECTION,
    depends=("conn.token-valid",),
    proves="every permission igconnect needs is granted (Facebook: /me/permissions; Instagram: "
    "the permissions recorded at login)",
    usual_fix="`igconnect login --reconnect NAME` re-asks declined permissions; tick each one",
)
def permissions(state: ConnectionState) -> Finding:
    if state.provider == "instagram":
        required: tuple[str, ...] = INSTAGRAM_REQUIRED
        advised: tuple[str, ...] = ()
        statuses = {s: "granted" for s in state.connection.scopes_granted}
        statuses.update({s: "declined" for s in state.connection.scopes_declined})
        source = "as recorded at login"
    else:
        required, advised = FACEBOOK_REQUIRED, FACEBOOK_ADVISED
        client = state.client()
        try:
            body = client.get("me/permissions")
        finally:
            client.close()
        statuses = {
            str(item.get("permission")): str(item.get("status"))
            for item in (body.get("data") or [])
            if isinstance(item, dict)
        }
        source = "from /me/permissions"
    state.permissions = statuses
    declined = [s for s in required if statuses.get(s) == "declined"]
    missing = [s for s in required if statuses.get(s) not in ("granted", "declined")]
    advised_missing = [s for s in advised if statuses.get(s) != "granted"]
    details = {"permissions": statuses, "source": source}
    if declined or missing:
        bits = []
        if declined:
            bits.append("declined: " + ", ".join(declined))
        if missing:
            bits.append("never granted: " + ", ".join(missing))
        steps = [
            "Log in again: igconnect asks for the declined permissions again "
            "(auth_type=rerequest).",
            "In Meta's dialog, keep " + ", ".join(declined + missing) + " ticked "
            "(choose 'Edit access' / 'Edit settings' if the dialog offers it) and confirm.",
        ]
        return failure("; ".join(bits), steps, reconnect_command(state.name), **details)
    if advised_missing:
        return warning(
            f"{', '.join(advised_missing)} not granted: advised when a Business Portfolio owns the "
            "Page",
            [
                "If the client's Page belongs to a Business Portfolio (Business Manager), Meta "
                "hides it without business_management.",
                "Log in again and grant it.",
            ],
            reconnect_command(state.name),
            **details,
        )
    return ok(f"all {len(required) + len(advised)} granted ({source})", **details)


PAGE_FIELDS = "id,name,tasks,instagram_business_account{id,username}"


def _focused_page(state: ConnectionState, client: Any) -> list[dict[str, Any]] | None:
    """With --account, the one Page the store says links it: read alone, it costs one call
    however many Pages the login has. None when the whole list must be read to find it."""
    from igconnect.meta.errors import MetaApiError

    page_id = state.focus.page_id if state.focus else None
    if not page_id:
        return None
    try:
        page = client.get(page_id, {"fields": PAGE_FIELDS})
    except MetaApiError:
        return None  # not visible to this login any more: look at all it can see
    return [page] if isinstance(page, dict) and page.get("id") else None


@check(
    "conn.pages",
    "Facebook Pages reachable",
    scope=SCOPE_CONNECTION,
    depends=("conn.token-valid",),
    providers=("facebook",),
    proves="/me/accounts lists at least one Page the login can act on",
    usual_fix="create or get a role on the Page, tick it in the login dialog, grant "
    "business_management for Business Portfolio Pages, then reconnect",
)
def pages(state: ConnectionState) -> Finding:
    client = state.client()
    try:
        state.pages = _focused_page(state, client)
        if state.pages is None:
            state.pages = list(
                client.paginate("me/accounts", {"fields": PAGE_FIELDS, "limit": 100})
            )
    finally:
        client.close()
    summary = [
        {
            "id": p.get("id"),
            "name": p.get("name"),
            "tasks": p.get("tasks"),
            "instagram_account": (p.get("instagram_business_account") or {}).get("username"),
        }
        for p in state.pages
    ]
    if state.pages:
        linked = sum(1 for p in state.pages if "instagram_business_account" in p)
        n = len(state.pages)
        return ok(
            f"{n} Page{'s' if n != 1 else ''}, {linked} with a linked Instagram account",
            pages=summary,
        )
    user = state.connection.user_name or "this login"
    causes: list[str] = []
    if state.permissions and state.permissions.get("pages_show_list") != "granted":
        causes.append("pages_show_list is not granted")
    picked = state.granular_targets("pages_show_list")
    if picked is not None and not picked:
        causes.append("no Page was picked in the login dialog")
    if state.permissions and state.permissions.get("business_management") != "granted":
        causes.append("business_management is not granted (needed for Business Portfolio Pages)")
    because = f" ({'; '.join(causes)})" if causes else ""
    return failure(
        f"Meta lists no Facebook Page for {user}{because}",
        [
            f"If the client has no Facebook Page yet, create one, or have its admin give {user} "
            "a role on it (Page settings → Page access).",
            "In the login dialog, choose 'Edit access' / 'Opt in to all current and future "
            "Pages' and tick the client's Page.",
            "If a Business Portfolio owns the Page, grant business_management in the dialog.",
            "Then log in again.",
        ],
        reconnect_command(state.name),
        granular_pages=picked,
    )
