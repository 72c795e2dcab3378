"""Contract tests: each Graph endpoint's answer shape and each error's code, subcode and message."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlsplit

import httpx

from igconnect.sandbox import Sandbox

from .conftest import ADA, APP_TOKEN, V, error_of, graph, ig_graph


def _first_ig(sb: Sandbox) -> str:
    return sb.world.by_username["acme_1"].id


def test_me_and_permissions(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    assert graph(http, t, "me").json() == {"id": ADA, "name": "Ada Agency"}
    perms = graph(http, t, "me/permissions").json()["data"]
    assert {"permission": "instagram_manage_insights", "status": "granted"} in perms
    assert {"permission": "public_profile", "status": "granted"} in perms


def test_token_as_query_parameter_and_usage_header(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    r = http.get(f"/graph/{V}/me", params={"access_token": t})
    assert r.status_code == 200
    usage = json.loads(r.headers["X-App-Usage"])
    assert set(usage) == {"call_count", "total_time", "total_cputime"}


def test_accounts_paging_next_carries_token(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    fields = "id,name,tasks,instagram_business_account{id,username}"
    r = graph(http, t, "me/accounts", fields=fields, limit=2)
    body = r.json()
    assert len(body["data"]) == 2
    page = body["data"][0]
    assert page["instagram_business_account"] == {"id": _first_ig(sb), "username": "acme_1"}
    assert "MANAGE" in page["tasks"]
    nxt = body["paging"]["next"]
    assert parse_qs(urlsplit(nxt).query)["access_token"] == [t]
    r2 = http.get(nxt)  # no header: the token is in the URL, like Meta's
    assert r2.status_code == 200
    assert [p["instagram_business_account"]["username"] for p in r2.json()["data"]] == ["acme_3"]
    assert "next" not in r2.json()["paging"]


def test_ig_user_node(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    ig = _first_ig(sb)
    fields = "id,username,name,followers_count,media_count,profile_picture_url"
    body = graph(http, t, ig, fields=fields).json()
    assert body["id"] == ig and body["username"] == "acme_1"
    assert isinstance(body["followers_count"], int) and body["media_count"] > 0
    r = graph(http, t, ig, fields="account_type")
    err = error_of(r)
    assert err["code"] == 100 and "nonexisting field (account_type)" in err["message"]


def test_stories_shape_paging_and_usage(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    ig = _first_ig(sb)
    r = graph(
        http,
        t,
        f"{ig}/stories",
        fields="id,media_type,media_product_type,permalink,timestamp",
        limit=5,
    )
    body = r.json()
    assert len(body["data"]) == 5
    s = body["data"][0]
    assert s["media_product_type"] == "STORY" and s["media_type"] in ("IMAGE", "VIDEO")
    assert len(s["timestamp"]) == 24 and s["timestamp"].endswith("+0000")
    buc = json.loads(r.headers["X-Business-Use-Case-Usage"])
    assert set(buc[ig][0]) == {
        "type",
        "call_count",
        "total_cputime",
        "total_time",
        "estimated_time_to_regain_access",
    }
    rest = http.get(body["paging"]["next"]).json()
    ids = [x["id"] for x in body["data"]] + [x["id"] for x in rest["data"]]
    assert len(ids) == 8 == len(set(ids))
    truth = [st.id for st in sb.world.stories(ig, sb.now().timestamp())]
    assert ids == truth


def test_story_insights_and_field_expansion(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    ig = _first_ig(sb)
    story = sb.world.stories(ig, sb.now().timestamp())[-1]
    metrics = "reach,views,replies,shares,total_interactions,follows,profile_visits"
    data = graph(http, t, f"{story.id}/insights", metric=metrics).json()["data"]
    assert [d["name"] for d in data] == metrics.split(",")
    d = data[0]
    assert d["period"] == "lifetime" and set(d) >= {"values", "title", "description", "id"}
    truth = sb.world.story_values(story, sb.now().timestamp())
    assert d["values"][0]["value"] == truth["reach"]
    listing = graph(http, t, f"{ig}/stories", fields="id,insights.metric(reach,views)").json()
    first = listing["data"][-1]
    assert first["id"] == story.id
    assert [m["name"] for m in first["insights"]["data"]] == ["reach", "views"]


def test_breakdowns(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    story = sb.world.stories(_first_ig(sb), sb.now().timestamp())[-1]
    r = graph(
        http,
        t,
        f"{story.id}/insights",
        metric="navigation",
        breakdown="story_navigation_action_type",
    )
    tv = r.json()["data"][0]["total_value"]
    results = tv["breakdowns"][0]["results"]
    assert {x["dimension_values"][0] for x in results} == {
        "TAP_FORWARD",
        "TAP_BACK",
        "TAP_EXIT",
        "SWIPE_FORWARD",
    }
    r = graph(http, t, f"{story.id}/insights", metric="profile_activity", breakdown="action_type")
    assert r.status_code == 200
    mixed = graph(
        http,
        t,
        f"{story.id}/insights",
        metric="navigation,reach",
        breakdown="story_navigation_action_type",
    )
    err = error_of(mixed)
    assert err["code"] == 1 and err["message"] == "An unknown error has occurred."


def test_removed_metrics_answer_100(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    story = sb.world.stories(_first_ig(sb), sb.now().timestamp())[0]
    for metric in ("impressions", "taps_forward", "taps_back", "exits", "plays"):
        err = error_of(graph(http, t, f"{story.id}/insights", metric=f"reach,{metric}"))
        assert err["code"] == 100
        assert err["message"].startswith(
            "(#100) metric[1] must be one of the following values: reach"
        )


def test_media_listing_with_paging(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    ig = _first_ig(sb)
    body = graph(
        http, t, f"{ig}/media", fields="id,timestamp,like_count,comments_count,media_type"
    ).json()
    assert len(body["data"]) == 25
    assert {"id", "timestamp", "like_count", "comments_count", "media_type"} == set(body["data"][0])
    assert "access_token=" in body["paging"]["next"]
    older = http.get(body["paging"]["next"]).json()["data"]
    assert older[0]["timestamp"] < body["data"][-1]["timestamp"]


def test_batch(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    batch = [
        {"method": "GET", "relative_url": "me"},
        {"method": "GET", "relative_url": f"{V}/{_first_ig(sb)}?fields=username"},
        {"method": "GET", "relative_url": "nope"},
    ]
    r = http.post(
        f"/graph/{V}/", data={"batch": json.dumps(batch)}, headers={"Authorization": f"OAuth {t}"}
    )
    out = r.json()
    assert [x["code"] for x in out] == [200, 200, 400]
    assert json.loads(out[1]["body"])["username"] == "acme_1"
    assert json.loads(out[2]["body"])["error"]["code"] == 100
    too_many = http.post(
        f"/graph/{V}/",
        data={"batch": json.dumps([batch[0]] * 51)},
        headers={"Authorization": f"OAuth {t}"},
    )
    err = error_of(too_many)
    assert err["message"] == "Too many requests in batch message. Maximum batch size is 50"
    assert err["type"] == "GraphBatchException"


def test_debug_token(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    d = http.get(
        f"/graph/{V}/debug_token", params={"input_token": t, "access_token": APP_TOKEN}
    ).json()["data"]
    assert d["is_valid"] is True and d["type"] == "USER" and d["user_id"] == ADA
    assert d["app_id"] == "1000000000000001" and d["expires_at"] > time.time()
    assert "instagram_manage_insights" in d["scopes"]
    assert {g["scope"] for g in d["granular_scopes"]} >= {"instagram_basic", "pages_show_list"}
    bad = http.get(
        f"/graph/{V}/debug_token", params={"input_token": "junk", "access_token": APP_TOKEN}
    )
    assert bad.status_code == 200 and bad.json()["data"]["is_valid"] is False


def test_version_is_required_and_checked(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    for path in ("/graph/me", "/graph/v99.0/me", "/graph/v20.0/me"):
        err = error_of(http.get(path, headers={"Authorization": f"OAuth {t}"}))
        assert err["code"] == 2500 and err["message"].startswith("Unknown path components: /")
    for v in ("v21.0", "v26.0"):
        assert (
            http.get(f"/graph/{v}/me", headers={"Authorization": f"OAuth {t}"}).status_code == 200
        )


def test_token_errors(sb: Sandbox, http: httpx.Client) -> None:
    assert error_of(http.get(f"/graph/{V}/me"))["code"] == 104
    err = error_of(graph(http, "EAAnotatoken", "me"))
    assert (
        err["code"] == 190
        and err["message"] == "Invalid OAuth access token - Cannot parse access token"
    )
    ig_token = sb.issue_token("acme_1", provider="instagram")
    assert error_of(graph(http, ig_token, "me"))["code"] == 190  # wrong host for the token


def test_appsecret_proof(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    now = str(int(time.time()))
    proof = hmac.new(b"sandbox-app-secret", f"{t}|{now}".encode(), hashlib.sha256).hexdigest()
    ok = graph(http, t, "me", appsecret_proof=proof, appsecret_time=now)
    assert ok.status_code == 200
    err = error_of(graph(http, t, "me", appsecret_proof="0" * 64, appsecret_time=now))
    assert (
        err["code"] == 100
        and err["message"] == "Invalid appsecret_proof provided in the API argument"
    )


def test_unknown_object_and_delete_permissions(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    err = error_of(graph(http, t, "17841499999999999"))
    assert err["code"] == 100 and err["error_subcode"] == 33
    r = http.delete(f"/graph/{V}/me/permissions", headers={"Authorization": f"OAuth {t}"})
    assert r.json() == {"success": True}
    err = error_of(graph(http, t, "me"))
    assert (err["code"], err["error_subcode"]) == (190, 458)


def test_instagram_graph_me_and_stories(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token("acme_2", provider="instagram")
    acct = sb.world.by_username["acme_2"]
    me = ig_graph(http, t, "me", fields="user_id,username,account_type").json()
    assert me == {"user_id": acct.id, "username": "acme_2", "account_type": acct.account_type}
    assert me["account_type"] in ("BUSINESS", "MEDIA_CREATOR")
    stories = ig_graph(http, t, "me/stories", fields="id,timestamp").json()["data"]
    assert len(stories) == 8
    ins = ig_graph(http, t, f"{stories[-1]['id']}/insights", metric="reach,views")
    assert ins.status_code == 200
    assert (
        error_of(ig_graph(http, t, f"{stories[-1]['id']}/insights", metric="link_clicks"))["code"]
        == 100
    )
    # The Facebook token does not work on graph.instagram.com
    assert error_of(ig_graph(http, sb.issue_token(ADA), "me"))["code"] == 190
