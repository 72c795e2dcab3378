"""Fixtures for the trackers tests: connections written straight into the settings file."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from igconnect.connections import Account, Connection, save_connection
from igconnect.runtime import Runtime


def conn(
    name: str,
    usernames: list[str] | tuple[str, ...] = (),
    *,
    provider: str = "facebook",
    broken: bool = False,
) -> Connection:
    accounts = [Account(id=f"id-{u}", username=u) for u in usernames]
    return Connection(
        name=name,
        provider=provider,
        accounts=accounts,
        status="broken" if broken else "ok",
        broken_reason="the password was changed" if broken else None,
    )


@pytest.fixture
def save_connections() -> Callable[..., list[Connection]]:
    def save(*connections: Connection) -> list[Connection]:
        with Runtime().edit() as doc:
            for c in connections:
                save_connection(doc, c)
        return list(connections)

    return save
