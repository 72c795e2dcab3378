"""A connection and what it reaches, as plain data.

A Connection row is small and says nothing of its accounts: an agency login may reach thousands of
Instagram accounts, and most commands need one of them, so the accounts and Pages (`Reach`) are read
from the store only where all of them are needed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from igconnect.errors import UsageError

PROVIDERS = ("facebook", "instagram")
KIND_USER = "user"
KIND_SYSTEM_USER = "system_user"
STATUS_OK = "ok"
STATUS_BROKEN = "broken"
# A security checkpoint on the account (190/459) holds the token until the person clears it on
# facebook.com; it is reported to work again then, so it is tried again rather than given up.
STATUS_CHECKPOINT = "checkpoint"
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


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
class Reach:
    """The accounts and Pages one token reaches."""

    accounts: list[Account] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)

    def account(self, username_or_id: str) -> Account | None:
        wanted = normalise_username(username_or_id)
        for account in self.accounts:
            if account.id == wanted or account.username.lower() == wanted:
                return account
        return None


@dataclass
class Connection:
    name: str
    provider: str
    id: str = field(default_factory=lambda: "c-" + uuid.uuid4().hex[:16])
    kind: str = KIND_USER
    user_id: str = ""
    user_name: str = ""
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
    checked_at: datetime | None = None  # when Meta last confirmed the status
    account_count: int = 0  # how many accounts it reaches (filled in by the store)

    @property
    def is_broken(self) -> bool:
        return self.status == STATUS_BROKEN

    def days_left(self, moment: datetime | None, now: datetime | None = None) -> float | None:
        if moment is None:
            return None
        return (moment - (now or datetime.now(UTC))).total_seconds() / 86400


def normalise_username(text: str) -> str:
    """`@Acme_Shop` → `acme_shop`: how accounts are compared everywhere."""
    return text.strip().lstrip("@").lower()


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
