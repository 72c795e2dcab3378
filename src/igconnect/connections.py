"""Connections: authorised Meta logins stored under a name, and the accounts each one reaches.

The metadata lives in the settings file under `[connections.NAME]`; the token lives in the secret store
under `token:<id>`, keyed by a stable id so that renaming a connection never touches the secret.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, MutableMapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from igconnect.errors import ConflictError, NotFoundError, UsageError

PROVIDERS = ("facebook", "instagram")
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
STATUS_OK = "ok"
STATUS_BROKEN = "broken"


@dataclass
class Account:
    """An Instagram professional account reachable through a connection."""

    id: str
    username: str
    page_id: str | None = None  # Facebook path: the Page it is linked to
    page_name: str | None = None
    account_type: str | None = None  # Instagram path: BUSINESS or MEDIA_CREATOR


@dataclass
class Page:
    """A Facebook Page the user granted, with or without a linked Instagram account."""

    id: str
    name: str
    tasks: list[str] = field(default_factory=list)
    instagram_account_id: str | None = None


@dataclass
class Connection:
    name: str
    provider: str
    id: str = field(default_factory=lambda: "c-" + uuid.uuid4().hex[:16])
    user_id: str = ""
    user_name: str = ""
    accounts: list[Account] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    scopes_granted: list[str] = field(default_factory=list)
    scopes_declined: list[str] = field(default_factory=list)
    # debug_token's granular_scopes: a permission limited to some Pages / accounts → their ids
    granular_scopes: dict[str, list[str]] = field(default_factory=dict)
    token_expires_at: datetime | None = None  # None: never (or unknown)
    data_access_expires_at: datetime | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    renewed_at: datetime | None = None
    status: str = STATUS_OK
    broken_reason: str | None = None
    broken_at: datetime | None = None

    @property
    def is_broken(self) -> bool:
        return self.status == STATUS_BROKEN

    def reaches(self, username_or_id: str) -> Account | None:
        wanted = username_or_id.lstrip("@").lower()
        for account in self.accounts:
            if account.id == wanted or account.username.lower() == wanted:
                return account
        return None

    def days_left(self, moment: datetime | None, now: datetime | None = None) -> float | None:
        if moment is None:
            return None
        return (moment - (now or datetime.now(UTC))).total_seconds() / 86400


def validate_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise UsageError(
            f"'{name}' is not a valid connection name",
            hint="use letters, digits, '-' and '_', at most 64 characters",
        )
    return name


def derive_name(text: str) -> str:
    """A valid connection name made from a Meta user name or an Instagram username."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", text.strip()).strip("-").lower()
    return (cleaned or "connection")[:64]


# -- storage in the settings document ----------------------------------------------------------
def _to_toml(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return [_to_toml(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_toml(v) for k, v in value.items() if v is not None}
    return value


def _parse_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _plain(value: Any) -> Any:
    unwrap = getattr(value, "unwrap", None)
    return unwrap() if callable(unwrap) else value


def connection_from_table(name: str, table: Mapping[str, Any]) -> Connection:
    data = dict(_plain(table))
    return Connection(
        name=name,
        provider=str(data.get("provider", "facebook")),
        id=str(data.get("id") or ""),
        user_id=str(data.get("user_id", "")),
        user_name=str(data.get("user_name", "")),
        accounts=[Account(**a) for a in data.get("accounts", [])],
        pages=[Page(**p) for p in data.get("pages", [])],
        scopes_granted=list(data.get("scopes_granted", [])),
        scopes_declined=list(data.get("scopes_declined", [])),
        granular_scopes={
            str(k): [str(i) for i in v] for k, v in (data.get("granular_scopes") or {}).items()
        },
        token_expires_at=_parse_time(data.get("token_expires_at")),
        data_access_expires_at=_parse_time(data.get("data_access_expires_at")),
        created_at=_parse_time(data.get("created_at")) or datetime.now(UTC),
        renewed_at=_parse_time(data.get("renewed_at")),
        status=str(data.get("status", STATUS_OK)),
        broken_reason=data.get("broken_reason"),
        broken_at=_parse_time(data.get("broken_at")),
    )


def connection_to_table(connection: Connection) -> dict[str, Any]:
    data = asdict(connection)
    data.pop("name")
    return _to_toml(data)


def load_connections(doc: Mapping[str, Any]) -> dict[str, Connection]:
    tables = doc.get("connections") or {}
    return {name: connection_from_table(name, table) for name, table in tables.items()}


def get_connection(doc: Mapping[str, Any], name: str) -> Connection:
    connections = load_connections(doc)
    if name not in connections:
        raise NotFoundError(
            "connection",
            name,
            connections,
            hint="run `igconnect connections list` to see them, or `igconnect login` to add one",
        )
    return connections[name]


def save_connection(doc: MutableMapping[str, Any], connection: Connection) -> None:
    import tomlkit

    if "connections" not in doc:
        doc["connections"] = tomlkit.table(is_super_table=True)
    doc["connections"][connection.name] = connection_to_table(connection)


def remove_connection(doc: MutableMapping[str, Any], name: str) -> Connection:
    connection = get_connection(doc, name)
    del doc["connections"][name]
    return connection


def rename_connection(doc: MutableMapping[str, Any], old: str, new: str) -> Connection:
    """Rename a connection; trackers assigned to it follow (they are re-pointed here)."""
    validate_name(new)
    connection = get_connection(doc, old)
    if new in load_connections(doc):
        raise ConflictError(f"a connection named '{new}' already exists", hint="pick another name")
    del doc["connections"][old]
    connection.name = new
    save_connection(doc, connection)
    for table in (doc.get("trackers") or {}).values():
        if table.get("connection") == old:
            table["connection"] = new
    return connection


def find_owner(doc: Mapping[str, Any], *, user_id: str, account_ids: set[str]) -> Connection | None:
    """The connection that already holds this Meta user or one of these Instagram accounts."""
    for connection in load_connections(doc).values():
        if user_id and connection.user_id == user_id:
            return connection
        if account_ids & {a.id for a in connection.accounts}:
            return connection
    return None


def mark_broken(doc: MutableMapping[str, Any], name: str, reason: str) -> None:
    connection = get_connection(doc, name)
    connection.status = STATUS_BROKEN
    connection.broken_reason = reason
    connection.broken_at = datetime.now(UTC)
    save_connection(doc, connection)


def mark_ok(doc: MutableMapping[str, Any], name: str) -> None:
    connection = get_connection(doc, name)
    connection.status = STATUS_OK
    connection.broken_reason = None
    connection.broken_at = None
    save_connection(doc, connection)
