"""The OAuth providers against pytest-httpx fakes of Meta's endpoints: what goes out, how the answers
are read, and that no secret leaks into an error."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pytest_httpx import HTTPXMock

from igconnect.errors import LoginFailed
from igconnect.meta.errors import TokenDead
from igconnect.meta.oauth import (
    FacebookLogin,
    InstagramLogin,
    TokenGrant,
    new_pkce,
    new_state,
    states_match,
)
from igconnect.redact import redact
from igconnect.runtime import Runtime

APP_ID = "1234567890"
SECRET = "app-secret-0123456789abcdef"
SHORT = "EAAshortlivedtoken0123456789abcdef"
LONG = "EAAlonglivedtoken0123456789abcdefXYZ"
IG_SHORT = "IGAAshortlivedtoken0123456789abcdef"
IG_LONG = "IGAAlonglivedtoken0123456789abcdefXYZ"
REDIRECT = "http://localhost:8765/callback"
GRAPH = "https://graph.facebook.com/v25.0"


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.setenv("IGCONNECT_HTTP_RETRIES", "0")
    return Runtime()


def _query(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}


def test_state_and_pkce() -> None:
    a, b = new_state(), new_state()
    assert a != b and len(a) >= 40
    assert states_match(a, a) and not states_match(a, b) and not states_match(a, None)
    pkce = new_pkce()
    assert 43 <= len(pkce.verifier) <= 128
    digest = hashlib.sha256(pkce.verifier.encode()).digest()
    assert pkce.challenge == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert pkce.verifier not in redact(f"verifier {pkce.verifier}")


def test_facebook_authorize_url(runtime: Runtime) -> None:
    fb = FacebookLogin(runtime.endpoints, APP_ID, SECRET, runtime.graph_client)
    pkce = new_pkce()
    url = fb.authorize_url(REDIRECT, "st4te", pkce=pkce)
    parts = urlsplit(url)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}"
        == "https://www.facebook.com/v25.0/dialog/oauth"
    )
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert q["client_id"] == APP_ID and q["redirect_uri"] == REDIRECT and q["state"] == "st4te"
    assert q["response_type"] == "code"
    assert "instagram_manage_insights" in q["scope"].split(",")
    assert q["code_challenge"] == pkce.challenge and q["code_challenge_method"] == "S256"
    assert SECRET not in url and pkce.verifier not in url
    rerequest = dict(parse_qs(urlsplit(fb.authorize_url(REDIRECT, "s", rerequest=True)).query))
    assert rerequest["auth_type"] == ["rerequest"] and "code_challenge" not in rerequest
    business = dict(parse_qs(urlsplit(fb.authorize_url(REDIRECT, "s", config_id="987")).query))
    assert business["config_id"] == ["987"] and "scope" not in business


def test_instagram_authorize_url(runtime: Runtime) -> None:
    url = InstagramLogin(runtime.endpoints, APP_ID, SECRET, runtime.graph_client).authorize_url(
        REDIRECT, "st4te"
    )
    assert url.startswith("https://www.instagram.com/oauth/authorize?")
    q = parse_qs(urlsplit(url).query)
    assert q["scope"] == ["instagram_business_basic,instagram_business_manage_insights"]


def test_facebook_exchanges(runtime: Runtime, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=httpx.URL(
            f"{GRAPH}/oauth/access_token",
            params={
                "client_id": APP_ID,
                "client_secret": SECRET,
                "redirect_uri": REDIRECT,
                "code": "the-code-123",
                "code_verifier": "v" * 50,
            },
        ),
        json={"access_token": SHORT, "token_type": "bearer", "expires_in": 6400},
    )
    httpx_mock.add_response(
        url=httpx.URL(
            f"{GRAPH}/oauth/access_token",
            params={
                "grant_type": "fb_exchange_token",
                "client_id": APP_ID,
                "client_secret": SECRET,
                "fb_exchange_token": SHORT,
            },
        ),
        json={"access_token": LONG, "token_type": "bearer", "expires_in": 5183944},
    )
    from igconnect.meta.oauth import Pkce

    fb = FacebookLogin(runtime.endpoints, APP_ID, SECRET, runtime.graph_client)
    short = fb.exchange_code("the-code-123", REDIRECT, Pkce("v" * 50, "c"))
    assert short.access_token == SHORT
    long = fb.long_lived(short)
    assert long.access_token == LONG
    assert long.expires_at is not None
    assert timedelta(days=59) < long.expires_at - datetime.now(UTC) < timedelta(days=61)
    for request in httpx_mock.get_requests():
        assert "Authorization" not in request.headers  # the exchanges carry no user token


def test_facebook_code_error_is_redacted(runtime: Runtime, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=400,
        json={
            "error": {
                "message": "This authorization code has been used: the-code-123",
                "type": "OAuthException",
                "code": 100,
                "error_subcode": 36009,
            }
        },
    )
    with pytest.raises(Exception) as info:
        FacebookLogin(runtime.endpoints, APP_ID, SECRET, runtime.graph_client).exchange_code(
            "the-code-123", REDIRECT, None
        )
    assert "the-code-123" not in str(info.value)


def test_debug_token_and_discovery(runtime: Runtime, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=httpx.URL(f"{GRAPH}/debug_token", params={"input_token": LONG}),
        match_headers={"Authorization": f"OAuth {APP_ID}|{SECRET}"},
        json={
            "data": {
                "app_id": APP_ID,
                "type": "USER",
                "is_valid": True,
                "expires_at": 1900000000,
                "data_access_expires_at": 1890000000,
                "scopes": ["instagram_basic", "pages_show_list"],
                "granular_scopes": [
                    {"scope": "instagram_basic", "target_ids": ["178"]},
                    {"scope": "pages_show_list"},
                ],
                "user_id": "42",
            }
        },
    )
    fields = "id,name,tasks,instagram_business_account{id,username}"
    httpx_mock.add_response(
        match_headers={"Authorization": f"OAuth {LONG}"},
        json={
            "data": [
                {
                    "id": "1",
                    "name": "Shop",
                    "tasks": ["ANALYZE"],
                    "instagram_business_account": {"id": "178", "username": "shop"},
                },
            ],
            "paging": {"next": f"{GRAPH}/me/accounts?fields=x&access_token={LONG}&after=A"},
        },
    )
    httpx_mock.add_response(
        json={"data": [{"id": "2", "name": "No link", "tasks": []}]},
    )
    fb = FacebookLogin(runtime.endpoints, APP_ID, SECRET, runtime.graph_client)
    info = fb.inspect(TokenGrant(LONG))
    assert info.is_valid and info.user_id == "42"
    assert info.expires_at == datetime.fromtimestamp(1900000000, UTC)
    assert info.granular_targets == {"instagram_basic": ["178"]}
    found = fb.discover(LONG)
    assert [(a.id, a.username, a.page_name) for a in found.accounts] == [("178", "shop", "Shop")]
    assert [(p.id, p.instagram_account_id) for p in found.pages] == [("1", "178"), ("2", None)]
    requests = httpx_mock.get_requests()
    first, second = _query(requests[1]), _query(requests[2])
    assert first["fields"] == fields and first["limit"] == "100"
    assert second["after"] == "A"  # the cursor survives; the paging link's token was stripped
    assert all(LONG not in str(r.url) for r in requests[1:])


def test_debug_token_of_a_dead_token(runtime: Runtime, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        json={
            "data": {
                "is_valid": False,
                "scopes": [],
                "error": {"code": 190, "subcode": 460, "message": "pw"},
            }
        }
    )
    info = FacebookLogin(runtime.endpoints, APP_ID, SECRET, runtime.graph_client).debug_token(LONG)
    assert not info.is_valid and info.error_subcode == 460


@pytest.mark.parametrize(
    "answer",
    [
        {
            "data": [
                {
                    "access_token": IG_SHORT,
                    "user_id": 17841,
                    "permissions": "instagram_business_basic",
                }
            ]
        },
        {"access_token": IG_SHORT, "user_id": 17841, "permissions": ["instagram_business_basic"]},
    ],
)
def test_instagram_code_exchange_accepts_both_shapes(
    runtime: Runtime, httpx_mock: HTTPXMock, answer: dict[str, object]
) -> None:
    httpx_mock.add_response(
        method="POST", url="https://api.instagram.com/oauth/access_token", json=answer
    )
    grant = InstagramLogin(runtime.endpoints, APP_ID, SECRET, runtime.graph_client).exchange_code(
        "c0de", REDIRECT, None
    )
    assert grant.access_token == IG_SHORT and grant.user_id == "17841"
    assert grant.permissions == ["instagram_business_basic"]
    form = parse_qs(httpx_mock.get_requests()[0].content.decode())
    assert form["grant_type"] == ["authorization_code"] and form["redirect_uri"] == [REDIRECT]
    assert form["client_secret"] == [SECRET]


def test_instagram_exchange_error_shape(runtime: Runtime, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="POST",
        status_code=400,
        json={
            "error_type": "OAuthException",
            "code": 400,
            "error_message": "Invalid authorization code",
        },
    )
    with pytest.raises(Exception, match="Invalid authorization code"):
        InstagramLogin(runtime.endpoints, APP_ID, SECRET, runtime.graph_client).exchange_code(
            "c0de", REDIRECT, None
        )


def test_instagram_long_lived_refresh_and_identity(runtime: Runtime, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=httpx.URL(
            "https://graph.instagram.com/access_token",
            params={
                "grant_type": "ig_exchange_token",
                "client_secret": SECRET,
                "access_token": IG_SHORT,
            },
        ),
        json={"access_token": IG_LONG, "token_type": "bearer", "expires_in": 5183944},
    )
    httpx_mock.add_response(
        url=httpx.URL(
            "https://graph.instagram.com/refresh_access_token",
            params={"grant_type": "ig_refresh_token", "access_token": IG_LONG},
        ),
        json={"access_token": IG_LONG + "2", "token_type": "bearer", "expires_in": 5183944},
    )
    httpx_mock.add_response(
        url=re.compile(
            r"https://graph\.instagram\.com/v25\.0/me\?fields=user_id%2Cusername%2Caccount_type.*"
        ),
        match_headers={"Authorization": f"Bearer {IG_LONG}"},
        json={
            "id": "app-scoped",
            "user_id": "17841",
            "username": "shop",
            "account_type": "BUSINESS",
        },
    )
    ig = InstagramLogin(runtime.endpoints, APP_ID, SECRET, runtime.graph_client)
    long = ig.long_lived(TokenGrant(IG_SHORT))
    assert long.access_token == IG_LONG
    assert ig.refresh(IG_LONG).access_token == IG_LONG + "2"
    me = ig.identity(IG_LONG)
    assert (me.user_id, me.name, me.account_type) == ("17841", "shop", "BUSINESS")


def test_instagram_personal_account_is_refused_clearly(
    runtime: Runtime, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"user_id": "1", "username": "me_me", "account_type": "PERSONAL"})
    with pytest.raises(LoginFailed, match="personal Instagram account") as info:
        InstagramLogin(runtime.endpoints, APP_ID, SECRET, runtime.graph_client).identity(IG_LONG)
    assert "professional" in (info.value.hint or "")


def test_refresh_of_dead_token(runtime: Runtime, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=400,
        json={
            "error": {
                "message": "Error validating access token: password changed",
                "type": "OAuthException",
                "code": 190,
                "error_subcode": 460,
            }
        },
    )
    with pytest.raises(TokenDead) as info:
        InstagramLogin(runtime.endpoints, "", "", runtime.graph_client).refresh(IG_LONG)
    assert info.value.reason == "the password was changed"


# -- the Instagram app's credentials: Meta's recorded answers (tests/meta_answers.py) ---------------
@pytest.mark.parametrize(
    ("answer_id", "step", "error", "said"),
    [
        (
            "ig-invalid-platform-app",
            "exchange",
            "InvalidPlatformApp",
            "Instagram Login needs the Instagram app's own id and secret, not the Meta app's",
        ),
        (
            "ig-invalid-platform-app",
            "long_lived",
            "InvalidPlatformApp",
            "Instagram Login needs the Instagram app's own id and secret, not the Meta app's",
        ),
        ("ig-bad-client-secret", "long_lived", "MetaApiError", "Error validating client secret."),
        ("ig-code-used", "exchange", "MetaApiError", "This authorization code has been used"),
    ],
)
def test_instagram_credential_answers_say_which_app_to_use(
    runtime: Runtime, httpx_mock: HTTPXMock, answer_id: str, step: str, error: str, said: str
) -> None:
    from igconnect.errors import ExitCode
    from igconnect.meta import errors as meta_errors
    from tests.meta_answers import BY_ID

    answer = BY_ID[answer_id]
    body = answer.body if answer.body is not None else dict(answer.fields)
    httpx_mock.add_response(status_code=answer.status or 400, json=body)
    ig = InstagramLogin(runtime.endpoints, APP_ID, SECRET, runtime.graph_client)
    with pytest.raises(meta_errors.MetaApiError) as info:
        if step == "exchange":
            ig.exchange_code("c0de", REDIRECT, None)
        else:
            ig.long_lived(TokenGrant(IG_SHORT))
    assert type(info.value).__name__ == error
    assert said in info.value.message
    hint = info.value.hint or ""
    if answer_id != "ig-code-used":
        assert "Instagram → API setup with Instagram login" in hint
        assert "igconnect app set --instagram-app-id" in hint
    if error == "InvalidPlatformApp":
        assert info.value.exit_code == ExitCode.CONFIG
        assert APP_ID in info.value.message  # says which id Meta refused
    assert SECRET not in info.value.message + hint


@pytest.mark.parametrize(
    ("answer_id", "bad_secret"),
    [
        ("ig-bad-client-secret", True),
        ("fb-bad-client-secret", True),
        ("ig-invalid-platform-app", False),
        ("ig-code-used", False),
        ("fb-bad-app-id", False),
    ],
)
def test_a_refused_app_secret_is_a_field_of_the_error(answer_id: str, bad_secret: bool) -> None:
    """Meta's code does not tell a wrong app secret apart (1, 100 or 400): the parser reads Meta's
    recorded text once, and the login code decides on the field."""
    from igconnect.meta.errors import error_from_body
    from tests.meta_answers import BY_ID

    answer = BY_ID[answer_id]
    fields = dict(answer.fields)
    if answer.body is not None:
        body = answer.body
    elif "error_message" in fields:  # api.instagram.com's shape
        body = fields
    else:
        body = {"error": fields}
    error = error_from_body(answer.status or 400, body)
    assert error.bad_client_secret is bad_secret
