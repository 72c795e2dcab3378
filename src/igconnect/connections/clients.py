"""The one place a Graph client acting as a connection is built, and the login providers.

Every command that calls Meta as a connection gets its client from `client_for`: the connection's
provider picks the host and how the token is sent, its rate-limit usage is recorded, its errors
point at `login --reconnect NAME`, and an Instagram Login token that is due is refreshed first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from igconnect.connections.model import Connection
from igconnect.connections.refresh import refresh_if_due
from igconnect.connections.tokens import read_token
from igconnect.meta.client import auth_scheme

if TYPE_CHECKING:
    from igconnect.meta.client import GraphClient
    from igconnect.meta.oauth import LoginProvider
    from igconnect.runtime import Runtime


def client_for(runtime: Runtime, connection: Connection) -> GraphClient:
    """A client acting as `connection`; a due Instagram Login token is refreshed first."""
    if connection.provider == "instagram":
        refresh_if_due(runtime, connection)
    return connection_client(runtime, connection, read_token(runtime.secret_store, connection))


def connection_client(runtime: Runtime, connection: Connection, token: str) -> GraphClient:
    """A client acting as `connection` with `token` as it is (doctor checks a token unrefreshed)."""
    recorder = runtime.usage_recorder
    connection_id = connection.id
    return runtime.graph_client(
        runtime.endpoints.api_url(connection.provider),
        token=token,
        auth_scheme=auth_scheme(connection.provider),
        app_secret=runtime.app_secret_or_none(),
        reconnect_hint=f"run `igconnect login --reconnect {connection.name}`",
        on_usage=lambda usage: recorder.record(connection_id, usage),
    )


def login_provider(runtime: Runtime, provider: str) -> LoginProvider:
    """Facebook or Instagram Login as the agency's app (its id and secret are needed)."""
    from igconnect.meta.oauth import provider_for

    return provider_for(
        provider, runtime.endpoints, runtime.app_id(), runtime.app_secret(), runtime.graph_client
    )
