"""Graph batch requests behind the callers' backs: each caller gets what the same request alone
would have given."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from igconnect.meta.batching import BatchingClient
from igconnect.meta.client import GraphClient
from igconnect.meta.errors import Throttled, TokenDead
from tests.meta_answers import BY_ID

THROTTLE = BY_ID["throttle-80002"]
DEAD = BY_ID["token-190-460"]


def _body(answer: Any) -> dict[str, Any]:
    return answer.body if answer.body is not None else {"error": dict(answer.fields)}


def scripted(item_answer: Any) -> tuple[GraphClient, list[httpx.Request]]:
    """A Meta whose batch answers each item with `item_answer(relative_url)` (a dict item or None);
    a plain GET is answered like a single item."""
    seen: list[httpx.Request] = []
    lock = threading.Lock()

    def handle(request: httpx.Request) -> httpx.Response:
        with lock:
            seen.append(request)
        if request.method == "POST":
            form = parse_qs(request.content.decode())
            items = json.loads(form["batch"][0])
            return httpx.Response(200, json=[item_answer(i["relative_url"]) for i in items])
        answer = item_answer(request.url.path.removeprefix("/") + "?" + request.url.query.decode())
        if answer is None:
            answer = {"code": 200, "body": json.dumps({"data": ["alone"]})}
        return httpx.Response(answer["code"], json=json.loads(answer["body"]))

    client = GraphClient(
        "https://graph.facebook.com",
        "v25.0",
        token="EAAtoken0123456789abcdef",
        retries=0,
        transport=httpx.MockTransport(handle),
    )
    return client, seen


def ok(relative_url: str) -> dict[str, Any]:
    return {"code": 200, "headers": [], "body": json.dumps({"data": [relative_url]})}


def gather(client: BatchingClient, paths: list[str]) -> list[Any]:
    barrier = threading.Barrier(len(paths))

    def one(path: str) -> Any:
        barrier.wait()
        try:
            return client.get(path, {"fields": "id"})
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(one, paths))


def test_requests_made_together_go_as_one_batch_and_each_gets_its_answer() -> None:
    client, seen = scripted(ok)
    batching = BatchingClient(client, linger=0.05)
    paths = [f"1784{i}/stories" for i in range(20)]
    answers = gather(batching, paths)
    batching.close()
    assert [a["data"][0] for a in answers] == [f"v25.0/{p}?fields=id" for p in paths]
    assert len(seen) == 1 and seen[0].method == "POST"
    assert client.api_calls == 20 and client.request_count == 1  # what Meta counts, unchanged


def test_a_null_item_is_sent_again_alone() -> None:
    def answer(relative_url: str) -> Any:
        return (
            None
            if "17843" in relative_url and relative_url.startswith("v25.0/")
            else ok(relative_url)
        )

    client, seen = scripted(answer)
    batching = BatchingClient(client, linger=0.05)
    answers = gather(batching, [f"1784{i}/stories" for i in range(5)])
    batching.close()
    assert answers[3] == {"data": ["alone"]}
    assert [r.method for r in seen] == ["POST", "GET"]


def test_a_throttle_inside_a_batch_reaches_only_its_caller() -> None:
    def answer(relative_url: str) -> Any:
        if "17842" in relative_url:
            return {"code": 400, "headers": [], "body": json.dumps(_body(THROTTLE))}
        return ok(relative_url)

    client, _seen = scripted(answer)
    batching = BatchingClient(client, linger=0.05)
    answers = gather(batching, [f"1784{i}/stories" for i in range(5)])
    batching.close()
    assert isinstance(answers[2], Throttled) and answers[2].scope == "account"
    assert all(isinstance(a, dict) for i, a in enumerate(answers) if i != 2)


def test_a_dead_token_fails_every_caller_with_the_same_typed_error() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json=_body(DEAD))

    client = GraphClient(
        "https://graph.facebook.com",
        "v25.0",
        token="EAAtoken0123456789abcdef",
        retries=0,
        transport=httpx.MockTransport(handle),
    )
    batching = BatchingClient(client, linger=0.05)
    answers = gather(batching, [f"1784{i}/stories" for i in range(4)])
    batching.close()
    assert all(isinstance(a, TokenDead) and a.subcode == 460 for a in answers)


def test_paging_links_go_in_the_batch_without_the_token_and_never_to_another_host() -> None:
    client, _ = scripted(ok)
    relative = client.relative_url(
        "https://graph.facebook.com/v25.0/1784/stories?access_token=EAAsecret&after=X&limit=5"
    )
    assert relative == "v25.0/1784/stories?after=X&limit=5"
    with pytest.raises(Exception, match="another host"):
        client.relative_url("https://evil.example/v25.0/1784/stories?after=X")
