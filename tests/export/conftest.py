"""Fixtures of the export tests: a real sandbox over HTTP, and connections + trackers set up on it
the way `igconnect login` and `igconnect trackers` would leave them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from igconnect.sandbox import Sandbox, SandboxConfig

APP_SECRET = "sandbox-app-secret"


@dataclass
class Setup:
    sb: Any
    tmp: Path

    @property
    def out(self) -> Path:
        return self.tmp / "out" / "stories.csv"

    def connect(
        self,
        name: str,
        user: str,
        *,
        provider: str = "facebook",
        usernames: list[str] | None = None,
    ) -> str:
        """Mint a token, store it, save the connection with the accounts it reaches, and assign an
        account tracker for each. Returns the token."""
        from igconnect.connections.model import Account, Connection
        from igconnect.trackers.model import Tracker
        from tests import stored

        world = self.sb.world
        token = self.sb.issue_token(user, provider=provider)
        if provider == "facebook":
            pages = world.users[user].page_ids
            accounts = [world.account_of_page(p) for p in pages]
            reach = [a for a in accounts if a is not None]
        else:
            acct = world.accounts.get(user) or world.by_username[user]
            reach = [acct]
        if usernames is not None:
            reach = [a for a in reach if a.username in usernames]
        connection = Connection(name=name, provider=provider, user_id=user)
        stored.save_connection(
            connection, [Account(id=a.id, username=a.username) for a in reach], token=token
        )
        for a in reach:
            stored.save_tracker(Tracker(kind="account", target=a.username, connection=name))
        return token


@pytest.fixture
def sandbox_factory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    started: list[Any] = []

    def start(**kwargs: Any) -> Setup:
        kwargs.setdefault("seed", 7)
        kwargs.setdefault("accounts", 3)
        kwargs.setdefault("stories", 8)
        sb = Sandbox(SandboxConfig(port=0, **kwargs)).start()
        started.append(sb)
        for key, value in sb.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("IGCONNECT_APP_SECRET", APP_SECRET)
        return Setup(sb, tmp_path)

    yield start
    for sb in started:
        sb.stop()


@pytest.fixture
def setup(sandbox_factory: Any) -> Setup:
    """A sandbox with 3 accounts of 8 stories, all behind one Facebook connection 'acme'."""
    s: Setup = sandbox_factory()
    s.connect("acme", "10000000000000001")
    return s


def read_csv(path: Path | str) -> list[dict[str, str]]:
    text = Path(path).read_text(encoding="utf-8") if isinstance(path, Path) else path
    return list(csv.DictReader(io.StringIO(text)))
