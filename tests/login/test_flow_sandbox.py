"""run_login end to end in-process against the sandbox over real HTTP (the browser follows the
consent page with httpx, as `igconnect demo` does)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from igconnect.connections.model import Connection
from igconnect.errors import ConflictError, LoginFailed
from igconnect.login.finish import AlreadyConnected
from igconnect.login.flow import LoginOptions, run_login
from igconnect.meta.oauth import Identity
from igconnect.runtime import Runtime
from igconnect.sandbox import Sandbox
from igconnect.secretstore import token_key
from tests import stored
from tests.login.conftest import FakeBrowser


def test_facebook_login_stores_token_and_connection(sandbox_env: Callable[..., Sandbox]) -> None:
    sb = sandbox_env(accounts=3)
    browser = FakeBrowser()
    runtime = Runtime()
    result = run_login(runtime, LoginOptions(name="acme"), open_url=browser)
    browser.wait()
    connection = result.connection
    assert connection.name == "acme"
    assert connection.provider == "facebook"
    assert connection.user_name == "Ada Agency"
    assert len(result.reach.accounts) >= 1
    token = runtime.secret_store.get(token_key(connection.id))
    assert token and token.startswith("EAA")
    assert token not in stored.written_text()
    assert stored.connection("acme").id == connection.id
    assert stored.reach("acme") == result.reach
    page = browser.final_pages[0]
    assert page.status_code == 200
    assert "You have been connected" in page.text
    for account in result.reach.accounts:
        assert "@" + account.username in page.text
    assert sb.request_count("/graph") > 0


def test_cancel_stores_nothing(sandbox_env: Callable[..., Sandbox]) -> None:
    sandbox_env()
    browser = FakeBrowser(cancel=True)
    runtime = Runtime()
    with pytest.raises(LoginFailed, match="cancelled"):
        run_login(runtime, LoginOptions(name="acme"), open_url=browser)
    browser.wait()
    assert "Login cancelled" in browser.final_pages[0].text
    assert stored.connections() == {}


def test_already_connected(sandbox_env: Callable[..., Sandbox]) -> None:
    sandbox_env()
    run_login(Runtime(), LoginOptions(name="acme"), open_url=FakeBrowser())
    browser = FakeBrowser()
    with pytest.raises(ConflictError, match="already connected as 'acme'") as info:
        run_login(Runtime(), LoginOptions(name="other"), open_url=browser)
    assert "--reconnect acme" in (info.value.hint or "")
    browser.wait()
    assert "Already connected" in browser.final_pages[0].text
    assert list(stored.connections()) == ["acme"]


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError])
def test_interrupt_while_storing_takes_the_token_back(
    sandbox_env: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch, failure: type
) -> None:
    sandbox_env()
    from igconnect.connections.store import ConnectionStore

    def broken_add(self: object, connection: object, reach: object) -> None:
        raise failure()

    monkeypatch.setattr(ConnectionStore, "add", broken_add)
    runtime = Runtime()
    browser = FakeBrowser()
    with pytest.raises(failure):
        run_login(runtime, LoginOptions(name="acme"), open_url=browser)
    browser.wait()
    assert stored.connections() == {}
    backend_keys = [k for k in _memory_keys()]
    assert not [k for k in backend_keys if k.startswith("token:")]
    assert "Login" in browser.final_pages[0].text and "connected" not in browser.final_pages[0].text


def _memory_keys() -> list[str]:
    import keyring

    backend = keyring.get_keyring()
    return [user for (_service, user) in getattr(backend, "passwords", {})]


def test_declined_permission_is_reported(sandbox_env: Callable[..., Sandbox]) -> None:
    sandbox_env()
    browser = FakeBrowser(decline_scopes=("instagram_manage_insights",))
    result = run_login(Runtime(), LoginOptions(name="acme"), open_url=browser)
    browser.wait()
    assert "instagram_manage_insights" in result.connection.scopes_declined
    assert "permission instagram_manage_insights was declined" in result.missing
    # said once, with its fix, not again among the other things missing
    assert result.missing_permissions == ["instagram_manage_insights"]
    assert not any("instagram_manage_insights" in m for m in result.missing_besides_permissions)
    assert "igconnect doctor acme" in browser.final_pages[0].text
    # A reconnect asks again for what was declined.
    again = FakeBrowser()
    run_login(Runtime(), LoginOptions(reconnect="acme"), open_url=again)
    again.wait()
    assert "auth_type=rerequest" in again.opened[0]
    assert get_scopes_declined("acme") == []


def get_scopes_declined(name: str) -> list[str]:
    return stored.connection(name).scopes_declined


def test_a_code_exchange_whose_answer_is_lost_is_not_sent_again(
    sandbox_env: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox_env(scenarios=["exchange-drop"])
    monkeypatch.setenv(
        "IGCONNECT_HTTP_RETRIES", "4"
    )  # retries allowed: the exchange still must not
    browser = FakeBrowser()
    with pytest.raises(LoginFailed, match="was lost") as info:
        run_login(Runtime(), LoginOptions(name="acme"), open_url=browser)
    browser.wait()
    assert "log in again" in (info.value.hint or "")
    assert sb.request_count("/graph/v25.0/oauth/access_token") == 1  # sent once
    assert stored.connections() == {}


@pytest.mark.parametrize(
    ("error", "title"),
    [
        (
            AlreadyConnected(Connection(name="acme", provider="facebook"), Identity("7", "Ada")),
            "Already connected",
        ),
        # the words alone decide nothing: only the class says who is connected
        (ConflictError("the person is already connected, in other words"), "Not connected"),
        (ConflictError("a connection named 'acme' already exists"), "Not connected"),
    ],
)
def test_the_failure_page_is_chosen_by_the_error_class(error: ConflictError, title: str) -> None:
    from igconnect.login.flow import _failure_page

    assert f"<h1 id=title>{title}</h1>" in _failure_page(error)
