"""Batch requests item by item, round trips against API calls, and a 20,000-account world."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest

from igconnect.sandbox import Sandbox
from tests.meta_answers import BY_ID

from .conftest import ADA, V, error_of, graph, post_batch

Make = Callable[..., Sandbox]


def _ig(sb: Sandbox, username: str) -> str:
    return sb.world.by_username[username].id


# -- 14. Batch requests ---------------------------------------------------------------------


def test_batch_items_answer_as_alone(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    story = sb.world.stories(_ig(sb, "acme_1"), sb.now().timestamp())[-1]
    paths = ["me", f"{story.id}/insights?metric=reach,views", f"{story.id}/insights?metric=plays"]
    out = post_batch(http, t, [{"method": "GET", "relative_url": p} for p in paths]).json()
    for item, path in zip(out, paths, strict=True):
        alone = http.get(f"/graph/{V}/{path}", headers={"Authorization": f"OAuth {t}"})
        assert item["code"] == alone.status_code
        body, want = json.loads(item["body"]), alone.json()
        if "error" in body:
            body["error"].pop("fbtrace_id"), want["error"].pop("fbtrace_id")
        assert body == want
        assert item["headers"][0] == {
            "name": "Content-Type",
            "value": "text/javascript; charset=UTF-8",
        }
    assert out[2]["code"] == 400 and isinstance(out[2]["body"], str)


def test_batch_without_headers_and_with_nulls(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["batch-timeout"])
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        t = sb.issue_token(ADA)
        out = post_batch(
            c, t, [{"method": "GET", "relative_url": "me"}] * 7, include_headers="false"
        ).json()
        assert [x is None for x in out] == [False, False, True, False, False, True, False]
        assert set(out[0]) == {"code", "body"}
        assert BY_ID["batch-success"].body[1] is None


def test_batch_items_count_against_the_budgets(make_sandbox: Make) -> None:
    sb = make_sandbox(app_calls_per_hour=4)
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        t = sb.issue_token(ADA)
        out = post_batch(c, t, [{"method": "GET", "relative_url": "me"}] * 6).json()
        assert [x["code"] for x in out] == [200] * 4 + [403] * 2
        assert json.loads(out[5]["body"])["error"]["code"] == 4


def test_throttle_inside_a_batch(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["throttled@acme_2"])
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        t = sb.issue_token(ADA)
        items = [
            {"method": "GET", "relative_url": f"{_ig(sb, u)}/stories?fields=id"}
            for u in ("acme_1", "acme_2", "acme_3")
        ]
        out = post_batch(c, t, items).json()
        assert [x["code"] for x in out] == [200, 400, 200]
        assert json.loads(out[1]["body"])["error"]["code"] == 80002
        names = [h["name"] for h in out[1]["headers"]]
        assert "X-Business-Use-Case-Usage" in names


def test_dead_tokens_and_batch(sb: Sandbox, http: httpx.Client) -> None:
    dead = sb.issue_token(ADA)
    http.delete(f"/graph/{V}/me/permissions", headers={"Authorization": f"OAuth {dead}"})
    t = sb.issue_token(ADA)  # minted after the revoke: alive
    items = [
        {"method": "GET", "relative_url": "me"},
        {"method": "GET", "relative_url": f"me?access_token={dead}"},
    ]
    out = post_batch(http, t, items).json()
    assert out[0]["code"] == 200
    err = json.loads(out[1]["body"])["error"]
    assert (out[1]["code"], err["code"], err["error_subcode"]) == (400, 190, 458)
    whole = post_batch(http, dead, items[:1])  # a dead batch token: the whole request fails
    assert error_of(whole)["code"] == 190


@pytest.mark.parametrize(("n", "ok"), [(50, True), (51, False)])
def test_batch_size_limit(sb: Sandbox, http: httpx.Client, n: int, ok: bool) -> None:
    r = post_batch(http, sb.issue_token(ADA), [{"method": "GET", "relative_url": "me"}] * n)
    if ok:
        assert len(r.json()) == 50
    else:
        err = error_of(r)
        want = BY_ID["batch-too-big"].body["error"]
        assert (err["message"], err["type"]) == (want["message"], want["type"])


# -- 15. Counters ---------------------------------------------------------------------------


def test_round_trips_and_api_calls(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    sb.reset_counters()
    post_batch(http, t, [{"method": "GET", "relative_url": "me"}] * 20)
    assert sb.counters() == {"round_trips": 1, "api_calls": 20}
    graph(http, t, "me")
    assert http.get("/__sandbox/counters").json() == {"round_trips": 2, "api_calls": 21}
    assert http.delete("/__sandbox/counters").json() == {"round_trips": 0, "api_calls": 0}
    http.get("/__sandbox/health")  # the admin API is not counted
    assert sb.counters() == {"round_trips": 0, "api_calls": 0}


# -- 16. Scale ------------------------------------------------------------------------------


def test_twenty_thousand_accounts(make_sandbox: Make) -> None:
    start = time.monotonic()
    sb = make_sandbox(accounts=20_000, stories=2)
    built = time.monotonic() - start
    assert built < 3, built
    with httpx.Client(base_url=sb.base_url, timeout=30) as c:
        t = sb.issue_token(ADA)
        fields = "id,name,instagram_business_account{id,username}"
        r = graph(c, t, "me/accounts", fields=fields, limit=500)
        body = r.json()
        assert len(body["data"]) == 100  # limit is at most 100
        pages, url, started = len(body["data"]), body["paging"].get("next"), time.monotonic()
        while url:
            body = c.get(url).json()
            pages += len(body["data"])
            url = body.get("paging", {}).get("next")
        assert pages == 20_000
        assert time.monotonic() - started < 20
        last = sb.world.by_username["acme_20000"].id
        assert graph(c, t, f"{last}/stories", fields="id").json()["data"]
