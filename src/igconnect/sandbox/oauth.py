"""Facebook Login and Instagram Login: dialogs (HTML), code exchanges, long-lived exchange."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from html import escape
from typing import Any
from urllib.parse import parse_qs, urlencode

from . import errors as E
from .access import live_token
from .config import SUPPORTED_VERSIONS, VERSION_RE
from .errors import DropConnection, InstagramApiError, MetaError
from .http import Request, Response
from .state import (
    FACEBOOK_SCOPES,
    FB_CODE_TTL,
    IG_CODE_TTL,
    LONG_LIVED,
    SHORT_FB,
    Code,
    State,
    Token,
)
from .tokens import renew

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=UTF-8"
# The dialog parameters the consent form carries over to its POST.
CONSENT_KEYS = (
    "client_id",
    "redirect_uri",
    "state",
    "response_type",
    "code_challenge",
    "code_challenge_method",
)
CANCEL_QUERY = "error=access_denied&error_reason=user_denied&error_description=Permissions+error"


def split_scopes(text: str) -> list[str]:
    return [s for s in re.split(r"[,\s]+", text or "") if s]


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _multi(req: Request) -> dict[str, list[str]]:
    return parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)


def _join(uri: str, query: str) -> str:
    return uri + ("&" if "?" in uri else "?") + query


# -- pages -----------------------------------------------------------------------------------

_CSS = """
body{font-family:Helvetica,Arial,sans-serif;background:#f0f2f5;margin:0;color:#1c1e21}
.box{max-width:520px;margin:40px auto;background:#fff;border-radius:8px;padding:24px;
box-shadow:0 2px 4px rgba(0,0,0,.1)}
h1{font-size:20px;margin:0 0 8px} .muted{color:#65676b;font-size:14px}
fieldset{border:1px solid #dddfe2;border-radius:6px;margin:14px 0;padding:10px 14px}
label{display:block;padding:4px 0} .actions{display:flex;gap:8px;justify-content:flex-end}
button{font-size:15px;padding:8px 18px;border-radius:6px;border:0;cursor:pointer}
#continue{background:#1877f2;color:#fff} #cancel{background:#e4e6eb}
.err{color:#b00020}
"""


def page(title: str, body: str, status: int = 200) -> Response:
    html = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><div class=box>{body}</div></body></html>"
    )
    return Response(status, html.encode(), [], HTML)


def error_page(title: str, message: str) -> Response:
    return page(title, f"<h1>{escape(title)}</h1><p class=err id=error>{escape(message)}</p>")


def _hidden(p: dict[str, str], keys: Iterable[str]) -> str:
    """Hidden inputs carrying the parameters `keys` of `p` (those present)."""
    return "".join(f'<input type=hidden name="{k}" value="{escape(p[k])}">' for k in keys if k in p)


def _consent_hidden(p: dict[str, str], keys: Iterable[str], scopes: list[str]) -> str:
    """What the consent form posts back besides the ticks: the dialog's parameters and scopes."""
    requested = escape(",".join(scopes))
    return _hidden(p, keys) + f'<input type=hidden name=requested_scope value="{requested}">'


def _switch_hidden(p: dict[str, str]) -> str:
    """The "Not you?" form reopens the dialog with the same parameters and another user."""
    return _hidden(p, [k for k in p if k != "sandbox_user"])


def _scope_boxes(scopes: list[str], declined: set[str]) -> str:
    return "".join(
        f'<label><input type=checkbox name=scope value="{escape(sc)}"'
        f"{'' if sc in declined else ' checked'}> {escape(sc)}</label>"
        for sc in scopes
    )


def _options(choices: Iterable[tuple[str, str, bool]]) -> str:
    """`<option>`s from (value, label, selected)."""
    return "".join(
        f'<option value="{value}"{" selected" if selected else ""}>{escape(label)}</option>'
        for value, label, selected in choices
    )


class Dialogs:
    def __init__(self, state: State) -> None:
        self.s = state

    # -- checks shared by GET and POST ----------------------------------------------------------

    def _check(self, p: dict[str, str], provider: str) -> Response | None:
        cfg = self.s.cfg
        if provider == "facebook" and p.get("client_id") != cfg.app_id:
            # Also the Instagram app's id: Facebook Login knows only the Meta app.
            return error_page(
                "Error", "Invalid App ID: The provided app ID does not look like a valid app ID."
            )
        if provider == "instagram" and p.get("client_id") != cfg.instagram_app_id:
            # The Meta app's id here is the classic mistake (UNSURE: the page's exact English
            # text; a German user saw "Ungültige Anfrage: Anfrageparameter sind ungültig:
            # Invalid platform app").
            return error_page(
                "Invalid Request",
                "Invalid Request: Request parameters are invalid: Invalid platform app",
            )
        if p.get("redirect_uri", "") not in self.s.redirect_uris:
            return error_page(
                "URL Blocked",
                "This redirect failed because the redirect URI is not whitelisted in the app's "
                "Client OAuth Settings. Make sure Client and Web OAuth Login are on and add all "
                "your app domains as Valid OAuth Redirect URIs.",
            )
        if p.get("response_type", "code") != "code":
            return error_page("Error", "Invalid response_type: only 'code' is supported.")
        if p.get("code_challenge") and p.get("code_challenge_method", "S256") != "S256":
            return error_page("Error", "Invalid code_challenge_method: only S256 is supported.")
        return None

    # -- Facebook ------------------------------------------------------------------------------

    def facebook(self, req: Request, rest: str) -> Response:
        parts = [x for x in rest.split("/") if x]
        if len(parts) < 3 or parts[1:3] != ["dialog", "oauth"] or not VERSION_RE.match(parts[0]):
            return error_page("Page Not Found", "This page isn't available.")
        if parts[0] not in SUPPORTED_VERSIONS:
            return error_page("Error", f"Unsupported API version {parts[0]}.")
        p = req.params()
        confirm = len(parts) == 4 and parts[3] == "confirm" and req.method == "POST"
        if len(parts) > 3 and not confirm:
            return error_page("Page Not Found", "This page isn't available.")
        bad = self._check(p, "facebook")
        if bad:
            return bad
        if confirm:
            return self._submit(p, "facebook", _multi(req))
        if p.get("sandbox_user") in self.s.world.users:
            self.s.session_user = p["sandbox_user"]
        return self._fb_form(p, parts[0])

    def _fb_form(self, p: dict[str, str], version: str) -> Response:
        s = self.s
        w = s.world
        user = w.users[s.session_user]
        scopes = split_scopes(p.get("scope", "")) or ["public_profile"]
        # auth_type=rerequest asks again for declined permissions: their boxes start ticked.
        rerequest = p.get("auth_type") == "rerequest"
        declined = set() if rerequest else set(s.declined_defaults("facebook"))
        unpicked = s.unpicked_pages(user.id)
        hidden = _consent_hidden(p, (*CONSENT_KEYS, "auth_type"), scopes)
        perms = _scope_boxes(scopes, declined)
        pages = []
        for pid in user.page_ids:
            page_ = w.pages[pid]
            acct = w.accounts.get(page_.ig_id or "")
            if acct and page_.link_confirmed:
                linked = f"@{acct.username}"
            elif acct:
                linked = f"@{acct.username} (link pending confirmation)"
            else:
                linked = "no Instagram account linked"
            checked = "" if pid in unpicked else " checked"
            pages.append(
                f'<label><input type=checkbox name=page value="{pid}"{checked}> '
                f"{escape(page_.name)} <span class=muted>{escape(linked)}</span></label>"
            )
        users = _options((u.id, u.name, u.id == user.id) for u in w.users.values())
        switch_hidden = _switch_hidden(p)
        body = f"""
<h1 id=title>igconnect sandbox wants to access your information</h1>
<p class=muted>Logged in as <b id=user-name>{escape(user.name)}</b> · app
<b id=app-id>{escape(s.cfg.app_id)}</b></p>
<form method=post action="/facebook/{version}/dialog/oauth/confirm" id=consent>
{hidden}
<fieldset><legend>Permissions</legend>{perms}</fieldset>
<fieldset><legend>Pages and Instagram accounts to share</legend>{
            "".join(pages) or "<p class=muted id=no-pages>You don't manage any Pages.</p>"
        }</fieldset>
<div class=actions><button id=cancel name=action value=cancel type=submit>Cancel</button>
<button id=continue name=action value=continue type=submit>Continue as {
            escape(user.name.split()[0])
        }</button></div>
</form>
<form method=get id=switch class=muted>{switch_hidden}Not you? <select name=sandbox_user>{
            users
        }</select>
<button type=submit id=switch-user>Switch user</button></form>
"""
        return page("Log in with Facebook", body)

    # -- Instagram -----------------------------------------------------------------------------

    def instagram(self, req: Request, rest: str) -> Response:
        parts = [x for x in rest.split("/") if x]
        if parts[:2] != ["oauth", "authorize"]:
            return error_page("Page Not Found", "Sorry, this page isn't available.")
        confirm = len(parts) == 3 and parts[2] == "confirm" and req.method == "POST"
        if len(parts) > 2 and not confirm:
            return error_page("Page Not Found", "Sorry, this page isn't available.")
        p = req.params()
        bad = self._check(p, "instagram")
        if bad:
            return bad
        w = self.s.world
        pick = p.get("sandbox_user")
        if pick:
            acct = w.accounts.get(pick) or w.by_username.get(pick)
            if acct:
                self.s.session_ig = acct.id
        acct = w.accounts.get(self.s.session_ig)
        if acct is None:
            return error_page("Error", "No Instagram account is logged in.")
        if not acct.professional:
            return error_page(
                "Can't connect this account",
                f"@{acct.username} is a personal account. Only Instagram professional accounts "
                "(Business or Creator) can use this app. Switch to a professional account in the "
                "Instagram app's settings, then try again.",
            )
        if confirm:
            return self._submit(p, "instagram", _multi(req))
        declined = set(self.s.declined_defaults("instagram"))
        scopes = split_scopes(p.get("scope", ""))
        hidden = _consent_hidden(p, CONSENT_KEYS, scopes)
        perms = _scope_boxes(scopes, declined)
        # The first accounts only: a 20,000-account world would make a 2 MB page.
        shown = [a for a, _ in zip(w.accounts.values(), range(50), strict=False)]
        if acct not in shown:
            shown.append(acct)
        options = _options((a.username, f"@{a.username}", a.id == acct.id) for a in shown)
        switch_hidden = _switch_hidden(p)
        body = f"""
<h1 id=title>Allow igconnect sandbox to access your Instagram account?</h1>
<p class=muted>Logged in as <b id=user-name>@{escape(acct.username)}</b> ({escape(acct.name)}) · app
<b id=app-id>{escape(self.s.cfg.instagram_app_id)}</b></p>
<form method=post action="/instagram/oauth/authorize/confirm" id=consent>
{hidden}
<fieldset><legend>Permissions</legend>{perms}</fieldset>
<div class=actions><button id=cancel name=action value=cancel type=submit>Cancel</button>
<button id=continue name=action value=continue type=submit>Allow</button></div>
</form>
<form method=get id=switch class=muted>{switch_hidden}Not you?
<select name=sandbox_user>{options}</select>
<button type=submit id=switch-user>Switch account</button></form>
"""
        return page("Instagram", body)

    # -- submit --------------------------------------------------------------------------------

    def _submit(self, p: dict[str, str], provider: str, form: dict[str, list[str]]) -> Response:
        redirect_uri = p["redirect_uri"]
        state_q = urlencode({"state": p["state"]}) if "state" in p else ""
        if p.get("action") == "cancel":
            q = CANCEL_QUERY + ("&" + state_q if state_q else "")
            return Response(302, b"", [("Location", _join(redirect_uri, q))], HTML)
        requested = split_scopes(p.get("requested_scope", ""))
        ticked = set(form.get("scope", []))
        granted = tuple(sc for sc in requested if sc in ticked)
        declined = tuple(sc for sc in requested if sc not in ticked)
        if provider == "facebook":
            user_id = self.s.session_user
            user = self.s.world.users[user_id]
            picked = frozenset(pid for pid in form.get("page", []) if pid in user.page_ids)
            pages: frozenset[str] | None = picked
        else:
            user_id = self.s.session_ig
            pages = None
        code = self.s.new_code(
            provider=provider,
            user_id=user_id,
            client_id=p["client_id"],
            redirect_uri=redirect_uri,
            scopes=granted,
            declined=declined,
            pages=pages,
            challenge=p.get("code_challenge") or None,
        )
        q = urlencode({"code": code.value}) + ("&" + state_q if state_q else "")
        location = _join(redirect_uri, q) + ("#_" if provider == "instagram" else "")
        return Response(302, b"", [("Location", location)], HTML)


# -- code exchanges --------------------------------------------------------------------------


def _take_code(s: State, p: dict[str, str], provider: str) -> Code:
    """Validate and consume a code; raise a MetaError describing what is wrong."""
    value = p.get("code", "")
    code = s.codes.get(value)
    if code is None or code.provider != provider:
        raise MetaError(100, "Invalid verification code format.")
    if code.used:
        raise MetaError(100, "This authorization code has been used.", subcode=36009)
    ttl = FB_CODE_TTL if provider == "facebook" else IG_CODE_TTL
    if s.now() - code.created > ttl:
        raise MetaError(100, "This authorization code has expired.", subcode=36007)
    if p.get("redirect_uri", "") != code.redirect_uri:
        raise MetaError(100, E.REDIRECT_MISMATCH, subcode=36008)
    if code.challenge:
        verifier = p.get("code_verifier", "")
        if not verifier or _s256(verifier) != code.challenge:
            raise MetaError(100, "Invalid code verifier.")
    code.used = True
    return code


def _short_token(s: State, code: Code) -> Token:
    """The short-lived token a code is exchanged for, with what the dialog granted."""
    return s.mint(
        code.user_id,
        code.provider,
        "short",
        code.scopes,
        declined=code.declined,
        pages=code.pages,
        excluded=s.excluded_defaults(code.provider),
    )


def fb_exchange(s: State, p: dict[str, str]) -> dict[str, Any]:
    if p.get("client_id") != s.cfg.app_id:
        raise MetaError(101, "Error validating application. Invalid application ID.")
    if p.get("grant_type") == "client_credentials":
        if p.get("client_secret") != s.cfg.app_secret:
            raise MetaError(1, "Error validating client secret.")
        return {"access_token": f"{s.cfg.app_id}|{s.cfg.app_secret}", "token_type": "bearer"}
    if p.get("client_secret") != s.cfg.app_secret:
        raise MetaError(1, "Error validating client secret.")
    if p.get("grant_type") == "fb_exchange_token":
        new = renew(s, live_token(s, p.get("fb_exchange_token", ""), "facebook"))
        return {"access_token": new.value, "token_type": "bearer", "expires_in": LONG_LIVED}
    if "code" not in p:
        raise MetaError(100, "Missing authorization code")
    code = _take_code(s, p, "facebook")
    if s.exchange_drops > 0:
        # The code is spent, the answer never comes: a retry can only get 36009.
        s.exchange_drops -= 1
        raise DropConnection()
    token = _short_token(s, code)
    return {"access_token": token.value, "token_type": "bearer", "expires_in": SHORT_FB}


def ig_exchange(s: State, req: Request) -> Response:
    """POST api.instagram.com/oauth/access_token (form)."""
    p = req.params()
    try:
        if req.method != "POST":
            raise InstagramApiError(
                "Unsupported request - method type: get", error_type="OAuthException"
            )
        # The Instagram app's credentials; the Meta app's id gets Meta's recorded answer.
        if p.get("client_id") != s.cfg.instagram_app_id:
            raise InstagramApiError("Invalid platform app")
        if p.get("client_secret") != s.cfg.instagram_app_secret:
            raise InstagramApiError("Error validating client secret.")
        if p.get("grant_type") != "authorization_code":
            raise InstagramApiError("Invalid grant_type: only authorization_code is supported")
        try:
            code = _take_code(s, p, "instagram")
        except MetaError as err:
            msg = {
                "Invalid verification code format.": (
                    "Matching code was not found or was already used."
                ),
                "This authorization code has been used.": "This authorization code has been used",
                "This authorization code has expired.": "This authorization code has expired",
            }.get(err.message, err.message)
            raise InstagramApiError(msg) from err
    except InstagramApiError as err:
        return Response(400, err.to_json(), [], JSON)
    token = _short_token(s, code)
    acct = s.world.accounts[code.user_id]
    body = {
        "data": [
            {
                "access_token": token.value,
                "user_id": int(acct.app_scoped_id),
                "permissions": ",".join(code.scopes),
            }
        ]
    }
    return Response(200, json.dumps(body).encode(), [], JSON)


__all__ = ["FACEBOOK_SCOPES", "Dialogs", "fb_exchange", "ig_exchange", "split_scopes"]
