"""What a token was found to reach (meta.oauth.Discovery), as the Reach a connection stores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from igconnect.connections.model import Account, Page, Reach

if TYPE_CHECKING:
    from igconnect.meta.oauth import Discovery


def reach_of(discovery: Discovery) -> Reach:
    return Reach(
        accounts=[
            Account(
                id=a.id,
                username=a.username,
                page_id=a.page_id,
                page_name=a.page_name,
                account_type=a.account_type,
            )
            for a in discovery.accounts
        ],
        pages=[
            Page(
                id=p.id,
                name=p.name,
                tasks=list(p.tasks),
                instagram_account_id=p.instagram_account_id,
            )
            for p in discovery.pages
        ],
    )
