"""GraphClient against pytest-httpx fakes: what goes out, and how Meta's answers are read."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest
from pytest_httpx import HTTPXMock

from igconnect import __version__
from igconnect.meta.client import GraphClient, strip_token
from igconnect.meta.errors import (
    BadParameter,
    MetaApiError,
    MetaUnreachable,
    NotEnoughViewers,
    PermissionMissing,
    Throttled,
    TokenDead,
    TransientError,
)

BASE = "https://graph.example.test"
TOKEN = "EAAGfaketoken0123456789abcdefABCDEF"
SECRET = "appsecret0123456789"


def client(**kw: object) -> GraphClient:
    defaults: dict[str, object] = {"token": TOKEN, "retries": 2, "sleep": lambda s: None}
    defaults.update(kw)
    return GraphClient(BASE, "v25.0", **defaults)  # type: ignore[arg-type]


def error_body(
    code: int, message: str, subcode: int | None = None, **extra: object
) -> dict[str, object]:
    err: dict[str, object] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbC",
    }
    if subcode:
        err["error_subcode"] = subcode
    err.update(extra)
    return {"error": err}


def test_request_carries_version_token_header_user_agent_and_proof(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"id": "1"})
    assert client(app_secret=SECRET).get("me", {"fields": "id,name"}) == {"id": "1"}
    request = httpx_mock.get_request()
    assert request is not None
    assert request.url.path == "/v25.0/me"
    assert request.headers["Authorization"] == f"OAuth {TOKEN}"
    assert request.headers["User-Agent"] == f"igconnect/{__version__}"
    assert "access_token" not in str(request.url) and TOKEN not in str(request.url)
    at = request.url.params["appsecret_time"]
    expected = hmac.new(SECRET.encode(), f"{TOKEN}|{at}".encode(), hashlib.sha256).hexdigest()
    assert request.url.params["appsecret_proof"] == expected
    assert request.url.params["fields"] == "id,name"


def test_no_proof_without_the_secret_and_bearer_for_instagram(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"id": "1"})
    client(auth_scheme="Bearer").get("me")
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "appsecret_proof" not in request.url.params


@pytest.mark.parametrize(
    ("body", "error_type", "check"),
    [
        (
            error_body(190, "Error validating access token: password changed", 460),
            TokenDead,
            lambda e: e.reason == "the password was changed",
        ),
        (
            error_body(190, "Session has expired", 463),
            TokenDead,
            lambda e: e.reason == "the token expired",
        ),
        (error_body(190, "app removed", 458), TokenDead, lambda e: "removed" in e.reason),
        (
            error_body(10, "(#10) Not enough viewers for the media to show insights"),
            NotEnoughViewers,
            None,
        ),
        (
            error_body(10, "(#10) Application does not have permission for this action"),
            PermissionMissing,
            None,
        ),
        (
            error_body(200, "(#200) Requires instagram_manage_insights permission"),
            PermissionMissing,
            None,
        ),
        (
            error_body(100, "(#100) The value must be a valid insights metric", None),
            BadParameter,
            None,
        ),
        (error_body(100, "Unsupported get request.", 33), BadParameter, lambda e: e.object_missing),
        (
            error_body(4, "(#4) Application request limit reached"),
            Throttled,
            lambda e: e.scope == "app" and e.wait_seconds == 900,
        ),
        (
            error_body(17, "(#17) User request limit reached"),
            Throttled,
            lambda e: e.scope == "user",
        ),
        (error_body(368, "temporarily blocked"), MetaApiError, None),
    ],
)
def test_meta_errors_become_typed_errors(httpx_mock: HTTPXMock, body, error_type, check) -> None:  # type: ignore[no-untyped-def]
    httpx_mock.add_response(status_code=400, json=body)
    with pytest.raises(error_type) as info:
        client().get("me")
    if check:
        assert check(info.value)
    assert info.value.code == body["error"]["code"]
    assert TOKEN not in str(info.value)


def test_account_throttle_waits_for_the_time_meta_gives(httpx_mock: HTTPXMock) -> None:
    usage = {
        "1784": [
            {
                "type": "instagram",
                "call_count": 100,
                "total_cputime": 20,
                "total_time": 30,
                "estimated_time_to_regain_access": 17,
            }
        ]
    }
    httpx_mock.add_response(
        status_code=400,
        json=error_body(80002, "There have been too many calls to this Instagram account."),
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
    )
    c = client()
    with pytest.raises(Throttled) as info:
        c.get("1784/stories")
    assert info.value.scope == "account"
    assert info.value.wait_seconds == 17 * 60
    assert len(httpx_mock.get_requests()) == 1  # throttling is never retried blindly
    assert c.last_usage is not None and c.last_usage.accounts["1784"].percent == 100


def test_usage_headers_are_parsed_on_success(httpx_mock: HTTPXMock) -> None:
    seen = []
    httpx_mock.add_response(
        json={"data": []},
        headers={"X-App-Usage": '{"call_count": 12, "total_time": 3, "total_cputime": 4}'},
    )
    c = client(on_usage=seen.append)
    c.get("me/accounts")
    assert c.last_usage is not None and c.last_usage.app_percent == 12
    assert seen and seen[0].max_percent == 12


def test_transient_errors_are_retried_then_succeed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=500, json=error_body(2, "Service temporarily unavailable", is_transient=True)
    )
    httpx_mock.add_exception(httpx.ConnectError("boom"))
    httpx_mock.add_response(json={"ok": True})
    sleeps: list[float] = []
    assert client(sleep=sleeps.append).get("me") == {"ok": True}
    assert len(sleeps) == 2 and all(0 <= s <= 8 for s in sleeps)


def test_transient_errors_give_up_after_the_retries(httpx_mock: HTTPXMock) -> None:
    for _ in range(3):
        httpx_mock.add_response(status_code=503, text="<html>down</html>")
    with pytest.raises(TransientError):
        client().get("me")
    assert len(httpx_mock.get_requests()) == 3


def test_posts_are_not_retried_unless_asked(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"))
    with pytest.raises(MetaUnreachable, match="did not answer in time"):
        client().post("oauth/access_token", {"code": "abc"})
    assert len(httpx_mock.get_requests()) == 1


def test_network_errors_never_show_the_token(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(
        httpx.ConnectError(f"failed for {BASE}/me?access_token={TOKEN}"), is_reusable=True
    )
    with pytest.raises(MetaUnreachable) as info:
        client().get("me")
    assert TOKEN not in str(info.value) and "graph.example.test" in str(info.value)


def test_pagination_follows_next_without_the_token(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{BASE}/v25.0/me/accounts?limit=2",
        json={
            "data": [{"id": "1"}, {"id": "2"}],
            "paging": {"next": f"{BASE}/v25.0/me/accounts?limit=2&after=X&access_token={TOKEN}"},
        },
    )
    httpx_mock.add_response(
        url=f"{BASE}/v25.0/me/accounts?limit=2&after=X", json={"data": [{"id": "3"}]}
    )
    assert [p["id"] for p in client().paginate("me/accounts", {"limit": 2})] == ["1", "2", "3"]
    second = httpx_mock.get_requests()[1]
    assert "access_token" not in str(second.url)
    assert second.headers["Authorization"] == f"OAuth {TOKEN}"


def test_pagination_refuses_another_host(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        json={"data": [], "paging": {"next": "https://evil.test/v25.0/x?after=1"}}
    )
    with pytest.raises(MetaApiError, match="another host"):
        list(client().paginate("me/accounts"))


def test_strip_token_keeps_other_parameters() -> None:
    assert strip_token("https://h/v1/x?a=1&access_token=T&after=Z") == "https://h/v1/x?a=1&after=Z"


def test_batch_decodes_each_answer(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        json=[
            {"code": 200, "body": json.dumps({"data": [{"name": "reach"}]})},
            {
                "code": 400,
                "body": json.dumps(
                    error_body(10, "(#10) Not enough viewers for the media to show insights")
                ),
            },
            None,
        ]
    )
    results = client().batch([{"method": "GET", "relative_url": f"{i}/insights"} for i in range(3)])
    assert results[0].body == {"data": [{"name": "reach"}]} and results[0].error is None
    assert isinstance(results[1].error, NotEnoughViewers)
    assert isinstance(results[2].error, TransientError)
    request = httpx_mock.get_request()
    assert request is not None and b"batch=" in request.content


def test_instagram_flat_error_shape(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=400,
        json={
            "error_type": "OAuthException",
            "code": 400,
            "error_message": "Invalid authorization code",
        },
    )
    with pytest.raises(MetaApiError, match="Invalid authorization code"):
        client(token=None).post("oauth/access_token", {"code": "x"}, versioned=False)
