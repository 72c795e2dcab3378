"""The collector against Meta's answers, one case per row: what each answer makes it do next.

A scripted Meta (httpx.MockTransport) answers by path and parameters; the message strings are the
ones Meta gives (fact sheet sections 5 and 7)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from igconnect.export import collector as col
from igconnect.export.archive import CollectHint, KnownStory
from igconnect.meta.client import GraphClient

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
ACCOUNT = "17841400000000001"
REDUCE = {
    "error": {
        "message": "Please reduce the amount of data you're asking for, then retry your request",
        "type": "OAuthException",
        "code": 1,
        "fbtrace_id": "AbC123",
    }
}
BLOCKED = {
    "error": {
        "message": "It looks like you were misusing this feature by going too fast. You’ve been "
        "temporarily blocked from using it.",
        "type": "OAuthException",
        "code": 368,
        "error_subcode": 1390008,
        "fbtrace_id": "AbC123",
    }
}
FEW = {
    "error": {
        "message": "(#10) Not enough viewers for the media to show insights",
        "type": "OAuthException",
        "code": 10,
        "fbtrace_id": "AbC123",
    }
}
CANCELLED = {
    "error": {
        "message": "An unknown error occurred",
        "type": "OAuthException",
        "code": 100,
        "error_subcode": 2207086,
        "fbtrace_id": "AbC123",
    }
}
NO_PERMISSION = {
    "error": {
        "message": "(#10) Application does not have permission for this action",
        "type": "OAuthException",
        "code": 10,
        "fbtrace_id": "AbC123",
    }
}
CHECKPOINT = {
    "error": {
        "message": "Error validating access token: You cannot access the app till you log in to "
        "www.facebook.com and follow the instructions given.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 459,
        "fbtrace_id": "AbC123",
    }
}


def story(n: int, age_hours: float, *, insights: bool = True, link: bool = False) -> dict[str, Any]:
    posted = NOW - timedelta(hours=age_hours)
    node: dict[str, Any] = {
        "id": f"1790000000000000{n}",
        "media_type": "IMAGE",
        "media_product_type": "STORY",
        "permalink": f"https://instagram.com/stories/x/{n}",
        "timestamp": posted.strftime("%Y-%m-%dT%H:%M:%S+0000"),
    }
    if insights:
        node["insights"] = {"data": metric_data(link=link)}
    return node


def metric_data(*, link: bool = False, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    names = [
        "reach",
        "views",
        "replies",
        "shares",
        "total_interactions",
        "follows",
        "profile_visits",
    ] + (["link_clicks"] if link else [])
    return [
        {"name": n, "period": "lifetime", "values": [{"value": 10}]} for n in names if n not in skip
    ]


Answer = Callable[[httpx.Request], tuple[int, Any]]


def meta(answer: Answer) -> tuple[GraphClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status, body = answer(request)
        return httpx.Response(status, json=body)

    client = GraphClient(
        "https://graph.facebook.com",
        "v25.0",
        token="EAAtoken0123456789abcdef",
        retries=0,
        transport=httpx.MockTransport(handle),
    )
    return client, seen


def run_one(
    answer: Answer,
    *,
    provider: str = "facebook",
    known: dict[str, KnownStory] | None = None,
    hint: CollectHint | None = None,
    breakdowns: str = "auto",
) -> tuple[col.AccountOutcome, col.RunContext, list[httpx.Request]]:
    client, seen = meta(answer)
    run = col.RunContext(
        version="v25.0", interval=timedelta(hours=1), breakdowns=breakdowns, clock=lambda: NOW
    )
    job = col.AccountJob("acme", provider, "acme_1", ACCOUNT, known=known or {}, hint=hint)
    outcome = col.AccountCollector(run, client, col.ConnectionGate()).collect(job)
    return outcome, run, seen


def listing_of(request: httpx.Request) -> tuple[bool, int]:
    fields = request.url.params.get("fields", "")
    return "insights.metric" in fields, int(request.url.params.get("limit", "0"))


def test_too_much_data_retries_smaller_then_remembers() -> None:
    def answer(request: httpx.Request) -> tuple[int, Any]:
        expanded, limit = listing_of(request)
        if expanded and limit > 25:
            return 500, REDUCE
        return 200, {"data": [story(1, 3)]}

    outcome, _run, seen = run_one(answer)
    assert outcome.state == col.COLLECTED, outcome.reason
    assert [listing_of(r) for r in seen] == [(True, 100), (True, 25)]  # never the same twice
    assert outcome.hint == CollectHint(25, expand=True)
    assert outcome.stories[0].values["reach"] == 10


def test_too_much_data_even_small_reads_without_expansion_per_story() -> None:
    def answer(request: httpx.Request) -> tuple[int, Any]:
        if request.url.path.endswith("/insights"):
            return 200, {"data": metric_data()}
        expanded, _limit = listing_of(request)
        if expanded:
            return 500, REDUCE
        return 200, {"data": [story(1, 3, insights=False), story(2, 5, insights=False)]}

    outcome, _run, seen = run_one(answer, provider="instagram")
    assert outcome.state == col.COLLECTED, outcome.reason
    assert [listing_of(r) for r in seen[:4]] == [(True, 100), (True, 25), (True, 5), (False, 5)]
    assert sum(r.url.path.endswith("/insights") for r in seen) == 2
    assert outcome.hint == CollectHint(5, expand=False)
    assert all(s.insights_read for s in outcome.stories)


def test_code_368_pauses_the_connection_like_a_throttle() -> None:
    outcome, _run, seen = run_one(lambda request: (400, BLOCKED))
    assert outcome.state == col.THROTTLED and len(seen) == 1
    assert outcome.pause_key == f"account:{ACCOUNT}"
    assert outcome.pause_until is not None and outcome.pause_until - NOW >= timedelta(minutes=59)
    assert "code 368" in (outcome.reason or "")


def test_a_request_cancelled_over_one_metric_drops_that_metric_only() -> None:
    def answer(request: httpx.Request) -> tuple[int, Any]:
        metric = request.url.params.get("metric", "")
        if request.url.path.endswith("/insights"):
            return (400, CANCELLED) if metric == "shares" else (200, {"data": []})
        expanded, _ = listing_of(request)
        if expanded and "shares" in request.url.params["fields"]:
            return 400, CANCELLED
        return 200, {"data": [story(1, 3, insights=expanded)]}

    outcome, run, _seen = run_one(answer)
    assert outcome.state == col.COLLECTED, outcome.reason
    assert ("facebook", "shares") in run.newly_rejected
    assert "shares" not in run.metrics_for("facebook")
    assert any("'shares'" in w for w in run.warnings)
    record = outcome.stories[0]
    assert record.status == "ok" and record.values["reach"] == 10  # incomplete? no: not asked


def test_a_permission_error_naming_one_metric_drops_it() -> None:
    named = {
        "error": {
            "message": "(#200) The metric follows requires more permissions",
            "type": "OAuthException",
            "code": 200,
        }
    }

    def answer(request: httpx.Request) -> tuple[int, Any]:
        expanded, _ = listing_of(request)
        if expanded and "follows" in request.url.params["fields"]:
            return 403, named
        return 200, {"data": [story(1, 3, insights=expanded)]}

    outcome, run, seen = run_one(answer)
    assert outcome.state == col.COLLECTED, outcome.reason
    assert ("facebook", "follows") in run.newly_rejected and len(seen) == 2


def test_when_every_metric_fails_alike_it_is_the_account_permission() -> None:
    def answer(request: httpx.Request) -> tuple[int, Any]:
        expanded, _ = listing_of(request)
        if expanded or request.url.path.endswith("/insights"):
            return 400, NO_PERMISSION
        return 200, {"data": [story(1, 3, insights=False)]}

    outcome, run, _seen = run_one(answer)
    assert outcome.state == col.FAILED and "permission missing" in (outcome.reason or "")
    assert run.newly_rejected == {}


def test_link_clicks_may_be_absent_and_a_missing_required_metric_is_named() -> None:
    def answer(request: httpx.Request) -> tuple[int, Any]:
        node = story(1, 3)
        node["insights"]["data"] = metric_data(skip=("shares",))
        return 200, {"data": [node, story(2, 4, link=True)]}

    outcome, _run, _seen = run_one(answer)
    first, second = outcome.stories
    assert first.status == "metric_unavailable" and first.reason == "not given by Meta: shares"
    assert second.status == "ok" and second.values["link_clicks"] == 10


def test_a_story_expiring_before_the_next_run_gets_its_final_read_with_breakdowns() -> None:
    def answer(request: httpx.Request) -> tuple[int, Any]:
        if request.url.path.endswith("/insights"):
            assert request.url.params.get("breakdown")
            return 200, {
                "data": [
                    {
                        "name": request.url.params["metric"],
                        "total_value": {
                            "breakdowns": [
                                {"results": [{"dimension_values": ["tap_exit"], "value": 3}]}
                            ]
                        },
                    }
                ]
            }
        return 200, {"data": [story(1, 23.2), story(2, 20)]}

    outcome, _run, seen = run_one(answer)
    final, young = outcome.stories
    assert final.final and final.breakdowns_read and final.values["navigation_tap_exit"] == 3
    assert not young.final and not young.breakdowns_read
    assert len(seen) == 3  # the listing, then two breakdowns of the final story only


def test_meta_leaving_a_few_viewers_story_out_of_the_expansion() -> None:
    def answer(request: httpx.Request) -> tuple[int, Any]:
        return 200, {"data": [story(1, 3, insights=False), story(2, 5)]}

    outcome, _run, seen = run_one(answer)
    few, ok = outcome.stories
    assert few.status == "too_few_viewers" and not few.insights_read and few.read
    assert ok.status == "ok" and len(seen) == 1


def test_a_listing_failed_by_a_few_viewers_story_reads_only_new_and_final_ones() -> None:
    old, new, final = (
        story(1, 5, insights=False),
        story(2, 1, insights=False),
        story(3, 23.5, insights=False),
    )
    known = {old["id"]: KnownStory("ok", False), final["id"]: KnownStory("ok", False)}

    def answer(request: httpx.Request) -> tuple[int, Any]:
        if request.url.path.endswith("/insights"):
            if request.url.params.get("breakdown"):
                return 200, {"data": []}
            return 400, FEW  # the new story is the one under 5 viewers
        expanded, _ = listing_of(request)
        return (400, FEW) if expanded else (200, {"data": [old, new, final]})

    outcome, _run, seen = run_one(answer, provider="instagram", known=known)
    assert outcome.state == col.COLLECTED
    by_id = {s.story_id: s for s in outcome.stories}
    assert not by_id[old["id"]].read  # keeps last run's values; asked again next run
    assert by_id[new["id"]].status == "too_few_viewers"
    insight_paths = [r.url.path for r in seen if r.url.path.endswith("/insights")]
    assert sorted(insight_paths) == sorted(
        [f"/v25.0/{new['id']}/insights", f"/v25.0/{final['id']}/insights"]
    )


def test_a_checkpoint_is_reported_as_one_that_may_recover() -> None:
    outcome, _run, _seen = run_one(lambda request: (400, CHECKPOINT))
    assert outcome.state == col.BROKEN and outcome.checkpoint


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (REDUCE, "RequestTooLarge"),
        (BLOCKED, "Throttled"),
        (FEW, "NotEnoughViewers"),
        (CANCELLED, "MetricRejected"),
        (NO_PERMISSION, "PermissionMissing"),
        (CHECKPOINT, "TokenDead"),
    ],
)
def test_the_error_classes_of_metas_answers(body: dict[str, Any], expected: str) -> None:
    from igconnect.meta.errors import error_from_body

    assert type(error_from_body(400, json.loads(json.dumps(body)))).__name__ == expected
