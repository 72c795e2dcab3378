"""A real sandbox on a free loopback port, and an httpx client talking to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from igconnect.sandbox import Sandbox, SandboxConfig

ADA = "10000000000000001"
BOB = "10000000000000002"
V = "v25.0"
APP = "1000000000000001"
SECRET = "sandbox-app-secret"
APP_TOKEN = f"{APP}|{SECRET}"
IG_APP = "1000000000000002"  # the Instagram app of "Instagram API with Instagram login"
IG_SECRET = "sandbox-instagram-app-secret"
REDIRECT = "http://localhost:8765/callback"


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    started: list[Sandbox] = []

    def make(**kw: Any) -> Sandbox:
        kw.setdefault("start_time", None)
        sb = Sandbox(SandboxConfig(**kw)).start()
        started.append(sb)
        return sb

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture
def sb(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox()


@pytest.fixture
def http(sb: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sb.base_url, timeout=10) as c:
        yield c


def graph(client: httpx.Client, token: str, path: str, **params: Any) -> httpx.Response:
    return client.get(
        f"/graph/{V}/{path}", params=params, headers={"Authorization": f"OAuth {token}"}
    )


def ig_graph(client: httpx.Client, token: str, path: str, **params: Any) -> httpx.Response:
    return client.get(
        f"/ig-graph/{V}/{path}", params=params, headers={"Authorization": f"Bearer {token}"}
    )


def error_of(resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    assert "error" in body, body
    err = body["error"]
    assert {"message", "type", "code", "fbtrace_id", "is_transient"} <= set(err)
    return err


def debug(client: httpx.Client, token: str) -> dict[str, Any]:
    """debug_token's `data` for a token, asked with the app token."""
    r = client.get(
        f"/graph/{V}/debug_token", params={"input_token": token, "access_token": APP_TOKEN}
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


def post_batch(
    client: httpx.Client, token: str, items: list[dict[str, Any]], **extra: str
) -> httpx.Response:
    import json

    return client.post(
        f"/graph/{V}/",
        data={"batch": json.dumps(items), **extra},
        headers={"Authorization": f"OAuth {token}"},
    )
