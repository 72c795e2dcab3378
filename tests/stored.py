"""Reading and seeding the state store of the test's home, as `igconnect login` and `igconnect
trackers` would leave it. Each call opens the store afresh, as a new igconnect process would."""

from __future__ import annotations

from collections.abc import Iterable

from igconnect.connections.model import Account, Connection, Page, Reach
from igconnect.connections.store import ConnectionStore
from igconnect.runtime import Runtime
from igconnect.secretstore import token_key
from igconnect.trackers.model import Tracker
from igconnect.trackers.store import TrackerStore


def save_connection(
    connection: Connection,
    accounts: Iterable[Account] = (),
    pages: Iterable[Page] = (),
    *,
    token: str | None = None,
) -> Connection:
    """Add (or replace, by id or by name) a connection with what it reaches; store its token."""
    runtime = Runtime()
    try:
        with runtime.state.transaction() as db:
            store = ConnectionStore(db)
            reach = Reach(list(accounts), list(pages))
            same_name = store.find(connection.name)
            if same_name is not None:
                connection.id = same_name.id
            if store.by_id(connection.id) is None:
                store.add(connection, reach)
            else:
                store.save(connection, reach)
        if token is not None:
            runtime.secret_store.set(token_key(connection.id), token)
    finally:
        runtime.close()
    return connection


def save_tracker(tracker: Tracker) -> Tracker:
    """Add (or replace) a tracker; `tracker.connection` names its connection."""
    runtime = Runtime()
    try:
        with runtime.state.transaction() as db:
            if tracker.connection is not None:
                tracker.connection_id = ConnectionStore(db).get(tracker.connection).id
            trackers = TrackerStore(db)
            if trackers.find(tracker.key) is None:
                trackers.add(tracker)
            else:
                trackers.save(tracker)
    finally:
        runtime.close()
    return tracker


def connections() -> dict[str, Connection]:
    runtime = Runtime()
    try:
        return {c.name: c for c in ConnectionStore(runtime.state.db).all()}
    finally:
        runtime.close()


def connection(name: str) -> Connection:
    return connections()[name]


def reach(name: str) -> Reach:
    runtime = Runtime()
    try:
        store = ConnectionStore(runtime.state.db)
        return store.reach(store.get(name).id)
    finally:
        runtime.close()


def trackers() -> dict[str, Tracker]:
    runtime = Runtime()
    try:
        return {t.key: t for t in TrackerStore(runtime.state.db).all()}
    finally:
        runtime.close()


def written_text() -> str:
    """Everything igconnect keeps in files of the home (settings, state store and its WAL), as
    text: for asserting that no secret was written."""
    paths = Runtime().paths
    files = [paths.config_file, paths.state_file, paths.state_file.with_name("state.sqlite-wal")]
    return "\n".join(f.read_bytes().decode("utf-8", "replace") for f in files if f.exists())
