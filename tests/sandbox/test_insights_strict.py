"""Story insights as strict as Meta: slow starts, code 1 for big listings, code 368 blocks,
metrics that cancel a request, `reposts` and `link_clicks` (answers from tests/meta_answers.py)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from igconnect.sandbox import Sandbox
from tests.meta_answers import BY_ID

from .conftest import ADA, error_of, graph, ig_graph

Make = Callable[..., Sandbox]
EXPANDED = "id,timestamp,insights.metric(reach,views)"


def _acct(sb: Sandbox, username: str = "acme_1") -> str:
    return sb.world.by_username[username].id


# -- 5. Story viewers over time -------------------------------------------------------------


@pytest.mark.parametrize(("spec", "slow"), [("slow-start@acme_1", 2), ("slow-start:3@acme_1", 3)])
def test_slow_start_stories_cross_five_with_the_clock(
    make_sandbox: Make, spec: str, slow: int
) -> None:
    sb = make_sandbox(scenarios=[spec])
    acct = _acct(sb)
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        t = sb.issue_token(ADA)
        now = sb.now().timestamp()
        live = sb.world.stories(acct, now)
        assert sum(s.slow_start for s in live) == slow  # N of the 8 live stories
        newest_slow = max(
            (s for s in sb.world.stories(acct, now + 86400) if s.slow_start),
            key=lambda s: s.posted_at,
        )
        # Move to just after that story was posted: under 5 viewers, Meta's (#10).
        sb.advance_clock(seconds=newest_slow.posted_at - now + 60)
        err = error_of(graph(c, t, f"{newest_slow.id}/insights", metric="reach"))
        assert err["message"] == BY_ID["not-enough-viewers"].body["error"]["message"]
        assert error_of(graph(c, t, f"{acct}/stories", fields=EXPANDED))["code"] == 10
        sb.advance_clock(hours=8)  # crossed 5
        reach = graph(c, t, f"{newest_slow.id}/insights", metric="reach").json()["data"][0]
        assert 5 <= reach["values"][0]["value"] < 50
        sb.advance_clock(hours=15, minutes=58)  # about 24 h old: ~50
        late = graph(c, t, f"{newest_slow.id}/insights", metric="reach").json()["data"][0]
        assert 45 <= late["values"][0]["value"] <= 50
        other = sb.world.stories(_acct(sb, "acme_2"), sb.now().timestamp())
        assert not any(s.slow_start for s in other)


def test_few_viewers_stays_under_five(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["few-viewers@acme_1"])
    now = sb.now().timestamp()
    story = max(
        (s for s in sb.world.stories(_acct(sb), now) if s.few_viewers), key=lambda s: s.posted_at
    )
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        t = sb.issue_token(ADA)
        sb.advance_clock(seconds=story.posted_at + 23 * 3600 - now)  # nearly 24 h old
        assert error_of(graph(c, t, f"{story.id}/insights", metric="reach"))["code"] == 10


# -- 6. Code 1: reduce the amount of data ---------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "params", "fails"),
    [
        ("reduce-data", {"fields": EXPANDED}, True),  # no limit = 25 > 10
        ("reduce-data", {"fields": EXPANDED, "limit": 11}, True),
        ("reduce-data", {"fields": EXPANDED, "limit": 10}, False),
        ("reduce-data:3", {"fields": EXPANDED, "limit": 4}, True),
        ("reduce-data", {"fields": "id,timestamp", "limit": 100}, False),
        ("reduce-data-strict", {"fields": EXPANDED, "limit": 1}, True),
        ("reduce-data-strict", {"fields": "id,timestamp"}, False),
    ],
)
def test_reduce_data(make_sandbox: Make, scenario: str, params: dict, fails: bool) -> None:
    sb = make_sandbox(scenarios=[f"{scenario}@acme_1"])
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        t = sb.issue_token(ADA)
        r = graph(c, t, f"{_acct(sb)}/stories", **params)
        if fails:
            err = error_of(r)
            want = BY_ID["reduce-data"]
            assert r.status_code == want.status
            assert (err["code"], err["message"]) == (1, want.body["error"]["message"])
            assert err["is_transient"] is False
        else:
            assert r.status_code == 200, r.text
        story = sb.world.stories(_acct(sb), sb.now().timestamp())[-1]
        assert graph(c, t, f"{story.id}/insights", metric="reach,views").status_code == 200
        assert graph(c, t, f"{_acct(sb, 'acme_2')}/stories", fields=EXPANDED).status_code == 200


# -- 7. Code 368 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "minutes"), [("policy-blocked@acme_1", 60), ("policy-blocked:5@acme_1", 5)]
)
def test_policy_block_lasts_on_the_clock(make_sandbox: Make, spec: str, minutes: int) -> None:
    sb = make_sandbox(scenarios=[spec])
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        t = sb.issue_token(ADA)
        r = graph(c, t, f"{_acct(sb)}/stories")
        err = error_of(r)
        want = BY_ID["policy-blocked-368"]
        assert r.status_code == want.status
        for key in ("message", "type", "code", "error_subcode"):
            assert err[key] == want.fields[key]
        assert err["error_user_title"] == "You\u2019re Temporarily Blocked"
        assert graph(c, t, f"{_acct(sb, 'acme_2')}/stories").status_code == 200
        sb.advance_clock(minutes=minutes - 1)
        assert error_of(graph(c, t, f"{_acct(sb)}/stories"))["code"] == 368
        sb.advance_clock(minutes=2)
        assert graph(c, t, f"{_acct(sb)}/stories").status_code == 200


def test_global_policy_block(make_sandbox: Make) -> None:
    sb = make_sandbox(scenarios=["policy-blocked:1"])
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        t = sb.issue_token(ADA)
        assert error_of(graph(c, t, "me"))["code"] == 368
        sb.advance_clock(minutes=2)
        assert graph(c, t, "me").status_code == 200


# -- 8. Metrics that cancel a request, reposts, link_clicks ---------------------------------


@pytest.mark.parametrize(
    ("scenario", "metric", "answer"),
    [
        ("metric-cancelled", "facebook_views", "metric-cancelled-2207086"),
        ("metric-cancelled:follows", "follows", "metric-cancelled-2207086"),
        ("metric-forbidden", "total_views", "metric-forbidden-200"),
        ("metric-forbidden:shares", "shares", "metric-forbidden-200"),
    ],
)
def test_one_metric_spoils_the_request(
    make_sandbox: Make, scenario: str, metric: str, answer: str
) -> None:
    sb = make_sandbox(scenarios=[scenario])
    story = sb.world.stories(_acct(sb), sb.now().timestamp())[-1]
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        t = sb.issue_token(ADA)
        r = graph(c, t, f"{story.id}/insights", metric=f"reach,views,{metric}")
        err = error_of(r)
        want = BY_ID[answer]
        recorded = want.body["error"] if want.body else want.fields
        assert r.status_code == want.status
        assert (err["code"], err["message"]) == (recorded["code"], recorded["message"])
        assert err.get("error_subcode") == recorded.get("error_subcode")
        rest = graph(c, t, f"{story.id}/insights", metric="reach,views")
        assert [d["name"] for d in rest.json()["data"]] == ["reach", "views"]


def test_those_metrics_work_without_the_scenarios(sb: Sandbox, http: httpx.Client) -> None:
    story = sb.world.stories(_acct(sb), sb.now().timestamp())[-1]
    r = graph(
        http, sb.issue_token(ADA), f"{story.id}/insights", metric="total_views,facebook_views"
    )
    assert [d["name"] for d in r.json()["data"]] == ["total_views", "facebook_views"]


@pytest.mark.parametrize("host", ["graph", "ig-graph"])
def test_reposts_is_not_a_story_metric(sb: Sandbox, http: httpx.Client, host: str) -> None:
    story = sb.world.stories(_acct(sb), sb.now().timestamp())[-1]
    if host == "graph":
        r = graph(http, sb.issue_token(ADA), f"{story.id}/insights", metric="reach,reposts")
    else:
        t = sb.issue_token("acme_1", provider="instagram")
        r = ig_graph(http, t, f"{story.id}/insights", metric="reach,reposts")
    err = error_of(r)
    assert err["code"] == 100
    assert err["message"].startswith("(#100) metric[1] must be one of the following values: reach")
    assert "reposts" not in err["message"]


def test_link_clicks_only_for_stories_with_a_link(sb: Sandbox, http: httpx.Client) -> None:
    t = sb.issue_token(ADA)
    live = sb.world.stories(_acct(sb), sb.now().timestamp())
    linked = [s for s in live if s.has_link]
    plain = [s for s in live if not s.has_link]
    assert linked and len(plain) >= 2 * len(linked) - 1  # about 2 of 3 have no link
    with_link = graph(http, t, f"{linked[0].id}/insights", metric="reach,link_clicks").json()
    assert [d["name"] for d in with_link["data"]] == ["reach", "link_clicks"]
    without = graph(http, t, f"{plain[0].id}/insights", metric="reach,link_clicks")
    assert without.status_code == 200
    assert [d["name"] for d in without.json()["data"]] == ["reach"]
    alone = graph(http, t, f"{plain[0].id}/insights", metric="link_clicks").json()
    assert alone == {"data": []}


@pytest.mark.parametrize(
    ("scenario", "answer"),
    [("page-throttled", "throttle-32"), ("custom-throttled", "throttle-613")],
)
def test_page_and_custom_throttles(make_sandbox: Make, scenario: str, answer: str) -> None:
    sb = make_sandbox(scenarios=[f"{scenario}@acme_2"])
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        t = sb.issue_token(ADA)
        err = error_of(graph(c, t, f"{_acct(sb, 'acme_2')}/stories"))
        want = BY_ID[answer]
        recorded = want.body["error"] if want.body else want.fields
        assert (err["code"], err["message"]) == (recorded["code"], recorded["message"])
        assert "error_subcode" not in err
        assert graph(c, t, f"{_acct(sb)}/stories").status_code == 200
