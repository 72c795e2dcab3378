"""A connection's token in the secret store, under `token:<id>` so a rename never touches it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from igconnect.errors import AuthError
from igconnect.secretstore import token_key

if TYPE_CHECKING:
    from igconnect.connections.model import Connection
    from igconnect.secretstore import SecretStore


def read_token(store: SecretStore, connection: Connection) -> str:
    token = store.get(token_key(connection.id))
    if not token:
        raise AuthError(
            f"connection '{connection.name}' has no token in the {store.description}",
            hint=f"run `igconnect login --reconnect {connection.name}`",
        )
    return token
