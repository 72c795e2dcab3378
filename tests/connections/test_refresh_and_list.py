# ruff: noqa: F811 (the fixtures imported from tests/login/conftest.py are used as arguments)
"""refresh_if_due against the sandbox, the pinned JSON keys of `connections list`, expiry warnings."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from igconnect.connections.refresh import is_due, refresh_if_due
from igconnect.connections.service import SUMMARY_KEYS
from igconnect.login.flow import LoginOptions, run_login
from igconnect.meta.errors import TokenDead
from igconnect.runtime import Runtime
from igconnect.sandbox import Sandbox
from igconnect.secretstore import token_key
from tests import stored
from tests.login.conftest import (  # noqa: F401 (fixtures)
    FakeBrowser,
    login_port,
    make_sandbox,
    sandbox_env,
)


def _age(name: str, *, issued_days_ago: float, expires_in_days: float) -> None:
    now = datetime.now(UTC)
    connection = stored.connection(name)
    connection.created_at = now - timedelta(days=issued_days_ago)
    connection.renewed_at = None
    connection.token_expires_at = now + timedelta(days=expires_in_days)
    stored.save_connection(connection, stored.reach(name).accounts)


def test_is_due_rules() -> None:
    from igconnect.connections.model import Connection

    now = datetime.now(UTC)
    c = Connection(name="x", provider="instagram", created_at=now - timedelta(hours=23))
    c.token_expires_at = now + timedelta(days=5)
    assert not is_due(c, 30, now)  # under 24 h old
    c.created_at = now - timedelta(days=2)
    assert is_due(c, 30, now)
    c.token_expires_at = now + timedelta(days=45)
    assert not is_due(c, 30, now)  # not within 30 days of expiry
    c.token_expires_at = now - timedelta(seconds=1)
    assert not is_due(c, 30, now)  # expired: Meta refuses
    c.token_expires_at, c.provider = now + timedelta(days=5), "facebook"
    assert not is_due(c, 30, now)  # Facebook tokens cannot be refreshed


def test_refresh_if_due_renews_an_instagram_token(sandbox_env: Callable[..., Sandbox]) -> None:
    sb = sandbox_env()
    run_login(Runtime(), LoginOptions(provider="instagram", name="shop"), open_url=FakeBrowser())
    runtime = Runtime()
    connection = stored.connection("shop")
    old = runtime.secret_store.get(token_key(connection.id))
    assert refresh_if_due(runtime, connection) is False  # brand new
    _age("shop", issued_days_ago=50, expires_in_days=10)
    sb.advance_clock(days=50)
    runtime = Runtime()
    connection = stored.connection("shop")
    assert refresh_if_due(runtime, connection) is True
    new = runtime.secret_store.get(token_key(connection.id))
    assert new and new != old
    renewed = stored.connection("shop")
    assert renewed.renewed_at is not None
    assert renewed.token_expires_at and renewed.token_expires_at - datetime.now(UTC) > timedelta(
        days=59
    )
    assert new not in stored.written_text()


def test_refresh_of_a_dead_token_marks_the_connection_broken(
    sandbox_env: Callable[..., Sandbox],
) -> None:
    sb = sandbox_env()
    run_login(Runtime(), LoginOptions(provider="instagram", name="shop"), open_url=FakeBrowser())
    _age("shop", issued_days_ago=50, expires_in_days=10)
    sb.advance_clock(days=50)
    sb.set_scenario("password-changed")
    runtime = Runtime()
    with pytest.raises(TokenDead) as info:
        refresh_if_due(runtime, stored.connection("shop"))
    assert "--reconnect shop" in (info.value.hint or "")
    broken = stored.connection("shop")
    assert broken.is_broken and broken.broken_reason == "the password was changed"


def test_connections_list_json_keys_are_stable(
    sandbox_env: Callable[..., Sandbox], cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox_env()
    run_login(Runtime(), LoginOptions(name="acme"), open_url=FakeBrowser())
    result = cli("connections", "list", "--json")
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)["connections"]
    assert (
        tuple(row)
        == SUMMARY_KEYS
        == (
            "name",
            "provider",
            "user_id",
            "user_name",
            "accounts",
            "trackers",
            "status",
            "broken_reason",
            "token_expires_at",
            "token_days_left",
            "data_access_expires_at",
            "data_access_days_left",
            "secret_store",
            "kind",
            "origin",
            "checked_at",
        )
    )


def test_facebook_expiry_warning(sandbox_env: Callable[..., Sandbox], cli: Any) -> None:
    sandbox_env()
    run_login(Runtime(), LoginOptions(name="acme"), open_url=FakeBrowser())
    _age("acme", issued_days_ago=55, expires_in_days=5)
    result = cli("connections", "list")
    assert result.exit_code == 0
    assert "the token of 'acme' expires in 5 day(s)" in result.stderr
    assert "--reconnect acme" in result.stderr
    _age("acme", issued_days_ago=1, expires_in_days=59)
    assert "expires in" not in cli("connections", "list").stderr
