"""Business discovery, hashtags, and the account and Page nodes, over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from igconnect.sandbox import Sandbox
from tests.meta_answers import BY_ID

from .conftest import ADA, error_of, graph, ig_graph

MEDIA = "id,timestamp,like_count,comments_count,media_type,permalink,caption"
PROFILE = "followers_count,follows_count,media_count,username,name"


def _discover(username: str, limit: int = 3) -> str:
    return f"business_discovery.username({username}){{{PROFILE},media.limit({limit}){{{MEDIA}}}}}"


def _me(sb: Sandbox) -> str:
    return sb.world.by_username["acme_1"].id


# -- 11. Business discovery -----------------------------------------------------------------


def test_business_discovery_success(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    r = graph(http, t, _me(sb), fields=_discover("nike"))
    body = r.json()
    assert set(body) == {"business_discovery", "id"} and body["id"] == _me(sb)
    bd = body["business_discovery"]
    nike = sb.world.by_username["nike"]
    assert bd["username"] == "nike" and bd["id"] == nike.id and bd["name"] == "Nike"
    assert set(bd) == {*PROFILE.split(","), "media", "id"}
    media = bd["media"]["data"]
    assert len(media) == 3 and set(media[0]) == set(MEDIA.split(","))
    assert media[0]["timestamp"] > media[1]["timestamp"]
    # The platform budget pays, not the account's business use case.
    assert "X-Business-Use-Case-Usage" not in r.headers and "X-App-Usage" in r.headers


@pytest.mark.parametrize("username", ["nobody_here", "personal_1"])
def test_business_discovery_refuses_unknown_and_personal(
    sb: Sandbox, http: httpx.Client, username: str
) -> None:
    r = graph(http, sb.issue_token(ADA), _me(sb), fields=_discover(username))
    err = error_of(r)
    want = BY_ID["discovery-not-found"].body["error"]
    assert r.status_code == 400
    assert (err["code"], err["error_subcode"], err["message"]) == (
        want["code"],
        want["error_subcode"],
        want["message"],
    )


def test_business_discovery_is_facebook_only_and_strict(sb: Sandbox, http: httpx.Client) -> None:
    ig = sb.issue_token("acme_1", provider="instagram")
    assert error_of(ig_graph(http, ig, "me", fields=_discover("nike")))["code"] == 100
    t = sb.issue_token(ADA)
    bad = graph(http, t, _me(sb), fields="business_discovery.username(nike){stories}")
    assert "nonexisting field (stories)" in error_of(bad)["message"]
    # Only from an account the token reaches.
    other = sb.world.by_username["public_1"].id
    assert error_of(graph(http, t, other, fields=_discover("nike")))["error_subcode"] == 33


def test_business_discovery_does_not_spend_the_account_budget(make_sandbox) -> None:  # type: ignore[no-untyped-def]
    sb = make_sandbox(account_calls_per_day=2)
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        t = sb.issue_token(ADA)
        for _ in range(5):
            assert graph(c, t, _me(sb), fields=_discover("public_2", 1)).status_code == 200
        assert graph(c, t, f"{_me(sb)}/stories").status_code == 200


# -- 12. Hashtags ---------------------------------------------------------------------------


def _search(http: httpx.Client, t: str, user: str, q: str) -> httpx.Response:
    return graph(http, t, "ig_hashtag_search", user_id=user, q=q)


def test_hashtag_ids_are_stable(make_sandbox) -> None:  # type: ignore[no-untyped-def]
    a, b = make_sandbox(seed=1), make_sandbox(seed=2)
    ids = []
    for sb in (a, b):
        with httpx.Client(base_url=sb.base_url, timeout=10) as c:
            ids.append(_search(c, sb.issue_token(ADA), _me(sb), "coffee").json()["data"][0]["id"])
    assert ids[0] == ids[1] and len(ids[0]) == 17


def test_hashtag_budget_is_per_account_and_rolling(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    user = _me(sb)
    for i in range(30):
        assert _search(http, t, user, f"tag{i}").status_code == 200
        if i == 10:
            sb.advance_clock(days=3)
    assert _search(http, t, user, "TAG5").status_code == 200  # the same hashtag again: free
    err = error_of(_search(http, t, user, "tag30"))
    assert err["code"] == 4 and "error_subcode" not in err  # UNSURE: see meta_answers
    other = sb.world.by_username["acme_2"].id
    assert _search(http, t, other, "tag30").status_code == 200
    sb.advance_clock(days=4, minutes=1)  # the first 11 fall out of the 7 days
    for i in range(11):
        assert _search(http, t, user, f"new{i}").status_code == 200
    assert error_of(_search(http, t, user, "new11"))["code"] == 4


def test_recent_and_top_media(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    user = _me(sb)
    tag = _search(http, t, user, "#Sandbox").json()["data"][0]["id"]
    assert graph(http, t, tag, fields="id,name").json() == {"id": tag, "name": "sandbox"}
    fields = "id,media_type,permalink,timestamp,like_count,comments_count,caption"
    seen, url = [], None
    r = graph(http, t, f"{tag}/recent_media", user_id=user, fields=fields, limit=50)
    while True:
        body = r.json()
        assert len(body["data"]) <= 50
        seen += body["data"]
        url = body.get("paging", {}).get("next")
        if not url:
            break
        r = http.get(url)
    assert len(seen) > 24 and set(seen[0]) == set(fields.split(","))
    day_ago = (sb.now() - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    assert all(m["timestamp"] > day_ago for m in seen)
    assert len({m["id"] for m in seen}) == len(seen)
    assert "#sandbox" in seen[0]["caption"]
    top = graph(http, t, f"{tag}/top_media", user_id=user, fields=fields, limit=100).json()
    likes = [m["like_count"] for m in top["data"]]
    assert len(likes) == 50 and likes == sorted(likes, reverse=True) and "next" in top["paging"]
    assert error_of(graph(http, t, f"{tag}/recent_media", fields="id"))["code"] == 100  # user_id


def test_hashtags_on_instagram_login_are_not_there(sb: Sandbox, http: httpx.Client) -> None:
    ig = sb.issue_token("acme_1", provider="instagram")
    assert error_of(ig_graph(http, ig, "ig_hashtag_search", user_id=_me(sb), q="x"))["code"] == 100


# -- 13. The IG user node and one Page ------------------------------------------------------


def test_ig_user_counts(sb: Sandbox, http: httpx.Client) -> None:
    body = graph(http, sb.issue_token(ADA), _me(sb), fields=PROFILE).json()
    acct = sb.world.by_username["acme_1"]
    assert body["username"] == "acme_1" and body["name"] == acct.name
    assert body["followers_count"] == acct.followers and body["follows_count"] == acct.follows
    assert body["media_count"] == sb.world.media_count(acct.id, sb.now().timestamp())


def test_one_page_without_listing_them_all(sb: Sandbox, http: httpx.Client) -> None:
    page = sb.world.by_username["acme_2"].page_id
    fields = "id,name,tasks,instagram_business_account{id,username}"
    t = sb.issue_token(ADA, pages=[page])
    body = graph(http, t, page, fields=fields).json()
    assert body["instagram_business_account"]["username"] == "acme_2" and "ANALYZE" in body["tasks"]
    hidden = sb.world.by_username["acme_1"].page_id
    assert error_of(graph(http, t, hidden, fields=fields))["error_subcode"] == 33
    assert "paging" not in body
