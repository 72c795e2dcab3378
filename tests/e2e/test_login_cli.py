"""`igconnect login`, `logout` and `connections` against the sandbox over real HTTP: the pasted-URL
path, forged state, timeout, busy port, already connected, reconnect, logout (with and without
--revoke). The browser here follows the consent page over HTTP (no Chromium needed)."""

# ruff: noqa: F811 (the fixtures imported from tests/login/conftest.py are used as arguments)
from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from igconnect.errors import ExitCode
from igconnect.runtime import Runtime
from igconnect.sandbox import Sandbox
from igconnect.sandbox.consent import follow_consent
from igconnect.secretstore import token_key
from igconnect.trackers.model import Tracker
from tests import stored
from tests.login.conftest import (  # noqa: F401 (fixtures)
    FakeBrowser,
    login_port,
    login_process,
    make_sandbox,
    sandbox_env,
)
from tests.login.harness import LoginProcess, read_login_url


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> FakeBrowser:
    """`webbrowser.open` replaced by a browser that follows the consent page over HTTP."""
    import webbrowser

    fake = FakeBrowser()
    monkeypatch.setattr(webbrowser, "open", fake)
    monkeypatch.setenv("BROWSER", "fake-browser")
    return fake


def _assign_trackers(name: str, *usernames: str) -> None:
    for username in usernames:
        stored.save_tracker(Tracker(kind="account", target=username, connection=name))


# -- the pasted-URL path (a real process) ----------------------------------------------------------
def test_paste_the_redirect_url(login_process: Callable[..., LoginProcess]) -> None:
    proc = login_process()
    process = proc.start("login", "--no-browser", "--name", "remote", "--timeout", "60")
    url, lines = read_login_url(process)
    assert "state=" in url and "code_challenge=" in url
    redirect = follow_consent(url)
    # What the person copies from the address bar of a browser on another machine.
    stdout, stderr = process.communicate("not a url\n" + redirect + "\n", timeout=60)
    stderr = "".join(lines) + stderr
    assert process.returncode == 0, stderr
    assert "paste that whole address" in stderr
    assert "That address was not accepted" in stderr
    assert "remote" in stored.connections()
    code = redirect.split("code=", 1)[1].split("&", 1)[0]
    assert code not in stdout + stderr  # the code is a secret too


def test_paste_instagram_url_with_trailing_fragment(
    login_process: Callable[..., LoginProcess],
) -> None:
    proc = login_process()
    process = proc.start("login", "--no-browser", "--provider", "instagram", "--timeout", "60")
    url, _ = read_login_url(process)
    redirect = follow_consent(url)
    assert redirect.endswith("#_")
    _, stderr = process.communicate(redirect + "\n", timeout=60)
    assert process.returncode == 0, stderr
    (connection,) = stored.connections().values()
    assert connection.provider == "instagram"


def test_forged_state_is_refused_and_changes_nothing(
    login_process: Callable[..., LoginProcess],
) -> None:
    proc = login_process()
    process = proc.start("login", "--no-browser", "--name", "acme", "--timeout", "60")
    url, _ = read_login_url(process)
    callback = f"http://localhost:{proc.port}/callback"
    forged = httpx.get(callback, params={"code": "stolen-code-123", "state": "forged"}, timeout=10)
    assert forged.status_code == 400
    assert "does not belong to the login in progress" in forged.text
    assert stored.connections() == {}
    # The real login still goes through afterwards.
    redirect = follow_consent(url)
    final = httpx.get(redirect, timeout=30)
    assert "You have been connected" in final.text
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "acme" in stored.connections()
    second = httpx.get(redirect, timeout=5) if _port_open(proc.port) else None
    assert second is None or second.status_code in (400, 410)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_forged_state_only_then_timeout_fails(login_process: Callable[..., LoginProcess]) -> None:
    proc = login_process()
    process = proc.start("login", "--no-browser", "--timeout", "3")
    read_login_url(process)
    httpx.get(f"http://localhost:{proc.port}/callback?code=x1234567&state=forged", timeout=10)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == ExitCode.LOGIN_FAILED
    assert "state does not match" in stderr
    assert stored.connections() == {}


def test_timeout(login_process: Callable[..., LoginProcess]) -> None:
    proc = login_process()
    started = time.monotonic()
    result = proc.run("login", "--no-browser", "--timeout", "1")
    assert result.returncode == ExitCode.LOGIN_FAILED, result.stderr
    assert "no login came back within 1 seconds" in result.stderr
    assert time.monotonic() - started < 20
    assert not _port_open(proc.port)


def test_busy_port(login_process: Callable[..., LoginProcess]) -> None:
    proc = login_process()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", proc.port))
        squatter.listen()
        result = proc.run("login", "--no-browser", "--timeout", "5")
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert f"port {proc.port}" in result.stderr
    assert "--port" in result.stderr and "igconnect config set login_port" in result.stderr


# -- in-process CLI with the HTTP browser ------------------------------------------------------------
def test_login_then_already_connected(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sandbox_env()
    first = cli("login", "--name", "acme")
    assert first.exit_code == 0, first.stderr
    again = cli("login", "--name", "acme2")
    assert again.exit_code == ExitCode.CONFLICT
    assert "already connected as 'acme'" in again.stderr
    assert "--reconnect acme" in again.stderr
    assert "private window" in again.stderr
    clash = cli("login", "--name", "acme")
    assert clash.exit_code == ExitCode.CONFLICT
    assert "a connection named 'acme' already exists" in clash.stderr
    assert list(stored.connections()) == ["acme"]


def test_reconnect_after_password_change_keeps_trackers(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env(accounts=2)
    assert cli("login", "--name", "acme").exit_code == 0
    before = stored.connections()["acme"]
    old_token = Runtime().secret_store.get(token_key(before.id))
    usernames = [a.username for a in stored.reach("acme").accounts]
    _assign_trackers("acme", *usernames)
    sb.set_scenario("password-changed")
    refreshed = cli("connections", "refresh", "acme")
    assert refreshed.exit_code == ExitCode.AUTH
    assert "password was changed" in refreshed.stderr
    broken = stored.connections()["acme"]
    assert broken.is_broken
    # The sandbox kills every token of the user while the scenario is on: the user has since
    # logged in with the new password.
    sb.clear_scenarios()
    result = cli("login", "--reconnect", "acme")
    assert result.exit_code == 0, result.stderr
    assert "Connection 'acme' renewed" in result.stderr
    after = stored.connections()["acme"]
    assert after.id == before.id
    assert not after.is_broken
    assert after.renewed_at is not None
    assert after.created_at == before.created_at
    assert Runtime().secret_store.get(token_key(after.id)) not in (None, old_token)
    trackers = stored.trackers()
    assert {t.connection for t in trackers.values()} == {"acme"}
    assert len(trackers) == len(usernames)


def test_reconnect_refuses_a_different_user(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env(accounts=2, scenarios=["already-connected"])
    assert cli("login", "--name", "acme").exit_code == 0
    bob = next(u for u in sb.world.users.values() if u.name != "Ada Agency")
    sb.set_session_user(bob.id)
    result = cli("login", "--reconnect", "acme")
    assert result.exit_code == ExitCode.CONFLICT, result.stderr
    assert f"a different Meta user came back: {bob.name}" in result.stderr
    assert stored.connections()["acme"].user_name == "Ada Agency"
    forced = cli("login", "--reconnect", "acme", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert stored.connections()["acme"].user_name == bob.name


def test_logout_refuses_with_trackers_then_force_unassigns(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sandbox_env()
    assert cli("login", "--name", "acme").exit_code == 0
    connection = stored.connections()["acme"]
    _assign_trackers("acme", "someone")
    refused = cli("logout", "acme")
    assert refused.exit_code == ExitCode.CONFLICT
    assert "1 tracker(s) are assigned to 'acme'" in refused.stderr
    assert "acme" in stored.connections()
    result = cli("logout", "acme", "--force", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "unassigned 1 tracker(s)" in result.stderr and "@someone" in result.stderr
    assert stored.connections() == {}
    assert stored.trackers()["@someone"].connection is None
    assert Runtime().secret_store.get(token_key(connection.id)) is None


def test_logout_with_revoke(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env()
    assert cli("login", "--name", "acme").exit_code == 0
    connection = stored.connections()["acme"]
    token = Runtime().secret_store.get(token_key(connection.id))
    assert token
    result = cli("logout", "acme", "--revoke", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "Revoked the app's permissions" in result.stderr
    assert stored.connections() == {}
    # Meta's side: the token no longer works.
    me = httpx.get(
        f"{sb.base_url}/graph/v25.0/me", headers={"Authorization": f"OAuth {token}"}, timeout=10
    )
    assert me.json()["error"]["code"] == 190


def test_logout_revoke_with_dead_token_still_removes(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env()
    assert cli("login", "--name", "acme").exit_code == 0
    sb.set_scenario("app-removed")
    result = cli("logout", "acme", "--revoke", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "could not revoke" in result.stderr
    assert stored.connections() == {}


def test_connections_list_show_rename(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sandbox_env()
    assert cli("login", "--name", "acme").exit_code == 0
    connection = stored.connections()["acme"]
    token = Runtime().secret_store.get(token_key(connection.id))
    assert token
    _assign_trackers("acme", "one", "two")
    listed = cli("connections", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    (row,) = json.loads(listed.stdout)["connections"]
    assert row["name"] == "acme" and row["trackers"] == 2 and row["status"] == "ok"
    assert 59 <= row["token_days_left"] <= 61
    shown = cli("connections", "show", "acme")
    assert shown.exit_code == 0
    assert token[:4] + "***" in shown.stdout
    assert token not in shown.stdout + shown.stderr
    renamed = cli("connections", "rename", "acme", "acme-agency")
    assert renamed.exit_code == 0, renamed.stderr
    assert {t.connection for t in stored.trackers().values()} == {"acme-agency"}
    moved = stored.connections()["acme-agency"]
    assert Runtime().secret_store.get(token_key(moved.id)) == token
    missing = cli("connections", "show", "acme")
    assert missing.exit_code == ExitCode.NOT_FOUND


def test_login_again_after_logout_revoke(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    # Meta forgets the grant on a revoke, and a new consent grants again: no sandbox restart.
    sandbox_env()
    assert cli("login", "--name", "acme").exit_code == 0
    assert cli("logout", "acme", "--revoke", "--yes").exit_code == 0
    again = cli("login", "--name", "acme")
    assert again.exit_code == 0, again.stderr
    assert "acme" in stored.connections()
    assert cli("doctor", "acme").exit_code == 0
