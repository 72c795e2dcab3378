"""Failover: trackers leave a broken connection for another that reaches the same account, and go
back once it works again.

Run at the start of every unfiltered export (export/run.py), in one transaction:
1. back: a tracker a failover moved goes back to the connection it came from once that one is ok
   again (reconnected, or confirmed by `connections list --check`) and still reaches the account;
   unless a person moved it since (any other change of its connection forgets the failover);
2. away: each account tracker on a broken connection moves to the working connection (status ok)
   that reaches the same account (for a public account: any Facebook connection with an account,
   since business discovery asks from any) and carries the fewest trackers, ties by name.

A connection held by a security checkpoint (190/459) keeps its trackers: the export tries it
again at every run, and it usually recovers. Hashtag trackers stay where they are. The capacity
rules are not applied to a failover (it is temporary); `trackers rebalance` sees the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from igconnect.connections.model import STATUS_OK, Connection, reconnect_hint
from igconnect.connections.store import ConnectionStore
from igconnect.trackers.model import ACCESS_PUBLIC
from igconnect.trackers.store import TrackerStore

if TYPE_CHECKING:
    from igconnect.runtime import Runtime

AWAY = "away"
BACK = "back"


@dataclass(frozen=True)
class FailoverMove:
    tracker: str
    from_connection: str
    to_connection: str
    direction: str  # away | back
    reason: str
    fix: str = ""  # away: what repairs the broken connection

    def describe(self) -> str:
        if self.direction == BACK:
            return (
                f"moved {self.tracker} back from '{self.from_connection}' to "
                f"'{self.to_connection}' ({self.reason})"
            )
        return (
            f"moved {self.tracker} from '{self.from_connection}' ({self.reason}) to "
            f"'{self.to_connection}'; it goes back once '{self.from_connection}' works again: "
            f"{self.fix}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "tracker": self.tracker,
            "from": self.from_connection,
            "to": self.to_connection,
            "direction": self.direction,
            "reason": self.reason,
        }


@dataclass
class FailoverResult:
    moves: list[FailoverMove] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)  # trackers with nowhere to go, and why

    def to_json(self) -> dict[str, Any]:
        return {"moves": [m.to_json() for m in self.moves], "stuck": self.stuck}


def fail_over(runtime: Runtime, *, now: datetime | None = None) -> FailoverResult:
    """Move trackers off broken connections and back onto repaired ones (one transaction)."""
    now = now or datetime.now(UTC)
    result = FailoverResult()
    with runtime.state.transaction() as db:
        connections = ConnectionStore(db)
        trackers = TrackerStore(db)
        by_id = {c.id: c for c in connections.all()}
        loads = {cid: load.count for cid, load in trackers.loads().items()}

        for moved in trackers.failed_over():
            home = by_id.get(moved.home_id)
            if home is None or home.status != STATUS_OK:
                continue
            public = moved.access == ACCESS_PUBLIC
            if public and (home.provider != "facebook" or not home.account_count):
                continue
            if (
                not public
                and connections.account(home.id, moved.account_id or moved.target) is None
            ):
                continue  # the repaired login no longer reaches it: it stays where it works
            here = by_id.get(moved.connection_id or "")
            trackers.fail_back(moved.key)
            if here is not None:
                loads[here.id] = loads.get(here.id, 1) - 1
            loads[home.id] = loads.get(home.id, 0) + 1
            result.moves.append(
                FailoverMove(
                    moved.key,
                    here.name if here else "(none)",
                    home.name,
                    BACK,
                    f"'{home.name}' works again",
                )
            )

        for tracker in trackers.on_broken_connections():
            broken = by_id.get(tracker.connection_id or "")
            if broken is None:
                continue
            if tracker.is_public:  # business discovery works from any Facebook connection
                reachers = [
                    c for c in by_id.values() if c.provider == "facebook" and c.account_count
                ]
            else:
                reachers = [
                    c for c, _ in connections.reaching(tracker.account_id or tracker.target)
                ]
            candidates = [c for c in reachers if c.id != broken.id and c.status == STATUS_OK]
            if not candidates:
                result.stuck.append(
                    f"{tracker.key} stays on '{broken.name}' "
                    f"({broken.broken_reason or 'broken'}): no other working connection reaches "
                    f"it; {reconnect_hint(broken)}"
                )
                continue
            chosen = min(candidates, key=lambda c: (loads.get(c.id, 0), c.name))
            trackers.fail_over(tracker.key, chosen.id, broken.id, now)
            loads[broken.id] = loads.get(broken.id, 1) - 1
            loads[chosen.id] = loads.get(chosen.id, 0) + 1
            result.moves.append(
                FailoverMove(
                    tracker.key,
                    broken.name,
                    chosen.name,
                    AWAY,
                    _why(broken),
                    reconnect_hint(broken),
                )
            )
    return result


def _why(connection: Connection) -> str:
    return f"broken: {connection.broken_reason}" if connection.broken_reason else "broken"
