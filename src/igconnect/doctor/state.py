"""What checks learn from Meta and hand to the checks that depend on them.

Each scope has its own state object: the environment, one connection, one account (or one Page with
no account). Checks fill these as they go; nothing here talks to the network by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from igconnect.connections.model import Reach

if TYPE_CHECKING:
    from igconnect.connections.model import Account, Connection
    from igconnect.meta.client import GraphClient
    from igconnect.meta.errors import Throttled
    from igconnect.runtime import Runtime


@dataclass
class EnvState:
    runtime: Runtime
    app_id: str | None = None
    app_secret: str | None = None


@dataclass
class ConnectionState:
    env: EnvState
    connection: Connection
    reach: Reach = field(default_factory=Reach)  # what the store expects it to reach (or one)
    focus: Account | None = None  # --account: the one stored account looked at
    token: str | None = None
    debug: dict[str, Any] | None = None  # debug_token's `data` (Facebook path)
    me: dict[str, Any] | None = None  # /me (Instagram path, or the Facebook fallback)
    permissions: dict[str, str] = field(default_factory=dict)  # scope -> granted/declined/...
    pages: list[dict[str, Any]] | None = None  # /me/accounts, live
    account_types_ok: bool = True

    @property
    def runtime(self) -> Runtime:
        return self.env.runtime

    @property
    def name(self) -> str:
        return self.connection.name

    @property
    def provider(self) -> str:
        return self.connection.provider

    def client(self) -> GraphClient:
        """A new client acting as this connection (one per account: usage figures stay apart)."""
        assert self.token is not None
        from igconnect.connections.clients import connection_client

        return connection_client(self.runtime, self.connection, self.token)

    def granular_targets(self, scope: str) -> list[str] | None:
        """The ids a permission was limited to in the login dialog; None when not limited."""
        for entry in (self.debug or {}).get("granular_scopes") or []:
            if entry.get("scope") == scope and "target_ids" in entry:
                return [str(t) for t in entry.get("target_ids") or []]
        return None

    def live_accounts(self) -> dict[str, dict[str, Any]]:
        """Instagram accounts reached right now: id -> {username, page}."""
        out: dict[str, dict[str, Any]] = {}
        if self.provider == "instagram":
            if self.me and self.me.get("user_id"):
                out[str(self.me["user_id"])] = {"username": self.me.get("username"), "page": None}
            return out
        for page in self.pages or []:
            ig = page.get("instagram_business_account")
            if isinstance(ig, dict) and ig.get("id"):
                out[str(ig["id"])] = {"username": ig.get("username"), "page": page}
        return out


@dataclass
class AccountState:
    """One block under a connection: an Instagram account, or a Page without one."""

    conn: ConnectionState
    ig_id: str | None = None
    username: str | None = None
    page: dict[str, Any] | None = None  # the live Page it is linked to (Facebook path)
    stored: Account | None = None  # what the state store expects, if anything
    # Not recorded on this connection: where another connection recorded it (its name in _from).
    expected: Account | None = None
    expected_from: str | None = None
    stories: list[dict[str, Any]] | None = None
    throttled: Throttled | None = None
    _client: GraphClient | None = None

    @property
    def label(self) -> str:
        if self.username:
            return f"@{self.username}"
        if self.page is not None:
            return f"Page '{self.page.get('name') or self.page.get('id')}'"
        if self.stored is not None:
            return f"@{self.stored.username}"
        return "(unknown account)"

    @property
    def is_live(self) -> bool:
        return self.ig_id is not None and self.ig_id in self.conn.live_accounts()

    def client(self) -> GraphClient:
        if self._client is None:
            self._client = self.conn.client()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
