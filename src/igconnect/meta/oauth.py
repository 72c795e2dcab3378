"""Facebook Login and Instagram Login: authorize URL, code exchange, long-lived token, refresh,
token inspection, identity and the Instagram accounts a token reaches.

Every secret met here (codes, verifiers, tokens, the app secret) is registered for redaction the moment
we have it. Nothing here prints or stores anything: `login/flow.py` decides what to keep.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from igconnect.errors import LoginFailed
from igconnect.meta.errors import InvalidPlatformApp, MetaApiError, MetaUnreachable
from igconnect.redact import remember_secret

if TYPE_CHECKING:
    from igconnect.meta.client import ClientFactory, GraphClient
    from igconnect.meta.endpoints import Endpoints

FACEBOOK = "facebook"
INSTAGRAM = "instagram"

FACEBOOK_SCOPES = (
    "instagram_basic",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
    "business_management",
)
INSTAGRAM_SCOPES = ("instagram_business_basic", "instagram_business_manage_insights")
# Without these the connection cannot read stories or their insights.
REQUIRED_SCOPES = {
    FACEBOOK: (
        "instagram_basic",
        "instagram_manage_insights",
        "pages_show_list",
        "pages_read_engagement",
    ),
    INSTAGRAM: INSTAGRAM_SCOPES,
}
PAGE_FIELDS = "id,name,tasks,instagram_business_account{id,username}"
# debug_token's `type` for a Business Manager system user's token: Meta's documentation does not
# settle it (USER or SYSTEM_USER), so both are accepted.
SYSTEM_USER_TOKEN_TYPES = ("USER", "SYSTEM_USER")
INSTAGRAM_APP_PLACE = "App Dashboard → Instagram → API setup with Instagram login"
PROFESSIONAL_TYPES = ("BUSINESS", "MEDIA_CREATOR")


# -- values a login produces ----------------------------------------------------------------------
@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str


@dataclass
class TokenGrant:
    """An access token and when it expires (None: never, or not said)."""

    access_token: str
    expires_at: datetime | None = None
    user_id: str | None = None  # Instagram Login answers with the (app-scoped) user id
    permissions: list[str] = field(default_factory=list)


@dataclass
class TokenInspection:
    """What `debug_token` (Facebook) or the login answer (Instagram) says about a token."""

    is_valid: bool
    user_id: str | None = None
    expires_at: datetime | None = None
    data_access_expires_at: datetime | None = None
    scopes: list[str] = field(default_factory=list)
    granular_targets: dict[str, list[str]] = field(default_factory=dict)
    error_code: int | None = None
    error_subcode: int | None = None
    error_message: str | None = None
    app_id: str | None = None  # the app the token was issued for (debug_token)
    token_type: str | None = None  # USER, PAGE, SYSTEM_USER... (debug_token)


@dataclass
class Identity:
    user_id: str
    name: str
    account_type: str | None = None  # Instagram Login only


@dataclass
class ReachedAccount:
    id: str
    username: str
    page_id: str | None = None
    page_name: str | None = None
    account_type: str | None = None


@dataclass
class ReachedPage:
    id: str
    name: str
    tasks: list[str] = field(default_factory=list)
    instagram_account_id: str | None = None


@dataclass
class Discovery:
    accounts: list[ReachedAccount] = field(default_factory=list)
    pages: list[ReachedPage] = field(default_factory=list)


# -- small helpers ----------------------------------------------------------------------------------
def new_state() -> str:
    """A fresh, unguessable `state` for one login attempt.

    Not registered as a secret: it is shown in the printed login URL, and alone it grants nothing.
    """
    return secrets.token_urlsafe(32)


def new_pkce() -> Pkce:
    verifier = secrets.token_urlsafe(48)  # 64 characters, within RFC 7636's 43..128
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    remember_secret(verifier)
    return Pkce(verifier, challenge)


def states_match(expected: str, received: str | None) -> bool:
    """Constant-time comparison, so a forged state cannot be found by timing the answers."""
    if not received:
        return False
    return secrets.compare_digest(expected.encode("utf-8"), received.encode("utf-8", "replace"))


def from_epoch(value: Any) -> datetime | None:
    """A moment Meta gives in epoch seconds (debug_token's `expires_at`...); 0 means never."""
    seconds = _positive_seconds(value)
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def _expiry(expires_in: Any, now: datetime) -> datetime | None:
    seconds = _positive_seconds(expires_in)
    return now + timedelta(seconds=seconds) if seconds else None


def _positive_seconds(value: Any) -> int | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


def _token_from(body: Any, what: str) -> str:
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise LoginFailed(
            f"Meta's answer to the {what} carried no access token",
            hint="try `igconnect login` again; if it keeps failing, run with --debug",
        )
    remember_secret(token)
    return token


def _grant(body: Any, asked_at: datetime, what: str, **details: Any) -> TokenGrant:
    """The grant in a token endpoint's answer; `expires_in` counts from when it was asked."""
    return TokenGrant(_token_from(body, what), _expiry(body.get("expires_in"), asked_at), **details)


# -- the providers ----------------------------------------------------------------------------------
class LoginProvider(ABC):
    """What both login kinds share; subclasses know the URLs and answer shapes."""

    name: str = ""
    default_scopes: tuple[str, ...] = ()
    rerequest_param: tuple[str, str]  # the dialog parameter that asks again for what was declined

    def __init__(
        self, endpoints: Endpoints, app_id: str, app_secret: str, new_client: ClientFactory
    ) -> None:
        self.endpoints = endpoints
        self.app_id = app_id
        self.app_secret = app_secret
        self.new_client = new_client
        remember_secret(app_secret)

    def client(self, base_url: str, token: str | None = None) -> GraphClient:
        from igconnect.meta.client import auth_scheme

        return self.new_client(
            base_url,
            token=token,
            auth_scheme=auth_scheme(self.name),
            app_secret=self.app_secret if token else None,
        )

    def authorize_url(
        self,
        redirect_uri: str,
        state: str,
        *,
        pkce: Pkce | None = None,
        rerequest: bool = False,
        config_id: str | None = None,
    ) -> str:
        params = {
            "client_id": self.app_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "response_type": "code",
        }
        params.update(self._permission_params(config_id))
        if rerequest:
            key, value = self.rerequest_param
            params[key] = value
        params.update(self._pkce_params(pkce))
        return f"{self._dialog_url()}?{urlencode(params)}"

    @abstractmethod
    def exchange_code(self, code: str, redirect_uri: str, pkce: Pkce | None) -> TokenGrant: ...

    @abstractmethod
    def long_lived(self, short: TokenGrant) -> TokenGrant: ...

    @abstractmethod
    def inspect(self, grant: TokenGrant) -> TokenInspection: ...

    @abstractmethod
    def identity(self, token: str) -> Identity: ...

    @abstractmethod
    def discover(self, token: str, identity: Identity | None = None) -> Discovery: ...

    def declined_scopes(self, token: str, granted: list[str]) -> list[str]:
        """Scopes we asked for that the user did not grant."""
        return [s for s in self.default_scopes if s not in granted]

    @abstractmethod
    def revoke(self, token: str) -> None: ...

    # -- what the subclasses fill in or share -----------------------------------------------------
    @abstractmethod
    def _dialog_url(self) -> str: ...

    def _permission_params(self, config_id: str | None) -> dict[str, str]:
        return {"scope": ",".join(self.default_scopes)}

    @staticmethod
    def _pkce_params(pkce: Pkce | None) -> dict[str, str]:
        if pkce is None:
            return {}
        return {"code_challenge": pkce.challenge, "code_challenge_method": "S256"}

    def _code_params(
        self, code: str, redirect_uri: str, pkce: Pkce | None, **extra: str
    ) -> dict[str, str]:
        """What a code exchange sends; `extra` (Instagram's grant_type) follows the credentials."""
        remember_secret(code)
        params = {
            "client_id": self.app_id,
            "client_secret": self.app_secret,
            **extra,
            "redirect_uri": redirect_uri,
            "code": code,
        }
        if pkce is not None:
            params["code_verifier"] = pkce.verifier
        return params

    def _token_answer(
        self,
        base_url: str,
        path: str,
        params: dict[str, str],
        *,
        versioned: bool = True,
        retry: bool = True,
    ) -> tuple[Any, datetime]:
        """GET a token endpoint as the app (no user token), and when it was asked: `expires_in`
        counts from then."""
        asked_at = datetime.now(UTC)
        with self.client(base_url) as client:
            body = client.get(path, params, versioned=versioned, authenticated=False, retry=retry)
        return body, asked_at


class FacebookLogin(LoginProvider):
    name = FACEBOOK
    default_scopes = FACEBOOK_SCOPES
    rerequest_param = ("auth_type", "rerequest")

    def _dialog_url(self) -> str:
        return f"{self.endpoints.facebook_url}/{self.endpoints.version}/dialog/oauth"

    def _permission_params(self, config_id: str | None) -> dict[str, str]:
        if config_id:  # Login for Business: the configuration names the permissions
            return {"config_id": config_id}
        return super()._permission_params(config_id)

    def exchange_code(self, code: str, redirect_uri: str, pkce: Pkce | None) -> TokenGrant:
        params = self._code_params(code, redirect_uri, pkce)
        try:
            # Sent once: a code is single-use, so a retry after a lost answer can only fail.
            body, asked_at = self._token_answer(
                self.endpoints.graph_url, "oauth/access_token", params, retry=False
            )
        except MetaUnreachable as exc:
            raise _exchange_lost(exc) from None
        return _grant(body, asked_at, "code exchange")

    def long_lived(self, short: TokenGrant) -> TokenGrant:
        params = {
            "grant_type": "fb_exchange_token",
            "client_id": self.app_id,
            "client_secret": self.app_secret,
            "fb_exchange_token": short.access_token,
        }
        body, asked_at = self._token_answer(self.endpoints.graph_url, "oauth/access_token", params)
        return _grant(body, asked_at, "long-lived exchange")

    def inspect(self, grant: TokenGrant) -> TokenInspection:
        return self.debug_token(grant.access_token)

    def debug_token(self, token: str) -> TokenInspection:
        app_token = f"{self.app_id}|{self.app_secret}"
        remember_secret(app_token)
        # The app token authenticates the call; no appsecret_proof for it.
        with self.new_client(self.endpoints.graph_url, token=app_token) as client:
            body = client.get("debug_token", {"input_token": token})
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise MetaApiError("debug_token answered without data")
        raw_error = data.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        granular: dict[str, list[str]] = {}
        for entry in data.get("granular_scopes") or []:
            if isinstance(entry, dict) and "target_ids" in entry:
                granular[str(entry.get("scope"))] = [str(t) for t in entry["target_ids"] or []]
        return TokenInspection(
            is_valid=bool(data.get("is_valid")),
            user_id=str(data["user_id"]) if data.get("user_id") else None,
            expires_at=from_epoch(data.get("expires_at")),
            data_access_expires_at=from_epoch(data.get("data_access_expires_at")),
            scopes=[str(s) for s in data.get("scopes") or []],
            granular_targets=granular,
            error_code=error.get("code"),
            error_subcode=error.get("subcode"),
            error_message=error.get("message"),
            app_id=str(data["app_id"]) if data.get("app_id") else None,
            token_type=str(data["type"]) if data.get("type") else None,
        )

    def identity(self, token: str) -> Identity:
        with self.client(self.endpoints.graph_url, token) as client:
            body = client.get("me", {"fields": "id,name"})
        return Identity(user_id=str(body.get("id", "")), name=str(body.get("name", "")))

    def discover(self, token: str, identity: Identity | None = None) -> Discovery:
        found = Discovery()
        with self.client(self.endpoints.graph_url, token) as client:
            for page in client.paginate("me/accounts", {"fields": PAGE_FIELDS, "limit": 100}):
                if not isinstance(page, dict) or "id" not in page:
                    continue
                linked = page.get("instagram_business_account")  # absent when nothing is linked
                ig_id = str(linked["id"]) if isinstance(linked, dict) and linked.get("id") else None
                found.pages.append(
                    ReachedPage(
                        id=str(page["id"]),
                        name=str(page.get("name", "")),
                        tasks=[str(t) for t in page.get("tasks") or []],
                        instagram_account_id=ig_id,
                    )
                )
                if ig_id and isinstance(linked, dict):
                    found.accounts.append(
                        ReachedAccount(
                            id=ig_id,
                            username=str(linked.get("username") or ig_id),
                            page_id=str(page["id"]),
                            page_name=str(page.get("name", "")),
                        )
                    )
        return found

    def declined_scopes(self, token: str, granted: list[str]) -> list[str]:
        with self.client(self.endpoints.graph_url, token) as client:
            body = client.get("me/permissions")
        status = {
            str(p.get("permission")): str(p.get("status"))
            for p in body.get("data") or []
            if isinstance(p, dict)
        }
        declined = [p for p, s in status.items() if s != "granted"]
        # Asked for but not listed at all counts as declined as well.
        declined += [s for s in self.default_scopes if s not in status and s not in granted]
        return sorted(set(declined))

    def revoke(self, token: str) -> None:
        with self.client(self.endpoints.graph_url, token) as client:
            client.delete("me/permissions")


class InstagramLogin(LoginProvider):
    name = INSTAGRAM
    default_scopes = INSTAGRAM_SCOPES
    rerequest_param = ("force_reauth", "true")

    def _dialog_url(self) -> str:
        return f"{self.endpoints.instagram_url}/oauth/authorize"

    def exchange_code(self, code: str, redirect_uri: str, pkce: Pkce | None) -> TokenGrant:
        form = self._code_params(code, redirect_uri, pkce, grant_type="authorization_code")
        now = datetime.now(UTC)
        # A POST, sent once: an OAuth code must not be sent twice.
        try:
            with self.client(self.endpoints.instagram_api_url) as client:
                body = client.post("oauth/access_token", form, versioned=False, authenticated=False)
        except MetaUnreachable as exc:
            raise _exchange_lost(exc) from None
        except InvalidPlatformApp as exc:
            raise self._wrong_app(exc) from None
        # Documented as {"data": [{...}]}; some answers are flat.
        entry = body
        if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
            entry = body["data"][0]
        if not isinstance(entry, dict):
            raise LoginFailed("Instagram's answer to the code exchange was not understood")
        permissions = entry.get("permissions") or []
        if isinstance(permissions, str):
            permissions = [p for p in permissions.split(",") if p]
        return TokenGrant(
            _token_from(entry, "code exchange"),
            _expiry(entry.get("expires_in"), now) or now + timedelta(hours=1),
            user_id=str(entry["user_id"]) if entry.get("user_id") is not None else None,
            permissions=[str(p) for p in permissions],
        )

    def long_lived(self, short: TokenGrant) -> TokenGrant:
        params = {
            "grant_type": "ig_exchange_token",
            "client_secret": self.app_secret,
            "access_token": short.access_token,
        }
        try:
            body, asked_at = self._token_answer(
                self.endpoints.instagram_graph_url, "access_token", params, versioned=False
            )
        except InvalidPlatformApp as exc:
            raise self._wrong_app(exc) from None
        except MetaApiError as exc:
            if exc.bad_client_secret:
                exc.hint = (
                    "Instagram Login needs the Instagram app's secret (not the Meta app's): copy "
                    f"it from {INSTAGRAM_APP_PLACE} and run `igconnect app set "
                    f"--instagram-app-id {self.app_id}`"
                )
            raise
        return _grant(
            body,
            asked_at,
            "long-lived exchange",
            user_id=short.user_id,
            permissions=_permissions(body) or short.permissions,
        )

    def _wrong_app(self, exc: InvalidPlatformApp) -> InvalidPlatformApp:
        """Meta's "Invalid platform app", said so that the person knows which id to use."""
        return InvalidPlatformApp(
            f'Meta refused app id {self.app_id} on the Instagram Login path ("{exc.message}"): '
            "Instagram Login needs the Instagram app's own id and secret, not the Meta app's",
            code=exc.code,
            http_status=exc.http_status,
            error_type=exc.error_type,
            hint=f"copy the Instagram app ID and secret from {INSTAGRAM_APP_PLACE} on "
            "developers.facebook.com and run `igconnect app set --instagram-app-id "
            "INSTAGRAM_APP_ID`",
        )

    def refresh(self, token: str) -> TokenGrant:
        """A new 60-day token; Meta allows it once the token is 24 h old and not yet expired."""
        params = {"grant_type": "ig_refresh_token", "access_token": token}
        body, asked_at = self._token_answer(
            self.endpoints.instagram_graph_url, "refresh_access_token", params, versioned=False
        )
        return _grant(body, asked_at, "token refresh", permissions=_permissions(body))

    def inspect(self, grant: TokenGrant) -> TokenInspection:
        # No debug_token on this path: what the login answered is what we know.
        return TokenInspection(
            is_valid=True,
            user_id=grant.user_id,
            expires_at=grant.expires_at,
            scopes=list(grant.permissions),
        )

    def identity(self, token: str) -> Identity:
        with self.client(self.endpoints.instagram_graph_url, token) as client:
            body = client.get("me", {"fields": "user_id,username,account_type"})
        account_type = body.get("account_type")
        user_id = str(body.get("user_id") or body.get("id") or "")
        username = str(body.get("username") or user_id)
        if account_type and str(account_type).upper() not in PROFESSIONAL_TYPES:
            raise LoginFailed(
                f"@{username} is a personal Instagram account; only professional accounts "
                "(Business or Creator) can be connected",
                hint="switch it to a professional account in the Instagram app (Settings → Account "
                "type and tools), then run `igconnect login --provider instagram` again",
            )
        return Identity(user_id=user_id, name=username, account_type=account_type)

    def discover(self, token: str, identity: Identity | None = None) -> Discovery:
        me = identity or self.identity(token)
        return Discovery(
            accounts=[ReachedAccount(id=me.user_id, username=me.name, account_type=me.account_type)]
        )

    def revoke(self, token: str) -> None:
        # Instagram Login has no permission-revoking endpoint; the caller says so.
        raise MetaApiError(
            "Instagram Login offers no way to revoke an app's access from outside",
            hint="remove the app in the Instagram app: Settings → Website permissions → Apps",
        )


def _exchange_lost(exc: MetaUnreachable) -> LoginFailed:
    return LoginFailed(
        f"Meta's answer to the code exchange was lost ({exc.message}); the code can be used only "
        "once, so it was not sent again",
        hint="log in again (`igconnect login`, or `--reconnect NAME` for an existing connection)",
    )


def _permissions(body: Any) -> list[str]:
    raw = body.get("permissions") if isinstance(body, dict) else None
    if isinstance(raw, str):
        return [p for p in raw.split(",") if p]
    if isinstance(raw, list):
        return [str(p) for p in raw]
    return []


def provider_for(
    name: str, endpoints: Endpoints, app_id: str, app_secret: str, new_client: ClientFactory
) -> LoginProvider:
    provider = InstagramLogin if name == INSTAGRAM else FacebookLogin
    return provider(endpoints, app_id, app_secret, new_client)
