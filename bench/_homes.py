"""Seeding a throwaway igconnect home for the benchmarks: one connection reaching N accounts,
with an account tracker on each, written straight into the state store in one transaction."""

from __future__ import annotations

from collections.abc import Iterable

from igconnect.connections.model import Account, Connection, Reach
from igconnect.connections.store import ConnectionStore
from igconnect.runtime import Runtime
from igconnect.secretstore import token_key
from igconnect.trackers.model import Tracker
from igconnect.trackers.store import TrackerStore


def seed(
    name: str,
    user_id: str,
    token: str,
    accounts: Iterable[tuple[str, str, str | None]],
    *,
    trackers: bool = True,
) -> None:
    """`accounts`: (account id, username, Page id) of each account the connection reaches."""
    reach = Reach([Account(id=i, username=u, page_id=p) for i, u, p in accounts])
    connection = Connection(name=name, provider="facebook", user_id=user_id, user_name=name)
    runtime = Runtime()
    runtime.secret_store.set(token_key(connection.id), token)
    with runtime.state.transaction() as db:
        ConnectionStore(db).add(connection, reach)
        if trackers:
            store = TrackerStore(db)
            for a in reach.accounts:
                store.add(
                    Tracker(
                        kind="account",
                        target=a.username,
                        connection=name,
                        connection_id=connection.id,
                        account_id=a.id,
                    )
                )
    runtime.close()
