"""No silent downgrade, over HTTP against the sandbox: a login without a permission story collection
needs exits 18 (PERMISSION_MISSING) naming it, and its fix (`login --reconnect NAME`, which asks again) works; a reconnect
never replaces a working token with one that can do less unless --force."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from igconnect.errors import ExitCode
from igconnect.runtime import Runtime
from igconnect.sandbox import Sandbox
from igconnect.secretstore import token_key
from tests import stored
from tests.e2e.conftest import suggested_command
from tests.login.conftest import FakeBrowser

INSIGHTS = "instagram_manage_insights"


def _token(name: str) -> str | None:
    return Runtime().secret_store.get(token_key(stored.connection(name).id))


def _fix_line(stderr: str) -> str:
    line = next(x for x in stderr.splitlines() if "fix: `" in x or "Error:" in x)
    return line.split("`")[1]


def test_a_new_login_without_a_required_permission_exits_18_and_its_fix_works(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sandbox_env(accounts=2)
    browser.decline_scopes = (INSIGHTS,)
    result = cli("login", "--name", "acme")
    assert result.exit_code == ExitCode.PERMISSION_MISSING == 18, result.stderr
    assert "but it cannot collect stories: instagram_manage_insights (story insights)" in (
        result.stderr
    )
    assert "✓" not in result.stderr
    assert INSIGHTS in stored.connection("acme").scopes_declined
    fix = _fix_line(result.stderr)
    assert fix == "igconnect login --reconnect acme"
    browser.decline_scopes = ()
    fixed = cli(*fix.split()[1:])
    assert fixed.exit_code == 0, fixed.stderr
    assert "auth_type=rerequest" in browser.opened[-1]
    assert INSIGHTS in stored.connection("acme").scopes_granted
    assert stored.connection("acme").scopes_declined == []


def test_json_of_a_login_without_a_permission(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    import json

    sandbox_env()
    browser.decline_scopes = (INSIGHTS,)
    result = cli("login", "--name", "acme", "--json")
    assert result.exit_code == ExitCode.PERMISSION_MISSING
    data = json.loads(result.stdout)
    assert data["missing_permissions"] == [INSIGHTS] and data["exit_code"] == 18


def test_a_reconnect_that_declines_a_permission_keeps_the_working_token(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sandbox_env(accounts=2)
    assert cli("login", "--name", "acme").exit_code == 0
    working = _token("acme")
    browser.decline_scopes = (INSIGHTS,)
    refused = cli("login", "--reconnect", "acme")
    assert refused.exit_code == ExitCode.PERMISSION_MISSING, refused.stderr
    assert "lacks instagram_manage_insights (story insights), which its working token has" in (
        refused.stderr
    )
    assert "the working token was kept" in refused.stderr
    assert _token("acme") == working
    assert INSIGHTS in stored.connection("acme").scopes_granted
    # Its fix, followed with every permission ticked, works.
    browser.decline_scopes = ()
    suggested = suggested_command(refused.stderr)
    assert suggested == "igconnect login --reconnect acme"
    fixed = cli(*suggested.split()[1:])
    assert fixed.exit_code == 0, fixed.stderr
    assert _token("acme") not in (None, working)
    # --force takes the lesser token (and still says what it lacks).
    browser.decline_scopes = (INSIGHTS,)
    forced = cli("login", "--reconnect", "acme", "--force")
    assert forced.exit_code == ExitCode.PERMISSION_MISSING
    assert INSIGHTS not in stored.connection("acme").scopes_granted


def test_a_reconnect_that_reaches_fewer_accounts_keeps_the_working_token(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env(accounts=3)
    assert cli("login", "--name", "acme").exit_code == 0
    working = _token("acme")
    first_page = str(sb.world.by_username["acme_1"].page_id)
    browser.pages = [first_page]
    refused = cli("login", "--reconnect", "acme")
    assert refused.exit_code == ExitCode.CONFLICT, refused.stderr
    assert "no longer reaches 2 account(s) its working token reaches (@acme_2, @acme_3)" in (
        refused.stderr
    )
    assert _token("acme") == working and len(stored.reach("acme").accounts) == 3
    forced = cli("login", "--reconnect", "acme", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert [a.username for a in stored.reach("acme").accounts] == ["acme_1"]


def test_a_dead_token_is_replaced_even_by_a_lesser_one(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env(accounts=2)
    assert cli("login", "--name", "acme").exit_code == 0
    old = _token("acme")
    # The user removed the app (from another tool): the old token is dead, a new login works.
    httpx.delete(
        f"{sb.base_url}/graph/v25.0/me/permissions", headers={"Authorization": f"OAuth {old}"}
    )
    browser.decline_scopes = (INSIGHTS,)
    result = cli("login", "--reconnect", "acme")
    assert result.exit_code == ExitCode.PERMISSION_MISSING, result.stderr
    assert "Connection 'acme' renewed" in result.stderr
    assert _token("acme") not in (None, old)
