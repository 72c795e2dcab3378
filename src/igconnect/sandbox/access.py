"""Who is calling and what they may see: tokens, appsecret_proof, Pages, accounts, scopes."""

from __future__ import annotations

import hashlib
import hmac

from . import errors as E
from .call import Call
from .errors import MetaError
from .state import State, Token
from .world import IgAccount


def token_from(params: dict[str, str], headers: dict[str, str]) -> str:
    """The access token of a request: `Authorization: OAuth|Bearer ...`, else `access_token`."""
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() in ("oauth", "bearer") and value.strip():
        return value.strip()
    return params.get("access_token", "")


def live_token(s: State, value: str, provider: str) -> Token:
    """The token with this value, of this provider and alive, else the 190 error Meta sends."""
    token = s.tokens.get(value)
    if token is None or token.provider != provider:
        raise MetaError(190, E.CANNOT_PARSE)
    sub = s.killer(token)
    if sub is not None:
        raise E.token_error(sub, app_id=s.cfg.app_id, expired_at=token.expires_at, now=s.now())
    return token


def authenticate(call: Call, params: dict[str, str], headers: dict[str, str]) -> Token:
    s = call.state
    value = token_from(params, headers)
    if not value:
        raise MetaError(104, "An access token is required to request this resource.")
    call.token_value = value
    proof = params.get("appsecret_proof")
    if proof is not None:
        # graph.instagram.com checks it with the Instagram app's secret.
        raw = s.cfg.instagram_app_secret if call.provider == "instagram" else s.cfg.app_secret
        secret = raw.encode()
        t = params.get("appsecret_time")
        msg = f"{value}|{t}" if t else value
        want = hmac.new(secret, msg.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, proof.lower()):
            raise MetaError(100, E.BAD_PROOF)
    if value not in s.tokens and value == f"{s.cfg.app_id}|{s.cfg.app_secret}":
        raise MetaError(
            2500,
            "An active access token must be used to query information about the current user.",
        )
    call.token = live_token(s, value, call.provider)
    return call.token


def visible_pages(call: Call, token: Token) -> list[str]:
    """The Pages a Facebook token sees: the user's, narrowed to those picked in the dialog."""
    w = call.state.world
    user = w.users.get(token.user_id)
    if user is None or token.provider != "facebook":
        return []
    return [p for p in user.page_ids if p in w.pages and (token.pages is None or p in token.pages)]


def reachable(call: Call, acct: IgAccount) -> bool:
    token = call.user_token
    if token.provider == "instagram":
        return token.user_id == acct.id
    w = call.state.world
    for pid in visible_pages(call, token):
        page = w.pages.get(pid)
        if page and page.ig_id == acct.id and page.link_confirmed:
            return True
    return False


def need_account(call: Call, obj_id: str) -> IgAccount:
    """The account the path names, if the caller reaches it; Meta answers as if it did not exist."""
    acct = call.account
    if acct is None or not reachable(call, acct):
        raise E.unsupported_get(obj_id)
    return acct


def need_scope(call: Call, scope: str, acct: IgAccount | None = None) -> None:
    token = call.user_token
    if scope not in token.scopes:
        raise MetaError(10, E.NO_PERMISSION)
    if acct is not None and acct.id in token.excluded.get(scope, frozenset()):
        raise MetaError(10, E.NO_PERMISSION)
