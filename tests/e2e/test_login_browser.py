"""`igconnect login` end to end: a real process, a real loopback server, headless Chromium clicking
through the sandbox's consent page, and the token in a real Secret Service (or the file store)."""

# ruff: noqa: F811 (the fixtures imported from tests/login/conftest.py are used as arguments)
from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import keyring
import pytest

from igconnect.errors import ExitCode
from igconnect.runtime import Runtime
from igconnect.secretstore import SERVICE, token_key
from tests import stored
from tests.login.conftest import login_port, login_process, make_sandbox  # noqa: F401 (fixtures)
from tests.login.harness import LoginProcess, browser_result
from tests.realparts import require

pytestmark = [pytest.mark.browser]


@pytest.fixture(autouse=True)
def _chromium() -> None:
    require("chromium")


@pytest.mark.keyring
def test_facebook_login_in_chromium_stores_the_token_in_the_keyring(
    login_process: Callable[..., LoginProcess], secret_service: dict[str, str]
) -> None:
    proc = login_process(extra_env=dict(secret_service), accounts=3)
    out = proc.use_chromium("continue")
    result = proc.run("login", "--name", "acme", "--timeout", "60")
    page = browser_result(out)
    assert result.returncode == 0, result.stderr
    assert "You have been connected" in page
    assert "Connection acme is ready" in page
    connection = stored.connections()["acme"]
    assert connection.provider == "facebook"
    assert connection.user_name == "Ada Agency"
    accounts = stored.reach("acme").accounts
    assert accounts
    for account in accounts:
        assert "@" + account.username in page
        assert "@" + account.username in result.stdout
    token = keyring.get_password(SERVICE, token_key(connection.id))
    assert token and token.startswith("EAA")
    # The token never reaches the screen or a file; the state store has the metadata.
    assert token not in result.stdout + result.stderr
    assert token not in stored.written_text()
    assert "instagram_manage_insights" in connection.scopes_granted
    assert "Connection 'acme' added (Ada Agency)" in result.stderr
    assert "SecretService" in result.stderr


def test_instagram_login_in_chromium(login_process: Callable[..., LoginProcess]) -> None:
    proc = login_process(accounts=2)
    out = proc.use_chromium("continue")
    result = proc.run("login", "--provider", "instagram", "--timeout", "60", "--json")
    page = browser_result(out)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["provider"] == "instagram"
    assert len(data["accounts"]) == 1
    name = data["name"]
    assert name == data["accounts"][0].lower()  # derived from the username
    assert f"@{data['accounts'][0]}" in page
    connection = stored.connections()[name]
    assert stored.reach(name).accounts[0].account_type in ("BUSINESS", "MEDIA_CREATOR")
    assert connection.token_expires_at is not None
    store = Runtime({**os.environ, "IGCONNECT_TOKEN_STORE": "file"}).secret_store
    token = store.get(token_key(connection.id))
    assert token and token.startswith("IG")
    assert token not in stored.written_text()
    assert token not in result.stdout + result.stderr


def test_cancel_in_chromium_stores_nothing(login_process: Callable[..., Any]) -> None:
    proc = login_process()
    out = proc.use_chromium("cancel")
    result = proc.run("login", "--timeout", "60")
    page = browser_result(out)
    assert result.returncode == ExitCode.LOGIN_FAILED, result.stderr
    assert "Login cancelled" in page
    assert "cancelled" in result.stderr
    assert stored.connections() == {}
    token_file = Runtime().paths.token_file
    assert not token_file.exists() or "token:" not in token_file.read_text()
