"""Graph nodes that are not media: the Facebook user, their Pages, Instagram accounts."""

from __future__ import annotations

from typing import Any

from .access import need_account, need_scope, visible_pages
from .call import Call, nonexisting_field
from .fields import Field
from .paging import limit_param, listing, uncursor
from .state import BASIC_SCOPE, Token
from .world import IgAccount

IG_USER_FIELDS = {
    "id",
    "ig_id",
    "username",
    "name",
    "biography",
    "website",
    "followers_count",
    "follows_count",
    "media_count",
    "profile_picture_url",
}
ME_IG_FIELDS = IG_USER_FIELDS | {"user_id", "account_type"}
USER_FIELDS = {"id", "name", "email", "first_name", "last_name", "short_name"}
PAGE_FIELDS = {"id", "name", "tasks", "access_token", "instagram_business_account", "category"}


# -- Facebook user ---------------------------------------------------------------------------


def fb_me(call: Call) -> dict[str, Any]:
    token = call.user_token
    w = call.state.world
    if token.kind == "page":
        page = w.pages[token.page_id or ""]
        return {"id": page.id, "name": page.name}
    user = w.users[token.user_id]
    fields = call.fields("id", "name")
    first, _, last = user.name.partition(" ")
    values = {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "first_name": first,
        "last_name": last,
        "short_name": first,
    }
    return _pick(values, fields, USER_FIELDS, "User")


def me_permissions(call: Call) -> dict[str, Any]:
    token = call.user_token
    data = [{"permission": "public_profile", "status": "granted"}]
    data += [{"permission": p, "status": "granted"} for p in token.scopes if p != "public_profile"]
    data += [{"permission": p, "status": "declined"} for p in token.declined]
    return {"data": data}


def revoke(call: Call) -> dict[str, Any]:
    """DELETE /me/permissions: the user removes the app, and every token of theirs dies."""
    call.state.revoke(call.user_token.user_id)
    return {"success": True}


# -- Pages -----------------------------------------------------------------------------------


def me_accounts(call: Call) -> dict[str, Any]:
    token = call.user_token
    pages = visible_pages(call, token) if "pages_show_list" in token.scopes else []
    fields = call.fields("id", "name", "tasks", "access_token", "category")
    limit = limit_param(call.params, 25, 100)
    start = uncursor(call.params["after"]) + 1 if call.params.get("after") else 0
    chunk = pages[start : start + limit]
    data = [page_node(call, pid, fields) for pid in chunk]
    last = start + len(chunk) - 1
    span = (start, last) if chunk else None
    return listing(call, "me/accounts", data, span, more=start + len(chunk) < len(pages))


def page_node(call: Call, pid: str, fields: list[Field]) -> dict[str, Any]:
    w = call.state.world
    page = w.pages[pid]
    out: dict[str, Any] = {}
    for f in fields:
        if f.name not in PAGE_FIELDS:
            raise nonexisting_field(f.name, "Page")
        if f.name == "instagram_business_account":
            if page.ig_id and page.link_confirmed and page.ig_id in w.accounts:
                acct = w.accounts[page.ig_id]
                out[f.name] = ig_fields(call, acct, f.sub or [Field("id")], "IGUser")
        elif f.name == "access_token":
            out[f.name] = _page_token(call, call.user_token, pid)
        elif f.name == "tasks":
            out[f.name] = list(page.tasks)
        else:
            out[f.name] = getattr(page, f.name)
    return out


def _page_token(call: Call, token: Token, pid: str) -> str:
    """The user's Page token for this Page: one per user and Page, minted on first sight."""
    s = call.state
    key = (token.user_id, pid)
    known = s.tokens.get(s.page_tokens.get(key, ""))
    if known is not None and s.killer(known) is None:
        return known.value
    value = s.mint(
        token.user_id,
        "facebook",
        "page",
        token.scopes,
        pages=frozenset([pid]),
        page_id=pid,
        app_id=token.app_id,
        system_user=token.system_user,
    ).value
    s.page_tokens[key] = value
    return value


# -- Instagram accounts ----------------------------------------------------------------------


def ig_fields(call: Call, acct: IgAccount, fields: list[Field], node: str) -> dict[str, Any]:
    """An account's fields; `node` is "IGUser" (Facebook Login) or "User" (Instagram Login)."""
    allowed = ME_IG_FIELDS if node == "User" else IG_USER_FIELDS
    discovery = next((f for f in fields if f.name == "business_discovery"), None)
    if discovery is not None and node == "IGUser":
        from .discovery import business_discovery

        rest = [f for f in fields if f.name != "business_discovery"]
        out = _pick_values(call, acct, rest, allowed, node) if rest else {}
        out["business_discovery"] = business_discovery(call, discovery)
        out.setdefault("id", acct.id)
        return out
    return _pick_values(call, acct, fields, allowed, node)


def _pick_values(
    call: Call, acct: IgAccount, fields: list[Field], allowed: set[str], node: str
) -> dict[str, Any]:
    s = call.state
    values: dict[str, Any] = {
        "id": acct.app_scoped_id if node == "User" else acct.id,
        "user_id": acct.id,
        "ig_id": int(acct.id[-10:]),
        "username": acct.username,
        "name": acct.name,
        "biography": f"{acct.name}, a sandbox account.",
        "website": f"https://{acct.username.replace('_', '')}.example",
        "followers_count": acct.followers,
        "follows_count": acct.follows,
        "media_count": s.world.media_count(acct.id, s.now()),
        "profile_picture_url": f"https://scontent.sandbox.invalid/profile/{acct.id}.jpg",
        "account_type": acct.account_type,
    }
    return _pick(values, fields, allowed, node)


def ig_user(call: Call, ig_id: str) -> dict[str, Any]:
    acct = need_account(call, ig_id)
    need_scope(call, BASIC_SCOPE[call.provider])
    node = "IGUser" if call.provider == "facebook" else "User"
    return ig_fields(call, acct, call.fields("id"), node)


def ig_me(call: Call) -> dict[str, Any]:
    acct = call.state.world.accounts[call.user_token.user_id]
    need_scope(call, BASIC_SCOPE["instagram"])
    return ig_fields(call, acct, call.fields("id", "username"), "User")


def _pick(
    values: dict[str, Any], fields: list[Field], allowed: set[str], node: str
) -> dict[str, Any]:
    """The asked fields of a node, refusing any the node type does not have."""
    out: dict[str, Any] = {}
    for f in fields:
        if f.name not in allowed:
            raise nonexisting_field(f.name, node)
        out[f.name] = values[f.name]
    return out
