"""Fixtures of the end-to-end tests: the sandbox ones of tests/login/conftest.py, an HTTP browser
behind `webbrowser.open`, and helpers to reach the sandbox's people, system users and clock."""

# ruff: noqa: F401 (fixtures re-exported for the tests of this folder)
from __future__ import annotations

import webbrowser

import pytest

from igconnect.sandbox import Sandbox
from tests.login.conftest import FakeBrowser, login_port, login_process, make_sandbox, sandbox_env


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> FakeBrowser:
    """`webbrowser.open` replaced by a browser that follows the consent page over HTTP; change its
    `decline_scopes` / `pages` / `cancel` between logins to play another choice in the dialog."""
    fake = FakeBrowser()
    monkeypatch.setattr(webbrowser, "open", fake)
    monkeypatch.setenv("BROWSER", "fake-browser")
    return fake


def new_system_user_token(sb: Sandbox, user_id: str, *, expires_in_60_days: bool = False) -> str:
    """What Business settings → System users → Generate new token does for an existing system user
    (the sandbox's admin call always makes a new system user)."""
    from igconnect.sandbox.state import FACEBOOK_SCOPES, LONG_LIVED

    life = LONG_LIVED if expires_in_60_days else 0
    token = sb.state.mint(user_id, "facebook", "long", FACEBOOK_SCOPES, life=life, system_user=True)
    return token.value


def suggested_command(stderr: str) -> str:
    """The command between backticks in the `Error: ... — hint` line (the first one)."""
    line = next(x for x in reversed(stderr.splitlines()) if x.startswith("Error:"))
    return line.split("`")[1]
