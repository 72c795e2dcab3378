"""Per-account checks: account linked, Page role, stories, story insights, rate-limit headroom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from igconnect.doctor.checks_connection import INSIGHTS_SCOPE
from igconnect.doctor.model import (
    SCOPE_ACCOUNT,
    Finding,
    check,
    could_not_check,
    failure,
    ok,
    reconnect_command,
    skipped,
    warning,
)
from igconnect.doctor.state import AccountState

USAGE_WARNING_PERCENT = 75.0
# Reading story insights through a Page needs the ANALYZE task; MANAGE (full control) includes it.
INSIGHT_TASKS = ("ANALYZE", "MANAGE")


def _link_steps(page_name: str, username: str | None = None) -> list[str]:
    who = f"@{username}" if username else "the client's Instagram account"
    return [
        f"Make {who} a professional account: Instagram app → Settings → Account type and tools → "
        "Switch to professional account (Business or Creator).",
        f"Link it to the Page '{page_name}' from the Instagram app: Settings → Accounts Center "
        "(or 'Sharing to other apps') → Facebook → pick the Page, not a personal profile.",
        "If the link shows as pending, the Page's owner confirms it on Facebook: Page settings → "
        "Linked accounts → Instagram → review the connection.",
        "Then log in again so the connection picks the account up.",
    ]


@check(
    "account.linked",
    "Professional Instagram account linked",
    scope=SCOPE_ACCOUNT,
    depends=("conn.token-valid", "conn.pages"),
    proves="the account is a professional account this login reaches (Facebook: through a Page's "
    "`instagram_business_account`)",
    usual_fix="switch to a professional account, link the Page from the Instagram app, confirm "
    "the link from the Page's settings, reconnect",
)
def linked(state: AccountState) -> Finding:
    conn = state.conn
    name = conn.name
    if conn.provider == "instagram":
        me = conn.me or {}
        kind = str(me.get("account_type") or "")
        if kind in ("BUSINESS", "MEDIA_CREATOR"):
            return ok(f"@{me.get('username')} is a {kind.lower().replace('_', ' ')} account")
        return failure(
            f"@{me.get('username')} is a {kind.lower() or 'non-professional'} account",
            [_link_steps("")[0], "Then log in again."],
            reconnect_command(name),
            account_type=kind or None,
        )
    if state.is_live and state.page is not None:
        return ok(
            f"Page '{state.page.get('name')}' is linked to @{state.username}",
            page_id=state.page.get("id"),
            ig_id=state.ig_id,
        )
    if state.page is not None:  # a live Page with no linked (or no confirmed) account
        page_name = str(state.page.get("name") or state.page.get("id"))
        return failure(
            f"Page '{page_name}' has no linked Instagram account",
            _link_steps(page_name),
            reconnect_command(name),
            page_id=state.page.get("id"),
            readings="a personal account, no link, or a link not yet confirmed on the Page "
            "look the same to the API",
        )
    return _not_reached(state)


def _discovered_name(state: AccountState, username: str) -> tuple[bool, str | None]:
    """Ask Meta's business discovery (through an account this login reaches) whether @username
    is a professional account, and its display name: (found, name). (True, None) when it could not
    be asked, so nothing is claimed."""
    from igconnect.meta.errors import MetaApiError, TokenDead

    reached = list(state.conn.live_accounts())
    if not reached or state.conn.provider != "facebook":
        return True, None
    fields = f"business_discovery.username({username}){{id,username,name}}"
    try:
        body = state.client().get(reached[0], {"fields": fields})
    except TokenDead:
        raise
    except MetaApiError as exc:
        if exc.code == 110:  # Meta's answer for a name that is no public professional account
            return False, None
        return True, None
    found = (body or {}).get("business_discovery") or {}
    return True, (str(found["name"]) if found.get("name") else None)


def _not_reached(state: AccountState) -> Finding:
    """An account the settings expect (or a tracker names) that no live Page reaches."""
    conn = state.conn
    stored = state.stored or state.expected
    username = state.username or (stored.username if stored else "?")
    page_id = stored.page_id if stored else None
    page_name = (stored.page_name if stored else None) or page_id
    basis = ""
    if stored is not None and stored is state.expected and state.expected_from:
        basis = f" (where connection '{state.expected_from}' found it)"
    headline = f"Instagram account @{username} is not linked to any Page this login can see"
    live_pages = {str(p.get("id")): p for p in conn.pages or []}
    details: dict[str, Any] = {"expected_page_id": page_id}
    if page_id is None and username != "?":
        # Nothing recorded: a live Page bearing the account's display name is the one it was
        # meant to be linked to (clients name both after the brand).
        found, name = _discovered_name(state, username)
        if not found:
            return failure(
                f"{headline}, and Meta's business discovery finds no professional account "
                f"@{username}",
                [
                    f"Check the spelling of @{username}; if it is right, the account is personal "
                    "or was renamed.",
                    _link_steps("", username)[0],
                    "Then link it to the client's Facebook Page from the Instagram app and log in again.",
                ],
                reconnect_command(conn.name),
                **details,
            )
        named = [p for p in live_pages.values() if name and _same(p.get("name"), name)]
        if len(named) == 1:
            page_id, page_name = str(named[0].get("id")), str(named[0].get("name"))
            basis = f" (it bears the account's name, {name})"
            details = {"expected_page_id": page_id, "expected_by": "name"}
    if page_id and page_id in live_pages:
        other = (live_pages[page_id].get("instagram_business_account") or {}).get("username")
        what = f"linked to @{other}" if other else "not linked to any Instagram account"
        details["linked_instead"] = other
        return failure(
            f"{headline}: Page '{page_name}'{basis} is {what}",
            [
                f"In the Instagram app of @{other or 'the wrong account'}, unlink the Page "
                f"'{page_name}' (Settings → Accounts Center → remove the Page).",
                f"In the Instagram app of @{username}, link the Page '{page_name}'; its owner may "
                "have to confirm the link in the Page's settings.",
                "Then log in again.",
            ],
            reconnect_command(conn.name),
            **details,
        )
    picked = conn.granular_targets("pages_show_list")
    if page_id and picked is not None and page_id not in picked:
        return failure(
            f"{headline}: Page '{page_name}' was not picked in the login dialog",
            [
                "Log in again; in Meta's dialog choose 'Edit access' (or 'Opt in to all current "
                f"and future Pages') and tick the Page '{page_name}' and @{username}.",
            ],
            reconnect_command(conn.name),
            picked_pages=picked,
            **details,
        )
    the_page = f"the Page '{page_name}'" if page_name else "the client's Facebook Page"
    return failure(
        f"{headline}" + (f" (Page '{page_name}' is gone from /me/accounts)" if page_id else ""),
        [
            "Possible causes: the Page was deleted or unlinked, "
            f"{conn.connection.user_name or 'the user'} lost their role on it, or it was not "
            "picked in the login dialog.",
            f"Link @{username} to {the_page} from the Instagram app: Settings → Accounts Center "
            "(or 'Sharing to other apps') → Facebook → pick the Page, not a personal profile.",
            _link_steps("", username)[2],
            f"Then log in again and tick {the_page} in the dialog.",
        ],
        reconnect_command(conn.name),
        **details,
    )


def _same(a: object, b: str) -> bool:
    return isinstance(a, str) and a.strip().casefold() == b.strip().casefold()


@check(
    "account.page-role",
    "Role on the Page sufficient",
    scope=SCOPE_ACCOUNT,
    depends=("account.linked",),
    providers=("facebook",),
    proves="the user's tasks on the Page include ANALYZE or MANAGE, which insights need",
    usual_fix="a Page admin gives the user access with the Insights (ANALYZE) task or full control",
)
def page_role(state: AccountState) -> Finding:
    page = state.page or {}
    tasks = [str(t) for t in page.get("tasks") or []]
    page_name = page.get("name") or page.get("id")
    if not tasks:
        return warning(
            f"Meta did not say which role {state.conn.connection.user_name or 'the user'} has "
            f"on Page '{page_name}'",
            ["Check the role in the Page's settings → Page access."],
            f"igconnect doctor {state.conn.name} --account {state.username}",
            tasks=tasks,
        )
    if any(t in tasks for t in INSIGHT_TASKS):
        return ok(f"tasks on Page '{page_name}': {', '.join(tasks)}", tasks=tasks)
    return failure(
        f"the role on Page '{page_name}' allows {', '.join(tasks)}, not insights (ANALYZE)",
        [
            f"A Page admin opens Page settings → Page access and gives "
            f"{state.conn.connection.user_name or 'the user'} access with the Insights task (or "
            "full control).",
            "Check again.",
        ],
        f"igconnect doctor {state.conn.name} --account {state.username}",
        tasks=tasks,
    )


def _throttled_finding(state: AccountState, exc: Any) -> Finding:
    state.throttled = exc
    back = datetime.now(UTC) + timedelta(seconds=float(exc.wait_seconds))
    return could_not_check(
        f"Meta throttles this {exc.scope} until about {back:%H:%M} UTC (see account.rate-limit)",
        wait_seconds=exc.wait_seconds,
    )


@check(
    "account.stories",
    "Stories readable",
    scope=SCOPE_ACCOUNT,
    depends=("account.linked",),
    proves="the account's live stories can be listed (`/{ig-id}/stories`)",
    usual_fix="grant the basic Instagram permission and reconnect; the evidence says what Meta "
    "refused",
)
def stories(state: AccountState) -> Finding:
    from igconnect.meta.errors import BadParameter, PermissionMissing, Throttled

    client = state.client()
    try:
        body = client.get(f"{state.ig_id}/stories", {"fields": "id,timestamp", "limit": 5})
    except Throttled as exc:
        return _throttled_finding(state, exc)
    except PermissionMissing as exc:
        return failure(
            f"Meta refused the stories of @{state.username}: {exc.meta_message}",
            [
                "The account must be professional and the login must grant the basic Instagram "
                "permission for it.",
                "Log in again and keep every permission and the account ticked.",
            ],
            reconnect_command(state.conn.name),
        )
    except BadParameter as exc:
        return failure(
            f"@{state.username} is not reachable with this login: {exc.meta_message}",
            ["Log in again and tick the account's Page in the dialog."],
            reconnect_command(state.conn.name),
        )
    data = [s for s in (body.get("data") or []) if isinstance(s, dict)]
    state.stories = data
    if not data:
        return ok("readable; no live story in the last 24 hours", count=0)
    newest = data[0].get("timestamp")
    more = "+" if (body.get("paging") or {}).get("next") else ""
    return ok(
        f"{len(data)}{more} live stor{'ies' if len(data) != 1 else 'y'}, newest {newest}",
        count=len(data),
        story_ids=[s.get("id") for s in data],
    )


@check(
    "account.insights",
    "Story insights readable",
    scope=SCOPE_ACCOUNT,
    depends=("account.stories", "conn.permissions"),
    proves="Meta returns insights for a live story (one `reach` request); 'not enough viewers' "
    "counts as proof",
    usual_fix="grant instagram_manage_insights for this account and reconnect",
)
def insights(state: AccountState) -> Finding:
    from igconnect.meta.errors import NotEnoughViewers, PermissionMissing, Throttled

    conn = state.conn
    scope = INSIGHTS_SCOPE[conn.provider]
    targets = conn.granular_targets(scope)
    excluded = targets is not None and state.ig_id not in targets
    fix = [
        f"Log in again; in Meta's dialog keep {scope} ticked and pick @{state.username} under "
        "'Edit access'.",
    ]
    if excluded:
        return failure(
            f"{scope} was granted without @{state.username} (not picked in the login dialog)",
            fix,
            reconnect_command(conn.name),
            granted_for=targets,
        )
    if not state.stories:
        return skipped("no live story to probe (insights exist for live stories only)")
    story_id = str(state.stories[0].get("id"))
    client = state.client()
    try:
        body = client.get(f"{story_id}/insights", {"metric": "reach"})
    except NotEnoughViewers as exc:
        return ok(
            f"story {story_id} has fewer than 5 viewers, so Meta withholds its numbers; the "
            "permission works",
            story_id=story_id,
            meta=exc.meta_message,
        )
    except PermissionMissing as exc:
        return failure(
            f"Meta refused insights of @{state.username}: {exc.meta_message}",
            fix,
            reconnect_command(conn.name),
            story_id=story_id,
        )
    except Throttled as exc:
        return _throttled_finding(state, exc)
    reach = None
    for item in body.get("data") or []:
        if isinstance(item, dict) and item.get("name") == "reach":
            values = item.get("values") or [{}]
            reach = values[0].get("value") if values else None
    return ok(f"story {story_id}: reach {reach}", story_id=story_id, reach=reach)


@check(
    "account.rate-limit",
    "Rate-limit headroom",
    scope=SCOPE_ACCOUNT,
    depends=("account.linked",),
    proves="Meta's usage headers leave room (warning at 75%, failure when throttled)",
    usual_fix="pause, spread trackers over more connections (`igconnect trackers rebalance`), "
    "poll less often",
)
def rate_limit(state: AccountState) -> Finding:
    from igconnect.meta.errors import MetaApiError, Throttled

    client = state.client()
    if client.last_usage is None and state.throttled is None:
        try:  # nothing measured yet (e.g. --check): one cheap call brings the headers
            client.get(str(state.ig_id), {"fields": "id"})
        except Throttled as exc:
            state.throttled = exc
        except MetaApiError:
            pass
    usage = client.last_usage
    account = usage.accounts.get(str(state.ig_id)) if usage else None
    app = usage.app_percent if usage else None
    details: dict[str, Any] = {"usage": usage.to_json() if usage else None}
    account_pct = account.percent if account else None
    parts = []
    if account_pct is not None:
        parts.append(f"account {account_pct:.0f}%")
    if app is not None:
        parts.append(f"app {app:.0f}%")
    figures = ", ".join(parts) or "no usage figures"
    regain_minutes = account.regain_minutes if account else 0.0
    if state.throttled is not None or (account_pct or 0) >= 100 or (app or 0) >= 100:
        wait = (
            float(state.throttled.wait_seconds)
            if state.throttled is not None
            else regain_minutes * 60
        )
        back = datetime.now(UTC) + timedelta(seconds=wait)
        details["access_returns_at"] = back.isoformat()
        scope = state.throttled.scope if state.throttled is not None else "account"
        return failure(
            f"Meta throttles this {scope} ({figures}); access returns in about "
            f"{max(1, round(wait / 60))} min ({back:%H:%M} UTC)",
            [
                "Wait until then: calls made while throttled extend the block.",
                "Keep at most 3-4 trackers on one connection and give each high-volume tracker "
                "its own; see the proposed moves.",
            ],
            "igconnect trackers rebalance",
            **details,
        )
    highest = max(account_pct or 0.0, app or 0.0)
    if highest >= USAGE_WARNING_PERCENT:
        return warning(
            f"{figures} of Meta's budget used",
            [
                "Slow down before 100%: poll less often or move trackers to other connections.",
            ],
            "igconnect trackers rebalance",
            **details,
        )
    return ok(f"{figures} of Meta's budget used", **details)
