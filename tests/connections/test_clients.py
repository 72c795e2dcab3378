"""The one place a client acting as a connection is built."""

from __future__ import annotations

from typing import Any

import pytest

from igconnect.connections import clients
from igconnect.connections.clients import client_for
from igconnect.connections.model import Connection
from igconnect.connections.tokens import read_token
from igconnect.errors import AuthError, ConfigError
from igconnect.runtime import Runtime
from igconnect.secretstore import APP_SECRET_KEY, token_key


def test_client_for_refreshes_instagram_tokens_first(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake_refresh(runtime: Any, connection: Connection, **kw: Any) -> bool:
        calls.append(connection.name)
        runtime.secret_store.set(token_key(connection.id), "IGAArefreshedtoken0123456789abc")
        return True

    monkeypatch.setattr(clients, "refresh_if_due", fake_refresh)
    runtime = Runtime()
    instagram = Connection(name="ig", provider="instagram")
    facebook = Connection(name="fb", provider="facebook")
    runtime.secret_store.set(token_key(instagram.id), "IGAAoldtoken0123456789abcdefgh")
    runtime.secret_store.set(token_key(facebook.id), "EAAGtoken0123456789abcdefghijk")
    with client_for(runtime, instagram) as client:
        assert client.token == "IGAArefreshedtoken0123456789abc"
        assert client.auth_scheme == "Bearer"
        assert client.reconnect_hint == "run `igconnect login --reconnect ig`"
    with client_for(runtime, facebook) as client:
        assert client.auth_scheme == "OAuth"
    assert calls == ["ig"]


def test_missing_token_and_app_are_explained() -> None:
    runtime = Runtime()
    with pytest.raises(AuthError, match="has no token") as info:
        read_token(runtime.secret_store, Connection(name="acme", provider="facebook"))
    assert "igconnect login --reconnect acme" in (info.value.hint or "")
    with pytest.raises(ConfigError, match="no Meta app"):
        runtime.app_id()
    with pytest.raises(ConfigError, match="app secret is not stored"):
        runtime.app_secret()
    runtime.secret_store.set(APP_SECRET_KEY, "stored-app-secret")
    assert runtime.app_secret() == "stored-app-secret"
    assert (
        Runtime({**runtime.environ, "IGCONNECT_APP_SECRET": "env-secret-1"}).app_secret()
        == "env-secret-1"
    )
