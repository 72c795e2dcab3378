"""Which app's credentials each path takes, system users, people sharing a Page, logging in again
after a revoke, a dropped code exchange and checkpoints: all with Meta's recorded answers."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from igconnect.sandbox import Sandbox
from igconnect.sandbox.consent import ConsentError, follow_consent
from tests.meta_answers import BY_ID

from .conftest import (
    ADA,
    APP,
    BOB,
    IG_APP,
    IG_SECRET,
    REDIRECT,
    SECRET,
    V,
    debug,
    error_of,
    graph,
    ig_graph,
)

Make = Callable[..., Sandbox]
FB_SCOPES = "instagram_basic,instagram_manage_insights,pages_show_list,pages_read_engagement"
IG_SCOPES = "instagram_business_basic,instagram_business_manage_insights"


def _fb_url(sb: Sandbox, client_id: str = APP) -> str:
    q = {"client_id": client_id, "redirect_uri": REDIRECT, "state": "s", "scope": FB_SCOPES}
    return f"{sb.base_url}/facebook/{V}/dialog/oauth?{urlencode(q)}"


def _ig_url(sb: Sandbox, client_id: str = IG_APP) -> str:
    q = {"client_id": client_id, "redirect_uri": REDIRECT, "state": "s", "scope": IG_SCOPES}
    q["response_type"] = "code"
    return f"{sb.base_url}/instagram/oauth/authorize?{urlencode(q)}"


def _code(url: str) -> str:
    return parse_qs(urlsplit(url.removesuffix("#_")).query)["code"][0]


def _fb_exchange(c: httpx.Client, code: str, client_id: str = APP) -> httpx.Response:
    params = {"client_id": client_id, "client_secret": SECRET, "redirect_uri": REDIRECT}
    return c.get(f"/graph/{V}/oauth/access_token", params={**params, "code": code})


def _ig_exchange(c: httpx.Client, code: str, client_id: str, secret: str) -> httpx.Response:
    form = {
        "client_id": client_id,
        "client_secret": secret,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT,
        "code": code,
    }
    return c.post("/ig-api/oauth/access_token", data=form)


# -- 1. Instagram app credentials -----------------------------------------------------------


def test_sandbox_config_has_a_distinct_instagram_app(sb: Sandbox) -> None:
    env = sb.env()
    assert env["IGCONNECT_APP_ID"] == APP
    assert env["IGCONNECT_INSTAGRAM_APP_ID"] == IG_APP != APP
    assert IG_SECRET not in "".join(env.values())
    for key in (
        "IGCONNECT_GRAPH_URL",
        "IGCONNECT_FACEBOOK_URL",
        "IGCONNECT_INSTAGRAM_GRAPH_URL",
        "IGCONNECT_INSTAGRAM_URL",
        "IGCONNECT_INSTAGRAM_API_URL",
        "IGCONNECT_GRAPH_VERSION",
    ):
        assert key in env


@pytest.mark.parametrize(
    ("client_id", "secret", "answer"),
    [
        (
            APP,
            SECRET,
            {"error_type": "OAuthException", "code": 400, "error_message": "Invalid platform app"},
        ),
        (
            APP,
            IG_SECRET,
            {"error_type": "OAuthException", "code": 400, "error_message": "Invalid platform app"},
        ),
        (
            IG_APP,
            SECRET,
            {
                "error_type": "OAuthException",
                "code": 400,
                "error_message": "Error validating client secret.",
            },
        ),
    ],
    ids=["meta-app-id-and-secret", "meta-app-id", "meta-app-secret"],
)
def test_instagram_code_exchange_refuses_the_meta_app(
    sb: Sandbox, http: httpx.Client, client_id: str, secret: str, answer: dict[str, object]
) -> None:
    code = _code(follow_consent(_ig_url(sb)))
    r = _ig_exchange(http, code, client_id, secret)
    assert r.status_code == 400 and r.json() == answer
    assert BY_ID["ig-invalid-platform-app"].body == answer or "secret" in str(answer)
    ok = _ig_exchange(http, code, IG_APP, IG_SECRET)  # the refusal did not spend the code
    assert ok.status_code == 200 and ok.json()["data"][0]["access_token"].startswith("IGQW")


def test_instagram_dialog_refuses_the_meta_app_id(sb: Sandbox, http: httpx.Client) -> None:
    html = http.get(_ig_url(sb, APP)).text
    assert "Invalid platform app" in html and "id=continue" not in html
    with pytest.raises(ConsentError, match="Invalid platform app"):
        follow_consent(_ig_url(sb, APP))
    assert f"<b id=app-id>{IG_APP}</b>" in http.get(_ig_url(sb)).text


def test_facebook_path_refuses_the_instagram_app_id(sb: Sandbox, http: httpx.Client) -> None:
    with pytest.raises(ConsentError, match="Invalid App ID"):
        follow_consent(_fb_url(sb, IG_APP))
    code = _code(follow_consent(_fb_url(sb)))
    err = error_of(_fb_exchange(http, code, IG_APP))
    assert (err["code"], err["message"]) == (
        101,
        "Error validating application. Invalid application ID.",
    )


def test_ig_exchange_token_and_proof_take_the_instagram_secret(
    sb: Sandbox, http: httpx.Client
) -> None:
    sb.set_session_user("acme_2")
    code = _code(follow_consent(_ig_url(sb)))
    short = _ig_exchange(http, code, IG_APP, IG_SECRET).json()["data"][0]["access_token"]
    q = {"grant_type": "ig_exchange_token", "access_token": short}
    err = error_of(http.get("/ig-graph/access_token", params={**q, "client_secret": SECRET}))
    assert err["message"] == "Error validating client secret."
    long = http.get("/ig-graph/access_token", params={**q, "client_secret": IG_SECRET}).json()
    token = long["access_token"]
    now = str(int(time.time()))

    def proof(secret: str) -> str:
        return hmac.new(secret.encode(), f"{token}|{now}".encode(), hashlib.sha256).hexdigest()

    good = ig_graph(http, token, "me", appsecret_proof=proof(IG_SECRET), appsecret_time=now)
    assert good.status_code == 200
    bad = ig_graph(http, token, "me", appsecret_proof=proof(SECRET), appsecret_time=now)
    assert error_of(bad)["message"] == "Invalid appsecret_proof provided in the API argument"


def test_cli_style_config_keeps_the_ids_apart(make_sandbox: Make) -> None:
    with pytest.raises(ValueError, match="must differ"):
        make_sandbox(app_id="7", instagram_app_id="7")
    sb = make_sandbox(instagram_app_id="555", instagram_app_secret="s3")
    assert sb.env()["IGCONNECT_INSTAGRAM_APP_ID"] == "555"


# -- 2. System users ------------------------------------------------------------------------


def test_system_user_token(sb: Sandbox, http: httpx.Client) -> None:
    pages = [sb.world.by_username["acme_1"].page_id, "acme_3"]
    t = sb.issue_system_user_token(pages=pages, name="Export Bot")  # type: ignore[list-item]
    me = graph(http, t, "me").json()
    assert me["name"] == "Export Bot" and me["id"] != ADA
    listed = graph(http, t, "me/accounts", fields="id,name,instagram_business_account{username}")
    names = [p["instagram_business_account"]["username"] for p in listed.json()["data"]]
    assert names == ["acme_1", "acme_3"]
    d = debug(http, t)
    assert d["type"] in ("SYSTEM_USER", "USER") and d["expires_at"] == 0
    assert d["is_valid"] is True and d["app_id"] == APP and d["user_id"] == me["id"]
    assert "instagram_manage_insights" in d["scopes"]
    story = sb.world.stories(sb.world.by_username["acme_3"].id, sb.now().timestamp())[-1]
    assert graph(http, t, f"{story.id}/insights", metric="reach").status_code == 200
    # A person's password change does not touch it; scenarios rebuilding the world keep it.
    sb.set_scenario("password-changed")
    assert graph(http, t, "me").status_code == 200
    assert error_of(graph(http, sb.issue_token(ADA), "me"))["error_subcode"] == 460


@pytest.mark.parametrize(
    ("how", "after_days", "subcode"),
    [("python", 61, 463), ("admin", 61, 463), ("python-never", 400, None)],
)
def test_system_user_expiry(
    sb: Sandbox, http: httpx.Client, how: str, after_days: int, subcode: int | None
) -> None:
    if how == "admin":
        body = http.post("/__sandbox/system_user", json={"expires_in_60_days": True}).json()
        t = body["access_token"]
        assert body["user_id"] == graph(http, t, "me").json()["id"]
    else:
        t = sb.issue_system_user_token(expires_in_60_days=how == "python")
    d = debug(http, t)
    assert (d["expires_at"] > 0) == (subcode is not None)
    sb.advance_clock(days=after_days)
    r = graph(http, t, "me")
    if subcode is None:
        assert r.status_code == 200
    else:
        assert error_of(r)["error_subcode"] == subcode
        assert debug(http, t)["is_valid"] is False


def test_system_user_token_of_another_app(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_system_user_token(app_id="2222222222222222", scopes=["pages_show_list"])
    d = debug(http, t)
    assert d["app_id"] == "2222222222222222" and d["scopes"][0] == "pages_show_list"
    bad = http.post("/__sandbox/system_user", json={"pages": ["nope"]})
    assert bad.status_code == 400


# -- 3. Several people per account ----------------------------------------------------------


def test_two_people_manage_the_same_page(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["already-connected@acme_2"])
    acme2 = sb.world.by_username["acme_2"]
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        ada, bob = sb.issue_token(ADA), sb.issue_token(BOB)
        fields = "id,access_token,instagram_business_account{id}"

        def page_token(t: str) -> str:
            data = graph(c, t, "me/accounts", fields=fields).json()["data"]
            return next(p["access_token"] for p in data if p["id"] == acme2.page_id)

        assert page_token(ada) != page_token(bob)
        story = sb.world.stories(acme2.id, sb.now().timestamp())[-1]
        a = graph(c, ada, f"{story.id}/insights", metric="reach").json()
        b = graph(c, bob, f"{story.id}/insights", metric="reach").json()
        assert a == b
        # Ada removes the app: Bob's access is his own.
        c.delete(f"/graph/{V}/me/permissions", headers={"Authorization": f"OAuth {ada}"})
        assert error_of(graph(c, ada, "me"))["error_subcode"] == 458
        assert graph(c, bob, f"{acme2.id}/stories").status_code == 200


# -- 4. Logging in again after logout --revoke ----------------------------------------------


def test_login_again_after_revoke(sb: Sandbox, http: httpx.Client) -> None:
    code = _code(follow_consent(_fb_url(sb)))
    old = _fb_exchange(http, code).json()["access_token"]
    r = http.delete(f"/graph/{V}/me/permissions", headers={"Authorization": f"OAuth {old}"})
    assert r.json() == {"success": True}
    assert error_of(graph(http, old, "me"))["error_subcode"] == 458
    code = _code(follow_consent(_fb_url(sb)))  # a new consent in the dialog
    new = _fb_exchange(http, code).json()["access_token"]
    assert graph(http, new, "me").json()["id"] == ADA
    assert error_of(graph(http, old, "me"))["error_subcode"] == 458  # the old one stays dead
    assert graph(http, sb.issue_token(ADA), "me").status_code == 200


# -- 9. The code exchange drops the connection ----------------------------------------------


def test_exchange_drop_spends_the_code(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["exchange-drop"])
    code = _code(follow_consent(_fb_url(sb)))
    with (
        httpx.Client(base_url=sb.base_url, timeout=10) as c,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        _fb_exchange(c, code)
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        err = error_of(_fb_exchange(c, code))
        assert BY_ID["fb-code-used"].body["error"]["message"] == err["message"]
        assert (err["code"], err["error_subcode"]) == (100, 36009)
        fresh = _code(follow_consent(_fb_url(sb)))  # only the next code was dropped
        assert _fb_exchange(c, fresh).status_code == 200


# -- 10. Checkpoint -------------------------------------------------------------------------


@pytest.mark.parametrize("clear", ["python", "admin"])
def test_checkpoint_until_cleared(make_sandbox: Make, clear: str) -> None:
    sb = make_sandbox()
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        t = sb.issue_token(ADA)
        sb.set_scenario("checkpoint")
        for path in ("me", "me/accounts", f"{sb.world.by_username['acme_1'].id}/stories"):
            err = error_of(graph(c, t, path))
            assert (err["code"], err["error_subcode"]) == (190, 459)
            assert err["message"] == BY_ID["token-190-459"].fields["message"]
        d = debug(c, t)
        assert d["is_valid"] is False and d["error"]["subcode"] == 459
        assert d["error"]["message"] == BY_ID["debug-token-dead"].body["error"]["message"]
        if clear == "python":
            sb.clear_checkpoint()
        else:
            c.request("DELETE", "/__sandbox/scenario", json={"scenario": "checkpoint"})
        assert graph(c, t, "me").status_code == 200


def test_checkpoint_per_account_hits_its_managers(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["checkpoint@acme_2"])
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        assert error_of(graph(c, sb.issue_token(ADA), "me"))["error_subcode"] == 459
        ig = sb.issue_token("acme_1", provider="instagram")
        assert ig_graph(c, ig, "me").status_code == 200
        sb.clear_checkpoint("acme_2")
        assert graph(c, sb.issue_token(ADA), "me").status_code == 200
