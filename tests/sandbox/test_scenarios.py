"""Every scenario, answering as Meta would (see docs/sandbox.md)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest

from igconnect.sandbox import SCENARIOS, Sandbox
from igconnect.sandbox.consent import ConsentError, follow_consent

from .conftest import ADA, APP_TOKEN, BOB, REDIRECT, V, error_of, graph, ig_graph
from .test_login import fb_url, ig_url

Make = Callable[..., Sandbox]


def client(sb: Sandbox) -> httpx.Client:
    return httpx.Client(base_url=sb.base_url, timeout=10)


def pages_of(c: httpx.Client, t: str) -> dict[str, dict]:
    data = graph(
        c, t, "me/accounts", fields="id,name,instagram_business_account{id,username}", limit=100
    ).json()["data"]
    return {p["name"]: p for p in data}


def ig(sb: Sandbox, username: str) -> str:
    return sb.world.by_username[username].id


def test_every_scenario_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "sandbox.md").read_text()
    for name in SCENARIOS:
        assert f"`{name}`" in doc, name


def test_unknown_scenario_is_refused(make_sandbox: Make) -> None:
    with pytest.raises(ValueError, match="unknown sandbox scenario"):
        make_sandbox(scenarios=["nope"])


def test_personal_account(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["personal-account@acme_2"])
    with client(sb) as c:
        pages = pages_of(c, sb.issue_token(ADA))
        assert "instagram_business_account" not in pages["Acme Client 2"]
        assert "instagram_business_account" in pages["Acme Client 1"]
        sb.set_session_user("acme_2")
        with pytest.raises(ConsentError, match="personal account"):
            follow_consent(ig_url(sb))
        t = sb.issue_token("acme_2", provider="instagram")
        assert ig_graph(c, t, "me", fields="account_type").json() == {"account_type": "PERSONAL"}
        assert error_of(ig_graph(c, t, "me/stories"))["code"] == 10


def test_no_page(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["no-page"])
    with client(sb) as c:
        assert graph(c, sb.issue_token(ADA), "me/accounts").json() == {"data": []}
        t = sb.issue_token("acme_1", provider="instagram")  # Instagram Login needs no Page
        assert ig_graph(c, t, "me", fields="username").json() == {"username": "acme_1"}
    sb2 = make_sandbox(scenarios=["no-page@acme_2"])
    with client(sb2) as c:
        assert set(pages_of(c, sb2.issue_token(ADA))) == {"Acme Client 1", "Acme Client 3"}


def test_page_not_linked(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["page-not-linked@acme_2"])
    with client(sb) as c:
        page = pages_of(c, sb.issue_token(ADA))["Acme Client 2"]
        assert "instagram_business_account" not in page  # the key is absent, not null
        assert error_of(graph(c, sb.issue_token(ADA), ig(sb, "acme_2")))["error_subcode"] == 33


def test_link_unconfirmed(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["link-unconfirmed@acme_2"])
    with client(sb) as c:
        assert "instagram_business_account" not in pages_of(c, sb.issue_token(ADA))["Acme Client 2"]
        assert "link pending confirmation" in c.get(fb_url(sb)).text


def test_wrong_page(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["wrong-page@acme_2"])
    with client(sb) as c:
        t = sb.issue_token(ADA)
        linked = pages_of(c, t)["Acme Client 2"]["instagram_business_account"]
        assert linked["username"] == "acme_2_old"
        assert graph(c, t, f"{linked['id']}/stories").json()["data"] == []


def test_page_not_picked(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["page-not-picked@acme_2"])
    with client(sb) as c:
        assert 'name=page value="20000000000000002">' in c.get(fb_url(sb)).text  # unticked
        assert 'name=page value="20000000000000001" checked' in c.get(fb_url(sb)).text
        t = sb.issue_token(ADA)
        assert set(pages_of(c, t)) == {"Acme Client 1", "Acme Client 3"}
        err = error_of(graph(c, t, ig(sb, "acme_2")))
        assert (err["code"], err["error_subcode"]) == (100, 33)
        d = c.get(
            f"/graph/{V}/debug_token", params={"input_token": t, "access_token": APP_TOKEN}
        ).json()
        basic = next(g for g in d["data"]["granular_scopes"] if g["scope"] == "instagram_basic")
        assert basic["target_ids"] == [ig(sb, "acme_1"), ig(sb, "acme_3")]


def test_declined_permission(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["declined-permission"])
    with client(sb) as c:
        html = c.get(fb_url(sb)).text
        assert (
            'value="instagram_manage_insights">' in html
            and 'value="instagram_basic" checked' in html
        )
        t = sb.issue_token(ADA)
        perms = graph(c, t, "me/permissions").json()["data"]
        assert {"permission": "instagram_manage_insights", "status": "declined"} in perms
        story = sb.world.stories(ig(sb, "acme_1"), sb.now().timestamp())[0]
        err = error_of(graph(c, t, f"{story.id}/insights", metric="reach"))
        assert (
            err["code"] == 10
            and err["message"] == "(#10) Application does not have permission for this action"
        )


def test_declined_permission_named_scope_and_per_account(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["declined-permission:pages_show_list"])
    with client(sb) as c:
        assert graph(c, sb.issue_token(ADA), "me/accounts").json()["data"] == []
    sb2 = make_sandbox(scenarios=["declined-permission@acme_2"])
    with client(sb2) as c:
        t = sb2.issue_token(ADA)
        now = sb2.now().timestamp()
        s1 = sb2.world.stories(ig(sb2, "acme_1"), now)[0]
        s2 = sb2.world.stories(ig(sb2, "acme_2"), now)[0]
        assert graph(c, t, f"{s1.id}/insights", metric="reach").status_code == 200
        assert error_of(graph(c, t, f"{s2.id}/insights", metric="reach"))["code"] == 10


@pytest.mark.parametrize(
    ("scenario", "subcode", "text"),
    [
        ("password-changed", 460, "changed their password"),
        ("token-expired", 463, "Session has expired"),
        ("app-removed", 458, "has not authorized application 1000000000000001"),
    ],
)
def test_token_killers(make_sandbox: Make, scenario: str, subcode: int, text: str) -> None:
    sb = make_sandbox()
    with client(sb) as c:
        t = sb.issue_token(ADA)
        it = sb.issue_token("acme_1", provider="instagram")
        assert graph(c, t, "me").status_code == 200
        sb.set_scenario(scenario)  # kills tokens already issued
        err = error_of(graph(c, t, "me"))
        assert (err["code"], err["error_subcode"], err["type"]) == (190, subcode, "OAuthException")
        assert text in err["message"]
        assert error_of(ig_graph(c, it, "me"))["error_subcode"] == subcode
        d = c.get(f"/graph/{V}/debug_token", params={"input_token": t, "access_token": APP_TOKEN})
        assert d.status_code == 200
        data = d.json()["data"]
        assert data["is_valid"] is False
        assert data["error"]["code"] == 190 and data["error"]["subcode"] == subcode


def test_token_killer_per_account(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["password-changed@acme_2"])
    with client(sb) as c:
        assert (
            error_of(graph(c, sb.issue_token(ADA), "me"))["error_subcode"] == 460
        )  # Ada manages acme_2
        assert ig_graph(c, sb.issue_token("acme_1", provider="instagram"), "me").status_code == 200
        assert (
            error_of(ig_graph(c, sb.issue_token("acme_2", provider="instagram"), "me"))["code"]
            == 190
        )


def test_tokens_expire_with_the_clock(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    sb.advance_clock(hours=24 * 61)
    err = error_of(graph(http, t, "me"))
    assert (err["code"], err["error_subcode"]) == (190, 463)


def test_throttled_account(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["throttled@acme_2"])
    with client(sb) as c:
        t = sb.issue_token(ADA)
        r = graph(c, t, f"{ig(sb, 'acme_2')}/stories")
        err = error_of(r)
        assert err["code"] == 80002 and err["is_transient"] is True
        usage = json.loads(r.headers["X-Business-Use-Case-Usage"])[ig(sb, "acme_2")][0]
        assert usage["call_count"] == 100 and 0 < usage["estimated_time_to_regain_access"] <= 60
        assert graph(c, t, f"{ig(sb, 'acme_1')}/stories").status_code == 200
        sb.advance_clock(minutes=61)
        assert graph(c, t, f"{ig(sb, 'acme_2')}/stories").status_code == 200


def test_app_and_user_throttled(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["app-throttled"])
    with client(sb) as c:
        r = graph(c, sb.issue_token(ADA), "me")
        assert (
            error_of(r)["code"] == 4
            and error_of(r)["message"] == "(#4) Application request limit reached"
        )
        assert json.loads(r.headers["X-App-Usage"])["call_count"] == 100
    sb2 = make_sandbox(scenarios=["user-throttled"])
    with client(sb2) as c:
        err = error_of(graph(c, sb2.issue_token(ADA), "me"))
        assert err["code"] == 17 and err["message"] == "(#17) User request limit reached"


def test_budgets_drive_throttling(make_sandbox: Make) -> None:
    sb = make_sandbox(app_calls_per_hour=5)
    with client(sb) as c:
        t = sb.issue_token(ADA)
        codes = [graph(c, t, "me").status_code for _ in range(6)]
        assert codes == [200] * 5 + [403]
        sb.advance_clock(hours=1)
        assert graph(c, t, "me").status_code == 200
    sb2 = make_sandbox(account_calls_per_day=3)
    with client(sb2) as c:
        t = sb2.issue_token(ADA)
        path = f"{ig(sb2, 'acme_1')}/stories"
        rs = [graph(c, t, path) for _ in range(4)]
        assert [
            json.loads(r.headers["X-Business-Use-Case-Usage"])[ig(sb2, "acme_1")][0]["call_count"]
            for r in rs[:2]
        ] == [33, 66]
        assert error_of(rs[3])["code"] == 80002


def test_few_viewers(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["few-viewers@acme_1"])
    with client(sb) as c:
        t = sb.issue_token(ADA)
        stories = sb.world.stories(ig(sb, "acme_1"), sb.now().timestamp())
        few = [s for s in stories if s.few_viewers]
        many = [s for s in stories if not s.few_viewers]
        assert few and many
        err = error_of(graph(c, t, f"{few[0].id}/insights", metric="reach,views"))
        assert err["code"] == 10
        assert err["message"] == "(#10) Not enough viewers for the media to show insights"
        assert graph(c, t, f"{many[0].id}/insights", metric="reach").status_code == 200
        expanded = graph(c, t, f"{ig(sb, 'acme_1')}/stories", fields="id,insights.metric(reach)")
        assert error_of(expanded)["code"] == 10
        assert not any(
            s.few_viewers for s in sb.world.stories(ig(sb, "acme_2"), sb.now().timestamp())
        )


def test_flaky(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["flaky"])
    t = sb.issue_token(ADA)
    statuses: list[object] = []
    slow = 0.0
    for _ in range(20):
        with client(sb) as c:
            start = time.monotonic()
            try:
                r = graph(c, t, "me")
                statuses.append(r.status_code)
                if r.status_code >= 500:
                    assert error_of(r)["is_transient"] is True
            except httpx.RemoteProtocolError:
                statuses.append("dropped")
            slow = max(slow, time.monotonic() - start)
    assert statuses.count(200) >= 15
    assert {503, 500} <= set(statuses) and "dropped" in statuses
    assert slow >= 1.9


def test_flaky_is_deterministic_and_per_account(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["flaky@acme_2"])
    with client(sb) as c:
        t = sb.issue_token(ADA)
        assert all(graph(c, t, f"{ig(sb, 'acme_1')}/stories").status_code == 200 for _ in range(20))


def test_multi_page(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["multi-page"])
    with client(sb) as c:
        t = sb.issue_token(ADA)
        seen, url = [], None
        r = graph(
            c, t, "me/accounts", fields="id,name,instagram_business_account{username}", limit=4
        )
        while True:
            body = r.json()
            seen += body["data"]
            url = body.get("paging", {}).get("next")
            if not url:
                break
            r = c.get(url)
        assert len(seen) == 9
        names = [p.get("instagram_business_account", {}).get("username") for p in seen]
        assert {"acme_1", "brand_5", None} <= set(names)


def test_high_volume(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["high-volume@acme_2"])
    with client(sb) as c:
        t = sb.issue_token(ADA)
        since = (sb.now() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S+0000")

        def month(username: str) -> tuple[int, int]:
            posts, likes = 0, 0
            r = graph(
                c, t, f"{ig(sb, username)}/media", fields="id,timestamp,like_count", limit=100
            )
            while True:
                body = r.json()
                recent = [p for p in body["data"] if p["timestamp"] >= since]
                posts += len(recent)
                likes += sum(p["like_count"] for p in recent)
                if len(recent) < len(body["data"]) or "next" not in body.get("paging", {}):
                    return posts, likes
                r = c.get(body["paging"]["next"])

        posts, likes = month("acme_2")
        assert posts > 100 and likes > 25_000
        posts, likes = month("acme_1")
        assert posts < 100 and likes < 25_000


def test_already_connected(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["already-connected"])
    with client(sb) as c:
        assert BOB in {u.id for u in sb.world.users.values()}
        bob_pages = pages_of(c, sb.issue_token(BOB))
        assert "Acme Client 1" in bob_pages and "Bob's Bakery" in bob_pages
        ada_pages = pages_of(c, sb.issue_token(ADA))
        assert (
            bob_pages["Acme Client 1"]["instagram_business_account"]
            == ada_pages["Acme Client 1"]["instagram_business_account"]
        )
        sb.set_session_user(BOB)
        final = follow_consent(fb_url(sb))
        assert "code=" in final


def test_stories_vanish_with_the_clock(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    path = f"{ig(sb, 'acme_1')}/stories"
    before = [s["id"] for s in graph(http, t, path, fields="id").json()["data"]]
    oldest = before[-1]
    assert graph(http, t, f"{oldest}/insights", metric="reach").status_code == 200
    sb.advance_clock(hours=4)
    after = [s["id"] for s in graph(http, t, path, fields="id").json()["data"]]
    assert len(after) == 8 and oldest not in after and after[0] not in before
    err = error_of(graph(http, t, f"{oldest}/insights", metric="reach"))
    assert (err["code"], err["error_subcode"]) == (100, 33)
    r = http.post("/__sandbox/clock", json={"advance_seconds": 86400})
    assert r.status_code == 200
    assert not set(after) & {s["id"] for s in graph(http, t, path, fields="id").json()["data"]}


def test_metrics_grow_with_age(sb: Sandbox) -> None:
    acct = sb.world.by_username["acme_1"].id
    now = sb.now().timestamp()
    story = sb.world.stories(acct, now)[0]
    early = sb.world.story_values(story, now)["reach"]
    later = sb.world.story_values(story, now + 6 * 3600)["reach"]
    assert later > early


def test_hashtag_search_limit(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    user = ig(sb, "acme_1")
    for i in range(30):
        assert graph(http, t, "ig_hashtag_search", user_id=user, q=f"tag{i}").status_code == 200
    assert (
        graph(http, t, "ig_hashtag_search", user_id=user, q="tag3").status_code == 200
    )  # repeat: free
    err = error_of(graph(http, t, "ig_hashtag_search", user_id=user, q="tag31"))
    assert err["code"] == 4
    sb.advance_clock(days=8)
    assert graph(http, t, "ig_hashtag_search", user_id=user, q="tag31").status_code == 200


def test_data_is_deterministic_for_a_seed(make_sandbox: Make) -> None:
    from datetime import UTC, datetime

    start = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    a = make_sandbox(seed=7, start_time=start)
    b = make_sandbox(seed=7, start_time=start)
    c = make_sandbox(seed=8, start_time=start)
    at = start.timestamp()

    def facts(sb: Sandbox) -> list:
        acct = sb.world.by_username["acme_1"]
        return [
            (s.id, s.timestamp, sb.world.story_values(s, at)["reach"])
            for s in sb.world.stories(acct.id, at)
        ]

    assert facts(a) == facts(b) != facts(c)


def test_admin_endpoints(sb: Sandbox, http: httpx.Client) -> None:
    assert http.get("/__sandbox/health").json() == {"ok": True}
    r = http.post("/__sandbox/scenario", json={"scenario": "throttled@acme_3"})
    assert r.json()["scenarios"] == ["throttled@acme_3"]
    tok = http.post("/__sandbox/token", json={"user_id": ADA}).json()["access_token"]
    assert graph(http, tok, "me").status_code == 200
    assert http.post("/__sandbox/session", json={"user_id": "acme_3"}).status_code == 200
    assert http.get("/__sandbox/requests", params={"path_prefix": "/graph"}).json()["count"] >= 1
    assert http.get("/__sandbox/world").json()["accounts"][0]["username"] == "acme_1"
    assert http.delete("/__sandbox/scenario").json()["scenarios"] == []
    q = urlencode({"x": 1})
    assert http.get(f"/__sandbox/nope?{q}").status_code == 404


def test_declined_permission_rerequest_and_instagram(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["declined-permission"])
    with client(sb) as c:
        html = c.get(fb_url(sb, auth_type="rerequest")).text
        assert 'value="instagram_manage_insights" checked' in html
        final = follow_consent(ig_url(sb))
        code = final.split("code=")[1].split("&")[0]
        form = {
            "client_id": "1000000000000002",
            "client_secret": "sandbox-instagram-app-secret",
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT,
            "code": code,
        }
        item = c.post("/ig-api/oauth/access_token", data=form).json()["data"][0]
        assert item["permissions"] == "instagram_business_basic"
        t = sb.issue_token("acme_1", provider="instagram")
        story = ig_graph(c, t, "me/stories").json()["data"][0]["id"]
        assert error_of(ig_graph(c, t, f"{story}/insights", metric="reach"))["code"] == 10
