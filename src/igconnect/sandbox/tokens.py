"""Token endpoints of the Graph hosts: debug_token, and Instagram's long-lived exchange/refresh."""

from __future__ import annotations

from typing import Any

from . import errors as E
from .access import live_token, token_from
from .errors import MetaError
from .state import LONG_LIVED, State, Token

DAY = 86400


def renew(s: State, token: Token) -> Token:
    """A long-lived token carrying the same grant (what every long-lived exchange returns)."""
    return s.mint(
        token.user_id,
        token.provider,
        "long",
        token.scopes,
        declined=token.declined,
        pages=token.pages,
        excluded=token.excluded,
        app_id=token.app_id,
    )


def debug_token(s: State, params: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
    """GET graph.facebook.com/debug_token: called with the app token or a live user token."""
    caller = token_from(params, headers)
    app_token = f"{s.cfg.app_id}|{s.cfg.app_secret}"
    if caller != app_token:
        t = s.tokens.get(caller)
        if t is None or s.killer(t) is not None:
            raise MetaError(190, E.CANNOT_PARSE)
    value = params.get("input_token", "")
    if not value:
        raise MetaError(100, "(#100) The parameter input_token is required")
    token = s.tokens.get(value)
    if token is None or token.provider != "facebook":
        # Meta answers 200 about a token it cannot read, with the error inside `data`.
        return {
            "data": {
                "error": {"code": 190, "message": E.CANNOT_PARSE},
                "is_valid": False,
                "scopes": [],
            }
        }
    kind = "PAGE" if token.kind == "page" else "USER"
    if token.system_user and token.kind != "page":
        kind = "SYSTEM_USER"  # Meta's reading for system users is UNSURE: clients accept USER too
    data: dict[str, Any] = {
        "app_id": token.app_id or s.cfg.app_id,
        "type": kind,
        "application": "igconnect sandbox" if not token.app_id else f"app {token.app_id}",
        "data_access_expires_at": int(token.data_access_expires_at),
        "expires_at": int(token.expires_at),
        "is_valid": True,
        "issued_at": int(token.issued_at),
        "scopes": [*token.scopes, "public_profile"],
        "granular_scopes": _granular(s, token),
        "user_id": token.user_id,
    }
    if token.kind == "page":
        data["profile_id"] = token.page_id
    if token.system_user:
        data.pop("data_access_expires_at")  # a system user's access does not lapse
    sub = s.killer(token)
    if sub is not None:
        err = E.token_error(sub, app_id=s.cfg.app_id, expired_at=token.expires_at, now=s.now())
        data["is_valid"] = False
        # Recorded debug_token answers carry the message without the "Error validating
        # access token: " prefix the Graph error has.
        message = err.message.removeprefix("Error validating access token: ")
        data["error"] = {"code": 190, "message": message, "subcode": sub}
        data.pop("issued_at", None)
    return {"data": data}


def _granular(s: State, token: Token) -> list[dict[str, Any]]:
    """`granular_scopes`: which Pages and accounts each scope was granted for."""
    out = []
    w = s.world
    pages = token.pages
    user = w.users.get(token.user_id)
    for scope in token.scopes:
        entry: dict[str, Any] = {"scope": scope}
        if pages is not None and user is not None:
            if scope.startswith("pages_") or scope == "business_management":
                entry["target_ids"] = [p for p in user.page_ids if p in pages]
            elif scope.startswith("instagram_"):
                ids = []
                for p in user.page_ids:
                    acct = w.account_of_page(p)
                    if p in pages and acct:
                        ids.append(acct.id)
                entry["target_ids"] = [i for i in ids if i not in token.excluded.get(scope, ())]
        elif scope in token.excluded and user is not None:
            ids = [a.id for a in s.user_accounts(token)]
            entry["target_ids"] = [i for i in ids if i not in token.excluded[scope]]
        out.append(entry)
    return out


def ig_token_endpoint(s: State, which: str, params: dict[str, str]) -> dict[str, Any]:
    """graph.instagram.com `access_token` (short to long) and `refresh_access_token`."""
    token = live_token(s, params.get("access_token", ""), "instagram")
    if which == "access_token":
        if params.get("grant_type") != "ig_exchange_token":
            raise MetaError(100, "Unsupported grant_type")
        # The Instagram app's secret, not the Meta app's.
        if params.get("client_secret") != s.cfg.instagram_app_secret:
            raise MetaError(100, "Error validating client secret.", type_="OAuthException")
        if token.kind != "short":
            raise MetaError(100, "(#100) The access token is already long-lived")
    else:
        if params.get("grant_type") != "ig_refresh_token":
            raise MetaError(100, "Unsupported grant_type")
        if token.kind != "long":
            raise MetaError(100, "(#100) Only long-lived access tokens can be refreshed")
        if s.now() - token.issued_at < DAY:
            raise MetaError(
                100,
                "(#100) The access token can only be refreshed once it is at least 24 hours old",
            )
    new = renew(s, token)
    return {
        "access_token": new.value,
        "token_type": "bearer",
        "expires_in": LONG_LIVED,
        "permissions": ",".join(new.scopes),
    }
