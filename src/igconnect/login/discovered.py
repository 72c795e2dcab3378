"""What a token was found to reach (meta.oauth.Discovery), as the records a connection stores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from igconnect.connections import Account, Page

if TYPE_CHECKING:
    from igconnect.meta.oauth import Discovery


def stored_accounts(discovery: Discovery) -> list[Account]:
    return [
        Account(
            id=a.id,
            username=a.username,
            page_id=a.page_id,
            page_name=a.page_name,
            account_type=a.account_type,
        )
        for a in discovery.accounts
    ]


def stored_pages(discovery: Discovery) -> list[Page]:
    return [
        Page(
            id=p.id,
            name=p.name,
            tasks=list(p.tasks),
            instagram_account_id=p.instagram_account_id,
        )
        for p in discovery.pages
    ]
