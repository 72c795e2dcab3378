"""How an account tracker can be read, decided once when it is added or assigned.

- managed: some connection reaches the account (its stories and insights, on its own budget);
- public: no connection reaches it, and business discovery on a Facebook Login connection finds
  it (discover.py);
- neither: nothing can read it. The caller refuses it, with the usernames the connections reach
  that look most like it (a typo, a renamed account), or keeps it pending when asked to.

Reads the state store only through indexed lookups, and asks Meta at most once per tracker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from igconnect.connections.store import ConnectionStore
from igconnect.errors import ExitCode, IgconnectError
from igconnect.trackers.discover import discover
from igconnect.trackers.model import ACCESS_MANAGED, ACCESS_PUBLIC, KIND_HASHTAG, Tracker
from igconnect.trackers.rules import Carrier, close_matches
from igconnect.trackers.store import TrackerStore

if TYPE_CHECKING:
    import sqlite3

    from igconnect.runtime import Runtime


@dataclass
class Access:
    """What `resolve_access` found for one tracker."""

    access: str | None  # managed | public; None for a hashtag or when nothing can read it
    account_id: str | None = None
    asked: str | None = None  # the connection business discovery was asked through
    close: list[str] = field(default_factory=list)  # near usernames the connections reach

    @property
    def readable(self) -> bool:
        return self.access is not None


def resolve_access(
    runtime: Runtime, tracker: Tracker, conns: dict[str, Carrier], prefer: str | None = None
) -> Access:
    """Managed, public, or neither (see the module docstring). `prefer`: the connection to ask
    business discovery through when it can. Raises what kept Meta from answering."""
    if tracker.kind == KIND_HASHTAG:
        return Access(None)
    db = runtime.state.db
    store = ConnectionStore(db)
    reached = store.reached(tracker.account_id or tracker.target)
    if reached is None and tracker.account_id:
        reached = store.reached(tracker.target)
    if reached is not None:
        return Access(ACCESS_MANAGED, reached.id)
    asker = discovery_asker(db, conns, prefer)
    if asker is None:
        return Access(None, close=similar_usernames(db, tracker.target))
    found = discover(runtime, asker.connection, tracker.target)
    if found is not None:
        return Access(ACCESS_PUBLIC, found.id, asked=asker.name)
    return Access(None, asked=asker.name, close=similar_usernames(db, tracker.target))


def discovery_asker(
    db: sqlite3.Connection, conns: dict[str, Carrier], prefer: str | None = None
) -> Carrier | None:
    """The connection to ask business discovery through: `prefer` when it can, else the working
    Facebook connection with an account that carries the fewest shared-budget trackers."""
    if prefer is not None and prefer in conns and conns[prefer].can_search:
        return conns[prefer]
    able = [c for c in conns.values() if c.can_search]
    if not able:
        return None
    loads = TrackerStore(db).loads(c.connection.id for c in able)
    return min(
        able,
        key=lambda c: (loads[c.connection.id].shared if c.connection.id in loads else 0, c.name),
    )


def similar_usernames(db: sqlite3.Connection, username: str, limit: int = 3) -> list[str]:
    """The usernames the connections reach that look most like `username`: candidates sharing
    its first or last letters come from the index, difflib ranks them."""
    return close_matches(username, ConnectionStore(db).username_candidates(username), limit)


class Unreadable(IgconnectError):
    """An account tracker nothing can read: the reason, what to do, the close matches."""

    exit_code = ExitCode.NOT_FOUND

    def __init__(self, message: str, *, hint: str, close_matches: list[str]) -> None:
        super().__init__(message, hint=hint)
        self.close_matches = close_matches


def unreadable(tracker: Tracker, found: Access, *, keep: str | None) -> Unreadable:
    """The refusal of a tracker nothing can read. `keep`: the command that keeps it anyway."""
    if found.asked is not None:
        reason = (
            f"no connection reaches {tracker.key}, and business discovery (asked through "
            f"'{found.asked}') does not find it: it is a personal account, or the name is misspelt"
        )
    else:
        reason = (
            f"no connection reaches {tracker.key}, and no working Facebook Login connection with "
            "an Instagram account can ask business discovery whether it is a public professional "
            "account"
        )
    steps = []
    if found.close:
        names = ", ".join("@" + n for n in found.close)
        steps.append(
            f"did you mean {names}? track it with `igconnect trackers add @{found.close[0]}`"
        )
    elif found.asked is None:
        steps.append("connect a Facebook login first (`igconnect login`)")
    if keep:
        steps.append(f"keep it anyway with `{keep}`")
    hint = "; or ".join(steps) if steps else "check the username"
    return Unreadable(reason, hint=hint, close_matches=list(found.close))
