"""Instagram Login with the Instagram app's own id and secret, over HTTP against the sandbox (which,
like Meta, refuses the Meta app's id on that path): set up, log in, refresh, export; and the Meta
app's id refused with a message that says which id to use and where to find it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from igconnect.errors import ExitCode
from igconnect.meta.errors import InvalidPlatformApp
from igconnect.meta.oauth import InstagramLogin
from igconnect.runtime import Runtime
from igconnect.sandbox import Sandbox
from igconnect.sandbox.config import (
    DEFAULT_APP_ID,
    DEFAULT_INSTAGRAM_APP_ID,
    DEFAULT_INSTAGRAM_APP_SECRET,
)
from igconnect.trackers.model import Tracker
from tests import stored
from tests.login.conftest import FakeBrowser

WHERE = "Instagram → API setup with Instagram login"


@pytest.fixture
def no_instagram_app(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call after starting the sandbox: as a new user has it, only the Meta app is set up."""

    def forget() -> None:
        monkeypatch.delenv("IGCONNECT_INSTAGRAM_APP_ID", raising=False)
        monkeypatch.delenv("IGCONNECT_INSTAGRAM_APP_SECRET", raising=False)

    return forget


def test_instagram_login_with_the_instagram_app_logs_in_refreshes_and_exports(
    sandbox_env: Callable[..., Sandbox],
    browser: FakeBrowser,
    cli: Any,
    no_instagram_app: Callable[[], None],
    tmp_path: Any,
) -> None:
    sb = sandbox_env(accounts=2, stories=2)
    no_instagram_app()
    missing = cli("login", "--provider", "instagram", "--name", "shop")
    assert missing.exit_code == ExitCode.CONFIG
    assert "Instagram Login needs the Instagram app's own id and secret" in missing.stderr
    assert WHERE in missing.stderr and browser.opened == []
    shown = cli(
        "app",
        "set",
        "--instagram-app-id",
        DEFAULT_INSTAGRAM_APP_ID,
        "--instagram-app-secret-stdin",
        input=DEFAULT_INSTAGRAM_APP_SECRET + "\n",
    )
    assert shown.exit_code == 0, shown.stderr
    assert f"Instagram app {DEFAULT_INSTAGRAM_APP_ID} set" in shown.stderr
    info = json.loads(cli("app", "show", "--json").stdout)
    assert info["instagram_app_id"] == DEFAULT_INSTAGRAM_APP_ID
    assert info["instagram_secret"].startswith("stored in the")
    assert DEFAULT_INSTAGRAM_APP_SECRET not in stored.written_text()

    login = cli("login", "--provider", "instagram", "--name", "shop")
    assert login.exit_code == 0, login.stderr
    sent = parse_qs(urlsplit(browser.opened[0]).query)
    assert sent["client_id"] == [DEFAULT_INSTAGRAM_APP_ID]
    connection = stored.connection("shop")
    assert connection.provider == "instagram"

    # Refresh: Meta allows it once the token is 24 hours old (both clocks move).
    sb.advance_clock(hours=25)
    connection.created_at = datetime.now(UTC) - timedelta(hours=25)
    stored.save_connection(connection, stored.reach("shop").accounts)
    refreshed = cli("connections", "refresh", "shop")
    assert refreshed.exit_code == 0, refreshed.stderr
    assert "token renewed for 60 days" in refreshed.stderr

    # Export through graph.instagram.com, with appsecret_proof made with the Instagram app's
    # secret (the sandbox checks it with that secret).
    (account,) = stored.reach("shop").accounts
    stored.save_tracker(Tracker("account", account.username, connection="shop"))
    out = tmp_path / "stories.csv"
    exported = cli("export", "stories", "--out", str(out), "--json")
    assert exported.exit_code == 0, exported.stderr
    (report,) = json.loads(exported.stdout)["accounts"]
    assert report["state"] == "collected" and report["stories"] == 2


def test_a_wrong_instagram_app_secret_fails_the_proof(
    sandbox_env: Callable[..., Sandbox],
    browser: FakeBrowser,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    sandbox_env(accounts=1)
    assert cli("login", "--provider", "instagram", "--name", "shop").exit_code == 0
    (account,) = stored.reach("shop").accounts
    stored.save_tracker(Tracker("account", account.username, connection="shop"))
    monkeypatch.setenv("IGCONNECT_INSTAGRAM_APP_SECRET", "sandbox-app-secret")  # the Meta app's
    exported = cli("export", "stories", "--out", str(tmp_path / "s.csv"), "--json")
    assert exported.exit_code == ExitCode.NOTHING_COLLECTED
    assert "Invalid appsecret_proof" in exported.stdout


def test_the_meta_apps_id_is_refused_for_instagram_login_with_where_to_find_the_right_one(
    sandbox_env: Callable[..., Sandbox],
    browser: FakeBrowser,
    cli: Any,
    no_instagram_app: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox_env()
    no_instagram_app()
    refused = cli(
        "app",
        "set",
        "--instagram-app-id",
        DEFAULT_APP_ID,
        "--instagram-app-secret-stdin",
        input="whatever-secret\n",
    )
    assert refused.exit_code == ExitCode.USAGE
    assert f"{DEFAULT_APP_ID} is the Meta app's id" in refused.stderr and WHERE in refused.stderr
    # Set by hand (or in the environment) it is refused before any browser opens.
    monkeypatch.setenv("IGCONNECT_INSTAGRAM_APP_ID", DEFAULT_APP_ID)
    monkeypatch.setenv("IGCONNECT_INSTAGRAM_APP_SECRET", DEFAULT_INSTAGRAM_APP_SECRET)
    login = cli("login", "--provider", "instagram")
    assert login.exit_code == ExitCode.CONFIG
    assert "instagram_app_id is set to the Meta app's id" in login.stderr
    assert '"Invalid platform app"' in login.stderr and WHERE in login.stderr
    assert browser.opened == [] and stored.connections() == {}


def test_metas_invalid_platform_app_answer_becomes_a_clear_error(
    sandbox_env: Callable[..., Sandbox],
) -> None:
    """What api.instagram.com answers (over HTTP, the sandbox playing Meta) to the Meta app's id."""
    sandbox_env()
    runtime = Runtime()
    wrong = InstagramLogin(
        runtime.endpoints, DEFAULT_APP_ID, DEFAULT_INSTAGRAM_APP_SECRET, runtime.graph_client
    )
    with pytest.raises(InvalidPlatformApp) as info:
        wrong.exchange_code("c0de", "http://localhost:8765/callback", None)
    error = info.value
    assert error.exit_code == ExitCode.CONFIG
    assert f"Meta refused app id {DEFAULT_APP_ID} on the Instagram Login path" in error.message
    assert '"Invalid platform app"' in error.message
    assert WHERE in (error.hint or "") and "--instagram-app-id" in (error.hint or "")
