"""Doctor fixtures: a running sandbox wired into the environment, and connections made in it.

Connections are built from the sandbox's world (the Pages Ada manages and their linked accounts),
which is what a login in a healthy world would have recorded: tests can record expectations before
switching a scenario on, as happens in real life (the client breaks something after connecting).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from igconnect.connections.model import Account, Connection, Page
from igconnect.sandbox import Sandbox, SandboxConfig
from tests import stored

ADA = "10000000000000001"
FACEBOOK_SCOPES = [
    "instagram_basic",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
    "business_management",
]
INSTAGRAM_SCOPES = ["instagram_business_basic", "instagram_business_manage_insights"]


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Sandbox]]:
    """Start a sandbox (scenarios as in SandboxConfig) and point igconnect at it."""
    stack = contextlib.ExitStack()

    def start(*scenarios: str, accounts: int = 2, stories: int = 6) -> Sandbox:
        config = SandboxConfig(
            port=0, seed=1, accounts=accounts, stories=stories, scenarios=list(scenarios)
        )
        sb = stack.enter_context(Sandbox(config))
        for key, value in sb.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("IGCONNECT_APP_SECRET", config.app_secret)
        monkeypatch.setenv("IGCONNECT_HTTP_RETRIES", "0")  # keep failure paths fast
        return sb

    yield start
    stack.close()


def connect(
    sb: Sandbox,
    name: str = "acme",
    *,
    provider: str = "facebook",
    ig_username: str = "acme_1",
    token: str | None = None,
    **fields: Any,
) -> tuple[Connection, str]:
    """Record a connection as a login would, and store its token; returns (connection, token)."""
    world = sb.world
    now = datetime.now(UTC)
    if provider == "facebook":
        user = world.users[ADA]
        pages, accounts = [], []
        for page_id in user.page_ids:
            page = world.pages[page_id]
            linked = page.ig_id if page.link_confirmed else None
            pages.append(Page(page.id, page.name, list(page.tasks), linked))
            if linked and linked in world.accounts:
                acct = world.accounts[linked]
                accounts.append(Account(acct.id, acct.username, page.id, page.name))
        token = token or sb.issue_token(ADA)
        connection = Connection(
            name=name,
            provider="facebook",
            user_id=ADA,
            user_name=user.name,
            scopes_granted=list(FACEBOOK_SCOPES),
            **{
                "token_expires_at": now + timedelta(days=60),
                "data_access_expires_at": now + timedelta(days=90),
                **fields,
            },
        )
    else:
        acct = world.by_username[ig_username]
        pages = []
        accounts = [Account(acct.id, acct.username, account_type=acct.account_type)]
        token = token or sb.issue_token(acct.id, provider="instagram")
        connection = Connection(
            name=name,
            provider="instagram",
            user_id=acct.id,
            user_name=acct.username,
            scopes_granted=list(INSTAGRAM_SCOPES),
            **{"token_expires_at": now + timedelta(days=60), **fields},
        )
    stored.save_connection(connection, accounts, pages, token=token)
    return connection, token
