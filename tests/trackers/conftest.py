"""Fixtures for the trackers tests: connections written straight into the state store."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from igconnect.connections.model import Account, Connection
from igconnect.trackers.rules import Carrier, MemoryLookup
from tests import stored


def conn(
    name: str,
    usernames: list[str] | tuple[str, ...] = (),
    *,
    provider: str = "facebook",
    broken: bool = False,
) -> Carrier:
    """A connection reaching `usernames` (account ids `id-<username>`), as the rules see it."""
    accounts = [Account(id=f"id-{u}", username=u) for u in usernames]
    connection = Connection(
        name=name,
        provider=provider,
        status="broken" if broken else "ok",
        broken_reason="the password was changed" if broken else None,
        account_count=len(accounts),
    )
    return Carrier(connection, MemoryLookup(accounts))


@pytest.fixture
def save_connections() -> Callable[..., list[Connection]]:
    def save(*carriers: Carrier) -> list[Connection]:
        out = []
        for carrier in carriers:
            assert isinstance(carrier.lookup, MemoryLookup)
            out.append(stored.save_connection(carrier.connection, carrier.lookup.accounts))
        return out

    return save
