"""Business discovery at `trackers add`: is an account no connection reaches a public
professional one?

`GET /{ig-user-id}?fields=business_discovery.username(NAME){id,username}` on a working Facebook
Login connection, asked from one of its Instagram accounts (Instagram Login has no business
discovery). It spends the token's platform budget, one call per account asked about.

Meta answers code 110, subcode 2207013 ("Invalid user id") both for a username that does not exist
and for a personal account (recorded answers in tests/meta_answers.py; clients that checked report
that Meta does not tell the two apart), so both read as "not found" here. Anything else (a
throttle, a dead token, the network) is raised: it says nothing about the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from igconnect.connections.clients import client_for
from igconnect.connections.store import ConnectionStore
from igconnect.meta.errors import MetaApiError

if TYPE_CHECKING:
    from igconnect.connections.model import Connection
    from igconnect.runtime import Runtime

NOT_FOUND_CODE = 110
NOT_FOUND_SUBCODE = 2207013


@dataclass(frozen=True)
class Discovered:
    """A public professional account, as business discovery answered it."""

    id: str
    username: str


def is_not_found(exc: MetaApiError) -> bool:
    """Meta's answer for a username that is no public professional account (typed fields, not
    the message text)."""
    return exc.code == NOT_FOUND_CODE and exc.subcode == NOT_FOUND_SUBCODE


def discover(runtime: Runtime, connection: Connection, username: str) -> Discovered | None:
    """The public professional account `username`, or None when Meta says there is none.

    Raises what stopped the question from being answered (throttled, token dead, network)."""
    asker = ConnectionStore(runtime.state.db).first_account(connection.id)
    if asker is None:
        return None
    fields = f"business_discovery.username({username}){{id,username}}"
    with client_for(runtime, connection) as client:
        try:
            body = client.get(asker.id, {"fields": fields})
        except MetaApiError as exc:
            if is_not_found(exc):
                return None
            raise
    found = body.get("business_discovery") if isinstance(body, dict) else None
    if not isinstance(found, dict) or not found.get("id"):
        return None
    return Discovered(str(found["id"]), str(found.get("username") or username).lower())
