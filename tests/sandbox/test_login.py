"""Facebook Login and Instagram Login against the sandbox: dialogs, exchanges, strictness."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from igconnect.sandbox import Sandbox
from igconnect.sandbox.consent import ConsentError, follow_consent

from .conftest import REDIRECT, V, error_of, graph

APP = "1000000000000001"
SECRET = "sandbox-app-secret"
IG_APP = "1000000000000002"  # Instagram Login has its own app id and secret
IG_SECRET = "sandbox-instagram-app-secret"
FB_SCOPES = "instagram_basic,instagram_manage_insights,pages_show_list,pages_read_engagement"


def fb_url(sb: Sandbox, **extra: str) -> str:
    q = {
        "client_id": APP,
        "redirect_uri": REDIRECT,
        "state": "st4te",
        "response_type": "code",
        "scope": FB_SCOPES,
        **extra,
    }
    return f"{sb.base_url}/facebook/{V}/dialog/oauth?{urlencode(q)}"


def ig_url(sb: Sandbox, **extra: str) -> str:
    q = {
        "client_id": IG_APP,
        "redirect_uri": REDIRECT,
        "state": "st4te",
        "response_type": "code",
        "scope": "instagram_business_basic,instagram_business_manage_insights",
        **extra,
    }
    return f"{sb.base_url}/instagram/oauth/authorize?{urlencode(q)}"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def exchange(
    http: httpx.Client, code: str, redirect_uri: str = REDIRECT, **extra: str
) -> httpx.Response:
    return http.get(
        f"/graph/{V}/oauth/access_token",
        params={
            "client_id": APP,
            "client_secret": SECRET,
            "redirect_uri": redirect_uri,
            "code": code,
            **extra,
        },
    )


def test_consent_page_html(sb: Sandbox, http: httpx.Client) -> None:
    html = http.get(fb_url(sb)).text
    assert "Ada Agency" in html
    for scope in FB_SCOPES.split(","):
        assert f'name=scope value="{scope}" checked' in html
    assert 'name=page value="20000000000000001" checked' in html and "@acme_1" in html
    assert "id=continue" in html and "id=cancel" in html
    assert "<script" not in html and "http://" not in html.split("<body>")[1].split("action=")[0]


def test_facebook_login_end_to_end(sb: Sandbox, http: httpx.Client) -> None:
    final = follow_consent(fb_url(sb))
    assert final.startswith(REDIRECT + "?")
    q = query(final)
    assert q["state"] == "st4te"
    short = exchange(http, q["code"]).json()
    assert short["token_type"] == "bearer" and 3600 <= short["expires_in"] <= 7200
    long = http.get(
        f"/graph/{V}/oauth/access_token",
        params={
            "grant_type": "fb_exchange_token",
            "client_id": APP,
            "client_secret": SECRET,
            "fb_exchange_token": short["access_token"],
        },
    ).json()
    assert 5_000_000 < long["expires_in"] < 5_200_000
    assert graph(http, long["access_token"], "me").json()["name"] == "Ada Agency"


def test_codes_are_single_use_and_expire(sb: Sandbox, http: httpx.Client) -> None:
    code = query(follow_consent(fb_url(sb)))["code"]
    assert exchange(http, code).status_code == 200
    err = error_of(exchange(http, code))
    assert err["code"] == 100 and err["message"] == "This authorization code has been used."
    code2 = query(follow_consent(fb_url(sb)))["code"]
    sb.advance_clock(minutes=11)
    err = error_of(exchange(http, code2))
    assert err["code"] == 100 and "expired" in err["message"]


def test_redirect_uri_must_match_exactly(sb: Sandbox, http: httpx.Client) -> None:
    code = query(follow_consent(fb_url(sb)))["code"]
    err = error_of(exchange(http, code, REDIRECT + "/"))
    assert err["code"] == 100 and err["message"].startswith("Error validating verification code.")
    html = http.get(fb_url(sb, redirect_uri="http://localhost:8765/callback/")).text
    assert "URL Blocked" in html and "id=continue" not in html
    with pytest.raises(ConsentError, match="not whitelisted"):
        follow_consent(fb_url(sb, redirect_uri="http://localhost:9999/callback"))
    sb.add_redirect_uri("http://localhost:9999/callback")
    assert follow_consent(fb_url(sb, redirect_uri="http://localhost:9999/callback")).startswith(
        "http://localhost:9999/callback?code="
    )


def test_unknown_client_id(sb: Sandbox) -> None:
    with pytest.raises(ConsentError, match="Invalid App ID"):
        follow_consent(fb_url(sb, client_id="42"))


def test_wrong_secret(sb: Sandbox, http: httpx.Client) -> None:
    code = query(follow_consent(fb_url(sb)))["code"]
    err = error_of(
        http.get(
            f"/graph/{V}/oauth/access_token",
            params={
                "client_id": APP,
                "client_secret": "nope",
                "redirect_uri": REDIRECT,
                "code": code,
            },
        )
    )
    assert err["code"] == 1 and err["message"] == "Error validating client secret."


def test_pkce(sb: Sandbox, http: httpx.Client) -> None:
    verifier = "v" * 50
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    url = fb_url(sb, code_challenge=challenge, code_challenge_method="S256")
    code = query(follow_consent(url))["code"]
    assert error_of(exchange(http, code, code_verifier="w" * 50))["code"] == 100
    code = query(follow_consent(url))["code"]
    assert exchange(http, code, code_verifier=verifier).status_code == 200


def test_cancel(sb: Sandbox) -> None:
    final = follow_consent(fb_url(sb), cancel=True)
    assert final == (
        REDIRECT + "?error=access_denied&error_reason=user_denied"
        "&error_description=Permissions+error&state=st4te"
    )


def test_declining_in_dialog_and_picking_pages(sb: Sandbox, http: httpx.Client) -> None:
    code = query(
        follow_consent(
            fb_url(sb), decline_scopes=["instagram_manage_insights"], pages=["20000000000000002"]
        )
    )["code"]
    t = exchange(http, code).json()["access_token"]
    perms = graph(http, t, "me/permissions").json()["data"]
    assert {"permission": "instagram_manage_insights", "status": "declined"} in perms
    pages = graph(http, t, "me/accounts").json()["data"]
    assert [p["id"] for p in pages] == ["20000000000000002"]
    acme1 = sb.world.by_username["acme_1"].id
    assert error_of(graph(http, t, acme1))["error_subcode"] == 33


def test_switch_user(make_sandbox) -> None:  # type: ignore[no-untyped-def]
    sb = make_sandbox(scenarios=["already-connected"])
    sb.set_session_user("10000000000000002")
    with httpx.Client() as c:
        assert "Bob Brand" in c.get(fb_url(sb)).text


def test_instagram_login_end_to_end(sb: Sandbox, http: httpx.Client) -> None:
    sb.set_session_user("acme_2")
    final = follow_consent(ig_url(sb))
    assert final.endswith("#_") and query(final)["state"] == "st4te"
    code = query(final[:-2])["code"]
    form = {
        "client_id": IG_APP,
        "client_secret": IG_SECRET,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT,
        "code": code,
    }
    body = http.post("/ig-api/oauth/access_token", data=form).json()
    item = body["data"][0]
    assert set(item) == {"access_token", "user_id", "permissions"}
    again = http.post("/ig-api/oauth/access_token", data=form)
    assert again.status_code == 400
    assert set(again.json()) == {"error_type", "code", "error_message"}
    long = http.get(
        "/ig-graph/access_token",
        params={
            "grant_type": "ig_exchange_token",
            "client_secret": IG_SECRET,
            "access_token": item["access_token"],
        },
    ).json()
    assert long["expires_in"] > 5_000_000
    me = http.get(
        f"/ig-graph/{V}/me",
        params={"fields": "user_id,username,account_type"},
        headers={"Authorization": f"Bearer {long['access_token']}"},
    ).json()
    assert me["username"] == "acme_2"
    refresh = {"grant_type": "ig_refresh_token", "access_token": long["access_token"]}
    err = error_of(http.get("/ig-graph/refresh_access_token", params=refresh))
    assert err["code"] == 100 and "24 hours" in err["message"]
    sb.advance_clock(hours=25)
    r = http.get("/ig-graph/refresh_access_token", params=refresh)
    assert r.status_code == 200 and r.json()["expires_in"] > 5_000_000


def test_instagram_redirect_mismatch(sb: Sandbox, http: httpx.Client) -> None:
    code = query(follow_consent(ig_url(sb))[:-2])["code"]
    r = http.post(
        "/ig-api/oauth/access_token",
        data={
            "client_id": IG_APP,
            "client_secret": IG_SECRET,
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT + "?x=1",
            "code": code,
        },
    )
    assert r.status_code == 400 and r.json()["error_message"].startswith(
        "Error validating verification code"
    )
